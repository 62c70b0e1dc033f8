package cli_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/weirhq/weir/api/client"
	"github.com/weirhq/weir/ml/frame"
	"github.com/weirhq/weir/ml/linear"
	"github.com/weirhq/weir/ml/model"
	"github.com/weirhq/weir/node"
	"github.com/weirhq/weir/predlog"
	"github.com/weirhq/weir/store"
	"github.com/weirhq/weir/store/sqlite"
	"github.com/weirhq/weir/tracking"
)

// registerRidge trains y = slope·x on a few rows, saves it in dir and registers it as the
// next version of model name.
func registerRidge(t *testing.T, svc *tracking.Service, dir, name string, slope float64) {
	t.Helper()
	x, y := make([]float64, 20), make([]float64, 20)
	for i := range x {
		x[i], y[i] = float64(i), slope*float64(i)
	}
	f, err := frame.New(frame.NewFloat("x", x, nil), frame.NewFloat("y", y, nil))
	if err != nil {
		t.Fatal(err)
	}
	m, err := model.Train(f, model.Config{Target: "y", Estimator: &linear.Ridge{}})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, fmt.Sprintf("%s-%g.json", name, slope))
	if err := m.SaveFile(path); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := svc.CreateRegisteredModel(ctx, tracking.CreateRegisteredModelParams{Name: name}); err != nil && !strings.Contains(err.Error(), "exist") {
		t.Fatal(err)
	}
	if _, err := svc.CreateModelVersion(ctx, tracking.CreateModelVersionParams{Name: name, Source: "file://" + path}); err != nil {
		t.Fatal(err)
	}
}

