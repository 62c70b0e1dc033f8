package api

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/goccy/go-yaml"

	"github.com/weirhq/weir/api/client"
	"github.com/weirhq/weir/auth"
	"github.com/weirhq/weir/dag"
	"github.com/weirhq/weir/engine"
	"github.com/weirhq/weir/secrets"
	"github.com/weirhq/weir/store"
)

// Spec is the OpenAPI 3 specification of the API, as YAML. Handlers follow it; it is served
// as JSON at /api/v1/openapi.json.
//
//go:embed openapi.yaml
var Spec []byte

// Prefix is the path every endpoint is under.
const Prefix = "/api/v1"

// DAGSource gives the API the DAGs the server has loaded. Implementations must be safe for
// concurrent use; the server's DAG folder watcher is one, StaticDAGs a fixed one.
type DAGSource interface {
	// DAGs returns every loaded DAG, in any order.
	DAGs() []*dag.DAG
	// DAG returns one loaded DAG.
	DAG(id string) (*dag.DAG, bool)
	// Source returns the file defining a loaded DAG and its text; an error wrapping
	// fs.ErrNotExist when there is none (an unknown DAG, a DAG defined in Go).
	Source(id string) (file string, text []byte, err error)
}

// Config configures an API. Zero optional fields take the documented defaults.
type Config struct {
	// Store is the metadata store. Required.
	Store store.Store
	// Engine executes runs: triggered, cleared and marked runs go through it. Required, and
	// started by the caller.
	Engine *engine.Engine
	// DAGs gives the loaded DAGs. Required.
	DAGs DAGSource
	// Home is weir's home folder; task logs are read under Home/logs (see engine.LogPath).
	// It must be the engine's. Default ".weir", the engine's default.
	Home string
	// Version is reported by GET /version. Default "dev".
	Version string
	// Logger receives the API's own logs (requests that failed with a 500). Default: discard.
	Logger *slog.Logger
	// Consumers returns the IDs of the DAGs scheduled on a dataset: an event posted through
	// the API is queued for each of them. Nil means none (the event is only recorded).
	Consumers func(uri string) []string
	// OnDatasetEvent is called after an event posted through the API is recorded, to wake
	// the scheduler. It must return quickly. May be nil.
	OnDatasetEvent func()
	// SchedulerHeartbeat returns the scheduler's last heartbeat (the zero time if none yet),
	// for GET /health. Nil means this server runs no scheduler: its status is null.
	SchedulerHeartbeat func() time.Time
	// MaxBodyBytes caps request bodies; a larger one is a 413. Default 1 MiB.
	MaxBodyBytes int64
	// Clock returns the current time. Default time.Now.
	Clock func() time.Time
	// Monitors evaluates live monitors on request (POST /monitors/{name}/run). Nil means
	// this server runs none: that route answers 503.
	Monitors MonitorRunner
	// Secrets keeps variables and connections (/variables, /connections) and masks what
	// tasks read in the task instance answers and logs; give the engine's, so the API
	// masks what its tasks read. Default: a service on Store with the key of Home (see
	// secrets.KeySource) and a masker of its own.
	Secrets *secrets.Service
	// Auth checks logins and makes sessions (POST /login). Default: one on Store.
	Auth *auth.Authenticator
}

func (c *Config) validate() error {
	switch {
	case c.Store == nil:
		return errors.New("api: Config.Store is required")
	case c.Engine == nil:
		return errors.New("api: Config.Engine is required")
	case c.DAGs == nil:
		return errors.New("api: Config.DAGs is required")
	}
	if c.Home == "" {
		c.Home = ".weir"
	}
	if c.Version == "" {
		c.Version = "dev"
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Consumers == nil {
		c.Consumers = func(string) []string { return nil }
	}
	if c.OnDatasetEvent == nil {
		c.OnDatasetEvent = func() {}
	}
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = 1 << 20
	}
	if c.Clock == nil {
		c.Clock = time.Now
	}
	if c.Secrets == nil {
		svc, err := secrets.New(secrets.Config{Store: c.Store, Keys: &secrets.KeySource{Home: c.Home}})
		if err != nil {
			return err
		}
		c.Secrets = svc
	}
	if c.Auth == nil {
		a, err := auth.New(auth.Config{Store: c.Store, Clock: c.Clock})
		if err != nil {
			return err
		}
		c.Auth = a
	}
	return nil
}

