package auth

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/weirhq/weir/store"
)

// MLflow's API prefixes (the REST API and the one its web UI uses).
var mlflowPrefixes = []string{"/api/2.0/mlflow/", "/ajax-api/2.0/mlflow/"}

// artifactPrefixes are the prefixes of MLflow's artifact proxy; paths under them start
// with the experiment id.
var artifactPrefixes = []string{"/api/2.0/mlflow-artifacts/artifacts/", "/ajax-api/2.0/mlflow-artifacts/artifacts/"}

// Need returns the action a request needs:
//
//   - /api/v1/users, /api/v1/grants and /api/v1/audit (every method): admin;
//   - changes to /api/v1/variables and /api/v1/connections (their reveals are POSTs):
//     admin;
//   - /api/v1/tokens, /api/v1/me, /api/v1/logout: read (any signed-in principal; the
//     handlers let a non-admin see and change only their own tokens);
//   - GET and HEAD, MLflow's read-only POSTs (searches) and model inference (serving's
//     invocations and infer): read;
//   - deployments, monitors and prediction feedback, MLflow's and its artifact proxy's other
//     requests (log, create, register, move an alias, delete): ml;
//   - the REST API's other changes (trigger, clear, mark, pause, backfill, dataset
//     events, pools): operate;
//   - any other change: admin.
func (a *Authenticator) Need(r *http.Request) Action {
	p := r.URL.Path
	if under(p, "/api/v1/users") || under(p, "/api/v1/grants") || under(p, "/api/v1/audit") {
		return ActionAdmin
	}
	if under(p, "/api/v1/tokens") || p == "/api/v1/me" || p == "/api/v1/logout" {
		return ActionRead
	}
	if r.Method == http.MethodGet || r.Method == http.MethodHead || mlflowReadPost(r) || inference(p) {
		return ActionRead
	}
	switch {
	case under(p, "/api/v1/variables"), under(p, "/api/v1/connections"):
		return ActionAdmin
	case under(p, "/api/v1/deployments"), under(p, "/api/v1/monitors"), under(p, "/api/v1/predictions"):
		return ActionML
	case hasAnyPrefix(p, mlflowPrefixes...), under(p, "/api/2.0/mlflow-artifacts"), under(p, "/ajax-api/2.0/mlflow-artifacts"):
		return ActionML
	case under(p, "/api/v1"):
		return ActionOperate
	}
	return ActionAdmin
}

// under reports whether path is prefix or below it.
func under(path, prefix string) bool {
	return path == prefix || strings.HasPrefix(path, prefix+"/")
}

