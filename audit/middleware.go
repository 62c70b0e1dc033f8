package audit

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/weirhq/weir/auth"
	"github.com/weirhq/weir/store"
)

// Whitelist are the request body fields whose values an entry's details keep: identifiers
// and flags, never free values that could hold a secret. Other fields appear by name only.
var Whitelist = []string{
	"name", "version", "alias", "stage", "run_id", "experiment_id", "model_id", "dag_id", "dag_run_id",
	"task_id", "task_ids", "map_index", "state", "is_paused", "logical_date", "start_date", "end_date",
	"dry_run", "only_failed", "only_running", "reset_dag_runs", "include_upstream", "include_downstream", "include_past", "include_future",
	"uri", "dataset_uri", "slots", "model", "canary", "canary_weight", "shadow", "scope", "chosen_options", "option",
	"comment", "archive_existing_versions", "key", "reprocess_behavior", "max_active_runs",
}

// maxBody is the largest JSON body whose field names are read; larger bodies are not read.
const maxBody = 64 << 10

// MiddlewareConfig configures Middleware.
type MiddlewareConfig struct {
	// Store receives the entries. Required.
	Store store.AuditStore
	// Clock returns the current time. Default time.Now.
	Clock func() time.Time
	// Logger receives failed appends. Default: discard.
	Logger *slog.Logger
	// Skip reports requests not to record. Default DefaultSkip.
	Skip func(r *http.Request) bool
}

// DefaultSkip skips what changes nothing worth an entry: GET, HEAD and OPTIONS; MLflow's
// read-only POSTs (searches); its per-run logging (metrics, params, tags, batches, inputs,
// outputs, run updates and artifact uploads, which tasks send by the thousand and which
// the run itself records); and model serving's predictions.
func DefaultSkip(r *http.Request) bool {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return true
	}
	p := r.URL.Path
	if strings.HasPrefix(p, "/serve/") || strings.HasPrefix(p, "/v2/") {
		return true
	}
	if strings.Contains(p, "/mlflow-artifacts/") {
		return true
	}
	if rest, ok := mlflowRest(p); ok {
		if strings.HasSuffix(rest, "/search") || strings.HasSuffix(rest, "get-history-bulk-interval") {
			return true
		}
		switch rest {
		case "runs/log-metric", "runs/log-batch", "runs/log-parameter", "runs/set-tag", "runs/delete-tag",
			"runs/log-inputs", "runs/log-outputs", "runs/log-model", "runs/update", "runs/create",
			"logged-models/params", "logged-models/tags", "traces", "traces/info":
			return true
		}
	}
	return false
}

// mlflowRest returns the path after MLflow's API prefix ("registered-models/create").
func mlflowRest(p string) (string, bool) {
	for _, pre := range []string{"/api/2.0/mlflow/", "/ajax-api/2.0/mlflow/", "/api/3.0/mlflow/", "/ajax-api/3.0/mlflow/"} {
		if rest, ok := strings.CutPrefix(p, pre); ok {
			return rest, true
		}
	}
	return "", false
}

// Middleware returns a wrapper that records every request not skipped once next returned.
// Mount it inside the authentication (so the request's context carries the principal) and
// directly around the mux (so the request's Pattern and path values are those the mux
// matched). It sets X-Request-Id on the answer when the request had none.
func Middleware(cfg MiddlewareConfig) func(http.Handler) http.Handler {
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Skip == nil {
		cfg.Skip = DefaultSkip
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if cfg.Skip(r) {
				next.ServeHTTP(w, r)
				return
			}
			reqID := r.Header.Get("X-Request-Id")
			if reqID == "" {
				reqID = newRequestID()
				w.Header().Set("X-Request-Id", reqID)
			}
			fields := peekBody(r)
			sw := &statusWriter{ResponseWriter: w}
			start := cfg.Clock()
			next.ServeHTTP(sw, r)
			status := sw.status
			if status == 0 {
				status = http.StatusOK
			}
			e := entryOf(r, fields, status)
			e.Time, e.RequestID, e.RemoteAddr = start, reqID, r.RemoteAddr
			if err := Append(r.Context(), cfg.Store, e); err != nil {
				cfg.Logger.Error("audit log: record a request", "method", r.Method, "path", r.URL.Path, "err", err)
			}
		})
	}
}

