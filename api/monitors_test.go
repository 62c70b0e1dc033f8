package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/weirhq/weir/api"
	"github.com/weirhq/weir/api/client"
	"github.com/weirhq/weir/ml/frame"
	"github.com/weirhq/weir/ml/linear"
	"github.com/weirhq/weir/ml/model"
	"github.com/weirhq/weir/monitor/live"
	"github.com/weirhq/weir/steps/stepio"
	"github.com/weirhq/weir/store"
	"github.com/weirhq/weir/tracking"
)

// TestMonitors: CRUD, a run through the server's runner, results and plots, every answer
// checked against the spec; a server without a runner answers run with a 503.
func TestMonitors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	art, err := tracking.OpenArtifactStore(ctx, filepath.Join(dir, "artifacts"), 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { art.Close() })
	var runner *live.Runner
	e := setup(t, func(cfg *api.Config) {
		var err error
		runner, err = live.New(live.Config{Store: cfg.Store, Models: stepio.Deps{Artifacts: art}})
		if err != nil {
			t.Fatal(err)
		}
		cfg.Monitors = runner
	})
	// A model file deployed, and its logged predictions: 100 like the training data.
	rng := rand.New(rand.NewPCG(3, 4))
	x, y := make([]float64, 200), make([]float64, 200)
	for i := range x {
		x[i] = rng.NormFloat64()
		y[i] = 2 * x[i]
	}
	f, err := frame.New(frame.NewFloat("x", x, nil), frame.NewFloat("y", y, nil))
	if err != nil {
		t.Fatal(err)
	}
	m, err := model.Train(f, model.Config{Target: "y", Estimator: &linear.Ridge{}})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "model.json")
	if err := m.SaveFile(path); err != nil {
		t.Fatal(err)
	}
	if err := e.st.PutDeployment(ctx, &store.Deployment{Name: "lin", Model: path}); err != nil {
		t.Fatal(err)
	}
	var ps []*store.Prediction
	for i := range 100 {
		v := rng.NormFloat64()
		ps = append(ps, &store.Prediction{ID: fmt.Sprint("p", i), Endpoint: "lin", ModelName: path, Time: time.Now().Add(-time.Minute),
			Inputs: json.RawMessage(fmt.Sprintf(`{"columns":["x"],"data":[[%g]]}`, v)), Output: json.RawMessage(fmt.Sprintf(`{"predictions":[%g]}`, 2*v))})
	}
	if err := e.st.InsertPredictions(ctx, ps); err != nil {
		t.Fatal(err)
	}

	var mon client.Monitor
	e.json("PUT", "/monitors/lin-drift", `{"endpoint":"lin","spec":{"rows":100,"interval":"5m","secret":"s","webhooks":["https://hooks.example.com/x"]}}`, 200, &mon)
	if mon.Name != "lin-drift" || mon.Endpoint != "lin" || mon.LastRunAt != nil || !strings.Contains(string(mon.Spec), `"secret":"***"`) ||
		!strings.Contains(string(mon.Spec), `"interval":"5m0s"`) {
		t.Fatalf("put %+v spec %s", mon, mon.Spec)
	}
	// Writing back the redacted spec keeps the secret.
	e.json("PUT", "/monitors/lin-drift", `{"endpoint":"lin","spec":`+string(mon.Spec)+`}`, 200, &mon)
	stored, err := e.st.GetMonitor(ctx, "lin-drift")
	if err != nil || !strings.Contains(string(stored.Spec), `"secret":"s"`) {
		t.Fatalf("stored spec %s (%v): want the secret kept", stored.Spec, err)
	}
	e.problem("PUT", "/monitors/lin-drift", `{"spec":{}}`, 400, client.CodeInvalidField, "endpoint")
	e.problem("PUT", "/monitors/lin-drift", `{"endpoint":"lin","spec":{"method":"t"}}`, 400, client.CodeInvalidField, "spec")
	e.problem("PUT", "/monitors/bad%20name", `{"endpoint":"lin"}`, 400, client.CodeInvalidField, "monitor_name")
	var list client.MonitorCollection
	e.json("GET", "/monitors", "", 200, &list)
	if list.TotalEntries != 1 || list.Monitors[0].Name != "lin-drift" {
		t.Fatalf("list %+v", list)
	}
	e.problem("GET", "/monitors/lin-drift/plots/history.png", "", 404, client.CodeNotFound, "")

	var r client.MonitorResult
	e.json("POST", "/monitors/lin-drift/run", "", 200, &r)
	var res live.Result
	if err := json.Unmarshal(r.Result, &res); err != nil || !res.Judged || res.Rows != 100 || r.Drift || r.ID == 0 {
		t.Fatalf("run %+v: %+v (%v)", r, res, err)
	}
	var rs client.MonitorResultCollection
	e.json("GET", "/monitors/lin-drift/results?limit=5", "", 200, &rs)
	if len(rs.Results) != 1 || rs.Results[0].ID != r.ID {
		t.Fatalf("results %+v", rs)
	}
	for _, p := range []string{"history.png", "x.png"} {
		a := e.do("GET", "/monitors/lin-drift/plots/"+p, "")
		if a.status != 200 || a.header.Get("Content-Type") != "image/png" || string(a.body[1:4]) != "PNG" {
			t.Fatalf("plot %s: %d %s", p, a.status, a.header.Get("Content-Type"))
		}
	}
	e.problem("GET", "/monitors/lin-drift/plots/history.svg", "", 400, client.CodeInvalidField, "plot")
	e.problem("GET", "/monitors/lin-drift/plots/nosuch.png", "", 404, client.CodeNotFound, "")
	e.problem("GET", "/monitors/nosuch/results", "", 404, client.CodeNotFound, "")
	e.problem("POST", "/monitors/nosuch/run", "", 404, client.CodeNotFound, "")
	e.do("DELETE", "/monitors/lin-drift", "")
	e.problem("GET", "/monitors/lin-drift", "", 404, client.CodeNotFound, "")
	e.problem("DELETE", "/monitors/lin-drift", "", 404, client.CodeNotFound, "")

	// Without a runner, run is a 503.
	bare := setup(t)
	if err := bare.st.PutMonitor(ctx, &store.Monitor{Name: "m", Endpoint: "lin"}); err != nil {
		t.Fatal(err)
	}
	a := bare.do("POST", "/monitors/m/run", "")
	if a.status != 503 || !strings.Contains(string(a.body), "runs no monitors") {
		t.Fatalf("run without a runner: %d %s", a.status, a.body)
	}
}