// API serves weir's REST API. Create it with New; serve Handler.
type API struct {
	cfg     Config
	specDoc []byte // Spec as JSON
	handler http.Handler
}

// New returns an API; it checks cfg and converts the specification to JSON.
func New(cfg Config) (*API, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	doc, err := yaml.YAMLToJSON(Spec)
	if err != nil {
		return nil, fmt.Errorf("api: convert the OpenAPI spec to JSON: %w", err)
	}
	a := &API{cfg: cfg, specDoc: doc}
	a.handler = a.routes()
	return a, nil
}

// Handler returns the handler of every endpoint, under /api/v1 (it answers a JSON 404 for
// other paths below it). Mount it at "/api/v1/" in the server's mux.
func (a *API) Handler() http.Handler { return a.handler }

// route is one operation of the spec: the method and the spec's path (below Prefix).
type route struct {
	method, path string
	handle       func(w http.ResponseWriter, r *http.Request) error
}

// Routes lists the operations the API serves, as "METHOD /path" with the spec's paths
// (below Prefix), in the spec's order. Tests compare it with the spec.
func (a *API) Routes() []string {
	var out []string
	for _, rt := range a.table() {
		out = append(out, rt.method+" "+rt.path)
	}
	return out
}

func (a *API) table() []route {
	return append([]route{
		{"GET", "/openapi.json", a.getOpenAPI},
		{"GET", "/health", a.getHealth},
		{"GET", "/version", a.getVersion},
		{"GET", "/dags", a.listDAGs},
		{"GET", "/dags/{dag_id}", a.getDAG},
		{"PATCH", "/dags/{dag_id}", a.patchDAG},
		{"GET", "/dagSources/{file_token}", a.getDAGSource},
		{"GET", "/importErrors", a.listImportErrors},
		{"GET", "/dags/{dag_id}/tasks", a.listTasks},
		{"GET", "/dags/{dag_id}/dagRuns", a.listRuns},
		{"POST", "/dags/{dag_id}/dagRuns", a.triggerRun},
		{"GET", "/dags/{dag_id}/dagRuns/{dag_run_id}", a.getRun},
		{"PATCH", "/dags/{dag_id}/dagRuns/{dag_run_id}", a.patchRun},
		{"POST", "/dags/{dag_id}/dagRuns/{dag_run_id}/clear", a.clearRun},
		{"GET", "/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances", a.listTIs},
		{"GET", "/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}", a.getTI},
		{"PATCH", "/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}", a.patchTI},
		{"GET", "/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/listMapped", a.listMapped},
		{"GET", "/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/renderedFields", a.getRenderedFields},
		{"GET", "/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/{map_index}", a.getTI},
		{"PATCH", "/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/{map_index}", a.patchTI},
		{"GET", "/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/logs/{task_try_number}", a.getLog},
		{"POST", "/dags/{dag_id}/clearTaskInstances", a.clearTIs},
		{"POST", "/dags/{dag_id}/backfill", a.postBackfill},
		{"GET", "/datasets", a.listDatasets},
		{"GET", "/datasets/{uri}", a.getDataset},
		{"GET", "/datasets/events", a.listEvents},
		{"POST", "/datasets/events", a.postEvent},
		{"GET", "/pools", a.listPools},
		{"POST", "/pools", a.postPool},
		{"GET", "/pools/{pool_name}", a.getPool},
		{"PATCH", "/pools/{pool_name}", a.patchPool},
		{"DELETE", "/pools/{pool_name}", a.deletePool},
		{"GET", "/deployments", a.listDeployments},
		{"GET", "/deployments/{deployment_name}", a.getDeployment},
		{"PUT", "/deployments/{deployment_name}", a.putDeployment},
		{"DELETE", "/deployments/{deployment_name}", a.deleteDeployment},
		{"GET", "/deployments/{deployment_name}/compare", a.compareDeployment},
		{"GET", "/predictions", a.listPredictions},
		{"GET", "/predictions/{prediction_id}", a.getPrediction},
		{"POST", "/predictions/{prediction_id}/feedback", a.postFeedback},
		{"GET", "/monitors", a.listMonitors},
		{"GET", "/monitors/{monitor_name}", a.getMonitor},
		{"PUT", "/monitors/{monitor_name}", a.putMonitor},
		{"DELETE", "/monitors/{monitor_name}", a.deleteMonitor},
		{"GET", "/monitors/{monitor_name}/results", a.listMonitorResults},
		{"POST", "/monitors/{monitor_name}/run", a.runMonitor},
		{"GET", "/monitors/{monitor_name}/plots/{plot}", a.getMonitorPlot},

		{"GET", "/approvals", a.listApprovals},
		{"GET", "/approvals/{dag_id}/{run_id}/{task_id}", a.getApproval},
		{"GET", "/approvals/{dag_id}/{run_id}/{task_id}/{map_index}", a.getApproval},
		{"POST", "/approvals/{dag_id}/{run_id}/{task_id}/respond", a.respondApproval},
		{"POST", "/approvals/{dag_id}/{run_id}/{task_id}/{map_index}/respond", a.respondApproval},
		{"GET", "/audit", a.listAudit},
	}, append(append(a.secretRoutes(), a.userRoutes()...), a.runViewRoutes()...)...)
}

