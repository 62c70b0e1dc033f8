package sensor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strings"
	"time"

	"gocloud.dev/blob"
	// Blob drivers for file sensors' urls: file:// and mem://. Binaries add more (s3, gs,
	// azblob) with their own blank imports.
	_ "gocloud.dev/blob/fileblob"
	_ "gocloud.dev/blob/memblob"

	"github.com/weirhq/weir/dag"
	"github.com/weirhq/weir/executor"
	"github.com/weirhq/weir/store"
)

// Deps are what sensors need from the rest of weir. Zero fields take the documented
// defaults.
type Deps struct {
	// Store is read by dataset and external_task sensors (nil: those fail without retry),
	// and for the run's conf when the engine passes no template context.
	Store store.Store
	// HTTPClient sends the requests of http sensors. Default: a client with a 60 s timeout
	// per request.
	HTTPClient *http.Client
	// Clock returns the current time. Default time.Now.
	Clock func() time.Time
	// Sleep waits d, or until ctx is done and then returns ctx's error; poke mode waits
	// between pokes with it. Default: a timer.
	Sleep func(ctx context.Context, d time.Duration) error
	// OpenBucket opens the bucket of a file sensor's url (the URL without its key); the
	// sensor closes it after each poke. Default blob.OpenBucket, which knows file:// and
	// mem:// (a mem:// bucket opened this way is always empty: tests inject their own).
	OpenBucket func(ctx context.Context, url string) (*blob.Bucket, error)
}

// Sensor is the sensor kind. Create it with New or Register.
type Sensor struct {
	deps Deps
}

var _ executor.Kind = (*Sensor)(nil)

// New returns the sensor kind with deps, defaults filled in.
func New(deps Deps) *Sensor {
	if deps.HTTPClient == nil {
		deps.HTTPClient = &http.Client{Timeout: 60 * time.Second}
	}
	if deps.Clock == nil {
		deps.Clock = time.Now
	}
	if deps.Sleep == nil {
		deps.Sleep = sleep
	}
	if deps.OpenBucket == nil {
		deps.OpenBucket = blob.OpenBucket
	}
	return &Sensor{deps: deps}
}

// Kind is the sensor kind's registration: its YAML definition (dag.SensorKind) and its
// executor, made with deps.
func Kind(deps Deps) executor.Registration {
	return executor.Registration{Def: dag.SensorKind(), Run: New(deps)}
}

