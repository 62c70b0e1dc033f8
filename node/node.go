package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"sync"
	"time"

	"github.com/weirhq/weir/api"
	"github.com/weirhq/weir/audit"
	"github.com/weirhq/weir/auth"
	"github.com/weirhq/weir/engine"
	"github.com/weirhq/weir/internal/httpguard"
	"github.com/weirhq/weir/internal/tracker"
	"github.com/weirhq/weir/kinds"
	"github.com/weirhq/weir/mlflowapi"
	"github.com/weirhq/weir/monitor/live"
	"github.com/weirhq/weir/predlog"
	"github.com/weirhq/weir/secrets"
	"github.com/weirhq/weir/serve"
	"github.com/weirhq/weir/serve/flavor"
	"github.com/weirhq/weir/serve/pyworker"
	"github.com/weirhq/weir/server"
	"github.com/weirhq/weir/steps/stepio"
	"github.com/weirhq/weir/store"
	"github.com/weirhq/weir/tracking"
	"github.com/weirhq/weir/ui"
)

// Node is one assembled weir process. Create it with New, then Start and Stop it.
type Node struct {
	cfg       Config
	log       *slog.Logger
	kinds     *kinds.Set
	registry  *server.Registry
	engine    *engine.Engine
	tracker   engine.Tracker
	mlflow    http.Handler // nil without a tracking store
	artifacts tracking.ArtifactStore
	scheduler *server.Scheduler
	metrics   *server.Metrics
	serving   *serve.Server       // server mode only
	python    *pyworker.Lazy      // server mode only: Python-flavor models' workers
	predLog   *predlog.Writer     // server mode only
	monitors  *live.Runner        // server mode only
	auth      *auth.Authenticator // server mode, and foreground modes with tracking (the loopback API)
	secrets   *secrets.Service
	wake      chan struct{}
	observers []func(engine.Event)

	// Server mode.
	ln   net.Listener
	http *http.Server

	// The loopback MLflow API of foreground modes, started when a tracked task first asks
	// for its URI.
	loopMu  sync.Mutex
	loopURI string
	loopSrv *http.Server

	cancel   context.CancelFunc
	wg       sync.WaitGroup
	started  bool
	stopOnce sync.Once
}

