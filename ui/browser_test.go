package ui_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/weirhq/weir/auth"
	"github.com/weirhq/weir/dag"
	"github.com/weirhq/weir/node"
	"github.com/weirhq/weir/store"
	"github.com/weirhq/weir/store/sqlite"
	"github.com/weirhq/weir/tracking"
)

// The DAGs the browser sees: one with a number param and a mapped task, one paused
// scheduled DAG with tags, and a file that fails to load.
const (
	produceDAG = `dag_id: produce
description: makes the features
tags: [ml, features]
params:
  threshold: {type: number, default: 0.9, minimum: 0, maximum: 1, description: "the cut-off"}
tasks:
  - id: make
    outlets: ["file:///data/features"]
    script: echo "threshold is {{ params.threshold }}"
  - id: fan
    upstream: [make]
    expand:
      n: [1, 2, 3]
    script: echo "part {{ args.n }}"
`
	consumeDAG = `dag_id: consume
datasets: ["file:///data/features"]
tasks:
  - id: use
    script: echo used
`
	dailyDAG = `dag_id: daily
schedule: "@daily"
tags: [nightly]
tasks:
  - id: day
    script: echo "{{ ds }}"
`
	// gateDAG's task writes a line, waits for the file its param names, writes another, waits again:
	// a log that grows while the browser follows it.
	gateDAG = `dag_id: gate
params:
  gate: {type: string}
tasks:
  - id: wait
    script: |
      echo first line
      while [ ! -f "{{ params.gate }}" ]; do sleep 0.02; done
      echo second line
      while [ ! -f "{{ params.gate }}.end" ]; do sleep 0.02; done
`
	// shapedDAG has a setup and its teardown around a task group, for the graph view.
	shapedDAG = `dag_id: shaped
params:
  who: {type: string, default: team}
tasks:
  - id: prep
    setup: true
    script: echo prep
  - id: clean
    upstream: [etl]
    teardown: {setups: [prep]}
    script: echo clean
groups:
  - id: etl
    upstream: [prep]
    tasks:
      - {id: load, script: 'echo "load {{ params.who }}"'}
      - {id: check, upstream: [load], script: echo check}
`
	brokenDAG = `dag_id: broken
tasks:
  - id: a
    upstream: [nowhere]
    script: echo a
`
)

// wideN is more instances than the task instance list's largest page (2,000 an answer):
// the grid's square must sum them all up.
const wideN = 2100

