package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/weirhq/weir/dag"
	"github.com/weirhq/weir/executor"
	"github.com/weirhq/weir/store"
)

// LogPath returns the log file of one try: HOME/logs/DAG/RUN/TASK[.map-I].try-N.log. One
// folder per run keeps the cost of a try's log to one file creation. It refuses IDs that
// break the store's rules (store.ValidateTIKey; the error wraps store.ErrInvalidID) and a
// negative try number, so a log path never leaves HOME/logs.
func LogPath(home, dagID, runID, taskID string, mapIndex, try int) (string, error) {
	if err := store.ValidateTIKey(dagID, runID, taskID, mapIndex); err != nil {
		return "", fmt.Errorf("task log: %w", err)
	}
	if try < 0 {
		return "", fmt.Errorf("task log: %w: try number %d: must be 0 or more", store.ErrInvalidID, try)
	}
	name := taskID
	if mapIndex >= 0 {
		name += ".map-" + strconv.Itoa(mapIndex)
	}
	return filepath.Join(home, "logs", dagID, runID, name+".try-"+strconv.Itoa(try)+".log"), nil
}

// prepared is what a try needs, captured in the loop when the instance is dispatched.
type prepared struct {
	track   bool
	cache   bool // the task has cache: true
	noCache bool // reuse no result (Config.NoCache)
	job     *executor.Job
	tctx    *dag.TemplateContext
	logPath string
	logErr  error
	ti      *store.TaskInstance
	key     runKey
	try     int
}

// prepare captures, in the loop, everything a try reads from the run's state.
func (e *Engine) prepare(rs *runState, n *node, ti *store.TaskInstance) *prepared {
	job := &executor.Job{
		DAGID: ti.DAGID, RunID: ti.RunID, TaskID: ti.TaskID, MapIndex: ti.MapIndex,
		TryNumber: ti.TryNumber, LogicalDate: rs.run.LogicalDate, Task: n.task,
		Params: rs.params, Dir: rs.dir, OutputLimit: n.opts.OutputLimit,
		Timeout: n.opts.Timeout, Env: e.cfg.TaskEnv, TempDir: e.tmpDir, Home: e.homeID,
		FirstStartedAt: ti.StartedAt,
	}
	if len(n.up) > 0 {
		job.Inputs = make(map[string]json.RawMessage, len(n.up))
		for _, u := range n.up {
			if v, ok := rs.outputOf(u, n, ti); ok {
				if u.tis[0].MapIndex < 0 && !aligned(u, n) {
					job.Inputs[u.task.ID] = u.tis[0].Output
					continue
				}
				if b, err := json.Marshal(v); err == nil {
					job.Inputs[u.task.ID] = b
				}
			}
		}
	}
	if len(ti.Args) > 0 {
		job.Env = withEnv(job.Env, "WEIR_ARGS", string(ti.Args))
	}
	if len(rs.run.TriggerEvents) > 0 {
		job.Env = withEnv(job.Env, "WEIR_TRIGGERING_DATASET_EVENTS", string(rs.run.TriggerEvents))
	}
	p := &prepared{job: job, ti: ti, key: rs.key, try: ti.TryNumber, track: n.opts.Track && e.cfg.Tracker != nil,
		cache: n.opts.Cache, noCache: e.cfg.NoCache}
	p.logPath, p.logErr = LogPath(e.cfg.Home, ti.DAGID, ti.RunID, ti.TaskID, ti.MapIndex, ti.TryNumber)
	if n.templated || len(ti.Args) > 0 {
		p.tctx = e.templateContext(rs, n, ti, false)
		job.Template = p.tctx
	}
	return p
}

// withEnv returns env plus k=v, without changing env.
func withEnv(env map[string]string, k, v string) map[string]string {
	out := make(map[string]string, len(env)+1)
	for ek, ev := range env {
		out[ek] = ev
	}
	out[k] = v
	return out
}

// launch starts a try in its own goroutine; its result comes back to the loop.
func (e *Engine) launch(p *prepared) {
	ctx, cancel := context.WithCancel(e.ctx)
	e.cancels[p.ti] = cancel
	e.tasks.Add(1)
	go func() {
		defer e.tasks.Done()
		defer cancel()
		res, cr := e.runTry(ctx, p)
		if ctx.Err() != nil && e.ctx.Err() != nil {
			return // the engine is stopping: the try stays running in the store, for Resume
		}
		_ = e.send(evResult{key: p.key, ti: p.ti, try: p.try, res: res, endedAt: e.cfg.Clock(), cache: cr})
	}()
}