// New assembles a node; it starts nothing until Start. It opens the artifact store
// ($WEIR_HOME/artifacts), which Stop closes: call Stop even on a node never started.
func New(cfg Config) (*Node, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	n := &Node{cfg: cfg, log: cfg.Logger, wake: make(chan struct{}, 1)}

	artRoot := filepath.Join(cfg.Home, "artifacts")
	art, err := tracking.OpenArtifactStore(context.Background(), artRoot, 0)
	if err != nil {
		return nil, fmt.Errorf("node: %w", err)
	}
	n.artifacts = art
	stepDeps := stepio.Deps{Artifacts: art, ArtifactRoot: artRoot}
	var svc *tracking.Service
	if cfg.Tracking != nil {
		svc = tracking.NewService(cfg.Tracking, tracking.ServiceConfig{})
		stepDeps.Tracking = svc
	}
	set, err := kinds.Builtin(kinds.Deps{Funcs: cfg.Funcs, Store: cfg.Store, Steps: stepDeps}).With(cfg.ExtraKinds...)
	if err != nil {
		art.Close()
		return nil, fmt.Errorf("node: task kinds: %w", err)
	}
	n.kinds = set
	loadOpts := set.LoadOptions()
	if len(cfg.Funcs.Names()) > 0 {
		loadOpts.GoFuncs = cfg.Funcs.Has
	}
	n.registry = server.NewRegistry(cfg.DAGsDir, loadOpts, cfg.GoDAGs, cfg.Store, n.log)
	n.registry.PausedAtCreation = cfg.DAGsPausedAtCreation

	if cfg.Tracking != nil {
		m, err := mlflowapi.New(mlflowapi.Config{Store: cfg.Tracking, Artifacts: art})
		if err != nil {
			art.Close()
			return nil, err
		}
		n.mlflow = m.Handler()
		n.tracker = tracker.New(svc, n.TrackingURI)
	}
	if cfg.Mode == ModeServer || n.mlflow != nil { // the loopback MLflow API authenticates too
		if err := n.setupAuth(); err != nil {
			art.Close()
			return nil, err
		}
	}

	if cfg.OnEvent != nil {
		n.observers = append(n.observers, cfg.OnEvent)
	}
	if n.secrets, err = secrets.New(secrets.Config{Store: cfg.Store, Keys: &secrets.KeySource{Home: cfg.Home}}); err != nil {
		art.Close()
		return nil, fmt.Errorf("node: %w", err)
	}
	eng, err := engine.New(engine.Config{
		Secrets: n.secrets,
		Store:   cfg.Store, Kinds: set.Registry(), Home: cfg.Home, Parallelism: cfg.Parallelism,
		Logger: n.log, Clock: cfg.Clock, Tracker: n.tracker, NoCache: cfg.NoCache,
		Consumers:       n.registry.Consumers,
		LinkAlias:       n.registry.LinkAlias,
		OnDatasetEvents: n.Wake,
		OnEvent:         n.observe,
	})
	if err != nil {
		art.Close()
		return nil, err
	}
	n.engine = eng
	if cfg.Mode == ModeServer {
		n.metrics = server.NewMetrics(eng, n.registry)
		n.observers = append(n.observers, n.metrics.Observe)
		plc := cfg.PredictionLog
		plc.Store, plc.Logger, plc.Clock = cfg.Store, n.log, cfg.Clock
		if n.predLog, err = predlog.New(plc); err != nil {
			art.Close()
			return nil, fmt.Errorf("node: %w", err)
		}
		n.metrics.Register(n.predLog)
		n.scheduler, err = server.NewScheduler(server.SchedulerConfig{
			Store: cfg.Store, Engine: eng, Registry: n.registry, Wake: n.wake,
			Delays: n.metrics.ObserveSchedulingDelay, Logger: n.log, Clock: cfg.Clock,
		})
		if err != nil {
			art.Close()
			return nil, err
		}
		sink := cfg.Predictions
		if sink == nil {
			sink = predictionLog{n.predLog}
		}
		if cfg.Python.Logger == nil {
			cfg.Python.Logger = n.log
		}
		n.python = pyworker.NewLazy(cfg.Python)
		n.serving, err = serve.New(serve.Config{Store: cfg.Store, Models: stepDeps, Sink: sink, Errors: predictionLog{n.predLog},
			PollInterval: cfg.ServePollInterval, Version: cfg.Version, Logger: n.log, Seed: cfg.ServeSeed,
			Flavors: flavor.Options{Python: n.python.Open}})
		if err != nil {
			art.Close()
			return nil, err
		}
		mc := cfg.Monitors
		mc.Store, mc.Models, mc.Consumers, mc.OnDatasetEvent, mc.Logger, mc.Clock = cfg.Store, stepDeps, n.registry.Consumers, n.Wake, n.log, cfg.Clock
		if n.monitors, err = live.New(mc); err != nil {
			art.Close()
			return nil, fmt.Errorf("node: %w", err)
		}
		n.metrics.Register(n.monitors)
	}
	return n, nil
}

// Monitors returns a server node's live monitors (nil in other modes).
func (n *Node) Monitors() *live.Runner { return n.monitors }

// Secrets returns the node's variables and connections (and the masker of what its tasks
// read).
func (n *Node) Secrets() *secrets.Service { return n.secrets }

// Serving returns a server node's model serving (nil in other modes).
func (n *Node) Serving() *serve.Server { return n.serving }

// observe hands an engine event to every observer (progress printing, metrics). The list
// is fixed before Start, so reading it needs no lock.
func (n *Node) observe(ev engine.Event) {
	for _, f := range n.observers {
		f(ev)
	}
}

// Wake makes a server's scheduler tick soon (dataset events were recorded, DAGs changed);
// it never blocks and does nothing in foreground modes.
func (n *Node) Wake() {
	select {
	case n.wake <- struct{}{}:
	default:
	}
}

// Engine returns the node's engine (started by Start).
func (n *Node) Engine() *engine.Engine { return n.engine }

