package ui_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"text/template"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/weirhq/weir/tracking"
)

// BenchmarkTrackingViews measures, in headless Chromium against a real server over an
// experiment of 100,000 runs (10 params and 10 metrics each; the newest 1,000 with 100
// steps of history per metric), the time from navigation until the data is on screen: the
// runs table's first page, the same sorted by a metric, and the comparison of 1,000 runs
// (runs table, params summary, parallel coordinates; then all 10 metric charts, scrolled
// into view). Run it on a quiet
// machine:
//
//	go test ./ui -run '^$' -bench TrackingViews -benchtime 5x
func BenchmarkTrackingViews(b *testing.B) {
	const runs, compared, steps = 100_000, 1000, 100
	ctx := context.Background()
	home := b.TempDir()
	path := filepath.Join(home, "weir.db")
	st := openStore(b, home)
	exp, err := st.Tracking().CreateExperiment(ctx, tracking.CreateExperimentParams{Name: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	// The search benchmark's bulk load (mlflowapi/testdata/bench_runs.sql), then histories
	// for the newest runs, straight into the tables: a million points through the API would
	// take longer than the measurement.
	text, err := os.ReadFile(filepath.Join("..", "mlflowapi", "testdata", "bench_runs.sql"))
	if err != nil {
		b.Fatal(err)
	}
	var script strings.Builder
	if err := template.Must(template.New("bulk").Parse(string(text))).Execute(&script, map[string]any{"Runs": runs, "Exp": exp}); err != nil {
		b.Fatal(err)
	}
	fmt.Fprintf(&script, `;
INSERT INTO metric_history (run, key, step, timestamp, value)
WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < %d)
SELECT r.id, 'm' || k.value, s.i, 1700000000000 + s.i, 1.0 / (s.i + 1) + ((r.id * 7 + k.value) %% 100) / 1000.0
FROM tracking_runs r, json_each('[0,1,2,3,4,5,6,7,8,9]') k, s
WHERE r.experiment_id = %s AND r.id > %d;`, steps-1, exp, runs-compared)
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=synchronous(OFF)")
	if err != nil {
		b.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, script.String()); err != nil {
		b.Fatal(err)
	}
	_ = db.Close()
	b.Logf("loaded %d runs (%d with %d steps × 10 metrics of history) in %s", runs, compared, steps, time.Since(start).Round(time.Millisecond))

	base := serve(b, home, st, nil)

	br := newBrowser(b)
	rows := `document.querySelectorAll("table.runs tbody tr").length === 50`
	// m3's column holds values in descending order (the sorted page has arrived).
	sortedByM3 := `(() => {
		const heads = [...document.querySelectorAll("table.runs thead tr:last-child th")];
		const i = heads.findIndex(th => th.innerText.trim().startsWith("m3"));
		if (i < 0 || heads[i].getAttribute("aria-sort") !== "descending") return false;
		const v = [...document.querySelectorAll("table.runs tbody tr")].map(r => Number(r.cells[i].innerText));
		return v.length === 50 && v.every((x, j) => j === 0 || v[j-1] >= x) && v[0] > 0.99;
	})()`
	// The comparison's first paint: the runs table, the params and the parallel coordinates
	// (the metric charts below load as they come into view).
	compareReady := fmt.Sprintf(`document.querySelectorAll("table.compared tbody tr").length === %d && document.querySelectorAll("svg.pcoords path.line").length === %d`, compared, compared)
	for _, v := range []struct {
		name, path, ready string
		then              []chromedp.Action[chromedp.Void]
	}{
		{"runs_table_100k", "/experiments/" + exp, rows, nil},
		{"runs_table_100k_sort_by_metric", "/experiments/" + exp, rows, []chromedp.Action[chromedp.Void]{
			clickXPath(`//table[contains(@class,"runs")]//thead//button[starts-with(normalize-space(.), "m3")]`), waitJS(sortedByM3)}},
		{"compare_1000_runs", "/compare?exp=" + exp + "&order=attributes.start_time%20DESC", compareReady, nil},
		{"compare_1000_runs_all_10_charts", "/compare?exp=" + exp + "&order=attributes.start_time%20DESC", compareReady, []chromedp.Action[chromedp.Void]{
			waitJS(`(document.querySelector(".chart-pending")?.scrollIntoView(), document.querySelectorAll(".uplot canvas").length === 10)`)}},
	} {
		b.Run(v.name, func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				br.run(b, "blank", chromedp.Navigate("about:blank"), chromedp.WaitReady("body"))
				b.StartTimer()
				br.run(b, v.name, append([]chromedp.Action[chromedp.Void]{chromedp.Navigate(base + v.path), chromedp.WaitReady("body"), waitJS(v.ready)}, v.then...)...)
			}
		})
	}
}