// fixture is a real weir server on loopback over a real SQLite store, with DAG runs,
// tracked runs with metric histories, a registered model with an alias and a deployment.
type fixture struct {
	url  string
	dags string // the server's DAG folder
	st   store.Store
	svc  *tracking.Service
	runA string
	runB string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	home, dags := t.TempDir(), t.TempDir()
	for name, body := range map[string]string{"produce.yaml": produceDAG, "daily.yaml": dailyDAG, "gate.yaml": gateDAG, "consume.yaml": consumeDAG, "broken.yaml": brokenDAG, "shaped.yaml": shapedDAG} {
		if err := os.WriteFile(filepath.Join(dags, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	st, err := sqlite.Open(ctx, filepath.Join(home, "weir.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := &fixture{st: st, dags: dags}

	svc := tracking.NewService(st.Tracking(), tracking.ServiceConfig{})
	f.svc = svc
	expID, err := svc.CreateExperiment(ctx, tracking.CreateExperimentParams{Name: "produce-exp"})
	if err != nil {
		t.Fatal(err)
	}
	for i, name := range []string{"first", "second"} {
		var tags []tracking.Tag
		if i == 0 { // logged by a task: the compare view links back to its log
			tags = []tracking.Tag{{Key: tracking.TagDAGID, Value: "produce"}, {Key: tracking.TagDAGRunID, Value: "r1"}, {Key: tracking.TagTaskID, Value: "make"}}
		}
		run, err := svc.CreateRun(ctx, tracking.CreateRunParams{ExperimentID: expID, RunName: name, StartTime: int64(1_790_000_000_000 + i*1000), Tags: tags})
		if err != nil {
			t.Fatal(err)
		}
		var ms []tracking.Metric
		for step := range 5 {
			ms = append(ms, tracking.Metric{Key: "loss", Value: float64(5-step) / float64(i+1), Timestamp: int64(step), Step: int64(step)})
		}
		ms = append(ms, tracking.Metric{Key: "r2", Value: []float64{0.81, 0.93}[i], Timestamp: 9, Step: 4})
		if err := svc.LogBatch(ctx, tracking.LogBatchParams{RunID: run.Info.RunID, Metrics: ms,
			Params: []tracking.Param{{Key: "alpha", Value: []string{"0.1", "10"}[i]}, {Key: "depth", Value: "3"}}}); err != nil {
			t.Fatal(err)
		}
		done, end := tracking.RunFinished, int64(1_790_000_005_000+i*1000)
		if _, err := svc.UpdateRun(ctx, tracking.UpdateRunParams{RunID: run.Info.RunID, Status: &done, EndTime: &end}); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			f.runA = run.Info.RunID
		} else {
			f.runB = run.Info.RunID
		}
	}
	if _, err := svc.CreateRegisteredModel(ctx, tracking.CreateRegisteredModelParams{Name: "scorer", Description: "scores rows"}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{f.runA, f.runB} {
		if _, err := svc.CreateModelVersion(ctx, tracking.CreateModelVersionParams{Name: "scorer", Source: "runs:/" + id + "/model", RunID: id}); err != nil {
			t.Fatal(err)
		}
	}
	if err := svc.SetRegisteredModelAlias(ctx, "scorer", "champion", "2"); err != nil {
		t.Fatal(err)
	}
	if err := st.PutDeployment(ctx, &store.Deployment{Name: "scorer-live", Model: "models:/scorer@champion", Canary: "models:/scorer/1", CanaryWeight: 10}); err != nil {
		t.Fatal(err)
	}

	wide, funcs := wideDAG(wideN, true)
	srv, err := node.New(node.Config{Mode: node.ModeServer, Store: st, Tracking: st.Tracking(), Home: home, DAGsDir: dags,
		Funcs: funcs, GoDAGs: []*dag.DAG{wide}, Addr: "127.0.0.1:0", TickInterval: 50 * time.Millisecond, GracePeriod: time.Second, DAGsPausedAtCreation: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	f.url = "http://" + srv.Addr()

	// A run through the REST API, as any client would; the grid and the log show it.
	f.post(t, "/api/v1/dags/produce/dagRuns", `{"dag_run_id": "r1"}`)
	f.waitRun(t, "r1", store.RunSuccess)
	f.post(t, "/api/v1/dags/wide/dagRuns", `{"dag_run_id": "w1"}`)
	f.waitDAGRun(t, "wide", "w1", store.RunSuccess)
	return f
}

func (f *fixture) post(t testing.TB, path, body string) {
	t.Helper()
	res, err := http.Post(f.url+path, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode >= 300 {
		var b bytes.Buffer
		_, _ = b.ReadFrom(res.Body)
		t.Fatalf("POST %s: %s %s", path, res.Status, b.String())
	}
}

// patch sends a PATCH with a JSON body and fails the test unless it succeeds.
func (f *fixture) patch(t testing.TB, path, body string) {
	t.Helper()
	req, err := http.NewRequest("PATCH", f.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode >= 300 {
		var b bytes.Buffer
		_, _ = b.ReadFrom(res.Body)
		t.Fatalf("PATCH %s: %s %s", path, res.Status, b.String())
	}
}

// waitRun waits until the store has the run in the state.
func (f *fixture) waitRun(t testing.TB, runID string, state store.RunState) *store.DAGRun {
	t.Helper()
	return f.waitDAGRun(t, "produce", runID, state)
}

func (f *fixture) waitDAGRun(t testing.TB, dagID, runID string, state store.RunState) *store.DAGRun {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		r, err := f.st.GetRun(context.Background(), dagID, runID)
		if err == nil && r.State == state {
			return r
		}
		ended := err == nil && (r.State == store.RunSuccess || r.State == store.RunFailed)
		if ended || time.Now().After(deadline) {
			var last any = err
			if err == nil {
				last = r.State
			}
			tis, _ := f.st.ListTaskInstances(context.Background(), store.ListTIParams{DAGID: dagID, RunID: runID})
			var why []string
			for _, ti := range tis {
				why = append(why, fmt.Sprintf("%s[%d] %s %s", ti.TaskID, ti.MapIndex, ti.State, ti.Error))
			}
			t.Fatalf("run %s/%s did not reach %s (it is %v); its tasks: %s", dagID, runID, state, last, strings.Join(why, "; "))
		}
		time.Sleep(50 * time.Millisecond) // polls the store: the engine signals nothing to a test
	}
}

// browser is one headless Chromium for the whole test, with the page's console errors
// and uncaught exceptions collected.
type browser struct {
	ctx    context.Context
	mu     sync.Mutex
	errors []string
	dir    string
}

// chromium finds Debian's chromium; the UI tests need a real browser, so its absence fails.
func chromium(t testing.TB) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("the web UI's browser tests need Chromium, and none is on PATH: install it with `apt-get install -y chromium` (scripts/ensure-deps.sh does)")
	return ""
}

func newBrowser(t testing.TB) *browser {
	t.Helper()
	dir := os.Getenv("WEIR_TEST_ARTIFACTS")
	if dir != "" {
		dir = filepath.Join(dir, "ui")
	} else {
		dir = t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium(t)), chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.WindowSize(1280, 900), chromedp.UserDataDir(t.TempDir()))
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelC(); cancelA() })
	b := &browser{ctx: ctx, dir: dir}
	// The first Run starts the browser, without a deadline (a deadline would stop it).
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	msgs := chromedp.Console(ctx)
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			// Failed requests are expected (GET /api/v1/me is 404 without login, a followed
			// log answers 416 when nothing is new); exceptions, console errors, CSP
			// violations and the like are not.
			if (m.Type == chromedp.ConsoleError && m.Source != "network") || m.IsException() {
				b.mu.Lock()
				b.errors = append(b.errors, m.String()+" at "+m.URL)
				b.mu.Unlock()
			}
		}
	}()
	// The collector must see what the page writes: a probe proves it before the views run.
	if err := chromedp.Do(ctx, eval(`console.error("weir-ui-probe")`)); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		b.mu.Lock()
		seen := len(b.errors) > 0 && strings.Contains(b.errors[0], "weir-ui-probe")
		if seen {
			b.errors = nil
		}
		b.mu.Unlock()
		if seen {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the console collector did not see console.error from the page")
		}
		time.Sleep(10 * time.Millisecond) // the collector goroutine signals nothing
	}
	return b
}

// run runs actions with a deadline; on failure it saves a screenshot named after the step.
func (b *browser) run(t testing.TB, step string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 90*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.screenshot(t, step+"-failed")
		tctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
		defer cancel()
		body, _ := chromedp.Run(tctx, chromedp.Evaluate[string](`document.body.innerText`))
		t.Fatalf("%s: %v\npage text:\n%s", step, err, body)
	}
}

