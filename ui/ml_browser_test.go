package ui_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/weirhq/weir/auth"
	"github.com/weirhq/weir/monitor/drift"
	"github.com/weirhq/weir/monitor/live"
	"github.com/weirhq/weir/node"
	"github.com/weirhq/weir/store"
	"github.com/weirhq/weir/store/sqlite"
	"github.com/weirhq/weir/tracking"
)

// The ML side's DAGs: retrain runs when the drift dataset is updated (the monitor's
// action); gate asks a person before its deploy task.
const (
	driftURI   = "file:///data/scorer-drift"
	retrainDAG = `dag_id: retrain
datasets: ["file:///data/scorer-drift"]
tasks:
  - id: fit
    script: echo fitting
`
	gateApprovalDAG = `dag_id: gate_deploy
tasks:
  - id: approve
    approval:
      subject: "Deploy scorer v1?"
      body: "rmse 0.42 on the holdout"
      poke_interval: 1s
  - id: deploy
    upstream: approve
    script: echo deploying
`
)

// mlFixture is a real weir server over a real SQLite store holding the story the ML views
// tell: a monitor found drift and fired a dataset event, the event triggered the retrain
// DAG, whose task logged a tracking run (params, metrics, an input dataset) that made
// model version 1, served by a deployment with a canary and logged predictions; and an
// approval waits for an answer.
type mlFixture struct {
	url      string
	st       store.Store
	svc      *tracking.Service
	trainRun string // the retrain DAG run the event triggered
	eventID  int64
}

