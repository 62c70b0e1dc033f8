package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/weirhq/weir/ml/frame"
	"github.com/weirhq/weir/ml/linear"
	"github.com/weirhq/weir/ml/model"
	"github.com/weirhq/weir/node"
	"github.com/weirhq/weir/store"
	"github.com/weirhq/weir/store/sqlite"
)

// TestMonitorsCommands: weir monitors create, list, run, show (with plots) and delete, on
// the local store and through a server: a model file deployed, predictions logged as the
// server logs them (the first 100 like the training data, the latest 100 shifted).
func TestMonitorsCommands(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	home, dags := t.TempDir(), t.TempDir()
	rng := rand.New(rand.NewPCG(1, 2))
	n := 300
	x1, x2, y := make([]float64, n), make([]float64, n), make([]float64, n)
	for i := range n {
		x1[i], x2[i] = rng.NormFloat64(), 10+2*rng.NormFloat64()
		y[i] = 3*x1[i] - x2[i] + 0.1*rng.NormFloat64()
	}
	f, err := frame.New(frame.NewFloat("x1", x1, nil), frame.NewFloat("x2", x2, nil), frame.NewFloat("y", y, nil))
	if err != nil {
		t.Fatal(err)
	}
	m, err := model.Train(f, model.Config{Target: "y", Estimator: &linear.Ridge{}})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(home, "model.json")
	if err := m.SaveFile(path); err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(ctx, filepath.Join(home, "weir.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.PutDeployment(ctx, &store.Deployment{Name: "lin", Model: path}); err != nil {
		t.Fatal(err)
	}
	var ps []*store.Prediction
	start := time.Now().Add(-time.Hour)
	for i := range 200 {
		shift := 0.0
		if i >= 100 {
			shift = 5
		}
		a, b := rng.NormFloat64()+shift, 10+2*rng.NormFloat64()+shift
		ps = append(ps, &store.Prediction{ID: fmt.Sprintf("p%03d", i), Endpoint: "lin", ModelName: path,
			Inputs: json.RawMessage(fmt.Sprintf(`{"columns":["x1","x2"],"data":[[%g,%g]]}`, a, b)),
			Output: json.RawMessage(fmt.Sprintf(`{"predictions":[%g]}`, 3*a-b)), Time: start.Add(time.Duration(i) * time.Second)})
	}
	if err := st.InsertPredictions(ctx, ps); err != nil {
		t.Fatal(err)
	}

	r := weir(t, home, dags, "monitors", "create", "lin-drift", "--endpoint", "lin", "--rows", "100", "--interval", "1h",
		"--feature-threshold", "x2=0.01", "--dataset", "weir://lin/drift")
	if r.code != 0 || !strings.Contains(r.stdout, "monitor lin-drift watches endpoint lin: last 100 rows, every 1h0m0s") {
		t.Fatalf("create: %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if r := weir(t, home, dags, "monitors", "create", "bad", "--endpoint", "lin", "--method", "nosuch"); r.code == 0 || !strings.Contains(r.stderr, "method \"nosuch\"") {
		t.Fatalf("create with a bad method: %d %s", r.code, r.stderr)
	}
	r = weir(t, home, dags, "monitors", "run", "lin-drift")
	if r.code != 0 {
		t.Fatalf("run: %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	t.Logf("weir monitors run lin-drift:\n%s", r.stdout)
	for _, re := range []string{
		`(?m)^x1 +numeric +ks +\S+ +0\.05 +DRIFT$`,
		`(?m)^x2 +numeric +ks +\S+ +0\.01 +DRIFT$`,
		`data: 2 of 2 features drifted`,
		`predictions vs previous window: ks`,
		`verdict: DRIFT`,
		`dataset event weir://lin/drift: delivered`,
	} {
		if !regexp.MustCompile(re).MatchString(r.stdout) {
			t.Errorf("run output lacks %s:\n%s", re, r.stdout)
		}
	}
	evs, err := st.ListDatasetEvents(ctx, store.ListEventsParams{URI: "weir://lin/drift"})
	if err != nil || len(evs) != 1 {
		t.Fatalf("dataset events %v %v; want the one the run emitted", evs, err)
	}

	srv, err := node.New(node.Config{Mode: node.ModeServer, Store: st, Tracking: st.Tracking(), Home: home, DAGsDir: dags,
		Addr: "127.0.0.1:0", GracePeriod: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	url := "http://" + srv.Addr()
	other := t.TempDir()
	local := weir(t, home, dags, "monitors", "list")
	remote := weir(t, other, dags, "monitors", "list", "--server", url)
	if local.code != 0 || local.stdout != remote.stdout || !regexp.MustCompile(`(?m)^lin-drift +lin +last 100 rows +1h0m0s +DRIFT `).MatchString(local.stdout) {
		t.Fatalf("list: local %d %q %s\nremote %d %q %s", local.code, local.stdout, local.stderr, remote.code, remote.stdout, remote.stderr)
	}
	plots := filepath.Join(other, "plots")
	r = weir(t, other, dags, "monitors", "show", "lin-drift", "--server", url, "--plots", plots)
	if r.code != 0 || !strings.Contains(r.stdout, "history (newest first):") || !regexp.MustCompile(`(?m)^x1 +numeric +ks`).MatchString(r.stdout) {
		t.Fatalf("show: %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	for _, name := range []string{"history", "x1", "x2", "prediction"} {
		b, err := os.ReadFile(filepath.Join(plots, name+".png"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := png.Decode(bytes.NewReader(b)); err != nil {
			t.Fatalf("%s.png: %v", name, err)
		}
	}
	// Run again through the server: still drifting, not fired again.
	r = weir(t, other, dags, "monitors", "run", "lin-drift", "--server", url, "-o", "json")
	var res struct {
		Drift, Fired bool
	}
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &res) != nil || !res.Drift || res.Fired {
		t.Fatalf("second run: %d %s %s", r.code, r.stdout, r.stderr)
	}
	if r := weir(t, other, dags, "monitors", "delete", "lin-drift", "--server", url); r.code != 0 {
		t.Fatalf("delete: %s", r.stderr)
	}
	if r := weir(t, home, dags, "monitors", "show", "lin-drift"); r.code == 0 || !strings.Contains(r.stderr, "no monitor") {
		t.Fatalf("show after delete: %d %s", r.code, r.stderr)
	}
}
