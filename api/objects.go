package api

import (
	"encoding/json"
	"time"

	"github.com/weirhq/weir/api/client"
	"github.com/weirhq/weir/dag"
	"github.com/weirhq/weir/server"
	"github.com/weirhq/weir/store"
)

// This file turns store and DAG values into the API's JSON objects (package client's types).

// tp returns a pointer to t, nil for the zero time.
func tp(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}

// sp returns a pointer to s, nil for "".
func sp(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// emptyObject is the conf of a run triggered without one, as Airflow shows it.
var emptyObject = json.RawMessage("{}")

func runObject(r *store.DAGRun) client.DAGRun {
	conf := r.Conf
	if len(conf) == 0 || string(conf) == "null" {
		conf = emptyObject
	}
	params := r.Params
	if string(params) == "null" {
		params = nil
	}
	events := r.TriggerEvents
	if string(events) == "null" {
		events = nil
	}
	return client.DAGRun{
		DAGID: r.DAGID, DAGRunID: r.RunID,
		LogicalDate: r.LogicalDate.UTC(), ExecutionDate: r.LogicalDate.UTC(),
		DataIntervalStart: tp(r.DataIntervalStart), DataIntervalEnd: tp(r.DataIntervalEnd),
		State: string(r.State), RunType: r.RunType, ExternalTrigger: r.RunType == "manual",
		Conf: conf, QueuedAt: tp(r.QueuedAt), StartDate: tp(r.StartedAt), EndDate: tp(r.EndedAt),
		Params: params, DAGHash: r.DAGHash, TriggerEvents: events,
	}
}

// tiObject converts a task instance; logical is its run's logical date (zero: unknown).
func tiObject(ti *store.TaskInstance, logical time.Time) client.TaskInstance {
	o := client.TaskInstance{
		DAGID: ti.DAGID, DAGRunID: ti.RunID, TaskID: ti.TaskID, MapIndex: ti.MapIndex,
		RenderedMapIndex: sp(ti.RenderedMapIndex), ExecutionDate: tp(logical),
		TryNumber: ti.TryNumber, MaxTries: ti.MaxTries,
		StartDate: tp(ti.StartedAt), EndDate: tp(ti.EndedAt), QueuedWhen: tp(ti.QueuedAt),
		Hostname: ti.Hostname, Pool: ti.Pool, PoolSlots: ti.PoolSlots, PriorityWeight: ti.PriorityWeight,
		NextTryAt: tp(ti.NextTryAt), Output: ti.Output, Error: ti.Error, Args: ti.Args,
		CacheKey: sp(ti.CacheKey), CachedFrom: sp(ti.CachedFrom),
	}
	if ti.State != store.TINone {
		s := string(ti.State)
		o.State = &s
	}
	if ti.State.Finished() || ti.State == store.TIUpForRetry {
		if !ti.StartedAt.IsZero() && !ti.EndedAt.IsZero() {
			d := ti.EndedAt.Sub(ti.StartedAt).Seconds()
			o.Duration = &d
		}
	}
	if ti.PID != 0 {
		pid := ti.PID
		o.PID = &pid
	}
	if string(o.Output) == "null" {
		o.Output = nil
	}
	return o
}

func tiCollection(tis []*store.TaskInstance, total int, logical time.Time) client.TaskInstanceCollection {
	out := client.TaskInstanceCollection{TaskInstances: make([]client.TaskInstance, len(tis)), TotalEntries: total}
	for i, ti := range tis {
		out.TaskInstances[i] = tiObject(ti, logical)
	}
	return out
}

// dagObject describes a DAG from its loaded definition d (nil when not loaded) and its
// metadata m (nil when the store has none).
// dagObject is the API's object of a DAG; now is when its next run is computed.
func dagObject(d *dag.DAG, m *store.DAGMeta, importErrs map[string]bool, now time.Time) client.DAG {
	o := client.DAG{Owners: []string{}, Tags: []client.Tag{}, Datasets: json.RawMessage("null")}
	if m != nil {
		o.DAGID, o.IsPaused, o.IsActive = m.DAGID, m.IsPaused, m.IsActive && d != nil
		o.Fileloc, o.Schedule, o.DAGHash = m.Source, m.Schedule, m.Hash
		o.LastParsedTime = tp(m.UpdatedAt)
	}
	if d != nil {
		o.DAGID, o.IsActive = d.ID, true
		o.Description = sp(d.Description)
		o.Fileloc, o.Schedule, o.Timezone = d.Source, d.Schedule, d.Timezone
		for _, t := range d.Tags {
			o.Tags = append(o.Tags, client.Tag{Name: t})
		}
		o.MaxActiveTasks, o.MaxActiveRuns = d.MaxActiveTasks, d.MaxActiveRuns
		if o.MaxActiveRuns == 0 {
			o.MaxActiveRuns = 16 // dag.DAG's documented default
		}
		if d.Datasets != nil {
			if b, err := json.Marshal(d.Datasets); err == nil {
				o.Datasets = b
			}
			o.DatasetExpression = sp(d.Datasets.String())
		}
		if len(d.Params) > 0 {
			o.Params = make(map[string]json.RawMessage, len(d.Params))
			for name, p := range d.Params {
				if b, err := json.Marshal(p.Schema); err == nil {
					o.Params[name] = b
				}
			}
		}
		// In topological order (definition order among independent tasks), as the CLI lists
		// a run's tasks; in definition order if the graph has no order (it is validated).
		if order, err := dag.Topo(d); err == nil {
			o.TaskIDs = order
		} else {
			o.TaskIDs = make([]string, len(d.Tasks))
			for i, t := range d.Tasks {
				o.TaskIDs[i] = t.ID
			}
		}
	}
	if o.Schedule != "" {
		o.ScheduleInterval = &client.ScheduleInterval{Type: "CronExpression", Value: o.Schedule}
		o.TimetableDescription = sp(o.Schedule)
	}
	o.FileToken = o.DAGID
	o.HasImportErrors = importErrs[o.Fileloc]
	if info, ok := server.NextRun(d, m, now); ok {
		o.NextDAGRun = tp(info.LogicalDate())
		o.NextDAGRunDataIntervalStart, o.NextDAGRunDataIntervalEnd = tp(info.DataInterval.Start), tp(info.DataInterval.End)
		o.NextDAGRunCreateAfter = tp(info.RunAfter)
	}
	return o
}

func poolObject(p *store.Pool, use poolUse) client.Pool {
	o := client.Pool{
		Name: p.Name, Slots: p.Slots, Description: sp(p.Description),
		RunningSlots: use.running, QueuedSlots: use.queued, ScheduledSlots: use.scheduled,
		OccupiedSlots: use.running + use.queued,
	}
	if p.Slots < 0 {
		o.OpenSlots = -1
	} else {
		o.OpenSlots = max(0, p.Slots-o.OccupiedSlots)
	}
	return o
}

func eventObject(ev *store.DatasetEvent) client.DatasetEvent {
	extra := ev.Extra
	if string(extra) == "null" {
		extra = nil
	}
	return client.DatasetEvent{
		ID: ev.ID, DatasetURI: ev.URI, Extra: extra,
		SourceDAGID: sp(ev.SourceDAGID), SourceRunID: sp(ev.SourceRunID), SourceTaskID: sp(ev.SourceTaskID),
		SourceMapIndex: ev.SourceMapIndex, Timestamp: ev.Timestamp.UTC(),
	}
}
