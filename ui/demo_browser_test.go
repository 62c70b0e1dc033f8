package ui_test

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
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

	// The DAG list: the demo's three DAGs, each with its runs as squares.
	b.run(t, "dag list", chromedp.Navigate(url+"/dags"),
		waitText("demo_train", "demo_drift_check", "demo_retrain"),
		waitJS(`["demo_train", "demo_drift_check", "demo_retrain"].every(id => [...document.querySelectorAll("tr")].some(r =>
			r.innerText.includes(id) && r.querySelector('a[href^="/dags/' + id + '/grid?run="]')))`))
	b.screenshot(t, "demo-dags")
	// demo_retrain's run was triggered by the drift dataset event.
	b.run(t, "retrain run", chromedp.Navigate(url+"/dags/demo_retrain/grid?run="+retrain),
		waitText(retrain, "dataset_triggered"))
	b.screenshot(t, "demo-retrain")

	// The registry: possum, champion on version 2.
	b.run(t, "models", chromedp.Navigate(url+"/models"), waitText("possum", "@champion"),
		chromedp.Navigate(url+"/models/possum"),
		waitJS(`[...document.querySelectorAll('a.tag[href="/models/possum/versions/2"]')].some(a => a.innerText.includes("@champion"))`))
	b.screenshot(t, "demo-models")

	// The champion's lineage: the tracking run and the demo_retrain DAG run that made it.
	b.run(t, "lineage", chromedp.Navigate(url+"/models/possum/versions/2"),
		waitText("Lineage of possum v2", "demo_retrain / "+retrain),
		waitJS(`!!document.querySelector('svg.lineage a[href^="/dags/demo_retrain/grid?run="]')`),
		waitJS(`!!document.querySelector('a[href^="/compare?runs="], a[href*="/runs/"]')`))
	b.screenshot(t, "demo-lineage")

	// The drift monitor, drifting.
	b.run(t, "monitors", chromedp.Navigate(url+"/monitors"), waitText("possum-drift"),
		waitJS(`[...document.querySelectorAll("tr")].some(r => r.innerText.includes("possum-drift") && /drift/i.test(r.innerText) && !/no drift/i.test(r.innerText))`))
	b.screenshot(t, "demo-monitors")

	// The deployment's canary analysis compares both versions.
	b.run(t, "deployment", chromedp.Navigate(url+"/deployments/possum"),
		waitText("Live figures per model version", "possum v1", "possum v2"))
	b.screenshot(t, "demo-deployment")

	b.mu.Lock()
	defer b.mu.Unlock()
	for _, e := range b.errors {
		t.Errorf("browser console: %s", e)
	}
	if strings.Contains(out.String(), "kept") {
		t.Logf("demo summary:\n%s", out.String())
	}
}
