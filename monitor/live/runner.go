package live

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/weirhq/weir/internal/webhook"

	"github.com/weirhq/weir/executor"
	"github.com/weirhq/weir/steps/stepio"
	"github.com/weirhq/weir/store"
)

// Config configures a Runner. Zero optional fields take the documented defaults.
type Config struct {
	// Store holds the monitors, the deployments, the prediction log and the results.
	// Required.
	Store store.Store
	// Models loads the deployments' models, as package serve does (the tracking
	// registry and the artifact store). Artifacts is required.
	Models stepio.Deps
	// Consumers returns the DAGs scheduled on a dataset: a dataset event a monitor emits
	// is queued for each of them. Nil means none (the event is only recorded).
	Consumers func(uri string) []string
	// OnDatasetEvent is called after a monitor recorded a dataset event, to wake the
	// scheduler. May be nil.
	OnDatasetEvent func()
	// Tick is how often the runner looks for monitors due (each has its own interval).
	// Default 1s.
	Tick time.Duration
	// AllowPrivateWebhooks lets webhooks be delivered to loopback, private and link-local
	// addresses. Default false: such addresses are refused once the name is resolved, as
	// the model registry's webhooks refuse them.
	AllowPrivateWebhooks bool
	// HTTPClient delivers webhooks. Default: a client with a 10 s timeout that honours
	// AllowPrivateWebhooks.
	HTTPClient *http.Client
	// WebhookAttempts is how many times a webhook delivery is tried. Default 4.
	WebhookAttempts int
	// WebhookBackoff is the wait before the second try; it doubles before each further
	// one. Default 1s.
	WebhookBackoff time.Duration
	// Logger receives evaluation failures. Default: discard.
	Logger *slog.Logger
	// Clock returns the current time. Default time.Now.
	Clock func() time.Time
}

