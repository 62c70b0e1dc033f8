package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/weirhq/weir/dag"
	"github.com/weirhq/weir/engine"
	"github.com/weirhq/weir/schedule"
	"github.com/weirhq/weir/store"
)

// DefaultMaxActiveRuns caps a DAG's queued and running runs when it sets none (Airflow's
// default).
const DefaultMaxActiveRuns = 16

// Scheduler creates the runs of DAGs scheduled on time or on datasets. Each tick looks at
// every unpaused DAG; it also ticks when woken (a dataset event, a DAG change).
type Scheduler struct {
	st    store.Store
	eng   *engine.Engine
	reg   *Registry
	log   *slog.Logger
	clock func() time.Time
	wake  chan struct{}
	// beat is the Unix nanosecond time of the last tick's start, for health.
	beat atomic.Int64
	// delays observes scheduling delays (a run's creation after its due time), in seconds.
	delays func(float64)
}

// SchedulerConfig configures a Scheduler. Store, Engine and Registry are required.
type SchedulerConfig struct {
	// Store is the metadata store the scheduler reads DAG metadata and queued dataset
	// events from, and creates runs in.
	Store store.Store
	// Engine executes the runs the scheduler creates.
	Engine *engine.Engine
	// Registry gives the DAGs to schedule.
	Registry *Registry
	// Wake, when not nil, is a channel whose receipts make the scheduler tick at once (a
	// dataset event, a DAG change); Scheduler.Wake sends on it. Default: a new channel
	// with a buffer of one.
	Wake chan struct{}
	// Delays, when not nil, observes scheduling delays (a run's creation after its due
	// time), in seconds.
	Delays func(float64)
	// Logger receives the scheduler's logs. Default: discard.
	Logger *slog.Logger
	// Clock returns the current time. Default time.Now.
	Clock func() time.Time
}

// NewScheduler returns a scheduler; run it with Run.
func NewScheduler(cfg SchedulerConfig) (*Scheduler, error) {
	if cfg.Store == nil || cfg.Engine == nil || cfg.Registry == nil {
		return nil, errors.New("server: SchedulerConfig needs Store, Engine and Registry")
	}
	if cfg.Wake == nil {
		cfg.Wake = make(chan struct{}, 1)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	return &Scheduler{st: cfg.Store, eng: cfg.Engine, reg: cfg.Registry, log: cfg.Logger, clock: cfg.Clock,
		wake: cfg.Wake, delays: cfg.Delays}, nil
}

// Wake makes the scheduler tick soon; it never blocks.
func (s *Scheduler) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Run ticks every interval, and when woken, until ctx is done.
func (s *Scheduler) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		s.Tick(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.wake:
		}
	}
}

// Heartbeat returns when the scheduler's last tick started (the zero time before the
// first).
func (s *Scheduler) Heartbeat() time.Time {
	ns := s.beat.Load()
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns).UTC()
}

// Tick creates every run that is due now.
func (s *Scheduler) Tick(ctx context.Context) {
	now := s.clock().UTC()
	s.beat.Store(now.UnixNano())
	metas, err := s.st.ListDAGs(ctx)
	if err != nil {
		s.log.Warn("scheduler: list DAGs", "err", err)
		return
	}
	meta := make(map[string]*store.DAGMeta, len(metas))
	for _, m := range metas {
		meta[m.DAGID] = m
	}
	var queued map[string][]*store.DatasetEvent
	for _, d := range s.reg.DAGs() {
		m := meta[d.ID]
		if m == nil || m.IsPaused || (d.Schedule == "" && d.Datasets == nil) {
			continue
		}
		active, err := s.activeRuns(ctx, d.ID)
		if err != nil {
			s.log.Warn("scheduler: count active runs", "dag_id", d.ID, "err", err)
			continue
		}
		limit := d.MaxActiveRuns
		if limit <= 0 {
			limit = DefaultMaxActiveRuns
		}
		if d.Schedule != "" {
			active = s.timeRuns(ctx, d, m, active, limit, now)
		}
		if d.Datasets != nil && active < limit {
			if queued == nil {
				queued, err = s.queuedEvents(ctx)
				if err != nil {
					s.log.Warn("scheduler: read the dataset queue", "err", err)
					return
				}
			}
			s.datasetRun(ctx, d, queued[d.ID], now)
		}
	}
}

