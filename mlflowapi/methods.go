package mlflowapi

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// readMethods are the methods a read-only endpoint accepts: GET as MLflow's protos declare,
// and POST, which some endpoints declare too and some clients use for all of them. A read
// has no effect, so accepting both is harmless.
var readMethods = []string{http.MethodGet, http.MethodPost}

// writeMethods are the HTTP methods of the endpoints that change state, as MLflow's
// service.proto and model_registry.proto declare them. A state-changing endpoint never
// accepts GET or HEAD: a link or an <img> in a web page must not delete anything.
var writeMethods = map[string][]string{
	"experiments/create":                {http.MethodPost},
	"experiments/update":                {http.MethodPost},
	"experiments/delete":                {http.MethodPost},
	"experiments/restore":               {http.MethodPost},
	"experiments/set-experiment-tag":    {http.MethodPost},
	"experiments/delete-experiment-tag": {http.MethodPost},
	"runs/create":                       {http.MethodPost},
	"runs/update":                       {http.MethodPost},
	"runs/delete":                       {http.MethodPost},
	"runs/restore":                      {http.MethodPost},
	"runs/log-metric":                   {http.MethodPost},
	"runs/log-parameter":                {http.MethodPost},
	"runs/log-batch":                    {http.MethodPost},
	"runs/set-tag":                      {http.MethodPost},
	"runs/delete-tag":                   {http.MethodPost},
	"runs/log-inputs":                   {http.MethodPost},
	"runs/log-model":                    {http.MethodPost},
	"runs/set-experiment-tag":           {http.MethodPost},
	"registered-models/create":          {http.MethodPost},
	"registered-models/rename":          {http.MethodPost},
	"registered-models/update":          {http.MethodPatch},
	"registered-models/delete":          {http.MethodDelete},
	"registered-models/set-tag":         {http.MethodPost},
	"registered-models/delete-tag":      {http.MethodDelete},
	// POST sets an alias, DELETE removes it, GET resolves it (get-by-alias).
	"registered-models/alias":         {http.MethodPost, http.MethodDelete, http.MethodGet},
	"model-versions/create":           {http.MethodPost},
	"model-versions/update":           {http.MethodPatch},
	"model-versions/delete":           {http.MethodDelete},
	"model-versions/transition-stage": {http.MethodPost},
	"model-versions/set-tag":          {http.MethodPost},
	"model-versions/delete-tag":       {http.MethodDelete},
	// MLflow 3's logged models (service.proto). GET gets a model, PATCH finalizes it,
	// DELETE deletes it.
	"logged-models":                           {http.MethodPost},
	"logged-models/{model_id}":                {http.MethodGet, http.MethodPatch, http.MethodDelete},
	"logged-models/{model_id}/tags":           {http.MethodPatch},
	"logged-models/{model_id}/tags/{tag_key}": {http.MethodDelete},
	"logged-models/{model_id}/params":         {http.MethodPost},
	// MLflow 3.3's webhooks (webhooks.proto): POST creates, GET lists; on one webhook GET
	// gets, PATCH updates, DELETE deletes.
	"webhooks":                   {http.MethodPost, http.MethodGet},
	"webhooks/{webhook_id}":      {http.MethodGet, http.MethodPatch, http.MethodDelete},
	"webhooks/{webhook_id}/test": {http.MethodPost},
	"runs/outputs":               {http.MethodPost},
}

// allowedMethods returns the methods an endpoint accepts.
func allowedMethods(path string) []string {
	if m, ok := writeMethods[path]; ok {
		return m
	}
	return readMethods
}

// methodGuard answers 405 (with Allow, in MLflow's error shape) to a method the endpoint
// does not accept; HEAD is served as GET where GET is allowed.
func methodGuard(path string, next http.Handler) http.Handler {
	allowed := allowedMethods(path)
	allow := strings.Join(allowed, ", ")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m := r.Method
		if m == http.MethodHead {
			m = http.MethodGet
		}
		if !slices.Contains(allowed, m) {
			w.Header().Set("Allow", allow)
			writeError(w, http.StatusMethodNotAllowed, "BAD_REQUEST",
				fmt.Sprintf("%s does not accept %s: use %s", r.URL.Path, r.Method, allow))
			return
		}
		next.ServeHTTP(w, r)
	})
}