// Registry returns the node's DAG registry (loaded by Start).
func (n *Node) Registry() *server.Registry { return n.registry }

// Scheduler returns the scheduler of a server node, nil in other modes.
func (n *Node) Scheduler() *server.Scheduler { return n.scheduler }

// PredictionLog returns a server node's prediction log, nil in other modes. Start starts
// it and Stop flushes it, after the HTTP server stopped; serving records into it.
func (n *Node) PredictionLog() *predlog.Writer { return n.predLog }

// Config returns the node's configuration, defaults applied.
func (n *Node) Config() Config { return n.cfg }

// Addr returns the address a server node listens on (after Start), else Config.Addr.
func (n *Node) Addr() string {
	if n.ln == nil {
		return n.cfg.Addr
	}
	return n.ln.Addr().String()
}

// TrackingURI returns the MLflow tracking URI that command tasks log to: the server's
// address in server mode; in foreground modes a loopback server it starts on first use.
// It returns "" when the node has no tracking store (or the loopback port could not be
// opened: then only Go tasks can log, and the reason is logged).
func (n *Node) TrackingURI() string {
	if n.mlflow == nil {
		return ""
	}
	if n.cfg.Mode == ModeServer {
		// Tasks run on this machine: a server listening on every interface is reached
		// through loopback.
		host, port, err := net.SplitHostPort(n.Addr())
		if ip := net.ParseIP(host); err == nil && (host == "" || ip != nil && ip.IsUnspecified()) {
			return "http://" + net.JoinHostPort("127.0.0.1", port)
		}
		return "http://" + n.Addr()
	}
	n.loopMu.Lock()
	defer n.loopMu.Unlock()
	if n.loopURI != "" {
		return n.loopURI
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		n.log.Error("serve the tracking API for tracked tasks", "err", err)
		return ""
	}
	mux := http.NewServeMux()
	n.mountMLflow(mux)
	guard, err := httpguard.New(httpguard.Config{ListenAddr: ln.Addr().String()})
	if err != nil {
		ln.Close()
		n.log.Error("serve the tracking API for tracked tasks", "err", err)
		return ""
	}
	// The same audit log and authentication as a server's: tracked tasks send their minted
	// token; anyone else needs a credential once the store holds an active token or user.
	var h http.Handler = audit.Middleware(audit.MiddlewareConfig{Store: n.cfg.Store, Clock: n.cfg.Clock, Logger: n.log})(mux)
	if n.auth != nil {
		h = n.auth.Handler(h)
	}
	n.loopSrv = newHTTPServer(guard.Handler(mlflowapi.RefuseDotSegments(h)))
	srv := n.loopSrv
	go func() { _ = srv.Serve(ln) }()
	n.loopURI = "http://" + ln.Addr().String()
	return n.loopURI
}

// newHTTPServer returns an HTTP server with weir's limits: headers within 10 s and 64 KiB,
// idle connections closed after 2 minutes. Bodies have no overall deadline (artifact
// uploads and log streams are long); the guard caps their size.
func newHTTPServer(h http.Handler) *http.Server {
	return &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute,
		MaxHeaderBytes: 64 << 10}
}

// Wiring describes what a node was assembled with, for tests and `weir version`-style
// introspection: every mode must report the same.
type Wiring struct {
	// Kinds are the task kinds the engine executes, sorted.
	Kinds []string
	// Consumers maps each dataset URI to the DAGs scheduled on it (after Start).
	Consumers map[string][]string
	// Tracking reports whether tracked tasks open tracking runs.
	Tracking bool
}

// Wiring returns what the node was assembled with.
func (n *Node) Wiring() Wiring {
	w := Wiring{Kinds: n.engine.Kinds().Names(), Consumers: map[string][]string{}, Tracking: n.tracker != nil}
	for _, d := range n.registry.DAGs() {
		for _, u := range d.Datasets.URIs() {
			w.Consumers[u] = n.registry.Consumers(u)
		}
	}
	return w
}