// activeRuns counts a DAG's queued and running runs.
func (s *Scheduler) activeRuns(ctx context.Context, dagID string) (int, error) {
	runs, err := s.st.ListRuns(ctx, store.ListRunsParams{DAGID: dagID, States: []store.RunState{store.RunQueued, store.RunRunning}, Limit: 10000})
	return len(runs), err
}

// timeRuns creates the DAG's due time-scheduled runs, up to the active-run limit.
func (s *Scheduler) timeRuns(ctx context.Context, d *dag.DAG, m *store.DAGMeta, active, limit int, now time.Time) int {
	tt, err := schedule.Parse(d.Schedule, d.Timezone)
	if err != nil {
		s.log.Warn("scheduler: bad schedule", "dag_id", d.ID, "err", err)
		return active
	}
	for active < limit {
		info, ok := nextRun(tt, d, m, now)
		if !ok || info.RunAfter.After(now) {
			return active
		}
		iv := info.DataInterval
		logical := info.LogicalDate()
		_, err := s.eng.Trigger(ctx, d, engine.TriggerOptions{
			RunID: "scheduled__" + logical.UTC().Format(time.RFC3339), RunType: "scheduled",
			LogicalDate: logical, DataIntervalStart: iv.Start, DataIntervalEnd: iv.End,
			Create: func(ctx context.Context, run *store.DAGRun, tis []*store.TaskInstance) error {
				return s.st.SetLastScheduled(ctx, d.ID, iv.Start, iv.End, run, tis)
			},
		})
		switch {
		case errors.Is(err, store.ErrAlreadyExists):
			// Created before a crash that came before the bookkeeping: only record it.
			if err := s.st.SetLastScheduled(ctx, d.ID, iv.Start, iv.End, nil, nil); err != nil {
				s.log.Warn("scheduler: record the last scheduled interval", "dag_id", d.ID, "err", err)
				return active
			}
		case err != nil:
			s.log.Warn("scheduler: create a scheduled run", "dag_id", d.ID, "logical_date", logical, "err", err)
			return active
		default:
			active++
			if s.delays != nil {
				s.delays(now.Sub(info.RunAfter).Seconds())
			}
			s.log.Info("scheduled run created", "dag_id", d.ID, "logical_date", logical, "data_interval_end", iv.End)
		}
		m.LastScheduledStart, m.LastScheduledEnd = iv.Start, iv.End
	}
	return active
}

// queuedEvents reads the dataset queue by consumer DAG.
func (s *Scheduler) queuedEvents(ctx context.Context) (map[string][]*store.DatasetEvent, error) {
	q, err := s.st.ListQueuedEvents(ctx, "")
	if err != nil {
		return nil, err
	}
	out := map[string][]*store.DatasetEvent{}
	for _, e := range q {
		out[e.DAGID] = append(out[e.DAGID], e.Event)
	}
	return out, nil
}