func newRequestID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// peekBody reads a small JSON body's top-level fields and puts the body back.
func peekBody(r *http.Request) map[string]json.RawMessage {
	if r.Body == nil || r.Body == http.NoBody || r.ContentLength > maxBody {
		return nil
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" && !strings.HasSuffix(mt, "+json") {
		return nil
	}
	buf, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	r.Body = readCloser{io.MultiReader(bytes.NewReader(buf), r.Body), r.Body}
	if err != nil || len(buf) > maxBody {
		return nil
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(buf, &m) != nil {
		return nil
	}
	return m
}

type readCloser struct {
	io.Reader
	io.Closer
}

// statusWriter remembers the status of the answer.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// Flush forwards to the underlying writer when it can flush.
func (s *statusWriter) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// Actor returns who a request acts as: its principal, or "anonymous".
func Actor(r *http.Request) (name, kind string) {
	if p, ok := auth.PrincipalFrom(r.Context()); ok {
		kind = string(p.Kind)
		if kind == "" {
			kind = KindToken
		}
		name = p.Name
		if p.User != "" {
			name = p.User // a user's token acts for the user
		}
		return name, kind
	}
	return "anonymous", KindAnonymous
}

// entryOf builds the entry of a request answered with status.
func entryOf(r *http.Request, fields map[string]json.RawMessage, status int) *store.AuditEntry {
	actor, kind := Actor(r)
	e := &store.AuditEntry{Actor: actor, ActorKind: kind}
	switch {
	case status < 400:
		e.Outcome = OutcomeSuccess
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		e.Outcome = OutcomeDenied
	default:
		e.Outcome = OutcomeFailure
	}
	route := routeOf(r)
	d := map[string]any{"method": r.Method, "path": r.URL.Path, "status": status}
	if route != "" {
		d["route"] = route
	}
	params := pathValues(r, route)
	if len(params) > 0 {
		d["path_params"] = params
	}
	if q := r.URL.Query(); len(q) > 0 {
		keys := make([]string, 0, len(q))
		kept := map[string]string{}
		for k := range q {
			keys = append(keys, k)
			if slices.Contains(Whitelist, k) {
				kept[k] = q.Get(k)
			}
		}
		sort.Strings(keys)
		d["query_keys"] = keys
		if len(kept) > 0 {
			d["query"] = kept
		}
	}
	if len(fields) > 0 {
		names := make([]string, 0, len(fields))
		kept := map[string]json.RawMessage{}
		for k, v := range fields {
			names = append(names, k)
			if slices.Contains(Whitelist, k) && len(v) <= 1024 {
				kept[k] = v
			}
		}
		sort.Strings(names)
		d["body_fields"] = names
		if len(kept) > 0 {
			d["body"] = kept
		}
	}
	e.Details = Details(d)
	if rest, ok := mlflowRest(r.URL.Path); ok {
		e.Action, e.TargetType, e.TargetID = mlflowTarget(rest, fields, r)
		return e
	}
	e.Action, e.TargetType = actionOf(r.Method, route)
	e.TargetID = strings.Join(orderedValues(route, params), "/")
	if e.TargetID == "" { // a create names its target in the body
		for _, k := range []string{"name", "dataset_uri", "uri"} {
			var v string
			if raw, ok := fields[k]; ok && json.Unmarshal(raw, &v) == nil && v != "" {
				e.TargetID = v
				break
			}
		}
	}
	return e
}

// routeOf returns the route template the mux matched, below the method: "/api/v1/dags/{dag_id}".
func routeOf(r *http.Request) string {
	p := r.Pattern
	if _, rest, ok := strings.Cut(p, " "); ok {
		p = rest
	}
	return p
}

// wildcards returns the names of a route template's {wildcards}, in order.
func wildcards(route string) []string {
	var out []string
	for _, seg := range strings.Split(route, "/") {
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
			name := strings.TrimSuffix(strings.TrimPrefix(seg, "{"), "}")
			out = append(out, strings.TrimSuffix(name, "..."))
		}
	}
	return out
}

func pathValues(r *http.Request, route string) map[string]string {
	m := map[string]string{}
	for _, w := range wildcards(route) {
		if v := r.PathValue(w); v != "" {
			m[w] = v
		}
	}
	return m
}