// Start loads the DAG folder and starts the engine; a server node also resumes the runs a
// previous process left unfinished and starts the scheduler, the folder watch and the HTTP
// server. It returns once they run; Stop ends them. ctx bounds only the start: the node
// runs until Stop.
func (n *Node) Start(ctx context.Context) error {
	if n.started {
		return errors.New("node: already started")
	}
	n.started = true
	if _, err := n.registry.Refresh(ctx); err != nil {
		if n.cfg.Mode == ModeServer {
			return err
		}
		// A foreground command still runs the DAG it was given; the folder's problems are
		// recorded as import errors.
		n.log.Warn("load the DAG folder", "err", err)
	}
	if err := n.engine.Start(context.WithoutCancel(ctx)); err != nil {
		return err
	}
	if n.cfg.Mode != ModeServer {
		return nil
	}
	if err := n.recover(ctx, true); err != nil {
		n.engine.Stop()
		return err
	}
	mux, err := n.serverMux()
	if err != nil {
		n.engine.Stop()
		return err
	}
	ln, err := net.Listen("tcp", n.cfg.Addr)
	if err != nil {
		n.engine.Stop()
		return fmt.Errorf("listen on %s: %w (is another weir server running? choose another with --addr)", n.cfg.Addr, err)
	}
	n.ln = ln
	guard, err := httpguard.New(httpguard.Config{AllowedHosts: n.cfg.AllowedHosts, ListenAddr: ln.Addr().String(),
		TrustedOrigins: n.cfg.TrustedOrigins})
	if err != nil {
		ln.Close()
		n.engine.Stop()
		return err
	}
	if err := n.serving.Start(ctx); err != nil {
		ln.Close()
		n.engine.Stop()
		return err
	}
	// The audit log records every state-changing request, inside the authentication (it
	// reads the principal) and around the mux (it reads the matched route).
	var h http.Handler = audit.Middleware(audit.MiddlewareConfig{Store: n.cfg.Store, Clock: n.cfg.Clock, Logger: n.log})(mux)
	if n.auth != nil {
		h = n.auth.Handler(h)
	}
	n.http = newHTTPServer(guard.Handler(mlflowapi.RefuseDotSegments(h)))
	if err := n.predLog.Start(context.WithoutCancel(ctx)); err != nil {
		ln.Close()
		n.engine.Stop()
		return err
	}
	if err := n.monitors.Start(ctx); err != nil {
		ln.Close()
		n.engine.Stop()
		return err
	}
	var runCtx context.Context
	runCtx, n.cancel = context.WithCancel(context.WithoutCancel(ctx))
	n.wg.Add(4)
	go func() {
		defer n.wg.Done()
		if err := n.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			n.log.Error("http server", "err", err)
		}
	}()
	go func() {
		defer n.wg.Done()
		n.scheduler.Run(runCtx, n.cfg.TickInterval)
	}()
	go func() {
		defer n.wg.Done()
		n.watch(runCtx)
	}()
	go func() {
		defer n.wg.Done()
		t := time.NewTicker(n.cfg.RecoverInterval)
		defer t.Stop()
		for {
			select {
			case <-runCtx.Done():
				return
			case <-t.C:
				if err := n.recover(runCtx, false); err != nil {
					n.log.Warn("look for runs to take over", "err", err)
				}
			}
		}
	}()
	n.log.Info("weir server started", "addr", ln.Addr().String(), "dags", len(n.registry.DAGs()), "dags_dir", n.cfg.DAGsDir)
	return nil
}