// datasetRun creates a run of a dataset-scheduled DAG when its condition holds over the
// datasets with queued events; the run consumes those events (several updates of one
// dataset give one run, as in Airflow).
func (s *Scheduler) datasetRun(ctx context.Context, d *dag.DAG, events []*store.DatasetEvent, now time.Time) {
	if len(events) == 0 {
		return
	}
	updated := map[string]bool{}
	for _, e := range events {
		updated[e.URI] = true
	}
	// Asset aliases stand for the URIs tasks added through them (Airflow's AssetAlias).
	cond := d.Datasets
	if len(cond.Aliases()) > 0 {
		cond = cond.Resolve(s.reg.AliasLinks())
	}
	if !cond.Eval(updated) {
		return
	}
	wanted := map[string]bool{}
	for _, u := range cond.URIs() {
		wanted[u] = true
	}
	var ids []int64
	var trig []*store.DatasetEvent
	var maxID int64
	var oldest time.Time
	for _, e := range events {
		if !wanted[e.URI] {
			continue
		}
		ids = append(ids, e.ID)
		trig = append(trig, e)
		if e.ID > maxID {
			maxID = e.ID
		}
		if oldest.IsZero() || e.Timestamp.Before(oldest) {
			oldest = e.Timestamp
		}
	}
	b, err := store.EncodeTriggerEvents(trig)
	if err != nil {
		s.log.Warn("scheduler: create a dataset-triggered run", "dag_id", d.ID, "err", err)
		return
	}
	runID := "dataset_triggered__" + strconv.FormatInt(maxID, 10)
	_, err = s.eng.Trigger(ctx, d, engine.TriggerOptions{
		RunID: runID, RunType: "dataset", LogicalDate: now, TriggerEvents: b,
		Create: func(ctx context.Context, run *store.DAGRun, tis []*store.TaskInstance) error {
			return s.st.TriggerFromQueue(ctx, run, tis, ids)
		},
	})
	switch {
	case errors.Is(err, store.ErrAlreadyExists):
		// The run was created before a crash; TriggerFromQueue removed the events now.
	case err != nil:
		s.log.Warn("scheduler: create a dataset-triggered run", "dag_id", d.ID, "err", err)
	default:
		if s.delays != nil && !oldest.IsZero() {
			s.delays(now.Sub(oldest).Seconds())
		}
		s.log.Info("dataset-triggered run created", "dag_id", d.ID, "run_id", runID, "events", len(ids))
	}
}

// BackfillRunID is the run ID of the backfill run of the data interval starting at start.
func BackfillRunID(start time.Time) string { return "backfill__" + start.UTC().Format(time.RFC3339) }

// Backfill creates runs of a DAG for every data interval whose start lies in [from, to],
// at most maxActive at a time, calling progress after each run ends. Existing runs (same
// logical date) are skipped.
func Backfill(ctx context.Context, eng *engine.Engine, d *dag.DAG, from, to time.Time, progress func(done, total int, run *store.DAGRun)) error {
	tt, err := schedule.Parse(d.Schedule, d.Timezone)
	if err != nil {
		return err
	}
	if d.Schedule == "" {
		return fmt.Errorf("dag %s has no schedule: a backfill needs one to know the data intervals", d.ID)
	}
	ivs := tt.Intervals(from, to)
	if len(ivs) == 0 {
		return fmt.Errorf("no data interval of %q starts between %s and %s", d.Schedule, from.Format(time.RFC3339), to.Format(time.RFC3339))
	}
	limit := d.MaxActiveRuns
	if limit <= 0 {
		limit = DefaultMaxActiveRuns
	}
	sem := make(chan struct{}, limit)
	errs := make(chan error, len(ivs))
	done := 0
	results := make(chan *store.DAGRun, len(ivs))
	for _, iv := range ivs {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
		run, err := eng.Trigger(ctx, d, engine.TriggerOptions{
			RunID: BackfillRunID(iv.Start), RunType: "backfill",
			LogicalDate: iv.Start, DataIntervalStart: iv.Start, DataIntervalEnd: iv.End,
		})
		if errors.Is(err, store.ErrAlreadyExists) {
			<-sem
			done++
			if progress != nil {
				progress(done, len(ivs), nil)
			}
			continue
		}
		if err != nil {
			return err
		}
		go func() {
			defer func() { <-sem }()
			final, err := eng.Wait(ctx, run.DAGID, run.RunID)
			if err != nil {
				errs <- err
				return
			}
			results <- final
		}()
		for drained := false; !drained; {
			select {
			case r := <-results:
				done++
				if progress != nil {
					progress(done, len(ivs), r)
				}
			default:
				drained = true
			}
		}
	}
	for done < len(ivs) {
		select {
		case r := <-results:
			done++
			if progress != nil {
				progress(done, len(ivs), r)
			}
		case err := <-errs:
			return err
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}