func hasAnyPrefix(s string, prefixes ...string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// inference reports a model prediction request of the serving endpoints.
func inference(p string) bool {
	return strings.HasPrefix(p, "/serve/") && strings.HasSuffix(p, "/invocations") ||
		strings.HasPrefix(p, "/v2/models/") && strings.HasSuffix(p, "/infer")
}

// mlflowReadPost reports an MLflow read sent as POST (its search endpoints).
func mlflowReadPost(r *http.Request) bool {
	if r.Method != http.MethodPost || !hasAnyPrefix(r.URL.Path, mlflowPrefixes...) {
		return false
	}
	p := r.URL.Path
	return strings.HasSuffix(p, "/search") || strings.HasSuffix(p, "/get-history-bulk-interval")
}

// maxObjectBody caps the body read to find a request's object; a larger body names none.
const maxObjectBody = 8 << 20

// Object returns the object a request acts on, for grants: the DAG of /api/v1/dags/{id}
// routes (with its tags, from Config.DAGTags), the registered model of a deployment's
// change (deploymentObject), the registered model of MLflow's
// registered-models and model-versions endpoints (its "name"), the experiment of MLflow's
// experiments endpoints (experiment_id), of runs/create and logged-models (experiment_id)
// and of the other runs endpoints (the experiment of run_id, from Config.RunExperiment),
// and of the artifact proxy (the first segment of the artifact path). Others name none:
// the zero Object, for which only global roles count. It may read and restore the body.
func (a *Authenticator) Object(r *http.Request) Object {
	p := r.URL.Path
	if rest, ok := strings.CutPrefix(r.URL.EscapedPath(), "/api/v1/dags/"); ok {
		seg, _, _ := strings.Cut(rest, "/")
		id, err := url.PathUnescape(seg) // as the mux's {dag_id}
		if err != nil || id == "" {
			return Object{}
		}
		o := Object{Kind: ObjectDAG, ID: id}
		if a.cfg.DAGTags != nil {
			o.Tags = a.cfg.DAGTags(id)
		}
		return o
	}
	if rest, ok := strings.CutPrefix(r.URL.EscapedPath(), "/api/v1/deployments/"); ok && !strings.Contains(rest, "/") {
		name, err := url.PathUnescape(rest)
		if err != nil || name == "" {
			return Object{}
		}
		return a.deploymentObject(r, name)
	}
	for _, pre := range artifactPrefixes {
		if rest, ok := strings.CutPrefix(p, pre); ok {
			exp, _, _ := strings.Cut(rest, "/")
			if exp == "" {
				return Object{}
			}
			return Object{Kind: ObjectExperiment, ID: exp}
		}
	}
	var endpoint string
	for _, pre := range mlflowPrefixes {
		if rest, ok := strings.CutPrefix(p, pre); ok {
			endpoint = rest
		}
	}
	if endpoint == "" {
		return Object{}
	}
	field := func(name string) string { return requestField(r, name) }
	switch {
	case strings.HasPrefix(endpoint, "registered-models/"), strings.HasPrefix(endpoint, "model-versions/"):
		if n := field("name"); n != "" {
			return Object{Kind: ObjectModel, ID: n}
		}
	case strings.HasPrefix(endpoint, "experiments/"), endpoint == "runs/create", endpoint == "logged-models":
		if id := field("experiment_id"); id != "" {
			return Object{Kind: ObjectExperiment, ID: id}
		}
	case strings.HasPrefix(endpoint, "runs/"):
		id := field("run_id")
		if id == "" {
			id = field("run_uuid")
		}
		if id != "" && a.cfg.RunExperiment != nil {
			if exp, err := a.cfg.RunExperiment(r.Context(), id); err == nil && exp != "" {
				return Object{Kind: ObjectExperiment, ID: exp}
			}
		}
	}
	return Object{}
}

// objectFields are the request fields that name objects, decoded as MLflow's handlers
// decode them (encoding/json: exact key first, else case-insensitive; the last wins).
type objectFields struct {
	Name         json.RawMessage `json:"name"`
	ExperimentID json.RawMessage `json:"experiment_id"`
	RunID        json.RawMessage `json:"run_id"`
	RunUUID      json.RawMessage `json:"run_uuid"`
}

// requestField returns a top-level field of an MLflow request as its handler reads it:
// the query string's first value, overridden by a JSON body's (a string, or a number's
// text; null leaves the query's) — except for a GET or HEAD with a query string, whose body
// is ignored. The body is read and put back.
func requestField(r *http.Request, name string) string {
	v := r.URL.Query().Get(name)
	isGet := r.Method == http.MethodGet || r.Method == http.MethodHead
	if isGet && r.URL.RawQuery != "" || r.Body == nil || r.Body == http.NoBody {
		return v
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, maxObjectBody+1))
	rest := r.Body
	r.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(b), rest), rest}
	if err != nil || len(b) > maxObjectBody {
		return "" // the handler would refuse it, or it is too big to check: no object
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return v
	}
	var f objectFields
	if json.Unmarshal(b, &f) != nil {
		return "" // the handler refuses it
	}
	var raw json.RawMessage
	switch name {
	case "name":
		raw = f.Name
	case "experiment_id":
		raw = f.ExperimentID
	case "run_id":
		raw = f.RunID
	case "run_uuid":
		raw = f.RunUUID
	}
	if len(raw) == 0 || string(raw) == "null" {
		return v
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return ""
}

// deploymentObject is the registered model a deployment change acts on: the one model
// every reference names — those of the body (PUT) and of the deployment as stored (its
// replaced or deleted references) — as models:/NAME@ALIAS or models:/NAME/VERSION. Any
// other reference (runs:/, a file) or two models: no object.
func (a *Authenticator) deploymentObject(r *http.Request, name string) Object {
	var refs []string
	if r.Method == http.MethodPut || r.Method == http.MethodPatch {
		if r.Body == nil || r.Body == http.NoBody {
			return Object{}
		}
		b, err := io.ReadAll(io.LimitReader(r.Body, maxObjectBody+1))
		rest := r.Body
		r.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(b), rest), rest}
		var body struct {
			Model  string `json:"model"`
			Canary string `json:"canary"`
			Shadow string `json:"shadow"`
		}
		if err != nil || len(b) > maxObjectBody || json.Unmarshal(b, &body) != nil {
			return Object{}
		}
		refs = append(refs, body.Model, body.Canary, body.Shadow)
	}
	d, err := a.cfg.Store.GetDeployment(r.Context(), name)
	switch {
	case err == nil:
		refs = append(refs, d.Model, d.Canary, d.Shadow)
	case !errors.Is(err, store.ErrNotFound):
		return Object{}
	}
	model := ""
	for _, ref := range refs {
		if ref == "" {
			continue
		}
		rest, ok := strings.CutPrefix(ref, "models:/")
		if !ok {
			return Object{}
		}
		m, _, _ := strings.Cut(rest, "/")
		m, _, _ = strings.Cut(m, "@")
		if m == "" || model != "" && m != model {
			return Object{}
		}
		model = m
	}
	if model == "" {
		return Object{}
	}
	return Object{Kind: ObjectModel, ID: model}
}