// runTry renders the task, opens its log and runs it — or, for a cached task whose key
// has an entry, reuses the entry's result without running it.
func (e *Engine) runTry(ctx context.Context, p *prepared) (executor.Result, cacheResult) {
	job := p.job
	if p.logErr != nil {
		return executor.Result{Outcome: executor.FailedNoRetry, Err: p.logErr}, cacheResult{}
	}
	file := &lazyFile{path: p.logPath, eager: job.Task.Kind == dag.KindCommand}
	defer file.Close()
	// log is the try's log: the file, or, once the engine's masker holds a secret, the file
	// behind the masker (see maskedLog).
	var log io.Writer = file
	masked := &maskedLog{file: file, sec: e.cfg.Secrets}
	if masked.on() {
		log = masked
	}
	defer masked.Close()
	if file.eager {
		fmt.Fprintf(log, "[weir] %s try %d of %s/%s/%s\n", time.Now().UTC().Format(time.RFC3339Nano), job.TryNumber, job.DAGID, job.RunID, job.TaskID)
	}
	if file.err != nil {
		return executor.Result{Outcome: executor.Failed, Err: fmt.Errorf("open the task log: %w", file.err)}, cacheResult{}
	}
	if p.tctx != nil && job.Task.Kind != KindBranch && job.Task.Kind != KindShortCircuit {
		if e.cfg.Secrets != nil {
			p.tctx.Secrets = e.cfg.Secrets.Lookup(ctx)
		}
		rendered, err := dag.RenderTask(job.Task, p.tctx)
		if err != nil {
			err = masked.err(err)
			fmt.Fprintf(masked.writer(log), "[weir] template error: %v\n", err)
			return executor.Result{Outcome: executor.FailedNoRetry, Err: err}, cacheResult{}
		}
		job.Task = rendered
		e.saveRendered(p, rendered)
	}
	if err := e.envFrom(ctx, job); err != nil {
		err = masked.err(err)
		fmt.Fprintf(masked.writer(log), "[weir] %v\n", err)
		return executor.Result{Outcome: executor.FailedNoRetry, Err: err}, cacheResult{}
	}
	log = masked.writer(log)
	job.Log = log
	res, cr := e.runJob(ctx, p, job, log)
	if masked.on() {
		res.Err = masked.err(res.Err)
		res.Output = e.cfg.Secrets.Masker().RedactJSON(res.Output)
		cr.inputs = e.cfg.Secrets.Masker().RedactJSON(cr.inputs)
	}
	return res, cr
}

// runJob runs a rendered try (or reuses a cached result), writing to log.
func (e *Engine) runJob(ctx context.Context, p *prepared, job *executor.Job, log io.Writer) (executor.Result, cacheResult) {
	var cr cacheResult
	if p.cache {
		var ent *store.CacheEntry
		if cr, ent = e.lookupCache(ctx, p, log); ent != nil {
			note := ""
			if ent.TrackingRunID != "" {
				note = ", tracking run " + ent.TrackingRunID
			}
			fmt.Fprintf(log, "[weir] cached: key %s; reusing the result of %s (recorded %s%s); the task does not run\n",
				cr.key, ent.Source(), ent.CreatedAt.Format(time.RFC3339), note)
			return executor.Result{Outcome: executor.Succeeded, Output: ent.Output}, cr
		}
	}
	trackingRun := ""
	if p.track {
		trackingRun = e.startTracking(ctx, p)
		cr.trackingRun = trackingRun
	}
	job.Started = func(pid int) {
		_ = e.send(evPID{key: p.key, ti: p.ti, try: p.try, pid: pid})
	}
	res := e.cfg.Kinds.Run(ctx, job)
	if trackingRun != "" && res.Outcome != executor.Rescheduled {
		if err := e.cfg.Tracker.EndTry(context.WithoutCancel(ctx), trackingRun, res.Outcome == executor.Succeeded, res.Outcome == executor.Skipped); err != nil {
			fmt.Fprintf(log, "[weir] close the tracking run: %v\n", err)
		}
	}
	if res.Err != nil || job.Task.Kind == dag.KindCommand {
		outcome := [...]string{"success", "failed", "failed (no retry)", "skipped", "rescheduled"}[res.Outcome]
		if res.Err != nil {
			fmt.Fprintf(log, "[weir] try %d ended: %s: %v\n", job.TryNumber, outcome, res.Err)
		} else {
			fmt.Fprintf(log, "[weir] try %d ended: %s\n", job.TryNumber, outcome)
		}
	}
	return res, cr
}

// lazyFile is a log file created on first write, so tries that log nothing (most no-op Go
// tasks) cost no file. With eager set it is created at once (command tasks need a real
// file for their stdout and stderr).
type lazyFile struct {
	path  string
	eager bool
	mu    sync.Mutex
	f     *os.File
	err   error
}

var _ io.Writer = (*lazyFile)(nil)

func (l *lazyFile) open() {
	if l.f != nil || l.err != nil {
		return
	}
	if err := os.MkdirAll(filepath.Dir(l.path), 0o755); err != nil {
		l.err = err
		return
	}
	l.f, l.err = os.OpenFile(l.path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
}

// Write appends to the file, creating it first if needed.
func (l *lazyFile) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.open()
	if l.err != nil {
		return 0, l.err
	}
	return l.f.Write(b)
}

// File returns the underlying file, creating it; subprocesses write to it directly.
func (l *lazyFile) File() (*os.File, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.open()
	return l.f, l.err
}

// Close closes the file if it was created.
func (l *lazyFile) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	return l.f.Close()
}
