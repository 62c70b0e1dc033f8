package mlflowapi

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A raw ".." (or ".") segment in an artifact URL gets 400, as MLflow's validate_path_is_safe
// answers, not a 307 to the cleaned path (which a client follows to another artifact than
// the one it named). Clients send such paths unnormalised: Go's and Python's requests keep
// them. Issue 12, point 14.
func TestDotSegmentsInArtifactURLs(t *testing.T) {
	t.Parallel()
	h := setup(t)
	if err := os.MkdirAll(filepath.Join(h.artRoot, "0", "b"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(h.artRoot, "0", "b", "secret.txt"), []byte("s"), 0o644); err != nil {
		t.Fatal(err)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, c := range []struct{ method, path string }{
		{"GET", "/api/2.0/mlflow-artifacts/artifacts/0/a/../b/secret.txt"},
		{"GET", "/ajax-api/2.0/mlflow-artifacts/artifacts/0/a/%2E%2E/b/secret.txt"},
		{"GET", "/api/2.0/mlflow-artifacts/artifacts/0/./b/secret.txt"},
		{"PUT", "/api/2.0/mlflow-artifacts/artifacts/0/a/../b/secret.txt"},
		{"DELETE", "/api/2.0/mlflow-artifacts/artifacts/0/a/../b"},
		{"GET", "/api/2.0/mlflow-artifacts/artifacts/.."},
		{"GET", "/api/2.0/mlflow/experiments/../experiments/get?experiment_id=0"},
	} {
		req, err := http.NewRequestWithContext(t.Context(), c.method, h.srv.URL+c.path, strings.NewReader("overwritten"))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body [512]byte
		n, _ := resp.Body.Read(body[:])
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body[:n]), "INVALID_PARAMETER_VALUE") {
			t.Errorf("%s %s: %d %s, want 400 INVALID_PARAMETER_VALUE", c.method, c.path, resp.StatusCode, body[:n])
		}
	}
	if b, err := os.ReadFile(filepath.Join(h.artRoot, "0", "b", "secret.txt")); err != nil || string(b) != "s" {
		t.Fatalf("a refused request changed the artifact: %q %v", b, err)
	}
	// A dot inside a name is not a dot segment.
	resp, _ := h.raw("PUT", "/api/2.0/mlflow-artifacts/artifacts/0/b/..hidden.v1.txt", strings.NewReader("ok"))
	if resp.StatusCode != 200 {
		t.Fatalf("upload of ..hidden.v1.txt: %d", resp.StatusCode)
	}
}