func (b *browser) screenshot(t testing.TB, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Logf("screenshot %s: %v", name, err)
		return
	}
	p := filepath.Join(b.dir, name+".png")
	if err := os.WriteFile(p, png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// waitText waits until the page's text contains every string.
func waitText(texts ...string) chromedp.Action[chromedp.Void] {
	js, _ := json.Marshal(texts)
	return waitJS(fmt.Sprintf(`(%s).every(s => document.body.innerText.includes(s))`, js))
}

// waitJS waits until the expression is true.
func waitJS(expr string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(60*time.Second))(ctx, t)
		if err != nil {
			err = fmt.Errorf("wait for %s: %w", expr, err)
		}
		return chromedp.Void{}, err
	}
}

// eval runs a script for its effect.
func eval(expr string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := chromedp.Evaluate[bool](expr+";\ntrue")(ctx, t)
		return chromedp.Void{}, err
	}
}

// clickXPath clicks the first element the XPath finds, from the page's own script (the
// element is looked up and clicked in one step), failing when there is none.
func clickXPath(xpath string) chromedp.Action[chromedp.Void] {
	q, _ := json.Marshal(xpath)
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		ok, err := chromedp.Evaluate[bool](fmt.Sprintf(`(() => { const e = document.evaluate(%s, document, null, XPathResult.FIRST_ORDERED_NODE_TYPE, null).singleNodeValue; if (!e) return false; e.click(); return true; })()`, q))(ctx, t)
		if err == nil && !ok {
			err = fmt.Errorf("no element at %s to click", xpath)
		}
		return chromedp.Void{}, err
	}
}

// pressEnter sends Enter to the focused element.
func pressEnter() chromedp.Action[chromedp.Void] { return chromedp.KeyEvent("\r") }

// axeViolation is one rule axe-core found broken.
type axeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target []any `json:"target"`
	} `json:"nodes"`
}

