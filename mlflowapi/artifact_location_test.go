package mlflowapi

import (
	"bytes"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestArtifactLocationCannotEscape creates experiments whose artifact_location points
// outside the artifact root and shows that their runs' artifacts can be neither listed nor
// written there: the run ID and the location become artifact paths, which are checked.
func TestArtifactLocationCannotEscape(t *testing.T) {
	t.Parallel()
	h := setup(t)
	outside := filepath.Join(h.dir, "outside")
	if err := os.MkdirAll(outside, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(outside, "secret.txt"), []byte("TOP-SECRET"), 0o600); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, h.dir, h.artRoot)
	for i, loc := range []string{"mlflow-artifacts:/..", "mlflow-artifacts:/../outside", "mlflow-artifacts:///" + strings.TrimPrefix(h.dir, "/"), "mlflow-artifacts:/a/../../.."} {
		exp := h.ok("POST", "/api/2.0/mlflow/experiments/create", map[string]any{"name": "escape" + string(rune('a'+i)), "artifact_location": loc})
		run := h.ok("POST", "/api/2.0/mlflow/runs/create", map[string]any{"experiment_id": exp["experiment_id"]})
		info := run["run"].(map[string]any)["info"].(map[string]any)
		runID, uri := info["run_id"].(string), info["artifact_uri"].(string)
		for _, p := range []string{"", "..", "../..", "../../outside"} {
			_, b := h.raw("GET", "/api/2.0/mlflow/artifacts/list?run_id="+runID+"&path="+url.QueryEscape(p), nil)
			if bytes.Contains(b, []byte("secret.txt")) || bytes.Contains(b, []byte(`"path":"outside"`)) || bytes.Contains(b, []byte("weir.db")) {
				t.Errorf("location %s: artifacts/list %q shows files outside the root: %s", loc, p, b)
			}
		}
		// What a client does to log an artifact: PUT to the proxy at the run's path.
		rel, _ := proxiedPath(uri)
		req, err := http.NewRequestWithContext(t.Context(), "PUT", h.srv.URL, strings.NewReader("planted"))
		if err != nil {
			t.Fatal(err)
		}
		req.URL.Opaque = "//" + req.URL.Host + "/api/2.0/mlflow-artifacts/artifacts/" + rel + "/planted.txt"
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK && strings.Contains(rel, "..") {
			t.Errorf("location %s: upload to %s accepted", loc, rel)
		}
	}
	after := snapshot(t, h.dir, h.artRoot)
	if !reflect.DeepEqual(before, after) {
		t.Errorf("files outside the artifact root changed:\nbefore %v\nafter  %v", before, after)
	}
}
