package node_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/weirhq/weir/node"
)

// startTrackingServer starts a server node with a tracking store and returns its base URL.
func startTrackingServer(t *testing.T) string {
	t.Helper()
	home := t.TempDir()
	st := openStore(t, home)
	n, err := node.New(node.Config{Mode: node.ModeServer, Store: st, Tracking: st.Tracking(), Home: home,
		DAGsDir: writeDAGs(t, nil), Addr: "127.0.0.1:0", GracePeriod: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.Stop)
	return "http://" + n.Addr()
}

// noRedirects is a client that reports a redirect instead of following it.
var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func send(t *testing.T, method, url, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := noRedirects.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// The MLflow UI reaches the artifact proxy under /ajax-api/ (its fetches of artifacts go
// through /ajax-api/2.0/mlflow-artifacts/artifacts/...), as MLflow's server routes both
// prefixes. Issue 12, point 13.
func TestServerMountsAjaxArtifacts(t *testing.T) {
	t.Parallel()
	base := startTrackingServer(t)
	if code, body := send(t, "PUT", base+"/ajax-api/2.0/mlflow-artifacts/artifacts/0/r1/artifacts/notes.txt", "hello"); code != 200 {
		t.Fatalf("ajax upload: %d %s", code, body)
	}
	if code, body := send(t, "GET", base+"/ajax-api/2.0/mlflow-artifacts/artifacts/0/r1/artifacts/notes.txt", ""); code != 200 || body != "hello" {
		t.Fatalf("ajax download: %d %q", code, body)
	}
	if code, body := send(t, "GET", base+"/api/2.0/mlflow-artifacts/artifacts/0/r1/artifacts/notes.txt", ""); code != 200 || body != "hello" {
		t.Fatalf("api download of the ajax upload: %d %q", code, body)
	}
	if code, body := send(t, "GET", base+"/ajax-api/2.0/mlflow-artifacts/artifacts?path=0/r1/artifacts", ""); code != 200 || !strings.Contains(body, `"notes.txt"`) {
		t.Fatalf("ajax list: %d %s", code, body)
	}
}

// A ".." in an artifact URL gets 400 from the server, not the 307 of its router's path
// cleaning. Issue 12, point 14.
func TestServerRefusesDotDotInArtifactURLs(t *testing.T) {
	t.Parallel()
	base := startTrackingServer(t)
	for _, p := range []string{
		"/api/2.0/mlflow-artifacts/artifacts/0/a/../b.txt",
		"/ajax-api/2.0/mlflow-artifacts/artifacts/0/a/../b.txt",
	} {
		if code, body := send(t, "GET", base+p, ""); code != 400 || !strings.Contains(body, "INVALID_PARAMETER_VALUE") {
			t.Errorf("GET %s: %d %s, want 400", p, code, body)
		}
	}
}
