package mlflowapi

import (
	"net/http"
	"testing"
)

// A state-changing endpoint refuses GET (a link in a web page must not delete anything),
// names the methods it takes, and still works with its own method.
func TestStateChangingEndpointsRefuseGET(t *testing.T) {
	t.Parallel()
	h := setup(t)
	id := h.ok("POST", "/api/2.0/mlflow/experiments/create", map[string]any{"name": "keep"})["experiment_id"].(string)

	for _, path := range []string{
		"/api/2.0/mlflow/experiments/delete?experiment_id=" + id,
		"/ajax-api/2.0/mlflow/experiments/delete?experiment_id=" + id,
	} {
		resp, body := h.raw("GET", path, nil)
		if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "POST" {
			t.Fatalf("GET %s: %d, Allow %q: %s", path, resp.StatusCode, resp.Header.Get("Allow"), body)
		}
	}
	got := h.ok("GET", "/api/2.0/mlflow/experiments/get?experiment_id="+id, nil)
	if stage := got["experiment"].(map[string]any)["lifecycle_stage"]; stage != "active" {
		t.Fatalf("the experiment was changed by a refused GET: %v", got)
	}
	// Every write endpoint refuses GET; every endpoint answers its own methods.
	for path, methods := range writeMethods {
		for _, m := range []string{"GET", "HEAD", "PUT"} {
			allowed := false
			for _, a := range methods {
				allowed = allowed || a == m || (m == "HEAD" && a == "GET")
			}
			if allowed {
				continue
			}
			resp, _ := h.raw(m, "/api/2.0/mlflow/"+path, nil)
			if resp.StatusCode != http.StatusMethodNotAllowed {
				t.Errorf("%s %s: %d, want 405", m, path, resp.StatusCode)
			}
		}
	}
	h.ok("POST", "/api/2.0/mlflow/experiments/delete", map[string]any{"experiment_id": id})
	// Reads take GET and POST.
	h.ok("POST", "/api/2.0/mlflow/experiments/get-by-name", map[string]any{"experiment_name": "keep"})
	if resp, _ := h.raw("DELETE", "/api/2.0/mlflow/experiments/get?experiment_id="+id, nil); resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("DELETE on a read endpoint: %d", resp.StatusCode)
	}
}