// Register adds the sensor kind (dag.KindSensor) to r.
func Register(r *executor.Registry, deps Deps) {
	r.Register(dag.KindSensor, New(deps))
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// poke is what one check found.
type poke struct {
	// done means the condition holds; output is then the task's output (nil: none).
	done   bool
	output any
	// status describes the finding for the log: "/data/x.csv not found".
	status string
}

// checker checks a sensor's condition once. Its errors are failures: a *failFast ends the
// sensor (failed without retry, or skipped with soft_fail), a *permanent fails it without
// retry, and any other error fails the try.
type checker func(ctx context.Context) (poke, error)

// failFast is a condition that can no longer become true (an external task failed).
type failFast struct{ msg string }

func (e *failFast) Error() string { return e.msg }

// permanent is a spec or setup problem no retry can fix.
type permanent struct{ err error }

func (e *permanent) Error() string { return e.err.Error() }
func (e *permanent) Unwrap() error { return e.err }

func permanentf(format string, args ...any) error {
	return &permanent{fmt.Errorf(format, args...)}
}

// Run pokes the task's sensor until its condition holds, its timeout passes, or (in
// reschedule mode) once.
func (s *Sensor) Run(ctx context.Context, job *executor.Job) executor.Result {
	if job.Task == nil || job.Task.Sensor == nil {
		return executor.Result{Outcome: executor.FailedNoRetry, Err: fmt.Errorf("task %s has no sensor spec", job.TaskID)}
	}
	log := job.Log
	if log == nil {
		log = io.Discard
	}
	spec := job.Task.Sensor
	if job.Template == nil && (needsContext(job.Task) || spec.Type == dag.SensorExpr) {
		tctx, err := s.templateContext(ctx, job)
		if err != nil {
			return executor.Result{Outcome: executor.Failed, Err: err}
		}
		if needsContext(job.Task) {
			rendered, err := dag.RenderTask(job.Task, tctx)
			if err != nil {
				return executor.Result{Outcome: executor.FailedNoRetry, Err: err}
			}
			spec = rendered.Sensor
		}
		job = withTemplate(job, tctx)
	}
	check, err := s.checker(job, spec)
	if err != nil {
		return executor.Result{Outcome: executor.FailedNoRetry, Err: err}
	}
	return s.loop(ctx, job, spec, check, log)
}

// withTemplate returns a copy of job with its template context set.
func withTemplate(job *executor.Job, tctx *dag.TemplateContext) *executor.Job {
	j := *job
	j.Template = tctx
	return &j
}

// needsContext reports whether a sensor task has templates to render.
func needsContext(t *dag.Task) bool {
	found := false
	sn := t.Sensor
	for _, s := range []string{sn.Path, sn.URL, sn.URI, sn.DAGID, sn.TaskID} {
		found = found || strings.Contains(s, "{{")
	}
	for _, v := range sn.Headers {
		found = found || strings.Contains(v, "{{")
	}
	return found
}

// checker returns the check of spec's type.
func (s *Sensor) checker(job *executor.Job, spec *dag.SensorSpec) (checker, error) {
	switch spec.Type {
	case dag.SensorFile:
		if spec.URL != "" {
			return s.blobChecker(spec.URL)
		}
		return s.fileChecker(job, spec.Path)
	case dag.SensorDataset:
		return s.datasetChecker(job, spec)
	case dag.SensorExternalTask:
		return s.externalChecker(job, spec)
	case dag.SensorHTTP:
		return s.httpChecker(spec)
	case dag.SensorExpr:
		return s.exprChecker(job, spec)
	}
	return nil, fmt.Errorf("unknown sensor type %q (valid: %s)", spec.Type, strings.Join(dag.SensorTypes, ", "))
}

// timing is a sensor's effective poke interval, timeout and backoff.
type timing struct {
	interval, timeout time.Duration
	backoff           bool
}

func timingOf(spec *dag.SensorSpec) timing {
	t := timing{interval: spec.PokeInterval.D(), timeout: spec.Timeout.D(), backoff: spec.ExponentialBackoff}
	if t.interval <= 0 {
		t.interval = dag.DefaultPokeInterval.D()
	}
	if t.timeout <= 0 {
		t.timeout = dag.DefaultSensorTimeout.D()
	}
	return t
}

// wait returns the wait after poke n (counted from 1): the interval, doubled for each poke
// before n with backoff.
func (t timing) wait(n int) time.Duration {
	if !t.backoff || n <= 1 {
		return t.interval
	}
	f := float64(t.interval) * math.Pow(2, float64(n-1))
	if f >= float64(t.timeout) {
		return t.timeout
	}
	return time.Duration(f)
}

// pokeNumber estimates which poke happens elapsed after the first one, for reschedule mode:
// the waits before poke n add up to interval × (n−1), or interval × (2^(n−1) − 1) with
// backoff.
func (t timing) pokeNumber(elapsed time.Duration) int {
	if elapsed <= 0 {
		return 1
	}
	r := float64(elapsed) / float64(t.interval)
	if t.backoff {
		r = math.Log2(r + 1)
	}
	if r > 1e6 {
		r = 1e6
	}
	return int(math.Floor(r+1e-9)) + 1
}

// loop pokes until the condition holds, the timeout passes or the context is done; in
// reschedule mode it pokes once.
func (s *Sensor) loop(ctx context.Context, job *executor.Job, spec *dag.SensorSpec, check checker, log io.Writer) executor.Result {
	tm := timingOf(spec)
	now := s.deps.Clock()
	first := job.FirstStartedAt
	if first.IsZero() || first.After(now) {
		first = now
	}
	deadline := first.Add(tm.timeout)
	reschedule := spec.Mode == dag.SensorReschedule
	n := 1
	if reschedule && job.Rescheduled {
		// Not the first poke: estimate which one from the time since the first (the
		// estimate includes the engine's delays, so it never counts back to 1).
		n = max(2, tm.pokeNumber(now.Sub(first)))
	}
	for ; ; n++ {
		p, err := check(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return executor.Result{Outcome: executor.Failed, Err: context.Cause(ctx)}
			}
			fmt.Fprintf(log, "poke %d: %v\n", n, err)
			return s.failure(spec, err)
		}
		if p.done {
			fmt.Fprintf(log, "poke %d: %s\n", n, p.status)
			var out json.RawMessage
			if p.output != nil {
				if out, err = json.Marshal(p.output); err != nil {
					return executor.Result{Outcome: executor.Failed, Err: fmt.Errorf("sensor output: %w", err)}
				}
			}
			return executor.Result{Outcome: executor.Succeeded, Output: out}
		}
		now = s.deps.Clock()
		if !now.Before(deadline) {
			fmt.Fprintf(log, "poke %d: %s; timed out\n", n, p.status)
			err := fmt.Errorf("sensor timed out after %s (timeout %s, counted from the first poke at %s): %s",
				round(now.Sub(first)), tm.timeout, first.UTC().Format(time.RFC3339), p.status)
			if spec.SoftFail {
				return executor.Result{Outcome: executor.Skipped, Err: &executor.SkipError{Reason: err.Error()}}
			}
			return executor.Result{Outcome: executor.FailedNoRetry, Err: err}
		}
		wait := min(tm.wait(n), deadline.Sub(now))
		fmt.Fprintf(log, "poke %d: %s; next in %s\n", n, p.status, round(wait))
		if reschedule {
			return executor.Result{Outcome: executor.Rescheduled, RescheduleAt: now.Add(wait)}
		}
		if err := s.deps.Sleep(ctx, wait); err != nil {
			return executor.Result{Outcome: executor.Failed, Err: err}
		}
	}
}