// routes builds the mux. Its own plain-text 404 and 405 answers become JSON problems.
func (a *API) routes() http.Handler {
	mux := http.NewServeMux()
	for _, rt := range a.table() {
		h := etagged(rt, a.masked(rt.path, rt.handle))
		mux.HandleFunc(rt.method+" "+Prefix+rt.path, func(w http.ResponseWriter, r *http.Request) {
			if r.Body != nil {
				r.Body = http.MaxBytesReader(w, r.Body, a.cfg.MaxBodyBytes)
			}
			if err := h(w, r); err != nil {
				a.writeError(w, r, err)
			}
		})
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := mux.Handler(r); pattern != "" {
			mux.ServeHTTP(w, r)
			return
		}
		// No route: let the mux decide (404, 405 or a redirect to the clean path), then
		// answer its 404 and 405 in JSON.
		rec := &statusRecorder{header: http.Header{}}
		mux.ServeHTTP(rec, r)
		switch rec.status {
		case http.StatusNotFound:
			writeProblem(w, &apiError{status: http.StatusNotFound, code: client.CodeNotFound,
				msg: fmt.Sprintf("no endpoint %s %s (see %s/openapi.json)", r.Method, r.URL.Path, Prefix)})
		case http.StatusMethodNotAllowed:
			w.Header().Set("Allow", rec.header.Get("Allow"))
			writeProblem(w, &apiError{status: http.StatusMethodNotAllowed, code: client.CodeMethodNotAllowed,
				msg: fmt.Sprintf("%s %s: method not allowed; allowed: %s", r.Method, r.URL.Path, rec.header.Get("Allow"))})
		default:
			for k, v := range rec.header {
				w.Header()[k] = v
			}
			w.WriteHeader(rec.status)
			w.Write(rec.body)
		}
	})
}

// statusRecorder captures what the mux answers for a request no route matches.
type statusRecorder struct {
	header http.Header
	status int
	body   []byte
}

func (s *statusRecorder) Header() http.Header { return s.header }
func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	s.body = append(s.body, b...)
	return len(b), nil
}
func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
}

// writeJSON answers v as JSON with status.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode the answer: %w", err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(b, '\n')) // an error means the client went away: nothing more to tell it
	return nil
}

func (a *API) now() time.Time { return a.cfg.Clock().UTC() }
