package mlflowapi

import (
	"net/http"
	"slices"
	"sort"
)

// Routes lists every route the API serves under /api/2.0 (the same ones are served under
// /ajax-api/2.0) as "METHOD /path", with the mux's wildcards ({model_id}, {path...}):
// each endpoint with its canonical methods (GET for a read, which also accepts POST), the
// artifact proxy and multipart uploads. Tests use it to check every route's
// authentication.
func Routes() []string {
	var out []string
	add := func(method, path string) { out = append(out, method+" "+path) }
	for path := range (&API{}).endpoints() {
		ms, ok := writeMethods[path]
		if !ok {
			ms = []string{http.MethodGet}
		}
		for _, m := range ms {
			add(m, "/api/2.0/mlflow/"+path)
		}
	}
	add(http.MethodGet, "/api/2.0/mlflow/logged-models/{model_id}/artifacts/files")
	const art = "/api/2.0/mlflow-artifacts/artifacts"
	add(http.MethodGet, art)
	for _, m := range []string{http.MethodGet, http.MethodPut, http.MethodDelete} {
		add(m, art+"/{path...}")
	}
	const mpu = "/api/2.0/mlflow-artifacts/mpu"
	for _, p := range []string{"/create/{path...}", "/complete/{path...}", "/abort/{path...}"} {
		add(http.MethodPost, mpu+p)
	}
	add(http.MethodPut, mpu+"/part/{upload_id}/{part_number}")
	sort.Strings(out)
	return slices.Compact(out)
}