// startNode starts a server node on the home's store file, on loopback.
func startNode(t *testing.T, home string) (*node.Node, *sqlite.Store) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(home, "weir.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	n, err := node.New(node.Config{Mode: node.ModeServer, Store: st, Tracking: st.Tracking(), Home: home, DAGsDir: t.TempDir(),
		Addr: "127.0.0.1:0", GracePeriod: time.Second, ServePollInterval: 50 * time.Millisecond,
		PredictionLog: predlog.Config{FlushInterval: 20 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(ctx); err != nil {
		t.Fatal(err)
	}
	return n, st
}

// Serving errors are counted by version and class, shown by the API, the CLI (locally and
// through the server) and /metrics, and kept across a restart of the node.
func TestServingErrorsCountedAndKept(t *testing.T) {
	t.Setenv("WEIR_SERVER", "")
	t.Setenv("NO_COLOR", "1")
	ctx := context.Background()
	home := t.TempDir()
	st, err := sqlite.Open(ctx, filepath.Join(home, "weir.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	svc := tracking.NewService(st.Tracking(), tracking.ServiceConfig{})
	registerRidge(t, svc, home, "ridge", 2)
	registerRidge(t, svc, home, "ridge", 3)
	// The MLflow route always answers with version 1 (the canary takes no share); V2's
	// versioned route reaches version 2. "late" names a model that does not exist.
	for _, d := range []*store.Deployment{
		{Name: "ridge", Model: "models:/ridge/1", Canary: "models:/ridge/2"},
		{Name: "late", Model: "models:/late/1"},
	} {
		if err := st.PutDeployment(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()

	n, st := startNode(t, home)
	base := "http://" + n.Addr()
	post := func(path, body string) int {
		t.Helper()
		resp, err := http.Post(base+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	waitFor(t, func() bool { return post("/serve/ridge/invocations", `{"instances": [[1]]}`) == http.StatusOK })
	v2 := func(x string) string {
		return `{"inputs": [{"name": "x", "shape": [1], "datatype": "FP64", "data": [` + x + `]}]}`
	}
	for _, c := range []struct {
		path, body string
		status     int
	}{
		{"/serve/ridge/invocations", `{"instances": [[2]]}`, 200},
		{"/serve/ridge/invocations", `{"instances": [[3]]}`, 200},
		{"/serve/ridge/invocations", `{"instances": [[3]`, 400},                                     // malformed JSON
		{"/serve/ridge/invocations", `{"dataframe_split": {"columns": ["z"], "data": [[1]]}}`, 400}, // wrong columns
		{"/serve/ridge/invocations", `{"instances": [[1e308]]}`, 500},                               // the model answers +Inf
		{"/v2/models/ridge/versions/2/infer", v2("1"), 200},
		{"/v2/models/ridge/versions/2/infer", `{"inputs": [{"name": "x", "shape": [2], "data": [1]}]}`, 400},
		{"/v2/models/ridge/versions/2/infer", v2("1e308"), 500},
		{"/v2/models/ridge/versions/9/infer", v2("1"), 404}, // no model chosen
		{"/serve/late/invocations", `{"instances": [[1]]}`, 503},
		{"/serve/nope/invocations", `{"instances": [[1]]}`, 404}, // no deployment: not counted
	} {
		if got := post(c.path, c.body); got != c.status {
			t.Fatalf("POST %s %s: %d, want %d", c.path, c.body, got, c.status)
		}
	}
	type row struct {
		version    string
		requests   int
		e4, e5     int64
		lastStatus int
		lastHas    string
	}
	check := func(what, url string, want []row) {
		t.Helper()
		c, err := client.New(url, nil)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		waitFor(t, func() bool {
			cmp, err := c.CompareDeployment(ctx, "ridge", time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			got = got[:0]
			for _, v := range cmp.Versions {
				got = append(got, fmt.Sprintf("%s n=%d 4xx=%d 5xx=%d rate=%.3f last=%d", v.Version, v.Requests, v.Errors4xx, v.Errors5xx, v.ErrorRate, v.LastErrorStatus))
			}
			if len(cmp.Versions) != len(want) {
				return false
			}
			for i, w := range want {
				v := cmp.Versions[i]
				if v.Version != w.version || v.Requests != w.requests || v.Errors4xx != w.e4 || v.Errors5xx != w.e5 ||
					v.LastErrorStatus != w.lastStatus || !strings.Contains(v.LastError, w.lastHas) {
					return false
				}
			}
			return true
		})
		t.Logf("%s: %s", what, strings.Join(got, "; "))
	}
	want := []row{
		{"1", 3, 2, 1, 500, "answered +Inf for row 1"},
		{"2", 1, 1, 1, 500, "answered +Inf for row 1"},
		{"none", 0, 1, 0, 404, `has no loaded version "9"`},
	}
	check("before the restart", base, want)

	// Prometheus.
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, m := range []string{
		`weir_serve_errors_total{class="4xx",deployment="ridge",version="1"} 2`,
		`weir_serve_errors_total{class="5xx",deployment="ridge",version="2"} 1`,
		`weir_serve_errors_total{class="4xx",deployment="ridge",version="none"} 1`,
		`weir_serve_errors_total{class="5xx",deployment="late",version="none"} 1`,
	} {
		if !strings.Contains(string(metrics), m) {
			t.Errorf("/metrics lacks %s", m)
		}
	}
	if strings.Contains(string(metrics), `deployment="nope"`) {
		t.Error("/metrics counts a request to an unknown deployment")
	}

	// The CLI, locally and through the server, prints the same counts.
	other := t.TempDir()
	local := weir(t, home, "", "deployments", "compare", "ridge")
	remote := weir(t, other, "", "deployments", "compare", "ridge", "--server", base)
	if local.code != 0 || remote.code != 0 || local.stdout != remote.stdout {
		t.Fatalf("compare: local %d %s%s\nremote %d %s%s", local.code, local.stdout, local.stderr, remote.code, remote.stdout, remote.stderr)
	}
	for _, w := range []string{"4XX", "5XX", "ERROR RATE", "LAST ERROR", "no model chosen", "answered +Inf for row 1", "(500 at", "50.0%", "66.7%", "100.0%"} {
		if !strings.Contains(local.stdout, w) {
			t.Errorf("weir deployments compare lacks %q:\n%s", w, local.stdout)
		}
	}
	r := weir(t, home, "", "deployments", "compare", "ridge", "-o", "json")
	var out struct {
		Versions []struct {
			Version   string  `json:"version"`
			Errors4xx int64   `json:"errors_4xx"`
			Errors5xx int64   `json:"errors_5xx"`
			ErrorRate float64 `json:"error_rate"`
			LastError string  `json:"last_error"`
		} `json:"versions"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil || len(out.Versions) != 3 || out.Versions[0].Errors4xx != 2 ||
		out.Versions[2].Version != "none" || out.Versions[2].ErrorRate != 1 {
		t.Fatalf("compare -o json: %v\n%s", err, r.stdout)
	}

	// A restart: the counts were written to the store file, and the new process adds its own.
	n.Stop()
	st.Close()
	n, st = startNode(t, home)
	defer func() { n.Stop(); st.Close() }()
	base = "http://" + n.Addr()
	check("after the restart", base, want)
	waitFor(t, func() bool { return post("/serve/ridge/invocations", `{"instances": [[1]]}`) == http.StatusOK })
	if got := post("/serve/ridge/invocations", `not json`); got != http.StatusBadRequest {
		t.Fatalf("malformed body after the restart: %d", got)
	}
	want[0] = row{"1", 4, 3, 1, 400, "invalid character"}
	check("after the restart and one more failure", base, want)
}