func orderedValues(route string, params map[string]string) []string {
	var out []string
	for _, w := range wildcards(route) {
		if v, ok := params[w]; ok {
			out = append(out, v)
		}
	}
	return out
}

// actions names the REST API's state-changing routes: action and target type.
var actions = map[string][2]string{
	"PATCH /api/v1/dags/{dag_id}":                                                          {"dag.update", "dag"},
	"POST /api/v1/dags/{dag_id}/dagRuns":                                                   {"dag_run.trigger", "dag"},
	"PATCH /api/v1/dags/{dag_id}/dagRuns/{dag_run_id}":                                     {"dag_run.mark", "dag_run"},
	"POST /api/v1/dags/{dag_id}/dagRuns/{dag_run_id}/clear":                                {"dag_run.clear", "dag_run"},
	"PATCH /api/v1/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}":             {"task_instance.mark", "task_instance"},
	"PATCH /api/v1/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/{map_index}": {"task_instance.mark", "task_instance"},
	"POST /api/v1/dags/{dag_id}/clearTaskInstances":                                        {"task_instance.clear", "dag"},
	"POST /api/v1/dags/{dag_id}/backfill":                                                  {"dag.backfill", "dag"},
	"POST /api/v1/datasets/events":                                                         {"dataset_event.create", "dataset"},
	"POST /api/v1/pools":                                                                   {"pool.create", "pool"},
	"PATCH /api/v1/pools/{pool_name}":                                                      {"pool.update", "pool"},
	"DELETE /api/v1/pools/{pool_name}":                                                     {"pool.delete", "pool"},
	"PUT /api/v1/deployments/{deployment_name}":                                            {"deployment.put", "deployment"},
	"DELETE /api/v1/deployments/{deployment_name}":                                         {"deployment.delete", "deployment"},
	"POST /api/v1/predictions/{prediction_id}/feedback":                                    {"prediction.feedback", "prediction"},
	"POST /api/v1/approvals/{dag_id}/{run_id}/{task_id}/respond":                           {"approval.respond", "approval"},
	"POST /api/v1/approvals/{dag_id}/{run_id}/{task_id}/{map_index}/respond":               {"approval.respond", "approval"},
}

// actionOf names a request's action and target type: from the table, else "METHOD route"
// (or the path when no route matched) and the last wildcard's name.
func actionOf(method, route string) (string, string) {
	if a, ok := actions[method+" "+route]; ok {
		return a[0], a[1]
	}
	typ := ""
	if ws := wildcards(route); len(ws) > 0 {
		typ = strings.TrimSuffix(strings.TrimSuffix(ws[len(ws)-1], "_id"), "_name")
	}
	if route == "" {
		route = "(no route)"
	}
	return method + " " + route, typ
}

// mlflowTarget names an MLflow request's action ("mlflow.registered-models.create") and
// target from its identifier fields.
func mlflowTarget(rest string, fields map[string]json.RawMessage, r *http.Request) (action, typ, id string) {
	action = "mlflow." + strings.ReplaceAll(rest, "/", ".")
	if r.Method == http.MethodDelete && !strings.HasSuffix(action, ".delete") {
		action += ".delete" // DELETE registered-models/alias deletes what POST sets
	}
	str := func(k string) string {
		if v, ok := fields[k]; ok {
			var s string
			if json.Unmarshal(v, &s) == nil {
				return s
			}
			return string(v)
		}
		return r.URL.Query().Get(k)
	}
	switch {
	case strings.HasPrefix(rest, "registered-models/"):
		typ, id = "registered_model", str("name")
	case strings.HasPrefix(rest, "model-versions/"):
		typ, id = "model_version", str("name")
		if v := str("version"); v != "" {
			id += "/" + v
		}
	case strings.HasPrefix(rest, "runs/"):
		typ, id = "run", str("run_id")
	case strings.HasPrefix(rest, "experiments/"):
		typ, id = "experiment", str("experiment_id")
		if id == "" {
			id = str("name")
		}
	case strings.HasPrefix(rest, "logged-models"):
		typ, id = "logged_model", str("model_id")
	case strings.HasPrefix(rest, "webhooks"):
		typ, id = "webhook", str("webhook_id")
	}
	if a := str("alias"); a != "" && typ == "registered_model" {
		id += "@" + a
	}
	return action, typ, id
}
