package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/weirhq/weir/api/client"
	"github.com/weirhq/weir/engine"
	"github.com/weirhq/weir/store"
)

// remote is the client of a weir server, when --server or WEIR_SERVER is set.
func (a *app) remote() (*client.Client, bool, error) {
	if a.server == "" {
		return nil, false, nil
	}
	c, err := client.New(a.server, remoteHTTPClient())
	if err != nil {
		return nil, true, fmt.Errorf("--server %q: %w", a.server, err)
	}
	return c, true, nil
}

// localOnly refuses --server for commands that work on the local store only.
func (a *app) localOnly(cmd *cobra.Command) error {
	if a.server != "" {
		return fmt.Errorf("`weir %s` works on the local store only: drop --server (or unset WEIR_SERVER)", cmd.CommandPath()[len("weir "):])
	}
	return nil
}

func strOr(p *string, def string) string {
	if p == nil {
		return def
	}
	return *p
}

func timeOr(p *time.Time) time.Time {
	if p == nil {
		return time.Time{}
	}
	return *p
}

// remoteDAGs lists the server's DAGs.
func (a *app) remoteDAGs(ctx context.Context, c *client.Client, output string) error {
	dags, err := c.ListDAGs(ctx, client.ListDAGsOptions{ListOptions: client.ListOptions{Limit: 10000}})
	if err != nil {
		return err
	}
	if output == "json" {
		return writeJSON(a.out, dags.DAGs)
	}
	var rows [][]string
	for _, d := range dags.DAGs {
		var tags []string
		for _, t := range d.Tags {
			tags = append(tags, t.Name)
		}
		rows = append(rows, dagRow(d.DAGID, len(d.TaskIDs), d.Schedule, d.IsPaused, tags, d.Fileloc, strOr(d.Description, "")))
	}
	a.table(dagHeader, rows)
	return nil
}

// remoteRun triggers a run on the server and follows it until it ends.
func (a *app) remoteRun(ctx context.Context, c *client.Client, dagID string, req client.TriggerRequest, quiet bool) error {
	run, err := c.Trigger(ctx, dagID, req)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.out, "Triggered %s on %s: run id %s\n", dagID, a.server, run.DAGRunID)
	return a.remoteFollow(ctx, c, dagID, run.DAGRunID, quiet)
}

