package ui_test

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/weirhq/weir/internal/cli"
	"github.com/weirhq/weir/node"
	"github.com/weirhq/weir/store"
	"github.com/weirhq/weir/store/sqlite"
)

// TestBrowserAfterDemo is the web UI issue's "done when": `weir demo` in a fresh home,
// then a server on that home as `weir server --dags HOME/dags --home HOME` starts it, and
// the browser shows the demo's DAG runs, the champion's lineage, the drift that caused
// the retrain and the canary analysis of the deployment.
func TestBrowserAfterDemo(t *testing.T) {
	t.Parallel()
	chromium(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	home := t.TempDir()
	var out, errOut bytes.Buffer
	if code := cli.Main(ctx, []string{"demo", "--home", home}, cli.Options{Stdout: &out, Stderr: &errOut}); code != 0 {
		t.Fatalf("weir demo exited %d\nstdout:\n%s\nstderr:\n%s", code, out.String(), errOut.String())
	}
	t.Logf("weir demo:\n%s", out.String()) // shown when a later step fails

	st, err := sqlite.Open(ctx, filepath.Join(home, "weir.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	retrains, err := st.ListRuns(ctx, store.ListRunsParams{DAGID: "demo_retrain"})
	if err != nil || len(retrains) != 1 {
		t.Fatalf("after the demo the store has %d demo_retrain runs (%v), want 1", len(retrains), err)
	}
	retrain := retrains[0].RunID
	srv, err := node.New(node.Config{Mode: node.ModeServer, Store: st, Tracking: st.Tracking(), Home: home,
		DAGsDir: filepath.Join(home, "dags"), Addr: "127.0.0.1:0", GracePeriod: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	url := "http://" + srv.Addr()
	b := newBrowser(t)

	// The DAG list: the demo's three DAGs, each with its runs as squares and no next run
	// (they run when triggered or on a dataset, not on a time schedule).
	b.run(t, "dag list", chromedp.Navigate(url+"/dags"),
		waitText("demo_train", "demo_drift_check", "demo_retrain"),
		waitJS(`["demo_train", "demo_drift_check", "demo_retrain"].every(id => [...document.querySelectorAll("tr")].some(r =>
			r.innerText.includes(id) && r.querySelector('a[href^="/dags/' + id + '/grid?run="]') && r.querySelector("td.next-run").innerText.trim() === "—"))`))
	b.screenshot(t, "demo-dags")
	b.axe(t, "DAG list after the demo")
	// demo_retrain's run was triggered by the drift dataset event.
	b.run(t, "retrain run", chromedp.Navigate(url+"/dags/demo_retrain/grid?run="+retrain),
		// The grid's run table says the run's type: dataset, not manual or scheduled.
		waitJS(fmt.Sprintf(`[...document.querySelectorAll("table tbody tr")].some(r => r.cells.length >= 3 && r.cells[0].innerText.trim() === %q && r.cells[2].innerText.trim() === "dataset")`, retrain)))
	b.screenshot(t, "demo-retrain")

	// The registry: possum, champion on version 2.
	b.run(t, "models", chromedp.Navigate(url+"/models"), waitText("possum", "@champion"),
		chromedp.Navigate(url+"/models/possum"),
		waitJS(`[...document.querySelectorAll('a.tag[href="/models/possum/versions/2"]')].some(a => a.innerText.includes("@champion"))`))
	b.screenshot(t, "demo-models")

	// The champion's lineage: the training data, the tracking run and the demo_retrain DAG run that made it.
	b.run(t, "lineage", chromedp.Navigate(url+"/models/possum/versions/2"),
		waitText("Lineage of possum v2", "demo_retrain / "+retrain+" (dataset, success)", "Triggered by", "weir://demo/possum/drift"),
		waitJS(`!!document.querySelector('svg.lineage a[href^="/dags/demo_retrain/grid?run="]')`),
		// The tracking run that logged the version, named and linked.
		waitJS(`[...document.querySelectorAll("svg.lineage g.node")].some(n => n.textContent.includes("tracking run"))`),
		// The version belongs to the train task's tracking run, whose input is the training data.
		waitText("Tracking run", "Made by", "task train of DAG run demo_retrain / "+retrain, "possum_recent"),
		waitJS(`[...document.querySelectorAll("svg.lineage g.node")].some(n => n.textContent.includes("possum_recent"))`))
	b.screenshot(t, "demo-lineage")
	b.axe(t, "possum v2 lineage")

	// The drift monitor, drifting.
	b.run(t, "monitors", chromedp.Navigate(url+"/monitors"), waitText("possum-drift"),
		waitJS(`[...document.querySelectorAll("tr")].some(r => r.innerText.includes("possum-drift") && r.innerText.includes("drifting"))`))
	b.screenshot(t, "demo-monitors")

	// The deployment's canary analysis compares both versions.
	b.run(t, "deployment", chromedp.Navigate(url+"/deployments/possum"),
		waitText("Live figures per model version", "possum v1", "possum v2"),
		// Both versions served requests: a row each, with a request count above zero.
		waitJS(`[...document.querySelectorAll("table.list tbody tr")].filter(r => /^possum v[12]$/.test(r.cells[0].innerText.trim()) && +r.cells[2].innerText > 0).length === 2`))
	b.screenshot(t, "demo-deployment")

	b.mu.Lock()
	defer b.mu.Unlock()
	for _, e := range b.errors {
		t.Errorf("browser console: %s", e)
	}
}
