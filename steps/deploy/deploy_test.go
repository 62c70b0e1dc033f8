package deploy_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/weirhq/weir/audit"
	"github.com/weirhq/weir/engine"
	"github.com/weirhq/weir/ml/frame"
	"github.com/weirhq/weir/ml/linear"
	"github.com/weirhq/weir/ml/model"
	"github.com/weirhq/weir/node"
	"github.com/weirhq/weir/store"
	"github.com/weirhq/weir/store/sqlite"
)

// TestDeployTask runs model.register then model.deploy on a real node and store: the
// deployment is written with the alias reference, the output names the version it resolves
// to; a reference that does not load fails the task and writes nothing.
func TestDeployTask(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dir, home := t.TempDir(), t.TempDir()
	f, err := frame.New(frame.NewFloat("x", []float64{1, 2, 3}, nil), frame.NewFloat("y", []float64{2, 4, 6}, nil))
	if err != nil {
		t.Fatal(err)
	}
	m, err := model.Train(f, model.Config{Target: "y", Estimator: &linear.LinearRegression{}})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "model.json")
	if err := m.SaveFile(path); err != nil {
		t.Fatal(err)
	}
	xgbDir, err := filepath.Abs(filepath.Join("..", "..", "serve", "flavor", "testdata", "mlflow-xgboost"))
	if err != nil {
		t.Fatal(err)
	}
	dags := map[string]string{
		"ship.yaml": `tasks:
  - id: register
    model.register: {model: "` + path + `", name: double, alias: champion}
  - id: deploy
    upstream: [register]
    model.deploy:
      endpoint: double
      model: "models:/{{ outputs.register.name }}@champion"
      canary: "models:/double/{{ outputs.register.version }}"
      weight: 25
`,
		// An MLflow model directory (mlflow.xgboost's), loaded as the server loads it.
		"foreign.yaml": `tasks:
  - id: deploy
    model.deploy: {endpoint: xgb, model: "` + xgbDir + `"}
`,
		"broken.yaml": `tasks:
  - id: deploy
    model.deploy: {endpoint: broken, model: "models:/nothing@champion"}
`,
	}
	for name, body := range dags {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	st, err := sqlite.Open(ctx, filepath.Join(home, "weir.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	n, err := node.New(node.Config{Mode: node.ModeRun, Store: st, Tracking: st.Tracking(), Home: home, DAGsDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Stop()
	if err := n.Start(ctx); err != nil {
		t.Fatal(err)
	}
	runDAG := func(id string) *store.TaskInstance {
		t.Helper()
		d, ok := n.Registry().DAG(id)
		if !ok {
			t.Fatalf("no DAG %s: %v", id, n.Registry().Errors())
		}
		run, err := n.Engine().Trigger(ctx, d, engine.TriggerOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := n.Engine().Wait(ctx, run.DAGID, run.RunID); err != nil {
			t.Fatal(err)
		}
		ti, err := st.GetTaskInstance(ctx, id, run.RunID, "deploy", -1)
		if err != nil {
			t.Fatal(err)
		}
		return ti
	}

	ti := runDAG("ship")
	if ti.State != store.TISuccess {
		t.Fatalf("deploy task %s: %s", ti.State, ti.Error)
	}
	var out struct {
		Endpoint, Model, Canary, Invocations string
		Weight                               int
		Versions                             map[string]string
	}
	if err := json.Unmarshal(ti.Output, &out); err != nil {
		t.Fatal(err)
	}
	if out.Endpoint != "double" || out.Versions["models:/double@champion"] != "1" || out.Weight != 25 ||
		out.Invocations != "/serve/double/invocations" {
		t.Fatalf("output %s: want endpoint double, champion at version 1, weight 25", ti.Output)
	}
	d, err := st.GetDeployment(ctx, "double")
	if err != nil {
		t.Fatal(err)
	}
	if d.Model != "models:/double@champion" || d.Canary != "models:/double/1" || d.CanaryWeight != 25 {
		t.Fatalf("stored deployment %+v", d)
	}
	// The audit log names the tries that registered, moved the alias and deployed.
	entries, err := st.ListAudit(ctx, store.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"model.register model_version double/1":        "task:ship/" + ti.RunID + "/register#1",
		"model.alias registered_model double@champion": "task:ship/" + ti.RunID + "/register#1",
		"deployment.put deployment double":             "task:ship/" + ti.RunID + "/deploy#1",
	}
	for _, e := range entries {
		k := e.Action + " " + e.TargetType + " " + e.TargetID
		if actor, ok := want[k]; ok && e.Actor == actor && e.ActorKind == audit.KindTask && e.Outcome == audit.OutcomeSuccess {
			delete(want, k)
		}
	}
	if len(want) > 0 {
		var got []string
		for _, e := range entries {
			got = append(got, e.Action+" "+e.TargetType+" "+e.TargetID+" by "+e.ActorKind+" "+e.Actor)
		}
		t.Errorf("audit entries missing (action target: actor): %v\ngot:\n%s", want, strings.Join(got, "\n"))
	}
	if n, err := audit.Verify(ctx, st); err != nil || n < 3 {
		t.Errorf("audit.Verify = %d, %v; want the chain intact with at least the 3 entries", n, err)
	}

	if ti := runDAG("foreign"); ti.State != store.TISuccess {
		t.Fatalf("deploying an MLflow xgboost model: %s %s", ti.State, ti.Error)
	}
	if d, err := st.GetDeployment(ctx, "xgb"); err != nil || d.Model != xgbDir {
		t.Fatalf("stored deployment %+v, %v", d, err)
	}

	ti = runDAG("broken")
	if ti.State != store.TIFailed || !strings.Contains(ti.Error, "models:/nothing@champion") {
		t.Fatalf("broken deploy: %s %q, want failed naming the reference", ti.State, ti.Error)
	}
	if _, err := st.GetDeployment(ctx, "broken"); err == nil {
		t.Fatal("a deployment whose model does not load was stored")
	}
}
