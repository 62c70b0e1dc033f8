package ui_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/weirhq/weir/store"
)

// TestBrowserRunsAndAudit: the DAG runs of every DAG in one list, filtered by state and
// DAG, each linked to its grid; the audit log newest first with the triggers that made
// those runs, filtered by action.
func TestBrowserRunsAndAudit(t *testing.T) {
	t.Parallel()
	chromium(t)
	home := t.TempDir()
	st := openStore(t, home)
	f := &fixture{url: serve(t, home, st, map[string]string{
		"fine.yaml":  "dag_id: fine\ntasks:\n  - id: ok\n    script: echo fine\n",
		"flaky.yaml": "dag_id: flaky\ntasks:\n  - id: boom\n    script: exit 3\n",
	}), st: st}
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
	// From the grid to the DAG's source, numbered.
	b.run(t, "code", clickXPath(`//a[normalize-space(.)="Code"]`),
		waitText("flaky: code", "flaky.yaml", "script: exit 3"),
		waitJS(`document.querySelectorAll("table.code tr").length === 4 && document.querySelector("#L4").innerText.includes("exit 3")`))
	b.axe(t, "DAG code")
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

// TestBrowserAdmin: variables, connections and pools set, changed and deleted through the
// admin pages, each change checked in the store (through the API's services); secrets come
// back masked and stay so.
func TestBrowserAdmin(t *testing.T) {
	t.Parallel()
	chromium(t)
	home := t.TempDir()
	st := openStore(t, home)
	base := serve(t, home, st, nil)
	get := func(path string) string {
		t.Helper()
		res, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return fmt.Sprint(res.StatusCode, " ", string(b))
	}
	set := func(label, value string) chromedp.Action[chromedp.Void] {
		return chromedp.SendKeys(chromedp.Search(fmt.Sprintf(`//form//label[starts-with(normalize-space(.), %q)]//*[self::input or self::textarea]`, label)), value)
	}
	row := func(name string) string {
		return fmt.Sprintf(`[...document.querySelectorAll("main tbody tr")].find(r => r.querySelector("th").innerText.trim() === %q)`, name)
	}

	b := newBrowser(t)
	b.run(t, "variables", chromedp.Navigate(base+"/dags"), chromedp.Click(chromedp.Search(`//nav//a[text()="Admin"]`)),
		waitText("Variables", "Set a variable"),
		set("Key", "threshold"), set("Value", "0.75"), set("Description", "the cut-off"),
		chromedp.Click(chromedp.Search(`//form//button[text()="Save"]`)),
		waitText("Variable threshold saved."), waitJS(row("threshold")+`?.innerText.includes("0.75")`),
		set("Key", "db_token"), set("Value", "s3cr3t-value"),
		chromedp.Click(chromedp.Search(`//form//label[contains(., "Secret")]/input`)),
		chromedp.Click(chromedp.Search(`//form//button[text()="Save"]`)),
		waitJS(row("db_token")+`?.innerText.includes("***") && !document.body.innerText.includes("s3cr3t-value")`))
	if got := get("/api/v1/variables/threshold"); !strings.Contains(got, `"value":"0.75"`) {
		t.Fatalf("variable threshold in the API: %s", got)
	}
	b.screenshot(t, "admin-variables")
	b.axe(t, "variables")
	b.run(t, "delete a variable", chromedp.Click(chromedp.Search(`//tr[th[normalize-space(.)="threshold"]]//button[text()="Delete"]`)),
		chromedp.Click(chromedp.Search(`//button[normalize-space(.)="Delete threshold"]`)),
		waitText("Variable threshold deleted."), waitJS("!"+row("threshold")))
	if got := get("/api/v1/variables/threshold"); !strings.HasPrefix(got, "404") {
		t.Fatalf("deleted variable still answers: %s", got)
	}

	b.run(t, "connections", chromedp.Click(chromedp.Search(`//nav[@aria-label="Admin"]//a[text()="Connections"]`)),
		waitText("Set a connection"),
		set("Connection id", "warehouse"), set("Type", "postgres"), set("Host", "db.internal"), set("Port", "5432"),
		set("Login", "etl"), set("Password", "pa55word"),
		chromedp.Click(chromedp.Search(`//form//button[text()="Save"]`)),
		waitText("Connection warehouse saved."),
		waitJS(row("warehouse")+`?.innerText.includes("db.internal") && `+row("warehouse")+`.innerText.includes("***") && !document.body.innerText.includes("pa55word")`),
		// A port that is not a number is refused before it is sent, naming the field.
		set("Connection id", "bad"), set("Type", "http"), set("Port", "eighty"),
		chromedp.Click(chromedp.Search(`//form//button[text()="Save"]`)),
		waitText(`port: "eighty" is not a number`))
	if got := get("/api/v1/connections/warehouse"); !strings.Contains(got, `"port":5432`) || strings.Contains(got, "pa55word") {
		t.Fatalf("connection warehouse in the API: %s", got)
	}
	b.axe(t, "connections")

	b.run(t, "pools", chromedp.Click(chromedp.Search(`//nav[@aria-label="Admin"]//a[text()="Pools"]`)),
		waitText("Add a pool", "default_pool"),
		set("Name", "gpu"), set("Slots", "2"),
		chromedp.Click(chromedp.Search(`//form//button[text()="Save"]`)),
		waitText("Pool gpu saved."), waitJS(row("gpu")+`?.cells[1].innerText.trim() === "2"`),
		chromedp.Click(chromedp.Search(`//tr[th[normalize-space(.)="gpu"]]//button[text()="Edit"]`)),
		waitText("Change pool gpu"),
		eval(`document.querySelector('form.admin-form input[inputmode="numeric"]').select()`),
		set("Slots", "4"),
		chromedp.Click(chromedp.Search(`//form//button[text()="Save"]`)),
		waitJS(row("gpu")+`?.cells[1].innerText.trim() === "4"`),
		// Slots that are not a count are refused before they are sent; the server's own
		// refusal (a name with a slash) is shown as it comes, its field marked.
		set("Name", "neg"), set("Slots", "-5"),
		chromedp.Click(chromedp.Search(`//form//button[text()="Save"]`)),
		waitText(`slots: "-5" is not a whole number`),
		eval(`document.querySelector('form.admin-form input[inputmode="numeric"]').select()`), set("Slots", "1"),
		eval(`document.querySelector('form.admin-form input').select()`), set("Name", "a/b"),
		chromedp.Click(chromedp.Search(`//form//button[text()="Save"]`)),
		waitText("must not hold /"), waitJS(`document.querySelector('form.admin-form input').getAttribute("aria-invalid") === "true"`))
	if got := get("/api/v1/pools/gpu"); !strings.Contains(got, `"slots":4`) {
		t.Fatalf("pool gpu in the API: %s", got)
	}
	b.screenshot(t, "admin-pools")
	b.axe(t, "pools")

	b.mu.Lock()
	defer b.mu.Unlock()
	for _, e := range b.errors {
		t.Errorf("browser console: %s", e)
	}
}