func (c *Config) validate() error {
	if c.Store == nil {
		return errors.New("live: Config.Store is required (monitors and the prediction log are stored there)")
	}
	if c.Consumers == nil {
		c.Consumers = func(string) []string { return nil }
	}
	if c.OnDatasetEvent == nil {
		c.OnDatasetEvent = func() {}
	}
	if c.Tick <= 0 {
		c.Tick = time.Second
	}
	if c.HTTPClient == nil {
		c.HTTPClient = webhook.Client(c.AllowPrivateWebhooks, "start the server with --monitor-webhooks-private to deliver inside the network")
	}
	if c.WebhookAttempts <= 0 {
		c.WebhookAttempts = 4
	}
	if c.WebhookBackoff <= 0 {
		c.WebhookBackoff = time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Clock == nil {
		c.Clock = time.Now
	}
	return nil
}

// Runner evaluates the store's monitors, each every its interval, stores the results,
// fires the actions, and exports the latest results as Prometheus metrics. Build it with
// New; Start runs the schedule, Evaluate one monitor now.
type Runner struct {
	cfg     Config
	io      *stepio.IO
	metrics *metrics

	mu sync.Mutex // one evaluation at a time: the transition into drift fires once

	stopOnce sync.Once
	cancel   context.CancelFunc
	done     chan struct{}
}

// New returns a Runner; it reads nothing until Start or Evaluate.
func New(cfg Config) (*Runner, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	o, err := stepio.New(cfg.Models, &executor.Job{MapIndex: -1})
	if err != nil {
		return nil, fmt.Errorf("live: %w", err)
	}
	return &Runner{cfg: cfg, io: o, metrics: newMetrics()}, nil
}

// Start exports the latest stored result of each monitor as metrics and evaluates the
// monitors as they fall due until Stop. ctx bounds only the start.
func (r *Runner) Start(ctx context.Context) error {
	if r.done != nil {
		return errors.New("live: Start called twice")
	}
	ms, err := r.cfg.Store.ListMonitors(ctx)
	if err != nil {
		return fmt.Errorf("live: list monitors: %w", err)
	}
	for _, m := range ms {
		rs, err := r.cfg.Store.ListMonitorResults(ctx, store.MonitorResultFilter{Monitor: m.Name, Limit: 1})
		if err == nil && len(rs) == 1 {
			var res Result
			if json.Unmarshal(rs[0].Result, &res) == nil {
				r.metrics.observe(&res)
			}
		}
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	r.cancel, r.done = cancel, make(chan struct{})
	go r.loop(runCtx)
	return nil
}

// Stop ends the schedule and waits for a running evaluation. Idempotent; safe on a
// Runner never started.
func (r *Runner) Stop() {
	r.stopOnce.Do(func() {
		if r.cancel != nil {
			r.cancel()
			<-r.done
		}
	})
}

func (r *Runner) loop(ctx context.Context) {
	defer close(r.done)
	t := time.NewTicker(r.cfg.Tick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			r.due(ctx)
		}
	}
}

// due evaluates every monitor whose interval has passed since its latest result.
func (r *Runner) due(ctx context.Context) {
	ms, err := r.cfg.Store.ListMonitors(ctx)
	if err != nil {
		r.cfg.Logger.Warn("monitors: list", "err", err)
		return
	}
	now := r.cfg.Clock()
	names := map[string]bool{}
	for _, m := range ms {
		names[m.Name] = true
	}
	r.metrics.keepOnly(names)
	for _, m := range ms {
		spec, err := ParseSpec(m.Spec)
		if err != nil {
			r.cfg.Logger.Warn("monitors: bad spec", "monitor", m.Name, "err", err)
			continue
		}
		if !m.LastRunAt.IsZero() && now.Sub(m.LastRunAt) < time.Duration(spec.Interval) {
			continue
		}
		if _, err := r.evaluateMonitor(ctx, m.Name, true); err != nil && ctx.Err() == nil {
			r.cfg.Logger.Warn("monitors: evaluate", "monitor", m.Name, "err", err)
		}
	}
}

// Evaluate runs one monitor now: it reads the window, judges it, fires the actions on a
// transition into drift (at most once per cool-down), stores the result and exports it
// as metrics. An evaluation that cannot judge (the model does not load) is stored too,
// with Result.Error. ErrNotFound (wrapped) for an unknown monitor.
func (r *Runner) Evaluate(ctx context.Context, name string) (*store.MonitorResult, error) {
	return r.evaluateMonitor(ctx, name, false)
}

// evaluateMonitor is Evaluate; onlyIfDue (the schedule) skips a monitor whose interval
// has not passed since its latest result, read under the lock (nil result, nil error).
func (r *Runner) evaluateMonitor(ctx context.Context, name string, onlyIfDue bool) (*store.MonitorResult, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	m, err := r.cfg.Store.GetMonitor(ctx, name)
	if err != nil {
		return nil, err
	}
	spec, err := ParseSpec(m.Spec)
	if err != nil {
		return nil, fmt.Errorf("monitor %s: %w", name, err)
	}
	now := r.cfg.Clock().UTC().Truncate(time.Microsecond)
	if onlyIfDue && !m.LastRunAt.IsZero() && now.Sub(m.LastRunAt) < time.Duration(spec.Interval) {
		return nil, nil
	}
	res := &Result{Monitor: m.Name, Endpoint: m.Endpoint, Time: now}
	if err := r.evaluate(ctx, res, spec); err != nil {
		res.Error = err.Error()
		res.Judged = false
	}
	if !res.Judged {
		res.Drift = m.Drifting // nothing decided: the state carries over
	}
	if res.Judged && res.Drift && !m.Drifting &&
		(m.LastFiredAt.IsZero() || now.Sub(m.LastFiredAt) >= time.Duration(spec.Cooldown)) {
		res.Fired = true
		res.Actions = r.fire(ctx, spec, res)
	}
	b, err := json.Marshal(res)
	if err != nil {
		return nil, fmt.Errorf("monitor %s: encode the result: %w", name, err)
	}
	sr := &store.MonitorResult{Monitor: m.Name, Time: now, Drift: res.Drift, Fired: res.Fired, Result: b}
	if err := r.cfg.Store.AddMonitorResult(ctx, sr); err != nil {
		return nil, fmt.Errorf("monitor %s: store the result: %w", name, err)
	}
	r.metrics.observe(res)
	return sr, nil
}

// evaluate loads the deployment's primary model version and judges its window.
func (r *Runner) evaluate(ctx context.Context, res *Result, spec Spec) error {
	d, err := r.cfg.Store.GetDeployment(ctx, res.Endpoint)
	if err != nil {
		return fmt.Errorf("deployment %s: %w (create it with weir deploy, or point the monitor at another endpoint)", res.Endpoint, err)
	}
	m, src, err := r.io.ReadModel(ctx, d.Model)
	if err != nil {
		return fmt.Errorf("deployment %s: %w", res.Endpoint, err)
	}
	// The prediction log names the version as package serve does.
	res.Model, res.Version = src.Name, src.Version
	if res.Model == "" {
		res.Model = d.Model
	}
	return r.judge(ctx, res, spec, m, res.Time)
}

// Decode returns the Result a stored result holds.
func Decode(sr *store.MonitorResult) (*Result, error) {
	var res Result
	if err := json.Unmarshal(sr.Result, &res); err != nil {
		return nil, fmt.Errorf("monitor %s: result %d: %w", sr.Monitor, sr.ID, err)
	}
	return &res, nil
}
