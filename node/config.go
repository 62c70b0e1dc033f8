package node

import (
	"errors"
	"fmt"
	"github.com/weirhq/weir/serve"
	"log/slog"
	"time"

	"github.com/weirhq/weir/auth"
	"github.com/weirhq/weir/dag"
	"github.com/weirhq/weir/engine"
	"github.com/weirhq/weir/executor"
	"github.com/weirhq/weir/monitor/live"
	"github.com/weirhq/weir/predlog"
	"github.com/weirhq/weir/serve/pyworker"
	"github.com/weirhq/weir/store"
	"github.com/weirhq/weir/tracking"
)

// Mode is what a node is for. It decides what runs around the engine, never how the engine
// is wired.
type Mode int

const (
	// ModeRun runs runs in the foreground (`weir run`): no scheduler, no listening server;
	// MLflow's API is served on a loopback port when a tracked command task needs it.
	ModeRun Mode = iota
	// ModeServer is `weir server`: the scheduler, the DAG folder watch, recovery of
	// unfinished runs, and the HTTP server (REST API, MLflow API, metrics) on Addr.
	ModeServer
	// ModeBackfill runs a backfill in the foreground (`weir backfill`), as ModeRun.
	ModeBackfill
	// ModeBench runs benchmarks (`weir bench`), as ModeRun.
	ModeBench
)

// String returns the mode's name.
func (m Mode) String() string {
	switch m {
	case ModeRun:
		return "run"
	case ModeServer:
		return "server"
	case ModeBackfill:
		return "backfill"
	case ModeBench:
		return "bench"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// Config configures a node. Zero fields take the documented defaults.
type Config struct {
	// Mode is what the node is for. Default ModeRun.
	Mode Mode
	// Store is the metadata store of DAGs, runs, task instances, pools and datasets.
	// Required; the caller opens and closes it.
	Store store.Store
	// Tracking is the experiment-tracking and model-registry store. Nil disables tracking:
	// tasks run untracked and no MLflow API is served.
	Tracking tracking.Store
	// Home is weir's home folder (logs, artifacts). Default ".weir".
	Home string
	// DAGsDir is the folder of YAML DAG files. Empty means none (Go-defined DAGs only); a
	// missing folder is not an error.
	DAGsDir string
	// DAGsPausedAtCreation records each DAG the node sees for the first time as paused
	// (Airflow's core.dags_are_paused_at_creation); `weir server` sets it by default.
	DAGsPausedAtCreation bool
	// Funcs are the Go task functions registered through the SDK. Default: none.
	Funcs *executor.Funcs
	// ExtraKinds are task kinds beside the built-in ones (kinds.Builtin); a name that
	// clashes is an error of New.
	ExtraKinds []executor.Registration
	// GoDAGs are the DAGs defined in Go through the SDK.
	GoDAGs []*dag.DAG
	// Addr is the HTTP listen address in server mode. Default "127.0.0.1:8080"; use
	// "127.0.0.1:0" for a free port.
	Addr string
	// Parallelism is how many task instances may run at once. Default 32.
	Parallelism int
	// Version is reported by the API. Default "dev".
	Version string
	// Logger receives structured logs. Default: discard.
	Logger *slog.Logger
	// Clock returns the current time. Default time.Now.
	Clock func() time.Time
	// PredictionLog tunes a server's prediction log (package predlog); its Store, Logger
	// and Clock are the node's, whatever they are set to here. Zero fields take predlog's
	// defaults.
	PredictionLog predlog.Config
	// OnEvent, when set, is called from the engine loop after every committed transition
	// (live progress). It must return quickly.
	OnEvent func(engine.Event)
	// ScanInterval is how often a server checks the DAG folder for changes. Default 2 s.
	ScanInterval time.Duration
	// TickInterval is how often a server's scheduler looks for due runs and queued dataset
	// events written by any process. Default 1 s.
	TickInterval time.Duration
	// GracePeriod is how long Stop lets running tries finish. Default 30 s.
	GracePeriod time.Duration
	// RecoverInterval is how often a server looks for unfinished runs whose owner died (its
	// lease expired, or its process on this host is gone) and takes them over. Default 15 s.
	RecoverInterval time.Duration
	// AllowedHosts are the host names, besides the loopback names and Addr's host, that
	// requests may be addressed to (see package internal/httpguard); "*" allows any.
	AllowedHosts []string
	// Auth requires an API token on every request to a server node but the open routes
	// (package auth). A server also requires tokens, without Auth, as soon as its store
	// holds an active token (one made with `weir tokens create`; checked at most once a
	// second), so making the first token turns authentication on without a restart. A server refuses to listen on a non-loopback address
	// without authentication. Default false.
	Auth bool
	// TrustedOrigins are origins allowed to send state-changing cross-origin requests.
	TrustedOrigins []string
	// OIDC configures login through an OpenID Connect provider (GET /api/v1/oidc/login and
	// /api/v1/oidc/callback); nil for none.
	OIDC *auth.OIDCConfig
	// NoCache turns result reuse off for every run of the node: tasks with cache: true run
	// every time and record their results anew (engine.Config.NoCache; `weir run
	// --no-cache`). Default false.
	NoCache bool
	// Predictions receives every prediction a server node's deployments make (package
	// serve). Default: the node's prediction log (PredictionLog), so every prediction is
	// recorded and can get a label later.
	Predictions serve.PredictionSink
	// ServePollInterval is how often a server node reads the deployments from the store.
	// Default 1 s.
	ServePollInterval time.Duration
	// ServeSeed seeds serving's canary split (serve.Config.Seed); 0 means a random seed.
	// weir demo fixes it so its canary phase, and so its promotion, are the same each run.
	ServeSeed uint64
	// Python configures the pool of Python worker processes that serves models the Python
	// mlflow client logged in the sklearn or python_function flavor. The pool starts with
	// the first such model, never otherwise.
	Python pyworker.Config

	// Monitors tunes a server's live monitors (package monitor/live); its Store, Models,
	// Consumers, OnDatasetEvent, Logger and Clock are the node's, whatever they are set to
	// here. Zero fields take live's defaults.
	Monitors live.Config
}

func (c *Config) validate() error {
	if c.Store == nil {
		return errors.New("node: Config.Store is required")
	}
	if c.Mode < ModeRun || c.Mode > ModeBench {
		return fmt.Errorf("node: unknown %s", c.Mode)
	}
	if c.Home == "" {
		c.Home = ".weir"
	}
	if c.Funcs == nil {
		c.Funcs = executor.NewFuncs()
	}
	if c.Addr == "" {
		c.Addr = "127.0.0.1:8080"
	}
	if c.Parallelism <= 0 {
		c.Parallelism = 32
	}
	if c.Version == "" {
		c.Version = "dev"
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Clock == nil {
		c.Clock = time.Now
	}
	if c.ScanInterval <= 0 {
		c.ScanInterval = 2 * time.Second
	}
	if c.TickInterval <= 0 {
		c.TickInterval = time.Second
	}
	if c.RecoverInterval <= 0 {
		c.RecoverInterval = 15 * time.Second
	}
	if c.GracePeriod <= 0 {
		c.GracePeriod = 30 * time.Second
	}
	return nil
}
