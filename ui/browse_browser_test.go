package ui_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/weirhq/weir/node"
	"github.com/weirhq/weir/store"
	"github.com/weirhq/weir/store/sqlite"
)

// TestBrowserRunsAndAudit: the DAG runs of every DAG in one list, filtered by state and
// DAG, each linked to its grid; the audit log newest first with the triggers that made
// those runs, filtered by action.
func TestBrowserRunsAndAudit(t *testing.T) {
	t.Parallel()
	chromium(t)
	ctx := context.Background()
	home, dags := t.TempDir(), t.TempDir()
	for name, body := range map[string]string{
		"fine.yaml":  "dag_id: fine\ntasks:\n  - id: ok\n    script: echo fine\n",
		"flaky.yaml": "dag_id: flaky\ntasks:\n  - id: boom\n    script: exit 3\n",
	} {
		if err := os.WriteFile(filepath.Join(dags, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	st, err := sqlite.Open(ctx, filepath.Join(home, "weir.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	srv, err := node.New(node.Config{Mode: node.ModeServer, Store: st, Tracking: st.Tracking(), Home: home, DAGsDir: dags,
		Addr: "127.0.0.1:0", TickInterval: 50 * time.Millisecond, GracePeriod: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	f := &fixture{url: "http://" + srv.Addr(), st: st}
	f.post(t, "/api/v1/dags/fine/dagRuns", `{"dag_run_id": "f1"}`)
	f.post(t, "/api/v1/dags/flaky/dagRuns", `{"dag_run_id": "x1"}`)
	f.post(t, "/api/v1/dags/fine/dagRuns", `{"dag_run_id": "f2"}`)
	f.waitDAGRun(t, "fine", "f1", store.RunSuccess)
	f.waitDAGRun(t, "flaky", "x1", store.RunFailed)
	f.waitDAGRun(t, "fine", "f2", store.RunSuccess)

	b := newBrowser(t)
	runIDs := `[...document.querySelectorAll("main table.list tbody th")].map(e => e.innerText.trim()).join(",")`
	b.run(t, "runs", chromedp.Navigate(f.url+"/dags"), waitText("fine"),
		chromedp.Click(chromedp.Search(`//nav//a[text()="Runs"]`)),
		waitText("DAG runs", "3 runs, newest first"),
		waitJS(runIDs+` === "f2,x1,f1"`))
	b.screenshot(t, "runs-browse")
	b.axe(t, "DAG runs")
	b.run(t, "failed only", chromedp.Click(chromedp.Search(`//fieldset//label[contains(., "failed")]/input`)),
		waitText("1 run failed, newest first"), waitJS(runIDs+` === "x1"`),
		chromedp.Click(chromedp.Search(`//a[text()="x1"]`)),
		waitJS(`location.pathname === "/dags/flaky/grid" && location.search.includes("run=x1")`))
	b.run(t, "one DAG", chromedp.Navigate(f.url+"/runs"), waitText("3 runs"),
		chromedp.SendKeys(chromedp.CSS(`input[placeholder="every DAG"]`), "fine\r"),
		waitText("2 runs of fine"), waitJS(runIDs+` === "f2,f1"`))

	// Each trigger through the API is in the audit log, newest first.
	b.run(t, "audit", chromedp.Click(chromedp.Search(`//nav//a[text()="Audit"]`)),
		waitText("Audit log", "Newest first"),
		waitJS(`[...document.querySelectorAll("main tbody tr")].filter(r => r.innerText.includes("dag_run.trigger")).length === 3`),
		chromedp.SendKeys(chromedp.CSS(`input[placeholder^="dag_run"]`), "nothing.*\r"),
		waitText("No entries match."))
	b.screenshot(t, "audit")
	b.axe(t, "audit log")

	b.mu.Lock()
	defer b.mu.Unlock()
	for _, e := range b.errors {
		t.Errorf("browser console: %s", e)
	}
}