// setupAuth refuses a server's non-loopback address without authentication (Config.Auth, or
// an active token in the store) and sets up the authenticator (of the server, or of a
// foreground node's loopback MLflow API): with Config.Auth every request
// needs a token; without, requests need one as soon as the store holds an active token
// (checked at most once a second), so making the first token locks a running server.
// Tracked tries always get a token of their own, so they keep working when it does.
func (n *Node) setupAuth() error {
	if n.cfg.Mode == ModeServer && !n.cfg.Auth && !loopbackAddr(n.cfg.Addr) {
		count, err := n.cfg.Store.CountActiveTokens(context.Background())
		if err != nil {
			return fmt.Errorf("node: look for API tokens: %w", err)
		}
		if users, err := n.cfg.Store.CountActiveUsers(context.Background()); err != nil {
			return fmt.Errorf("node: look for users: %w", err)
		} else {
			count += users
		}
		if count == 0 {
			return fmt.Errorf("node: refusing to listen on %s without authentication: anyone who reaches it could run commands on this machine; make a token with `weir tokens create NAME --scope admin` (authentication turns on with the first token) or pass --auth, or listen on 127.0.0.1", n.cfg.Addr)
		}
	}
	ac := auth.Config{Store: n.cfg.Store, Clock: n.cfg.Clock, Required: n.cfg.Auth, DAGTags: n.dagTags, OIDC: n.cfg.OIDC}
	if tr := n.cfg.Tracking; tr != nil {
		ac.RunExperiment = func(ctx context.Context, id string) (string, error) {
			r, err := tr.GetRun(ctx, id)
			if err != nil {
				return "", err
			}
			return r.Info.ExperimentID, nil
		}
	}
	a, err := auth.New(ac)
	if err != nil {
		return err
	}
	n.auth = a
	if t, ok := n.tracker.(*tracker.Tracker); ok {
		t.SetMinter(func(ctx context.Context, tt engine.TrackedTry) (string, func(), error) {
			return a.Mint(ctx, auth.Try{DAGID: tt.DAGID, RunID: tt.RunID, TaskID: tt.TaskID, MapIndex: tt.MapIndex,
				TryNumber: tt.TryNumber}, auth.ScopeWrite, taskTokenTTL)
		})
	}
	return nil
}

// dagTags returns a loaded DAG's tags, for dag-tag grants.
func (n *Node) dagTags(id string) []string {
	if d, ok := n.registry.DAG(id); ok {
		return d.Tags
	}
	return nil
}

// taskTokenTTL bounds the life of a tracked try's token; the token is revoked when the try
// ends, so this only matters for a try that outlives its node's bookkeeping.
const taskTokenTTL = 24 * time.Hour

// loopbackAddr reports whether addr's host is a loopback name or address (not empty, not
// unspecified: those listen on every interface).
func loopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// serverMux is a server node's HTTP surface: metrics, the REST API and MLflow's API.
func (n *Node) serverMux() (*http.ServeMux, error) {
	a, err := api.New(api.Config{
		Store: n.cfg.Store, Engine: n.engine, DAGs: n.registry, Home: n.cfg.Home, Version: n.cfg.Version,
		Logger: n.log, Consumers: n.registry.Consumers, OnDatasetEvent: n.Wake,
		SchedulerHeartbeat: n.scheduler.Heartbeat, Clock: n.cfg.Clock, Monitors: n.monitors,
		Secrets: n.secrets, Auth: n.auth,
	})
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", n.metrics.Handler())
	mux.Handle("/api/v1/", a.Handler())
	mux.HandleFunc("GET /api/v1/oidc/login", n.auth.OIDCLogin)
	mux.HandleFunc("GET /api/v1/oidc/callback", n.auth.OIDCCallback)

	mux.Handle("/", ui.Handler()) // the web UI: GET of any path no API above claims
	n.mountMLflow(mux)
	if n.serving != nil {
		h := n.serving.Handler()
		mux.Handle("/serve/", h)
		mux.Handle("/v2/", h)
		mux.Handle("/v2", h)
	}
	return mux, nil
}

// mountMLflow adds MLflow's REST API and artifact proxy, when the node tracks.
func (n *Node) mountMLflow(mux *http.ServeMux) {
	if n.mlflow == nil {
		return
	}
	for _, prefix := range mlflowapi.Prefixes {
		mux.Handle(prefix, n.mlflow)
	}
}

// watch reloads the DAG folder every ScanInterval until ctx ends.
func (n *Node) watch(ctx context.Context) {
	t := time.NewTicker(n.cfg.ScanInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			changed, err := n.registry.Refresh(ctx)
			if err != nil {
				n.log.Warn("refresh the DAG folder", "err", err)
			}
			if changed {
				n.Wake()
			}
		}
	}
}

