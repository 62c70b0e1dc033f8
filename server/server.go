package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/weirhq/weir/dag"
	"github.com/weirhq/weir/engine"
	"github.com/weirhq/weir/executor"
	"github.com/weirhq/weir/sensor"
	"github.com/weirhq/weir/store"
)

// Config configures a Server. Zero fields take the documented defaults.
type Config struct {
	// Store is the metadata store. Required.
	Store store.Store
	// Home is weir's home folder (logs). Default ".weir".
	Home string
	// DAGsDir is the DAG folder, watched for changes. Default "dags".
	DAGsDir string
	// GoDAGs and Funcs are DAGs and task functions defined in Go (the SDK).
	GoDAGs []*dag.DAG
	Funcs  *executor.Funcs
	// Addr is the HTTP listen address. Default "127.0.0.1:8080".
	Addr string
	// Parallelism is the engine's parallelism. Default 32.
	Parallelism int
	// Version is reported by the API.
	Version string
	// Logger receives structured logs. Default: discard.
	Logger *slog.Logger
	// ScanInterval is how often the DAG folder is checked for changes. Default 2 s.
	ScanInterval time.Duration
	// TickInterval is how often the scheduler looks for due runs (it also wakes on dataset
	// events). Default 1 s.
	TickInterval time.Duration
	// GracePeriod is how long Stop lets running tries finish. Default 30 s.
	GracePeriod time.Duration
	// Clock returns the current time. Default time.Now.
	Clock func() time.Time
	// Mount, when set, adds more handlers (the REST API, later APIs) to the HTTP server.
	Mount func(s *Server, mux *http.ServeMux) error
	// Tracker, when set, opens experiment-tracking runs for tracked tasks.
	Tracker engine.Tracker
}

func (c *Config) validate() error {
	if c.Store == nil {
		return errors.New("server: Config.Store is required")
	}
	if c.Home == "" {
		c.Home = ".weir"
	}
	if c.DAGsDir == "" {
		c.DAGsDir = "dags"
	}
	if c.Addr == "" {
		c.Addr = "127.0.0.1:8080"
	}
	if c.Parallelism <= 0 {
		c.Parallelism = 32
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.ScanInterval <= 0 {
		c.ScanInterval = 2 * time.Second
	}
	if c.TickInterval <= 0 {
		c.TickInterval = time.Second
	}
	if c.GracePeriod <= 0 {
		c.GracePeriod = 30 * time.Second
	}
	if c.Clock == nil {
		c.Clock = time.Now
	}
	if c.Funcs == nil {
		c.Funcs = executor.NewFuncs()
	}
	return nil
}

// Server is `weir server`.
type Server struct {
	cfg       Config
	log       *slog.Logger
	Registry  *Registry
	Engine    *engine.Engine
	Scheduler *Scheduler
	metrics   *metrics

	ln       net.Listener
	http     *http.Server
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	stopOnce sync.Once
}

// New returns a server; it does nothing until Start.
func New(cfg Config) (*Server, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, log: cfg.Logger}
	var funcCheck func(string) bool
	if len(cfg.Funcs.Names()) > 0 {
		funcCheck = cfg.Funcs.Has
	}
	s.Registry = NewRegistry(cfg.DAGsDir, dag.LoadOptions{GoFuncs: funcCheck}, cfg.GoDAGs, cfg.Store, s.log)
	eng, err := engine.New(engine.Config{
		Store: cfg.Store, Kinds: executor.NewRegistry(cfg.Funcs), Home: cfg.Home,
		Parallelism: cfg.Parallelism, Logger: s.log, Clock: cfg.Clock,
		Consumers: s.Registry.Consumers, Tracker: cfg.Tracker,
		OnDatasetEvents: func() {
			if s.Scheduler != nil {
				s.Scheduler.Wake()
			}
		},
		OnEvent: func(ev engine.Event) {
			if s.metrics != nil {
				s.metrics.observe(ev)
			}
		},
	})
	if err != nil {
		return nil, err
	}
	s.Engine = eng
	sensor.Register(eng.Kinds(), sensor.Deps{Store: cfg.Store})
	s.Scheduler = newScheduler(cfg.Store, eng, s.Registry, s.log, cfg.Clock)
	s.metrics = newMetrics(eng, s.Registry)
	s.Scheduler.delays = s.metrics.schedDelay.Observe
	return s, nil
}