// remoteFollow prints a server's run's task state changes until the run ends, then its table.
func (a *app) remoteFollow(ctx context.Context, c *client.Client, dagID, runID string, quiet bool) error {
	run := &client.DAGRun{DAGID: dagID, DAGRunID: runID}
	seen := map[string]string{}
	p := newPrinter(a.out, quiet)
	lastAlive := time.Now()
	for {
		// The run's state is read before its instances: when it has ended, the instances
		// read after it are final, and their last transitions are printed before the table.
		r, err := c.GetRun(ctx, dagID, run.DAGRunID)
		if err != nil {
			return err
		}
		tis, err := allTIs(ctx, c, dagID, run.DAGRunID)
		if err != nil {
			return err
		}
		if !quiet && time.Since(lastAlive) >= a.opts.AliveEvery {
			lastAlive = time.Now()
			var running []*aliveTask
			for _, ti := range tis.TaskInstances {
				if ti.StateName() == string(store.TIRunning) && ti.StartDate != nil {
					running = append(running, &aliveTask{label: remoteLabel(ti), started: *ti.StartDate, ti: *storeTI(ti)})
				}
			}
			printAlive(a.out, time.Now(), a.opts.AliveEvery, running, func(t *aliveTask) string {
				log, err := c.LogFrom(ctx, t.ti.DAGID, t.ti.RunID, t.ti.TaskID, t.ti.MapIndex, t.ti.TryNumber, -64<<10)
				if err != nil {
					return ""
				}
				return lastLogLine(log)
			})
		}
		// The progress lines of a local run, from the state changes seen between polls.
		for _, ti := range tis.TaskInstances {
			key := fmt.Sprintf("%s[%d]", ti.TaskID, ti.MapIndex)
			st := strOr(ti.State, "none")
			if seen[key] != st && st != "none" && st != "scheduled" {
				s := storeTI(ti)
				ev := engine.Event{Time: time.Now(), DAGID: s.DAGID, RunID: s.RunID, TaskID: s.TaskID, MapIndex: s.MapIndex,
					TryNumber: s.TryNumber, State: s.State, RenderedMapIndex: s.RenderedMapIndex, Err: s.Error,
					CacheKey: s.CacheKey, CachedFrom: s.CachedFrom, NextTryAt: timeOr(ti.NextTryAt)}
				if !s.StartedAt.IsZero() && !s.EndedAt.IsZero() {
					ev.Duration = s.EndedAt.Sub(s.StartedAt)
				}
				p.event(ev)
			}
			seen[key] = st
		}
		if r.State == string(store.RunSuccess) || r.State == string(store.RunFailed) {
			return a.remoteReport(ctx, c, r)
		}
		select {
		case <-ctx.Done():
			fmt.Fprintf(a.errOut, "\nstopped following; the run goes on on the server: weir runs list --server %s\n", a.server)
			return &ExitError{Code: 130}
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func remoteLabel(ti client.TaskInstance) string {
	return taskLabel(&store.TaskInstance{TaskID: ti.TaskID, MapIndex: ti.MapIndex, RenderedMapIndex: strOr(ti.RenderedMapIndex, "")})
}

// remoteReport prints a finished run's table as the local path does; a failed run is exit
// code 1.
func (a *app) remoteReport(ctx context.Context, c *client.Client, r *client.DAGRun) error {
	tis, err := a.remoteTIs(ctx, c, r.DAGID, r.DAGRunID)
	if err != nil {
		return err
	}
	return a.printReport(storeRun(r), tis, func(ti *store.TaskInstance) string {
		log, err := c.Log(ctx, ti.DAGID, ti.RunID, ti.TaskID, ti.MapIndex, ti.TryNumber)
		if err != nil {
			return ""
		}
		return tailLines(bytes.NewReader(log), 20)
	})
}

// remoteTIs lists a server's run's task instances in the order of the local listing.
func (a *app) remoteTIs(ctx context.Context, c *client.Client, dagID, runID string) ([]*store.TaskInstance, error) {
	tis, err := allTIs(ctx, c, dagID, runID)
	if err != nil {
		return nil, err
	}
	remoteTopo(ctx, c, dagID, tis.TaskInstances)
	out := make([]*store.TaskInstance, 0, len(tis.TaskInstances))
	for _, ti := range tis.TaskInstances {
		out = append(out, storeTI(ti))
	}
	return out, nil
}

// storeRun is an API run as the store's, for the printing shared with the local path.
func storeRun(r *client.DAGRun) *store.DAGRun {
	return &store.DAGRun{DAGID: r.DAGID, RunID: r.DAGRunID, State: store.RunState(r.State), RunType: r.RunType,
		LogicalDate: r.LogicalDate, StartedAt: timeOr(r.StartDate), EndedAt: timeOr(r.EndDate), QueuedAt: timeOr(r.QueuedAt),
		TriggerEvents: r.TriggerEvents, DAGHash: r.DAGHash, Conf: r.Conf, Params: r.Params}
}

// storeTI is an API task instance as the store's, for the printing shared with the local path.
func storeTI(ti client.TaskInstance) *store.TaskInstance {
	out := &store.TaskInstance{DAGID: ti.DAGID, RunID: ti.DAGRunID, TaskID: ti.TaskID, MapIndex: ti.MapIndex,
		RenderedMapIndex: strOr(ti.RenderedMapIndex, ""), TryNumber: ti.TryNumber, MaxTries: ti.MaxTries,
		StartedAt: timeOr(ti.StartDate), EndedAt: timeOr(ti.EndDate), Error: ti.Error, Pool: ti.Pool, PriorityWeight: ti.PriorityWeight,
		Hostname: ti.Hostname, CacheKey: strOr(ti.CacheKey, ""), CachedFrom: strOr(ti.CachedFrom, "")}
	if ti.State != nil && *ti.State != "none" {
		out.State = store.TIState(*ti.State)
	}
	if ti.PID != nil {
		out.PID = *ti.PID
	}
	if len(ti.Output) > 0 && string(ti.Output) != "null" {
		out.Output = ti.Output
	}
	if len(ti.Args) > 0 && string(ti.Args) != "null" {
		out.Args = ti.Args
	}
	return out
}

// remoteFindRun finds a run by id on the server (by DAG when given).
func remoteFindRun(ctx context.Context, c *client.Client, dagID, runID string) (*client.DAGRun, error) {
	if dagID != "" {
		return c.GetRun(ctx, dagID, runID)
	}
	var found []client.DAGRun
	for seen := 0; ; {
		runs, err := c.ListRuns(ctx, "", client.ListRunsOptions{ListOptions: client.ListOptions{Limit: allRows, Offset: seen}})
		if err != nil {
			return nil, err
		}
		for _, r := range runs.DAGRuns {
			if r.DAGRunID == runID {
				found = append(found, r)
			}
		}
		seen += len(runs.DAGRuns)
		if len(runs.DAGRuns) == 0 || seen >= runs.TotalEntries {
			break
		}
	}
	switch len(found) {
	case 0:
		return nil, fmt.Errorf("no run %q on the server (see `weir runs list --server URL`)", runID)
	case 1:
		return &found[0], nil
	}
	var ids []string
	for _, r := range found {
		ids = append(ids, r.DAGID)
	}
	return nil, fmt.Errorf("run id %q exists in several DAGs (%s): pass --dag", runID, strings.Join(ids, ", "))
}

func (a *app) remoteRuns(ctx context.Context, c *client.Client, dagID, state string, limit int, output string) error {
	o := client.ListRunsOptions{ListOptions: client.ListOptions{Limit: limit}}
	if state != "" {
		o.States = []string{state}
	}
	runs, err := c.ListRuns(ctx, dagID, o)
	if err != nil {
		return err
	}
	if output == "json" { // the API's objects, as scripts written against the server read them
		return writeJSON(a.out, runs.DAGRuns)
	}
	var out []*store.DAGRun
	for i := range runs.DAGRuns {
		out = append(out, storeRun(&runs.DAGRuns[i]))
	}
	return a.printRuns(out, output)
}

func (a *app) remoteTasks(ctx context.Context, c *client.Client, dagID, runID, output string) error {
	run, err := remoteFindRun(ctx, c, dagID, runID)
	if err != nil {
		return err
	}
	if output == "json" { // the API's objects, in the table's order, as printTasks prints them locally
		tis, err := allTIs(ctx, c, run.DAGID, run.DAGRunID)
		if err != nil {
			return err
		}
		remoteTopo(ctx, c, run.DAGID, tis.TaskInstances)
		return writeJSON(a.out, tis.TaskInstances)
	}
	tis, err := a.remoteTIs(ctx, c, run.DAGID, run.DAGRunID)
	if err != nil {
		return err
	}
	return a.printTasks(storeRun(run), tis, output)
}

// remoteLog reads logs from a server.
type remoteLog struct {
	c                    *client.Client
	dagID, runID, taskID string
	mapIndex             int
}

func (r remoteLog) state(ctx context.Context) (store.TIState, int, error) {
	ti, err := r.c.GetTaskInstance(ctx, r.dagID, r.runID, r.taskID, r.mapIndex)
	if err != nil {
		return "", 0, notFound(err)
	}
	st := store.TIState(ti.StateName())
	if st == "none" {
		st = store.TINone
	}
	return st, ti.TryNumber, nil
}

func (r remoteLog) read(ctx context.Context, try int, offset int64) ([]byte, error) {
	log, err := r.c.LogFrom(ctx, r.dagID, r.runID, r.taskID, r.mapIndex, try, offset)
	if client.IsCode(err, client.CodeNotFound) {
		return nil, fmt.Errorf("%w: %v", os.ErrNotExist, err)
	}
	return log, err
}

// orchestration is what the datasets, pools and lineage commands read and change: the local
// store (with the DAG folder) or, with --server, the server's REST API. Both return the
// same values, so one function prints each command's output whichever answered.
type orchestration interface {
	// Pools lists pools by name.
	Pools(ctx context.Context) ([]*store.Pool, error)
	// SetPool creates or resizes a pool.
	SetPool(ctx context.Context, p *store.Pool) error
	// DeletePool deletes a pool; store.ErrNotFound when there is none of that name.
	DeletePool(ctx context.Context, name string) error
	// Datasets lists datasets by URI, with the tasks updating them and the DAGs scheduled on them.
	Datasets(ctx context.Context) ([]datasetRow, error)
	// DatasetEvents lists dataset events, newest first.
	DatasetEvents(ctx context.Context, p store.ListEventsParams) ([]*store.DatasetEvent, error)
	// Run returns one run of a DAG.
	Run(ctx context.Context, dagID, runID string) (*store.DAGRun, error)
}

// datasetRow is a line of `weir datasets list`.
type datasetRow struct {
	URI       string     `json:"uri"`
	Producers []string   `json:"producers"`
	Consumers []string   `json:"consumers"`
	UpdatedAt *time.Time `json:"updated_at"`
}

// orchestration returns the server's API with --server, else the local store's; done
// closes it.
func (a *app) orchestration(ctx context.Context) (orchestration, func(), error) {
	if c, ok, err := a.remote(); ok {
		if err != nil {
			return nil, nil, err
		}
		return remoteOrch{c}, func() {}, nil
	}
	st, err := a.openStore(ctx)
	if err != nil {
		return nil, nil, err
	}
	return localOrch{a: a, st: st}, func() { st.Close() }, nil
}

// localOrch is orchestration on the local store.
type localOrch struct {
	a  *app
	st store.Store
}

func (l localOrch) Pools(ctx context.Context) ([]*store.Pool, error) { return l.st.ListPools(ctx) }
func (l localOrch) SetPool(ctx context.Context, p *store.Pool) error {
	err := l.st.UpsertPool(ctx, p)
	if err == nil {
		l.a.auditLocal(ctx, l.st, "pool.put", "pool", p.Name, map[string]any{"slots": p.Slots}, nil)
	}
	return err
}
func (l localOrch) DeletePool(ctx context.Context, name string) error {
	err := l.st.DeletePool(ctx, name)
	if err == nil {
		l.a.auditLocal(ctx, l.st, "pool.delete", "pool", name, nil, nil)
	}
	return err
}
func (l localOrch) Run(ctx context.Context, dagID, runID string) (*store.DAGRun, error) {
	return l.st.GetRun(ctx, dagID, runID)
}
func (l localOrch) DatasetEvents(ctx context.Context, p store.ListEventsParams) ([]*store.DatasetEvent, error) {
	return l.st.ListDatasetEvents(ctx, p)
}

// Datasets joins the store's datasets with the producers and consumers the DAG folder
// declares (as the server's API does with the DAGs it loaded).
func (l localOrch) Datasets(ctx context.Context) ([]datasetRow, error) {
	dss, err := l.st.ListDatasets(ctx)
	if err != nil {
		return nil, err
	}
	dags, _ := l.a.loadDAGs() // sorted by ID
	aliases, err := l.st.ListAssetAliases(ctx)
	if err != nil {
		return nil, err
	}
	links := map[string][]string{} // a DAG scheduled on an alias consumes what it resolved to
	for _, al := range aliases {
		links[al.Alias] = append(links[al.Alias], al.URI)
	}
	producers, consumers := map[string][]string{}, map[string][]string{}
	for _, d := range dags {
		for _, t := range d.Tasks {
			for _, u := range t.Outlets {
				producers[u] = append(producers[u], d.ID+"."+t.ID)
			}
		}
		for _, u := range d.Datasets.Resolve(links).URIs() {
			consumers[u] = append(consumers[u], d.ID)
		}
	}
	uris := map[string]*store.Dataset{}
	for _, ds := range dss {
		uris[ds.URI] = ds
	}
	for _, m := range []map[string][]string{producers, consumers} {
		for u := range m {
			if uris[u] == nil {
				uris[u] = &store.Dataset{URI: u}
			}
		}
	}
	var rows []datasetRow
	for u, ds := range uris {
		rows = append(rows, datasetRow{u, producers[u], consumers[u], tp(ds.UpdatedAt)})
	}
	sortRows(rows, func(r datasetRow) string { return r.URI })
	return rows, nil
}

// remoteOrch is orchestration through a server's REST API.
type remoteOrch struct{ c *client.Client }

// allRows is the page size of listings read whole (the API's largest).
const allRows = 10000

// allTIs lists every task instance of a server's run, page after page.
func allTIs(ctx context.Context, c *client.Client, dagID, runID string) (*client.TaskInstanceCollection, error) {
	out := &client.TaskInstanceCollection{}
	for {
		page, err := c.ListTaskInstances(ctx, dagID, runID, client.ListTIsOptions{ListOptions: client.ListOptions{Limit: allRows, Offset: len(out.TaskInstances)}})
		if err != nil {
			return nil, err
		}
		out.TaskInstances = append(out.TaskInstances, page.TaskInstances...)
		out.TotalEntries = page.TotalEntries
		if len(page.TaskInstances) == 0 || len(out.TaskInstances) >= page.TotalEntries {
			return out, nil
		}
	}
}

// notFound maps the API's not_found to store.ErrNotFound, as the local store says it.
func notFound(err error) error {
	if client.IsCode(err, client.CodeNotFound) {
		return fmt.Errorf("%w: %v", store.ErrNotFound, err)
	}
	return err
}

func (r remoteOrch) Pools(ctx context.Context) ([]*store.Pool, error) {
	pools, err := r.c.ListPools(ctx, client.ListOptions{Limit: allRows})
	if err != nil {
		return nil, err
	}
	var out []*store.Pool
	for _, p := range pools.Pools {
		out = append(out, &store.Pool{Name: p.Name, Slots: p.Slots, Description: strOr(p.Description, "")})
	}
	return out, nil
}

func (r remoteOrch) SetPool(ctx context.Context, p *store.Pool) error {
	_, err := r.c.UpdatePool(ctx, p.Name, &p.Slots, &p.Description)
	if client.IsCode(err, client.CodeNotFound) {
		_, err = r.c.CreatePool(ctx, p.Name, p.Slots, p.Description)
	}
	return err
}

func (r remoteOrch) DeletePool(ctx context.Context, name string) error {
	return notFound(r.c.DeletePool(ctx, name))
}

func (r remoteOrch) Run(ctx context.Context, dagID, runID string) (*store.DAGRun, error) {
	run, err := r.c.GetRun(ctx, dagID, runID)
	if err != nil {
		return nil, notFound(err)
	}
	return &store.DAGRun{DAGID: run.DAGID, RunID: run.DAGRunID, State: store.RunState(run.State), RunType: run.RunType,
		LogicalDate: run.LogicalDate, StartedAt: timeOr(run.StartDate), EndedAt: timeOr(run.EndDate), TriggerEvents: run.TriggerEvents, DAGHash: run.DAGHash}, nil
}

func (r remoteOrch) DatasetEvents(ctx context.Context, p store.ListEventsParams) ([]*store.DatasetEvent, error) {
	limit := p.Limit
	if limit <= 0 {
		limit = 100
	}
	evs, err := r.c.ListDatasetEvents(ctx, client.ListEventsOptions{ListOptions: client.ListOptions{Limit: limit},
		DatasetURI: p.URI, SourceDAGID: p.SourceDAGID, AfterID: p.AfterID})
	if err != nil {
		return nil, err
	}
	var out []*store.DatasetEvent
	for _, e := range evs.DatasetEvents {
		extra := e.Extra
		if string(extra) == "null" {
			extra = nil
		}
		out = append(out, &store.DatasetEvent{ID: e.ID, URI: e.DatasetURI, Extra: extra, SourceDAGID: strOr(e.SourceDAGID, ""),
			SourceRunID: strOr(e.SourceRunID, ""), SourceTaskID: strOr(e.SourceTaskID, ""), SourceMapIndex: e.SourceMapIndex, Timestamp: e.Timestamp})
	}
	return out, nil
}

func (r remoteOrch) Datasets(ctx context.Context) ([]datasetRow, error) {
	dss, err := r.c.ListDatasets(ctx, client.ListOptions{Limit: allRows})
	if err != nil {
		return nil, err
	}
	var rows []datasetRow
	for _, ds := range dss.Datasets {
		row := datasetRow{URI: ds.URI, UpdatedAt: ds.UpdatedAt}
		for _, t := range ds.ProducingTasks {
			row.Producers = append(row.Producers, t.DAGID+"."+t.TaskID)
		}
		for _, d := range ds.ConsumingDAGs {
			row.Consumers = append(row.Consumers, d.DAGID)
		}
		rows = append(rows, row)
	}
	sortRows(rows, func(r datasetRow) string { return r.URI })
	return rows, nil
}

// remoteClear clears task instances of a server's run (and, with IncludePast or
// IncludeFuture, of the DAG's other runs); the server runs them again, and each run cleared
// is followed until it ends, oldest first.
func (a *app) remoteClear(ctx context.Context, c *client.Client, dagID, runID string, req client.ClearRequest, quiet bool) error {
	run, err := remoteFindRun(ctx, c, dagID, runID)
	if err != nil {
		return err
	}
	req.DAGRunID = run.DAGRunID
	tis, err := c.ClearTaskInstances(ctx, run.DAGID, req)
	if err != nil {
		return err
	}
	if len(tis.TaskInstances) == 0 {
		fmt.Fprintln(a.out, "nothing to clear")
		return nil
	}
	// The answer lists the instances run by run, oldest run first.
	var runs []string
	cleared := map[string][]string{}
	for _, ti := range tis.TaskInstances {
		id := ti.DAGRunID
		if id == "" {
			id = run.DAGRunID
		}
		if _, ok := cleared[id]; !ok {
			runs = append(runs, id)
		}
		label := ti.TaskID
		if ti.MapIndex >= 0 {
			label = fmt.Sprintf("%s[%d]", ti.TaskID, ti.MapIndex)
		}
		if !slices.Contains(cleared[id], label) {
			cleared[id] = append(cleared[id], label)
		}
	}
	for _, id := range runs {
		if len(runs) > 1 {
			fmt.Fprintf(a.out, "run %s: ", id)
		}
		fmt.Fprintf(a.out, "cleared %d task(s): %v\n", len(cleared[id]), cleared[id])
	}
	var first error
	for _, id := range runs {
		if err := a.remoteFollow(ctx, c, run.DAGID, id, quiet); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// remoteTopo orders a run's task instances as the local store's listing does: in the DAG's
// topological order (the server lists the DAG's tasks in it), then by map index. Tasks the
// DAG no longer has come last.
func remoteTopo(ctx context.Context, c *client.Client, dagID string, tis []client.TaskInstance) {
	d, err := c.GetDAG(ctx, dagID)
	if err != nil {
		return
	}
	rank := make(map[string]int, len(d.TaskIDs))
	for i, id := range d.TaskIDs {
		rank[id] = i
	}
	rankOf := func(id string) int {
		if r, ok := rank[id]; ok {
			return r
		}
		return len(rank)
	}
	slices.SortStableFunc(tis, func(x, y client.TaskInstance) int {
		if rx, ry := rankOf(x.TaskID), rankOf(y.TaskID); rx != ry {
			return rx - ry
		}
		return x.MapIndex - y.MapIndex
	})
}