func newMLFixture(t *testing.T) *mlFixture {
	t.Helper()
	ctx := context.Background()
	home, dags := t.TempDir(), t.TempDir()
	for name, body := range map[string]string{"retrain.yaml": retrainDAG, "gate.yaml": gateApprovalDAG} {
		if err := os.WriteFile(filepath.Join(dags, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	st, err := sqlite.Open(ctx, filepath.Join(home, "weir.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := &mlFixture{st: st, svc: tracking.NewService(st.Tracking(), tracking.ServiceConfig{})}
	srv, err := node.New(node.Config{Mode: node.ModeServer, Store: st, Tracking: st.Tracking(), Home: home, DAGsDir: dags,
		Addr: "127.0.0.1:0", TickInterval: 50 * time.Millisecond, GracePeriod: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	f.url = "http://" + srv.Addr()

	// The drift action's dataset event, through the REST API; it triggers retrain.
	var ev struct {
		ID int64 `json:"id"`
	}
	f.postJSON(t, "/api/v1/datasets/events", fmt.Sprintf(`{"dataset_uri": %q}`, driftURI), &ev)
	f.eventID = ev.ID
	deadline := time.Now().Add(90 * time.Second)
	for f.trainRun == "" {
		runs, err := st.ListRuns(ctx, store.ListRunsParams{DAGID: "retrain"})
		if err == nil && len(runs) > 0 {
			f.trainRun = runs[0].RunID
		}
		if time.Now().After(deadline) {
			t.Fatalf("the dataset event %d triggered no retrain run (%v)", ev.ID, err)
		}
		time.Sleep(50 * time.Millisecond) // polls the store: the scheduler signals nothing to a test
	}
	(&fixture{st: st}).waitDAGRun(t, "retrain", f.trainRun, store.RunSuccess)

	// The tracking run the retrain task logged, and the model version it made.
	now0 := time.Now()
	expID, err := f.svc.CreateExperiment(ctx, tracking.CreateExperimentParams{Name: "scorer-exp"})
	if err != nil {
		t.Fatal(err)
	}
	run, err := f.svc.CreateRun(ctx, tracking.CreateRunParams{ExperimentID: expID, RunName: "fit-scorer", StartTime: time.Now().UnixMilli(),
		Tags: []tracking.Tag{{Key: tracking.TagDAGID, Value: "retrain"}, {Key: tracking.TagDAGRunID, Value: f.trainRun},
			{Key: tracking.TagTaskID, Value: "fit"}, {Key: tracking.TagTryNumber, Value: "1"}}})
	if err != nil {
		t.Fatal(err)
	}
	runID := run.Info.RunID
	if err := f.svc.LogBatch(ctx, tracking.LogBatchParams{RunID: runID,
		Metrics: []tracking.Metric{{Key: "rmse", Value: 0.42, Timestamp: 1}},
		Params:  []tracking.Param{{Key: "alpha", Value: "0.3"}, {Key: "estimator", Value: "ridge"}}}); err != nil {
		t.Fatal(err)
	}
	if err := st.Tracking().LogInputs(ctx, runID, []tracking.DatasetInput{{
		Tags:    []tracking.Tag{{Key: "mlflow.data.context", Value: "training"}},
		Dataset: []byte(`{"name":"scorer-train","digest":"d1g35t42","source_type":"local","source":"{\"uri\": \"data/train.csv\"}"}`)}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.CreateRegisteredModel(ctx, tracking.CreateRegisteredModelParams{Name: "scorer"}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := f.svc.CreateModelVersion(ctx, tracking.CreateModelVersionParams{Name: "scorer", Source: "runs:/" + runID + "/model", RunID: runID}); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.svc.SetRegisteredModelAlias(ctx, "scorer", "champion", "1"); err != nil {
		t.Fatal(err)
	}

	// A sweep of three runs for the runs table's column chooser and the compare view's
	// parallel coordinates.
	sweep, err := f.svc.CreateExperiment(ctx, tracking.CreateExperimentParams{Name: "sweep"})
	if err != nil {
		t.Fatal(err)
	}
	for i, alpha := range []string{"0.1", "1", "10"} {
		r, err := f.svc.CreateRun(ctx, tracking.CreateRunParams{ExperimentID: sweep, RunName: "sweep-" + alpha, StartTime: now0.UnixMilli() + int64(i)})
		if err != nil {
			t.Fatal(err)
		}
		if err := f.svc.LogBatch(ctx, tracking.LogBatchParams{RunID: r.Info.RunID,
			Metrics: []tracking.Metric{{Key: "rmse", Value: []float64{0.9, 0.5, 0.7}[i], Timestamp: 1}, {Key: "r2", Value: []float64{0.2, 0.8, 0.5}[i], Timestamp: 1}},
			Params:  []tracking.Param{{Key: "alpha", Value: alpha}, {Key: "kernel", Value: []string{"rbf", "linear", "rbf"}[i]}}}); err != nil {
			t.Fatal(err)
		}
	}

	// A deployment with a canary, and the predictions each version answered.
	if err := st.PutDeployment(ctx, &store.Deployment{Name: "scorer-live", Model: "models:/scorer/1", Canary: "models:/scorer/2", CanaryWeight: 25}); err != nil {
		t.Fatal(err)
	}
	var ps []*store.Prediction
	now := time.Now()
	for i := range 12 {
		v := "1"
		if i%4 == 0 {
			v = "2"
		}
		ps = append(ps, &store.Prediction{ID: fmt.Sprintf("p%d", i), Endpoint: "scorer-live", ModelName: "scorer", ModelVersion: v,
			Inputs: json.RawMessage(`{"age": 40}`), Output: json.RawMessage(`1.5`), LatencyMicros: int64(1000 + 100*i), Time: now.Add(-time.Duration(i) * time.Second)})
	}
	if err := st.InsertPredictions(ctx, ps); err != nil {
		t.Fatal(err)
	}
	// And its failed requests: two refused for v1, one failed by v2, one before a model was chosen.
	if err := st.PutServeErrors(ctx, []*store.ServeErrorCount{
		{Endpoint: "scorer-live", Minute: now, Writer: "w", ModelName: "scorer", ModelVersion: "1", Class: store.ServeError4xx, Count: 2,
			LastStatus: 400, LastMessage: `column "age": missing: the model needs this input column`, LastAt: now},
		{Endpoint: "scorer-live", Minute: now, Writer: "w", ModelName: "scorer", ModelVersion: "2", Class: store.ServeError5xx, Count: 1,
			LastStatus: 500, LastMessage: "model scorer 2: worker 3 died", LastAt: now},
		{Endpoint: "scorer-live", Minute: now, Writer: "w", Class: store.ServeError5xx, Count: 1,
			LastStatus: 503, LastMessage: "deployment not ready", LastAt: now},
	}); err != nil {
		t.Fatal(err)
	}

	// The monitor and three evaluations: the last found drift in age and fired the event.
	if err := st.PutMonitor(ctx, &store.Monitor{Name: "scorer-drift", Endpoint: "scorer-live", Spec: json.RawMessage(`{"rows": 100, "interval": "24h"}`)}); err != nil {
		t.Fatal(err)
	}
	for i, share := range []float64{0, 0.5, 1} {
		at := now.Add(time.Duration(i-2) * time.Hour)
		drifted := share >= 1
		res := live.Result{Monitor: "scorer-drift", Endpoint: "scorer-live", Model: "scorer", Version: "1", Time: at, Rows: 200, Judged: true, Drift: drifted,
			Data: &drift.Report{Drift: drifted, Share: share, Drifted: int(share * 2), DriftShare: 0.75, Features: []drift.Feature{
				{Column: "age", Type: "num", Test: "ks", Score: 0.31 * share, Threshold: 0.05, Drift: share > 0, ReferenceN: 500, CurrentN: 200,
					Edges: []float64{0, 30, 60, 90}, RefShares: []float64{0.3, 0.5, 0.2}, CurShares: []float64{0.1, 0.4, 0.5}},
				{Column: "income", Type: "num", Test: "ks", Score: 0.2 * share, Threshold: 0.1, Drift: share >= 1, ReferenceN: 500, CurrentN: 200,
					Edges: []float64{0, 1, 2, 3}, RefShares: []float64{0.3, 0.4, 0.3}, CurShares: []float64{0.3, 0.3, 0.4}}}}}
		if drifted {
			res.Fired = true
			res.Reasons = []string{"data drift: 2 of 2 features drifted"}
			res.Actions = []live.Action{{Kind: "dataset", Target: driftURI, OK: true, EventID: ev.ID}}
		}
		doc, err := json.Marshal(res)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.AddMonitorResult(ctx, &store.MonitorResult{Monitor: "scorer-drift", Time: at, Drift: drifted, Fired: res.Fired, Result: doc}); err != nil {
			t.Fatal(err)
		}
	}

	// An approval waiting for an answer.
	f.postJSON(t, "/api/v1/dags/gate_deploy/dagRuns", `{"dag_run_id": "a1"}`, nil)
	deadline = time.Now().Add(90 * time.Second)
	for {
		as, err := st.ListApprovals(ctx, store.ListApprovalsParams{State: store.ApprovalPending})
		if err == nil && len(as) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("gate_deploy's approval was not asked: %v %v", as, err)
		}
		time.Sleep(50 * time.Millisecond) // polls the store: the engine signals nothing to a test
	}
	return f
}

func (f *mlFixture) postJSON(t testing.TB, path, body string, out any) {
	t.Helper()
	res, err := http.Post(f.url+path, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode >= 300 {
		t.Fatalf("POST %s: %s %s", path, res.Status, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("POST %s: %v in %s", path, err, b)
		}
	}
}

// The ML views: a model version's lineage back to its run, data and DAG run; a
// deployment's canary analysis; a monitor's drift (table, chart, histograms, the fired
// event → the retrain it triggered); an approval answered in the browser.
// lineageFits holds when the lineage graph's version box is wholly inside the window.
const lineageFits = `(() => {
	const r = document.querySelector("svg.lineage g.node-mv").getBoundingClientRect();
	return r.width > 100 && r.left >= 0 && r.right <= document.documentElement.clientWidth;
})()`

func TestBrowserML(t *testing.T) {
	t.Parallel()
	chromium(t)
	f := newMLFixture(t)
	b := newBrowser(t)

	// Lineage: from the model's versions to v1's graph, and on to the task that made it.
	b.run(t, "model lineage", chromedp.Navigate(f.url+"/models/scorer"),
		waitJS(`!!document.querySelector('a[href="/models/scorer/versions/1"]')`),
		// The champion alias opens its version's lineage too.
		waitJS(`[...document.querySelectorAll('a.tag[href="/models/scorer/versions/1"]')].some(a => a.innerText.includes("@champion"))`),
		chromedp.Click(chromedp.CSS(`th a[href="/models/scorer/versions/1"]`)),
		waitText("Lineage of scorer v1", "fit-scorer", "retrain / "+f.trainRun, "task fit of DAG run", "scorer-train", "d1g35t42",
			"alpha", "ridge", "rmse", "0.42", driftURI, fmt.Sprintf("event #%d", f.eventID)),
		// The graph: the dataset event → the DAG run → the task → the tracking run → the version.
		waitJS(`document.querySelectorAll("svg.lineage g.node").length === 6 && document.querySelectorAll("svg.lineage path.edge").length === 5`),
		waitJS(`!!document.querySelector('svg.lineage a[href^="/dags/retrain/grid?run="][href*="task=fit"]')`),
		// The graph fits the 1280 px window, and a 1000 px one (where this five-column graph
		// would not fit at its natural size): the version's box, the last column, is not cut off.
		waitJS(lineageFits), chromedp.EmulateViewport(1000, 900), waitJS(lineageFits), chromedp.EmulateReset())
	b.screenshot(t, "lineage")
	b.axe(t, "lineage")
	b.run(t, "lineage → task", chromedp.Click(chromedp.CSS(`svg.lineage a[href*="task=fit"]`)),
		waitJS(`location.pathname === "/dags/retrain/grid"`), waitText("fitting"))

	// Deployment: the list's traffic of the last five minutes (16 requests in 300 s, 4 failed),
	// then the traffic split and per-version live figures, linked to the versions.
	rowsJS := func(cells ...int) string {
		js := `[...(document.querySelector("table.list tbody")?.rows || [])].map(r => [`
		for i, c := range cells {
			if i > 0 {
				js += ","
			}
			js += fmt.Sprintf("r.cells[%d].innerText.trim()", c)
		}
		return js + `].join(" | ")).sort().join(", ")`
	}
	b.run(t, "deployment", chromedp.Navigate(f.url+"/deployments"),
		waitJS(rowsJS(0, 5, 6)+` === "scorer-live | 0.053 | 25.0%"`),
		chromedp.Click(chromedp.CSS(`a[href="/deployments/scorer-live"]`)),
		waitText("Traffic split", "primary 75%", "canary 25%", "Live figures per model version", "16 requests, 4 failed (25.0%)",
			"scorer v1", "scorer v2", "no model chosen", "scorer-drift (drifting)"),
		waitJS(rowsJS(0, 2)+` === "no model chosen | 0, scorer v1 | 9, scorer v2 | 3"`),
		// Requests/s over the last five minutes, failed ones included: 11, 4 and 1 in 300 s.
		waitJS(rowsJS(0, 4)+` === "no model chosen | 0.0033, scorer v1 | 0.037, scorer v2 | 0.013"`),
		// Errors (4xx / 5xx), the error rate and the last error of each row.
		waitJS(rowsJS(0, 11, 12)+` === "no model chosen | 0 / 1 | 100.0%, scorer v1 | 2 / 0 | 18.2%, scorer v2 | 0 / 1 | 25.0%"`),
		// The last error of each, under the table.
		waitJS(fmt.Sprintf(`[...document.querySelectorAll("table.last-errors tbody tr")].map(r => [...r.cells].filter((_, i) => i != 2).map(c => c.innerText.trim()).join(" | ")).sort().join(", ") === %q`,
			`no model chosen | 503 | deployment not ready, scorer v1 | 400 | column "age": missing: the model needs this input column, scorer v2 | 500 | model scorer 2: worker 3 died`)),
		waitJS(`!!document.querySelector('table.list a[href="/models/scorer/versions/2"]')`))
	b.screenshot(t, "deployment")
	b.axe(t, "deployment")

	// Monitors: the list, then the page with the features, the chart, the histograms and
	// the fired event with the run it triggered.
	b.run(t, "monitors", chromedp.Navigate(f.url+"/monitors"), waitText("scorer-drift", "scorer-live", "drifting"),
		chromedp.Click(chromedp.CSS(`a[href="/monitors/scorer-drift"]`)),
		waitText("Drift per feature", "age", "income", "0.31", "drifted", "2 of 2 features drifted", "Reference vs current", "Actions fired"),
		waitJS(`document.querySelectorAll(".share-chart .uplot canvas").length === 1 && document.querySelectorAll(".feature-chart .uplot canvas").length === 1`),
		// The per-feature chart has a series per feature: age and income in its legend.
		waitJS(`[...document.querySelectorAll(".feature-chart .u-legend .u-label")].map(e => e.innerText).join(",") === "time,age,income"`),
		waitJS(`[...document.querySelectorAll('img[src*="/plots/"]')].length === 2 && [...document.querySelectorAll('img[src*="/plots/"]')].every(i => i.complete && i.naturalWidth > 0)`),
		waitText(fmt.Sprintf("event #%d", f.eventID), "retrain / "+f.trainRun+" (success)"))
	b.screenshot(t, "monitor")
	b.axe(t, "monitor")
	b.run(t, "drift → retrain", chromedp.Click(chromedp.Search(`//a[contains(., "retrain / `+f.trainRun+`")]`)),
		waitJS(`location.pathname === "/dags/retrain/grid"`))

	// Approvals: the badge counts one; answering it with a comment lets the run go on.
	b.run(t, "approvals", waitJS(`document.querySelector('nav.top a[href="/approvals"] .count')?.innerText.startsWith("1")`),
		chromedp.Click(chromedp.CSS(`nav.top a[href="/approvals"]`)),
		waitText("Deploy scorer v1?", "rmse 0.42 on the holdout", "gate_deploy / a1 / approve"))
	b.axe(t, "approvals")
	b.run(t, "approve", chromedp.SendKeys(chromedp.CSS(`textarea`), "looks good"),
		chromedp.Click(chromedp.Search(`//button[text()="Approve"]`)),
		waitText("Answered “Deploy scorer v1?”: Approve", "Nothing waits for your answer"),
		waitJS(`!document.querySelector('nav.top a[href="/approvals"] .count')`))
	(&fixture{st: f.st}).waitDAGRun(t, "gate_deploy", "a1", store.RunSuccess)
	a, err := f.st.GetApproval(context.Background(), "gate_deploy", "a1", "approve", -1)
	if err != nil || len(a.ChosenOptions) != 1 || a.ChosenOptions[0] != "Approve" || a.Comment != "looks good" {
		t.Errorf("after approving in the browser the store has %+v (%v)", a, err)
	}

	// Experiments: hide a column (kept across a reload), then compare three runs in
	// parallel coordinates against a chosen metric.
	hasHead := func(k string) string {
		return fmt.Sprintf(`[...document.querySelectorAll("table.runs thead th")].some(th => th.innerText.trim() === %q)`, k)
	}
	b.run(t, "runs", chromedp.Navigate(f.url+"/experiments"), chromedp.Click(chromedp.Search(`//a[text()="sweep"]`)),
		waitText("sweep-0.1", "sweep-10", "Columns (4 of 4 shown)"), waitJS(hasHead("kernel")),
		chromedp.Click(chromedp.CSS(`details.columns-chooser summary`)),
		chromedp.Click(chromedp.Search(`//details//label[normalize-space(.)="kernel"]/input`)),
		waitText("Columns (3 of 4 shown)"), waitJS("!"+hasHead("kernel")+" && "+hasHead("alpha")+" && "+hasHead("rmse")))
	b.axe(t, "runs with the column chooser")
	b.run(t, "columns kept", chromedp.Reload(), waitText("sweep-0.1", "Columns (3 of 4 shown)"), waitJS("!"+hasHead("kernel")+" && "+hasHead("r2")))
	b.run(t, "parallel coordinates",
		chromedp.Click(chromedp.CSS(`input[aria-label="Select sweep-0.1"]`)),
		chromedp.Click(chromedp.CSS(`input[aria-label="Select sweep-1"]`)),
		chromedp.Click(chromedp.CSS(`input[aria-label="Select sweep-10"]`)),
		chromedp.Click(chromedp.Search(`//button[contains(., "Compare 3 runs")]`)),
		waitText("Params against r2"),
		waitJS(`document.querySelectorAll("svg.pcoords path.line").length === 3 && document.querySelectorAll("svg.pcoords g.axis").length === 3`),
		waitJS(`[...document.querySelectorAll("svg.pcoords path.line")].every(p => (p.getAttribute("d").match(/[ML]/g) || []).length === 3)`),
		chromedp.SetValue(chromedp.CSS(`figure.pcoords-chart select`), "rmse"),
		eval(`document.querySelector("figure.pcoords-chart select").dispatchEvent(new Event("change", {bubbles: true}))`),
		waitText("Params against rmse"),
		waitJS(`[...document.querySelectorAll("svg.pcoords g.axis text")].some(e => e.textContent === "rmse")`))
	b.screenshot(t, "compare-pcoords")
	b.axe(t, "compare with parallel coordinates")

	b.mu.Lock()
	defer b.mu.Unlock()
	for _, e := range b.errors {
		t.Errorf("browser console: %s", e)
	}
}

// twoApprovalsDAG asks otto one question and someone else another.
const twoApprovalsDAG = `dag_id: two_asks
tasks:
  - id: ask_otto
    approval:
      subject: "Promote for otto?"
      assigned_users: [otto]
      poke_interval: 1s
  - id: ask_ida
    approval:
      subject: "Promote for ida?"
      assigned_users: [ida]
      poke_interval: 1s
`

// TestBrowserApprovalsSignedIn: a signed-in user's badge counts the approvals asked of
// them (not those assigned to others, which are listed apart without answer buttons), and
// an answer through the session carries its CSRF token and is recorded as theirs.
func TestBrowserApprovalsSignedIn(t *testing.T) {
	t.Parallel()
	chromium(t)
	ctx := context.Background()
	home, dags := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(dags, "two.yaml"), []byte(twoApprovalsDAG), 0o644); err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(ctx, filepath.Join(home, "weir.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, u := range []string{"otto", "ida"} {
		if _, err := auth.CreateUser(ctx, st, u, "correct horse battery", auth.RoleOperator, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	srv, err := node.New(node.Config{Mode: node.ModeServer, Store: st, Tracking: st.Tracking(), Home: home, DAGsDir: dags,
		Addr: "127.0.0.1:0", TickInterval: 50 * time.Millisecond, GracePeriod: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	url := "http://" + srv.Addr()
	req, _ := http.NewRequest("POST", url+"/api/v1/dags/two_asks/dagRuns", strings.NewReader(`{"dag_run_id": "q1"}`))
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth("ida", "correct horse battery")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode >= 300 {
		t.Fatalf("trigger two_asks as ida: %s", res.Status)
	}
	deadline := time.Now().Add(90 * time.Second)
	for {
		as, err := st.ListApprovals(ctx, store.ListApprovalsParams{State: store.ApprovalPending})
		if err == nil && len(as) == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("two_asks did not ask twice: %v %v", as, err)
		}
		time.Sleep(50 * time.Millisecond) // polls the store: the engine signals nothing to a test
	}

	b := newBrowser(t)
	b.run(t, "sign in", chromedp.Navigate(url+"/approvals"), waitText("Sign in to weir"),
		chromedp.SendKeys(chromedp.CSS(`input[name=username]`), "otto"),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), "correct horse battery"),
		chromedp.Click(chromedp.CSS(`button[type=submit]`)),
		waitText("Promote for otto?", "Assigned to others (1)"),
		waitJS(`document.querySelector('nav.top a[href="/approvals"] .count')?.innerText.startsWith("1")`),
		// ida's question is listed apart, with no answer buttons.
		waitJS(`![...document.querySelectorAll("details.others button")].length`))
	b.axe(t, "approvals signed in")
	b.run(t, "answer", chromedp.SendKeys(chromedp.CSS(`textarea`), "fine by me"),
		chromedp.Click(chromedp.Search(`//button[text()="Approve"]`)),
		waitText("Answered “Promote for otto?”: Approve", "Nothing waits for your answer"),
		waitJS(`!document.querySelector('nav.top a[href="/approvals"] .count')`))
	a, err := st.GetApproval(ctx, "two_asks", "q1", "ask_otto", -1)
	if err != nil || a.RespondedBy != "otto" || a.Comment != "fine by me" || len(a.ChosenOptions) != 1 || a.ChosenOptions[0] != "Approve" {
		t.Errorf("after otto approved in the browser the store has %+v (%v)", a, err)
	}
	if a, err := st.GetApproval(ctx, "two_asks", "q1", "ask_ida", -1); err != nil || a.State != store.ApprovalPending {
		t.Errorf("ida's approval should still wait: %+v (%v)", a, err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, e := range b.errors {
		t.Errorf("browser console: %s", e)
	}
}