// failure maps a checker's error to the try's result.
func (s *Sensor) failure(spec *dag.SensorSpec, err error) executor.Result {
	var ff *failFast
	if errors.As(err, &ff) {
		if spec.SoftFail {
			return executor.Result{Outcome: executor.Skipped, Err: &executor.SkipError{Reason: err.Error()}}
		}
		return executor.Result{Outcome: executor.FailedNoRetry, Err: err}
	}
	var pe *permanent
	if errors.As(err, &pe) {
		return executor.Result{Outcome: executor.FailedNoRetry, Err: err}
	}
	return executor.Result{Outcome: executor.Failed, Err: err}
}

// round shortens a duration for logs: whole seconds above 10 s, milliseconds below.
func round(d time.Duration) time.Duration {
	if d >= 10*time.Second {
		return d.Round(time.Second)
	}
	return d.Round(time.Millisecond)
}

// templateContext builds the template context of a job the engine passed none for: the
// job's identity, dates, params and direct upstream outputs, plus the run's conf, data
// interval and triggering events from the store when there is one.
func (s *Sensor) templateContext(ctx context.Context, job *executor.Job) (*dag.TemplateContext, error) {
	c := &dag.TemplateContext{
		DAGID: job.DAGID, RunID: job.RunID, TaskID: job.TaskID, LogicalDate: job.LogicalDate,
		TryNumber: job.TryNumber, MapIndex: job.MapIndex, Params: job.Params, Outputs: map[string]any{},
	}
	for id, raw := range job.Inputs {
		var v any
		if err := json.Unmarshal(raw, &v); err == nil {
			c.Outputs[id] = v
		}
	}
	if s.deps.Store == nil || job.RunID == "" {
		return c, nil
	}
	run, err := s.deps.Store.GetRun(ctx, job.DAGID, job.RunID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return c, nil
	case err != nil:
		return nil, fmt.Errorf("read run %s for the sensor's templates: %w", job.RunID, err)
	}
	if len(run.Conf) > 0 {
		_ = json.Unmarshal(run.Conf, &c.Conf)
	}
	c.DataIntervalStart, c.DataIntervalEnd = run.DataIntervalStart, run.DataIntervalEnd
	c.TriggeringEvents = store.TriggerEventsByURI(run.TriggerEvents)
	return c, nil
}