// Addr returns the address the HTTP server listens on (after Start).
func (s *Server) Addr() string {
	if s.ln == nil {
		return s.cfg.Addr
	}
	return s.ln.Addr().String()
}

// Config returns the server's configuration, defaults applied.
func (s *Server) Config() Config { return s.cfg }

// Start loads the DAGs, resumes unfinished runs, and starts the scheduler, the folder
// watcher and the HTTP server. It returns once they run; Stop ends them.
func (s *Server) Start(ctx context.Context) error {
	ctx, s.cancel = context.WithCancel(ctx)
	if _, err := s.Registry.Refresh(ctx); err != nil {
		return err
	}
	if err := s.Engine.Start(context.WithoutCancel(ctx)); err != nil {
		return err
	}
	if err := s.recover(ctx); err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{}))
	if s.cfg.Mount != nil {
		if err := s.cfg.Mount(s, mux); err != nil {
			return err
		}
	}
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (is another weir server running? choose another with --addr)", s.cfg.Addr, err)
	}
	s.ln = ln
	s.http = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	s.wg.Add(3)
	go func() {
		defer s.wg.Done()
		if err := s.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("http server", "err", err)
		}
	}()
	go func() {
		defer s.wg.Done()
		s.Scheduler.Run(ctx, s.cfg.TickInterval)
	}()
	go func() {
		defer s.wg.Done()
		t := time.NewTicker(s.cfg.ScanInterval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				changed, err := s.Registry.Refresh(ctx)
				if err != nil {
					s.log.Warn("refresh the DAG folder", "err", err)
				}
				if changed {
					s.Scheduler.Wake()
				}
			}
		}
	}()
	s.log.Info("weir server started", "addr", ln.Addr().String(), "dags", len(s.Registry.DAGs()), "dags_dir", s.cfg.DAGsDir)
	return nil
}

// recover resumes every run a previous process left queued or running.
func (s *Server) recover(ctx context.Context) error {
	runs, err := s.cfg.Store.ListRuns(ctx, store.ListRunsParams{States: []store.RunState{store.RunQueued, store.RunRunning}, Limit: 100000})
	if err != nil {
		return fmt.Errorf("list unfinished runs: %w", err)
	}
	for _, r := range runs {
		_, rec, err := s.Engine.Resume(ctx, r.DAGID, r.RunID)
		switch {
		case errors.Is(err, engine.ErrRunOwned):
			s.log.Warn("run owned by another live process; left alone", "dag_id", r.DAGID, "run_id", r.RunID, "err", err)
		case errors.Is(err, engine.ErrRunFinished):
			s.log.Info("run had nothing left to do", "dag_id", r.DAGID, "run_id", r.RunID)
		case err != nil:
			s.log.Error("resume run", "dag_id", r.DAGID, "run_id", r.RunID, "err", err)
		default:
			s.log.Info("run resumed", "dag_id", r.DAGID, "run_id", r.RunID, "recovered_tries", len(rec))
		}
	}
	return nil
}

// Stop shuts the server down softly: no new runs or tries, running tries get the grace
// period to finish, then are stopped and recorded for retry. It is idempotent.
func (s *Server) Stop() {
	s.stopOnce.Do(func() {
		if s.cancel != nil {
			s.cancel()
		}
		if s.http != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			_ = s.http.Shutdown(ctx)
			cancel()
		}
		s.wg.Wait()
		ctx, cancel := context.WithTimeout(context.Background(), s.cfg.GracePeriod)
		if err := s.Engine.Drain(ctx); err != nil {
			s.log.Warn("grace period over: running tries were stopped and will run again at the next start")
		}
		cancel()
		s.Engine.Stop()
		s.log.Info("weir server stopped")
	})
}
