package node_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/weirhq/weir/node"
)

// The server cannot be driven by a web page in the user's browser: a cross-site POST, a
// rebinding Host and a state-changing GET are refused, and nothing happens.
func TestServerRefusesBrowserAttacks(t *testing.T) {
	t.Parallel()
	dags := writeDAGs(t, map[string]string{"c.yaml": backfillConsumer})
	home := t.TempDir()
	st := openStore(t, home)
	n, err := node.New(node.Config{Mode: node.ModeServer, Store: st, Tracking: st.Tracking(), Home: home, DAGsDir: dags,
		Addr: "127.0.0.1:0", GracePeriod: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer n.Stop()
	base := "http://" + n.Addr()
	do := func(method, path, body string, header map[string]string, host string) int {
		t.Helper()
		req, err := http.NewRequest(method, base+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range header {
			req.Header.Set(k, v)
		}
		if host != "" {
			req.Host = host
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	trigger := "/api/v1/dags/daily_consumer/dagRuns"
	if got := do("POST", trigger, `{}`, map[string]string{"Content-Type": "text/plain", "Origin": "http://evil.example"}, ""); got != 403 {
		t.Errorf("cross-site text/plain trigger: %d, want 403", got)
	}
	if got := do("POST", trigger, `{}`, map[string]string{"Content-Type": "text/plain"}, ""); got != 415 {
		t.Errorf("text/plain trigger without Origin: %d, want 415", got)
	}
	if got := do("GET", "/api/v1/dags", "", nil, "attacker.example"); got != 403 {
		t.Errorf("rebinding Host: %d, want 403", got)
	}
	if got := do("GET", "/api/2.0/mlflow/experiments/delete?experiment_id=0", "", nil, ""); got != 405 {
		t.Errorf("state-changing GET: %d, want 405", got)
	}
	runs := 0
	for _, r := range mustRuns(t, st, "daily_consumer") {
		_ = r
		runs++
	}
	if runs != 0 {
		t.Fatalf("a refused request created %d run(s)", runs)
	}
	// A program (no Origin) with JSON still works.
	if got := do("POST", trigger, `{}`, map[string]string{"Content-Type": "application/json"}, ""); got != 200 {
		t.Fatalf("legitimate trigger: %d", got)
	}
}