// axeRun runs axe-core (a local copy, ui/testdata/axe.min.js: nothing from the network)
// on the page and returns its serious and critical violations.
func (b *browser) axeRun(t *testing.T, page string) []axeViolation {
	t.Helper()
	src, err := os.ReadFile("testdata/axe.min.js")
	if err != nil {
		t.Fatal(err)
	}
	b.run(t, "load axe on "+page, eval(`window.axe || (function(){`+string(src)+`}).call(window)`))
	ctx, cancel := context.WithTimeout(b.ctx, 90*time.Second)
	defer cancel()
	all, err := chromedp.Run(ctx, chromedp.Evaluate[[]axeViolation](`axe.run(document, {resultTypes: ["violations"]}).then(r => r.violations)`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("axe on %s: %v", page, err)
	}
	var bad []axeViolation
	for _, v := range all {
		if v.Impact == "serious" || v.Impact == "critical" {
			bad = append(bad, v)
		}
	}
	return bad
}

// axe fails the test on the page's serious or critical accessibility violations.
func (b *browser) axe(t *testing.T, page string) {
	t.Helper()
	for _, v := range b.axeRun(t, page) {
		var where []string
		for _, n := range v.Nodes {
			where = append(where, fmt.Sprint(n.Target...))
		}
		t.Errorf("%s: accessibility (%s) %s: %s at %s", page, v.Impact, v.ID, v.Help, strings.Join(where, ", "))
	}
}

// Every view loads with data from a real server; the trigger form starts a run; clear
// re-runs a task; the compare view draws its charts; a keyboard-only path goes from the
// trigger form to the grid to a log; no console errors; no serious axe violations.
func TestBrowser(t *testing.T) {
	t.Parallel()
	chromium(t) // first: without a browser nothing below can pass
	f := newFixture(t)
	b := newBrowser(t)
	start := time.Now()

	// DAG list: DAGs, tags, schedule, last run squares, the import error, the pause toggle.
	b.run(t, "DAG list", chromedp.Navigate(f.url+"/"),
		waitText("produce", "daily", "@daily", "nightly", "features", "failed to load", "broken.yaml"),
		chromedp.WaitVisible(chromedp.CSS(`a[aria-label="produce run r1: success"]`)),
		// Next run: @daily without a start date or a run yet is the latest complete day
		// (yesterday, UTC), created after it ends; a manual DAG has none.
		waitJS(`(() => {
			const n = new Date(), day = k => new Date(Date.UTC(n.getUTCFullYear(), n.getUTCMonth(), n.getUTCDate() + k)).toISOString().slice(0, 10) + " 00:00:00Z";
			const cell = id => [...document.querySelectorAll("tbody tr")].find(r => r.querySelector('a[href="/dags/' + id + '/grid"]'))?.querySelector("td.next-run")?.innerText.trim();
			return cell("daily") === day(-1) + "\nruns after " + day(0) && cell("produce") === "—";
		})()`))
	b.screenshot(t, "dags")
	// axe must see a violation when there is one: an input without a label, added and removed.
	b.run(t, "axe probe", eval(`document.body.appendChild(Object.assign(document.createElement("input"), {id: "axe-probe"}))`))
	if v := b.axeRun(t, "probe"); len(v) == 0 {
		t.Error("axe found no violation on a page with an unlabelled input: the accessibility checks check nothing")
	}
	b.run(t, "axe probe removed", eval(`document.getElementById("axe-probe").remove()`))
	b.axe(t, "DAG list")
	b.run(t, "unpause daily", chromedp.Click(chromedp.CSS(`button[aria-label="daily paused"]`)),
		chromedp.WaitVisible(chromedp.CSS(`button[aria-label="daily active"]`)))
	if m, err := f.st.GetDAG(context.Background(), "daily"); err != nil || m.IsPaused {
		t.Errorf("after the toggle, daily is %+v (%v), want unpaused in the store", m, err)
	}
	b.run(t, "search", chromedp.SendKeys(chromedp.CSS(`input[type=search]`), "dail"),
		waitJS(`!document.querySelector('a[href="/dags/produce/grid"]') && !!document.querySelector('a[href="/dags/daily/grid"]')`))

	// Keyboard only: trigger form → grid → log.
	b.run(t, "trigger form", chromedp.Navigate(f.url+"/dags/produce/trigger"), waitText("threshold", "the cut-off"))
	b.axe(t, "trigger form")
	b.run(t, "fill the trigger form",
		chromedp.Focus(chromedp.CSS(`#param-threshold`)),
		eval(`document.activeElement.select()`),
		chromedp.KeyEvent("0.5"),
		chromedp.KeyEvent("\t"), // to the run ID field
		chromedp.KeyEvent("ui1"),
		pressEnter(), // submits the form
		waitJS(`location.pathname === "/dags/produce/grid"`))
	b.screenshot(t, "trigger-submitted")
	r := f.waitRun(t, "ui1", store.RunSuccess)
	var params map[string]any
	if err := json.Unmarshal(r.Params, &params); err != nil || params["threshold"] != 0.5 {
		t.Errorf("the run the form started has params %s (%v), want threshold 0.5", r.Params, err)
	}
	b.run(t, "grid", waitJS(`!!document.querySelector('button[aria-label="make in ui1: success"]')`),
		chromedp.Focus(chromedp.CSS(`button[aria-label="make in ui1: success"]`)), pressEnter(),
		waitText("threshold is 0.5", "1 of 1"),
		// Arrow keys move between squares: down from make is fan's summary square.
		chromedp.Focus(chromedp.CSS(`button[aria-label="make in ui1: success"]`)), chromedp.KeyEvent(kb.ArrowDown),
		waitJS(`(document.activeElement.getAttribute("aria-label") || "").startsWith("fan in ui1")`), pressEnter(),
		waitText("part 1"))
	b.run(t, "expand mapped", chromedp.Click(chromedp.CSS(`button.expand`)),
		waitJS(`!!document.querySelector('button[aria-label="fan[2] in r1: success"]')`),
		chromedp.Click(chromedp.CSS(`button[aria-label="fan[2] in r1: success"]`)),
		waitText("part 3"))
	b.screenshot(t, "grid")
	b.run(t, "run panel", chromedp.Click(chromedp.CSS(`button[aria-label^="run ui1 ("]`)),
		waitText("Run ui1", "Clear run…", `"threshold": 0.5`, "Gantt"),
		waitJS(`document.querySelectorAll(".gantt-bar").length === 2`))
	b.screenshot(t, "run")
	b.axe(t, "grid")

	// A run bigger than a page of instances still shows every task's row; the mapped task's rows
	// are fetched by page and virtualised: only those in view are in the DOM, and scrolling
	// reaches instances past the first page of the run.
	b.run(t, "big run", chromedp.Navigate(f.url+"/dags/wide/grid"),
		waitJS(`!!document.querySelector('button[aria-label="z_after in w1: success"]')`),
		// The collapsed square sums up all 2,100 instances (counted by the server), not a page.
		waitJS(`!!document.querySelector('button[aria-label="m in w1 (2,100 instances: 2,100 success): success"][title="m in w1 (2,100 instances: 2,100 success): success"]')`),
		waitText("m [2100]"),
		chromedp.Click(chromedp.Search(`//button[contains(., "m [2100]")]`)),
		waitJS(`!!document.querySelector('button[aria-label="m[5] in w1: success"]')`),
		waitJS(`document.querySelectorAll("tr.mapped").length < 200 && !document.querySelector('button[aria-label="m[1500] in w1: success"]')`),
		eval(`document.querySelector('button[aria-label="m[5] in w1: success"]').closest("tr").nextElementSibling.scrollIntoView()`),
		eval(`window.scrollBy(0, 2050 * 22)`),
		waitJS(`!!document.querySelector('button[aria-label="m[2050] in w1: success"]') && !document.querySelector('button[aria-label="m[5] in w1: success"]')`),
		waitJS(`document.querySelectorAll("tr.mapped").length < 200`),
		eval(`document.querySelector('button[aria-label="m[2050] in w1: success"]').click()`),
		waitText("m[2050]", "run w1"))
	b.screenshot(t, "grid-big")
	// One instance past the first 2,000 marked failed: the square turns failed and its
	// tooltip counts both states.
	f.patch(t, "/api/v1/dags/wide/dagRuns/w1/taskInstances/m/2077", `{"new_state": "failed"}`)
	b.run(t, "mapped summary", chromedp.Navigate(f.url+"/dags/wide/grid"),
		waitJS(`!!document.querySelector('button[aria-label="m in w1 (2,100 instances: 2,099 success, 1 failed): failed"][title="m in w1 (2,100 instances: 2,099 success, 1 failed): failed"]')`))
	b.run(t, "back to produce", chromedp.Navigate(f.url+"/dags/produce/grid"),
		waitJS(`!!document.querySelector('button[aria-label="make in r1: success"]')`))

	// Clear with Future: the dry run lists make in r1 and in the later run ui1, run by run;
	// cancelled.
	b.run(t, "clear future preview", chromedp.Click(chromedp.CSS(`button[aria-label="make in r1: success"]`)),
		waitText("threshold is 0.9"),
		chromedp.Click(chromedp.CSS(`input[name="clear-future"]`)),
		chromedp.Click(chromedp.Search(`//button[text()="Clear…"]`)),
		waitText("2 task instances in 2 runs will be cleared: run r1: make; run ui1: make"),
		chromedp.Click(chromedp.Search(`//div[@aria-label="Confirm clear"]//button[text()="Cancel"]`)),
		chromedp.Click(chromedp.CSS(`input[name="clear-future"]`)),
		waitJS(`!document.querySelector('input[name="clear-future"]').checked && !document.querySelector('[aria-label="Confirm clear"]')`))
	// Clear: make in r1 runs again (a second try).
	b.run(t, "clear",
		chromedp.Click(chromedp.Search(`//button[text()="Clear…"]`)),
		waitText("will be cleared: make"),
		chromedp.Click(chromedp.Search(`//button[text()="Confirm clear"]`)),
		waitText("Cleared 1 task instance"))
	deadline := time.Now().Add(90 * time.Second)
	for {
		tis, err := f.st.ListTaskInstances(context.Background(), store.ListTIParams{DAGID: "produce", RunID: "r1", TaskIDs: []string{"make"}})
		if err == nil && len(tis) == 1 && tis[0].TryNumber == 2 && tis[0].State == store.TISuccess {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("make in r1 was not run again after the clear: %+v %v", tis, err)
		}
		time.Sleep(50 * time.Millisecond) // polls the store: the engine signals nothing to a test
	}
	b.run(t, "second try shown", waitJS(`[...document.querySelectorAll('.tries button')].length === 2`), waitText("2 of 2"))

	// A running try's log is followed: a line written after the panel opened shows up.
	gate := filepath.Join(t.TempDir(), "gate")
	f.post(t, "/api/v1/dags/gate/dagRuns", fmt.Sprintf(`{"dag_run_id": "g1", "conf": {"gate": %q}}`, gate))
	b.run(t, "follow a log", chromedp.Navigate(f.url+"/dags/gate/grid?run=g1&task=wait"),
		waitText("first line", "Follow"))
	if err := os.WriteFile(gate, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	// Still running: the new line came through the follower's Range requests.
	b.run(t, "log grows", waitText("second line", "Follow"))
	// Clear works in a run that is still running: the running try is killed and the task
	// runs again (try 2), without using a retry.
	b.run(t, "clear a running task", chromedp.Click(chromedp.Search(`//button[text()="Clear…"]`)),
		waitText("1 task instance will be cleared: wait (running tries are killed and run again)"),
		chromedp.Click(chromedp.Search(`//button[text()="Confirm clear"]`)),
		waitText("Cleared 1 task instance"),
		waitJS(`[...document.querySelectorAll('.tries button')].length === 2`), waitText("2 of 2", "second line"))
	if tries, err := f.st.ListTries(context.Background(), "gate", "g1", "wait", -1); err != nil || len(tries) < 1 || tries[0].State != store.TIUpForRetry {
		t.Errorf("the cleared running try of wait: %+v %v, want try 1 recorded up_for_retry (killed, no retry used)", tries, err)
	}
	if err := os.WriteFile(gate+".end", nil, 0o644); err != nil {
		t.Fatal(err)
	}
	f.waitDAGRun(t, "gate", "g1", store.RunSuccess)
	b.run(t, "try ended", waitJS(`!document.body.innerText.includes("Follow")`), waitText("second line", "success"))
	b.screenshot(t, "log-followed")

	// Experiments: runs table with params and metrics, sort, filter; compare draws charts.
	b.run(t, "search experiments", chromedp.Navigate(f.url+"/experiments"), waitText("produce-exp"),
		chromedp.SendKeys(chromedp.CSS(`input[type=search]`), "NOMATCH"),
		waitJS(`!document.body.innerText.includes("produce-exp") && !document.querySelector(".error")`))
	b.run(t, "experiments", chromedp.Navigate(f.url+"/experiments"),
		chromedp.SendKeys(chromedp.CSS(`input[type=search]`), "PROD"), waitText("produce-exp"),
		chromedp.Click(chromedp.Search(`//a[text()="produce-exp"]`)),
		waitText("first", "second", "alpha", "depth", "loss", "r2", "0.93"))
	b.run(t, "filter", chromedp.SendKeys(chromedp.CSS(`input[placeholder^="metrics"]`), "metrics.r2 > 0.9\r"),
		waitJS(`!document.body.innerText.includes("first") && document.body.innerText.includes("second")`))
	b.run(t, "clear filter", eval(`document.querySelector('input[placeholder^="metrics"]').select()`),
		chromedp.KeyEvent("\b\r"), waitText("first", "second"))
	rowOrder := `[...document.querySelectorAll("table.runs tbody th")].map(e => e.innerText).join(",")`
	// Clicked from the page's script: the header re-renders as the sorted page arrives, and
	// a node found by a DevTools search can be gone by the time it is clicked.
	b.run(t, "sort by r2", clickXPath(`//thead//button[contains(., "r2")]`),
		waitJS(`!!document.evaluate('//th[@aria-sort="descending"][contains(., "r2")]', document).iterateNext()`),
		waitJS(rowOrder+` === "second,first"`),
		clickXPath(`//thead//button[contains(., "r2")]`),
		waitJS(`!!document.evaluate('//th[@aria-sort="ascending"][contains(., "r2")]', document).iterateNext()`),
		waitJS(rowOrder+` === "first,second"`))
	b.screenshot(t, "runs")
	b.axe(t, "runs")
	b.run(t, "compare", chromedp.Click(chromedp.CSS(`input[aria-label="Select first"]`)),
		chromedp.Click(chromedp.CSS(`input[aria-label="Select second"]`)),
		chromedp.Click(chromedp.Search(`//button[contains(., "Compare 2 runs")]`)),
		waitJS(`document.querySelectorAll(".uplot canvas").length === 2 && [...document.querySelectorAll(".uplot canvas")].every(c => c.getBoundingClientRect().width >= 250)`),
		waitText("Params (differences highlighted)", "loss", "r2"))
	b.screenshot(t, "compare")
	b.axe(t, "compare")
	b.run(t, "from a tracked run to its task's log", waitText("produce / r1 / make"),
		chromedp.Click(chromedp.Search(`//a[contains(., "produce / r1 / make")]`)),
		waitJS(`location.pathname === "/dags/produce/grid"`), waitText("threshold is 0.9", "2 of 2"))

	// Datasets: producer → dataset → consumer, and the events.
	b.run(t, "datasets", chromedp.Navigate(f.url+"/datasets"),
		waitText("file:///data/features", "produce.make →", "→ consume", "Latest events", "produce / r1 / make"),
		// The graph: producer task → dataset → consumer DAG, each node a named link to a grid.
		waitJS(`JSON.stringify([...document.querySelectorAll("svg.dataset-graph a[data-node]")].map(a => a.dataset.node + "|" + a.getAttribute("aria-label").replace(/updated [^,]+,/, "updated WHEN,") + "|" + a.getAttribute("href"))) === JSON.stringify([
			"task:produce.make|produce.make producer task, opens the grid of DAG produce|/dags/produce/grid",
			"ds:file:///data/features|file:///data/features updated WHEN, show its latest events|/datasets?uri=file%3A%2F%2F%2Fdata%2Ffeatures",
			"dag:consume|consume consumer DAG, opens its grid|/dags/consume/grid"])`),
		waitJS(`JSON.stringify([...document.querySelectorAll("svg.dataset-graph path.edge")].map(p => p.dataset.edge).sort()) === JSON.stringify(["ds:file:///data/features->dag:consume", "task:produce.make->ds:file:///data/features"]) && [...document.querySelectorAll("svg.dataset-graph path.edge")].every(p => p.getTotalLength() > 20)`),
		eval(`document.querySelector('svg.dataset-graph a[data-node^="ds:"]').focus()`),
		waitJS(`document.activeElement.dataset.node === "ds:file:///data/features"`))
	b.screenshot(t, "datasets")
	b.run(t, "a dataset node picks its events", chromedp.Click(chromedp.CSS(`svg.dataset-graph a[data-node^="ds:"]`)),
		waitText("Latest events of file:///data/features"),
		waitJS(`document.querySelector('svg.dataset-graph a[data-node^="ds:"]').getAttribute("aria-current") === "true"`))
	b.axe(t, "datasets")

	// Registry and deployments.
	b.run(t, "models", chromedp.Navigate(f.url+"/models"), waitText("scorer", "@champion → v2"),
		chromedp.SendKeys(chromedp.CSS(`input[type=search]`), "nomatch"),
		waitJS(`!document.body.innerText.includes("scorer") && !document.querySelector(".error")`),
		chromedp.Navigate(f.url+"/models"), chromedp.SendKeys(chromedp.CSS(`input[type=search]`), "SCO"),
		waitText("scorer", "@champion → v2"),
		chromedp.Click(chromedp.Search(`//a[text()="scorer"]`)), waitText("Versions", "v1", "v2", "scores rows"))
	b.axe(t, "model")
	b.run(t, "move an alias", chromedp.SendKeys(chromedp.CSS(`input[placeholder="champion"]`), "champion"),
		chromedp.SetValue(chromedp.CSS(`select`), "1"), eval(`document.querySelector("select").dispatchEvent(new Event("change", {bubbles: true}))`),
		chromedp.Click(chromedp.Search(`//button[text()="Set alias…"]`)),
		waitText("Move @champion from v2 to v1?"))
	b.screenshot(t, "model")
	b.run(t, "confirm the alias", chromedp.Click(chromedp.Search(`//div[@role="dialog"]//button[text()="Confirm"]`)),
		waitText("@champion → v1"))
	if mv, err := f.svc.GetModelVersionByAlias(context.Background(), "scorer", "champion"); err != nil || mv.Version != "1" {
		t.Errorf("after moving @champion to v1 in the browser, the registry has %+v (%v)", mv, err)
	}
	b.run(t, "deployments", chromedp.Navigate(f.url+"/deployments"),
		waitText("scorer-live", "models:/scorer@champion", "models:/scorer/1 (10%)", "/serve/scorer-live/invocations"))
	b.screenshot(t, "deployments")
	b.axe(t, "deployments")

	graphView(t, f, b)
	runAsItRan(t, f, b)

	b.run(t, "unknown route", chromedp.Navigate(f.url+"/no/such/page"), waitText("Not found"))

	b.mu.Lock()
	defer b.mu.Unlock()
	for _, e := range b.errors {
		t.Errorf("browser console: %s", e)
	}
	t.Logf("browser steps took %s; screenshots in %s", time.Since(start).Round(time.Millisecond), b.dir)
}

// TestBrowserLogin: on a server with users, the UI shows its sign-in form (its files load
// without a credential), a wrong password is refused with the server's message, the right
// one opens the DAG list, and a change made through the session cookie (the pause toggle,
// a PATCH) carries the session's CSRF token and reaches the store.
func TestBrowserLogin(t *testing.T) {
	t.Parallel()
	chromium(t)
	ctx := context.Background()
	home, dags := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(dags, "daily.yaml"), []byte(dailyDAG), 0o644); err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(ctx, filepath.Join(home, "weir.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := auth.CreateUser(ctx, st, "otto", "correct horse battery", auth.RoleOperator, time.Now()); err != nil {
		t.Fatal(err)
	}
	srv, err := node.New(node.Config{Mode: node.ModeServer, Store: st, Tracking: st.Tracking(), Home: home, DAGsDir: dags,
		Addr: "127.0.0.1:0", TickInterval: 50 * time.Millisecond, GracePeriod: time.Second, DAGsPausedAtCreation: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	url := "http://" + srv.Addr()
	b := newBrowser(t)
	b.run(t, "sign-in form", chromedp.Navigate(url+"/"), waitText("Sign in to weir"))
	b.axe(t, "sign-in form")
	b.run(t, "wrong password",
		chromedp.SendKeys(chromedp.CSS(`input[name=username]`), "otto"),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), "wrong password"),
		chromedp.Click(chromedp.CSS(`button[type=submit]`)),
		waitJS(`!!document.querySelector('.error, [role=alert]')`))
	b.run(t, "sign in",
		eval(`document.querySelector('input[name=password]').value = ""`),
		chromedp.Focus(chromedp.CSS(`input[name=password]`)),
		eval(`document.querySelector('input[name=password]').select()`),
		chromedp.KeyEvent("correct horse battery"),
		chromedp.Click(chromedp.CSS(`button[type=submit]`)),
		waitText("daily", "@daily"))
	b.screenshot(t, "signed-in")
	b.run(t, "unpause through the session", chromedp.Click(chromedp.CSS(`button[aria-label="daily paused"]`)),
		chromedp.WaitVisible(chromedp.CSS(`button[aria-label="daily active"]`)))
	if m, err := st.GetDAG(ctx, "daily"); err != nil || m.IsPaused {
		t.Errorf("after the toggle, daily is %+v (%v), want unpaused in the store", m, err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, e := range b.errors {
		t.Errorf("browser console: %s", e)
	}
}

// runAsItRan: after a task is removed from a DAG, the graph of a run that had it still
// draws it (the run's DAG snapshot), the graph of a later run does not, and the grid shows
// the union of the tasks of the runs it shows.
func runAsItRan(t *testing.T, f *fixture, b *browser) {
	f.post(t, "/api/v1/dags/consume/dagRuns", `{"dag_run_id": "c1"}`)
	f.waitDAGRun(t, "consume", "c1", store.RunSuccess)
	changed := strings.Replace(consumeDAG, "  - id: use\n", "  - id: use_v2\n", 1)
	if err := os.WriteFile(filepath.Join(f.dags, "consume.yaml"), []byte(changed), 0o644); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		res, err := http.Get(f.url + "/api/v1/dags/consume/tasks")
		var body bytes.Buffer
		if err == nil {
			_, _ = body.ReadFrom(res.Body)
			res.Body.Close()
		}
		if strings.Contains(body.String(), `"use_v2"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server did not reload consume.yaml: its tasks are %s (%v)", body.String(), err)
		}
		time.Sleep(50 * time.Millisecond) // polls the server: the DAG folder scan signals nothing to a test
	}
	f.post(t, "/api/v1/dags/consume/dagRuns", `{"dag_run_id": "c2"}`)
	f.waitDAGRun(t, "consume", "c2", store.RunSuccess)
	b.run(t, "old run's graph", chromedp.Navigate(f.url+"/dags/consume/graph?run=c1"),
		waitJS(`!!document.querySelector('button[data-task="use"][data-state="success"]') && !document.querySelector('button[data-task="use_v2"]')`))
	b.screenshot(t, "graph-old-run")
	b.run(t, "new run's graph", chromedp.Navigate(f.url+"/dags/consume/graph?run=c2"),
		waitJS(`!!document.querySelector('button[data-task="use_v2"][data-state="success"]') && !document.querySelector('button[data-task="use"]')`))
	b.run(t, "grid of both runs", chromedp.Navigate(f.url+"/dags/consume/grid"),
		waitJS(`!!document.querySelector('button[aria-label="use in c1: success"]') && !!document.querySelector('button[aria-label="use_v2 in c2: success"]')`),
		waitJS(`JSON.stringify([...document.querySelectorAll("tbody th.task-name")].map(e => e.innerText.trim())) === JSON.stringify(["use_v2", "use"])`))
}

// graphView drives the graph view of a run: live state colours, a collapsed group that
// expands, setup/teardown drawn dashed with their arrows, a node opened with the keyboard,
// its rendered template, a clear with upstream that re-runs the setup, and polling that
// revalidates with ETags (304).
func graphView(t *testing.T, f *fixture, b *browser) {
	f.post(t, "/api/v1/dags/shaped/dagRuns", `{"dag_run_id": "s1"}`)
	f.waitDAGRun(t, "shaped", "s1", store.RunSuccess)
	b.run(t, "graph", chromedp.Navigate(f.url+"/dags/shaped/graph?run=s1"),
		waitJS(`!!document.querySelector('button.setup[data-task="prep"][data-state="success"]') && !!document.querySelector('button.teardown[data-task="clean"][data-state="success"]')`),
		waitJS(`!!document.querySelector('path.edge.setup-teardown[data-edge="prep->clean"]')`),
		waitJS(`!document.querySelector('button[data-task="etl.load"]') && !!document.querySelector('button.group-node[aria-expanded="false"]')`),
		waitText("↑", "↓"),
		chromedp.Click(chromedp.CSS(`button.group-node`)),
		waitJS(`!!document.querySelector('button[data-task="etl.load"][data-state="success"]') && !!document.querySelector('path.edge[data-edge="etl.load->etl.check"]')`),
		waitJS(`!!document.querySelector('button.group-toggle[aria-expanded="true"]') && !document.querySelector('path.edge.setup-teardown[data-edge="etl.load->etl.check"]')`))
	b.screenshot(t, "graph")
	b.axe(t, "graph")
	// Collapse again, then expand with the keyboard and open a node with Enter.
	b.run(t, "graph keyboard", chromedp.Click(chromedp.CSS(`button.group-toggle`)),
		waitJS(`!document.querySelector('button[data-task="etl.load"]')`),
		chromedp.Focus(chromedp.CSS(`button.group-node`)), pressEnter(),
		waitJS(`!!document.querySelector('button[data-task="etl.load"]')`),
		chromedp.Focus(chromedp.CSS(`button[data-task="etl.load"]`)), pressEnter(),
		waitText("run s1", "Rendered template"),
		chromedp.Click(chromedp.Search(`//summary[text()="Rendered template"]`)),
		waitText(`echo "load team"`),
		// Saved when the try started, and the panel says so.
		waitJS(`!!document.querySelector('details.rendered p[data-source="try"]')`), waitText("As rendered when try 1 started"))
	// Polling revalidates: a poll of the tasks finds them unchanged and gets a 304.
	b.run(t, "graph polls with ETags",
		waitJS(`performance.getEntriesByType("resource").some(e => e.name.includes("/api/v1/dags/shaped/dagRuns/s1/tasks") && e.responseStatus === 304)`))
	// Clear with upstream: etl.load, its setup prep (upstream) and prep's teardown.
	b.run(t, "clear upstream", chromedp.Click(chromedp.Search(`//label[contains(., "Upstream")]/input`)),
		chromedp.Click(chromedp.Search(`//button[text()="Clear…"]`)),
		waitJS(`(t => t.includes("3 task instances will be cleared") && t.includes("etl.load") && t.includes("prep") && t.includes("clean"))(document.querySelector(".confirm")?.innerText || "")`),
		chromedp.Click(chromedp.Search(`//button[text()="Confirm clear"]`)),
		waitText("Cleared 3 task instances"))
	deadline := time.Now().Add(90 * time.Second)
	for {
		tis, err := f.st.ListTaskInstances(context.Background(), store.ListTIParams{DAGID: "shaped", RunID: "s1", TaskIDs: []string{"prep"}})
		if err == nil && len(tis) == 1 && tis[0].TryNumber == 2 && tis[0].State == store.TISuccess {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("prep in s1 was not run again after the clear with upstream: %+v %v", tis, err)
		}
		time.Sleep(50 * time.Millisecond) // polls the store: the engine signals nothing to a test
	}
	b.run(t, "graph after clear", waitJS(`!!document.querySelector('button.setup[data-task="prep"][data-state="success"]')`))
	b.screenshot(t, "graph-cleared")
	// Mark failed with downstream: the dry run lists etl.load and what follows it, and
	// nothing upstream; confirmed, the graph shows them failed.
	b.run(t, "mark downstream", chromedp.Click(chromedp.CSS(`fieldset.mark input[name="mark-downstream"]`)),
		chromedp.Click(chromedp.Search(`//button[text()="Mark failed…"]`)),
		waitJS(`(t => t.includes("3 task instances will be marked failed") && t.includes("etl.load (now success)") && t.includes("etl.check") && t.includes("clean") && !t.includes("prep"))(document.querySelector('[role="dialog"][aria-label="Confirm mark failed"]')?.innerText || "")`),
		chromedp.Click(chromedp.Search(`//button[text()="Confirm mark failed"]`)),
		waitText("Marked 3 task instances failed"),
		waitJS(`!document.querySelector('[aria-label="Confirm mark failed"]')`),
		waitJS(`!!document.querySelector('button[data-task="etl.check"][data-state="failed"]') && !!document.querySelector('button[data-task="prep"][data-state="success"]')`))
	b.axe(t, "task panel after mark")
}