// recover resumes every unfinished run no live process owns: at start, those a previous
// process left; then periodically, those whose owner died since (its lease expired, or its
// process on this host is gone), so a run is never stranded until the next restart.
func (n *Node) recover(ctx context.Context, startup bool) error {
	runs, err := n.cfg.Store.ListRuns(ctx, store.ListRunsParams{States: []store.RunState{store.RunQueued, store.RunRunning}, Limit: 100000})
	if err != nil {
		return fmt.Errorf("list unfinished runs: %w", err)
	}
	for _, r := range runs {
		if n.engine.Active(ctx, r.DAGID, r.RunID) {
			continue
		}
		_, rec, err := n.engine.Resume(ctx, r.DAGID, r.RunID)
		switch {
		case errors.Is(err, engine.ErrRunOwned) && !startup:
			// Its owner is alive: the usual case, not worth a line every interval.
		case errors.Is(err, engine.ErrRunOwned):
			n.log.Warn("run owned by another live process; left alone", "dag_id", r.DAGID, "run_id", r.RunID, "err", err)
		case errors.Is(err, engine.ErrRunFinished):
			n.log.Info("run had nothing left to do", "dag_id", r.DAGID, "run_id", r.RunID)
		case err != nil:
			n.log.Error("resume run", "dag_id", r.DAGID, "run_id", r.RunID, "err", err)
		default:
			n.log.Info("run resumed", "dag_id", r.DAGID, "run_id", r.RunID, "recovered_tries", len(rec))
		}
	}
	return nil
}

// Stop shuts the node down. A server stops softly: no new runs or tries, running tries get
// the grace period to finish, then are stopped and recorded for retry. A foreground node
// stops its running tries at once, leaving its runs resumable. Stop is idempotent, and safe
// to call on a node that was never started.
func (n *Node) Stop() {
	n.stopOnce.Do(func() {
		if n.cancel != nil {
			n.cancel()
		}
		if n.http != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			_ = n.http.Shutdown(ctx)
			cancel()
		}
		n.wg.Wait()
		if n.monitors != nil {
			n.monitors.Stop()
		}
		if n.serving != nil {
			n.serving.Stop()
		}
		if n.python != nil {
			if err := n.python.Close(); err != nil {
				n.log.Warn("stop the Python model workers", "err", err)
			}
		}
		if n.predLog != nil {
			// After the HTTP server: the last predictions served are committed.
			n.predLog.Stop()
		}
		if n.started && n.cfg.Mode == ModeServer {
			ctx, cancel := context.WithTimeout(context.Background(), n.cfg.GracePeriod)
			if err := n.engine.Drain(ctx); err != nil {
				n.log.Warn("grace period over: running tries were stopped and will run again at the next start")
			}
			cancel()
		}
		if n.started {
			// In foreground modes running tries are stopped at once and the run stays
			// resumable (weir run --resume).
			n.engine.Stop()
		}
		n.loopMu.Lock()
		if n.loopSrv != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			_ = n.loopSrv.Shutdown(ctx)
			cancel()
		}
		n.loopMu.Unlock()
		_ = n.artifacts.Close()
		if n.cfg.Mode == ModeServer && n.started {
			n.log.Info("weir server stopped")
		}
	})
}

// predictionLog records the predictions of the node's deployments in its prediction log.
type predictionLog struct{ w *predlog.Writer }

// Record implements serve.PredictionSink; it never blocks (see predlog.Writer.Record).
func (l predictionLog) Record(p serve.Prediction) {
	l.w.Record(predlog.Prediction{ID: p.ID, Endpoint: p.Endpoint, ModelName: p.Model, ModelVersion: p.Version,
		Inputs: p.Inputs, Output: p.Output, LatencyMicros: p.Latency.Microseconds(), Time: p.Time, Shadow: p.Shadow})
}

// RecordError implements serve.ErrorSink: the log counts failed requests per minute.
func (l predictionLog) RecordError(e serve.FailedRequest) {
	l.w.RecordError(predlog.FailedRequest{Endpoint: e.Endpoint, ModelName: e.Model, ModelVersion: e.Version,
		Status: e.Status, Message: e.Message, Time: e.Time})
}
