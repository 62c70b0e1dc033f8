package ui_test

import (
	"context"
	"fmt"
	"math"
	"net/url"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/weirhq/weir/tracking"
)

// TestBrowserCompareManyRuns compares a sweep of 60 runs, past the few MLflow's compare
// page lays out side by side: "Compare all matching" takes every run the filter matches;
// the params that differ are summarised and those all runs share listed once; the
// parallel coordinates draw one thin line per run coloured by the metric; the metric
// charts draw every run from get-history-bulk-interval without a legend; the runs table
// sorts by a metric; select-all picks a page of runs; a filtered comparison and one by ids
// with an unknown id say what they show.
func TestBrowserCompareManyRuns(t *testing.T) {
	t.Parallel()
	chromium(t)
	ctx := context.Background()
	home := t.TempDir()
	st := openStore(t, home)
	base := serve(t, home, st, nil)

	// The sweep: alpha over 6 values × kernel over 2 × 5 seeds' worth of repeats = 60 runs,
	// each with a loss over 40 steps and a final rmse that grows with alpha.
	svc := tracking.NewService(st.Tracking(), tracking.ServiceConfig{})
	exp, err := svc.CreateExperiment(ctx, tracking.CreateExperimentParams{Name: "big-sweep"})
	if err != nil {
		t.Fatal(err)
	}
	const n = 60
	alphas := []float64{0.001, 0.01, 0.1, 1, 10, 100}
	var ids []string
	worst, best := "", ""
	worstV, bestV := math.Inf(-1), math.Inf(1)
	for i := range n {
		alpha, kernel := alphas[i%6], []string{"linear", "rbf"}[(i/6)%2]
		name := fmt.Sprintf("sweep-%02d", i)
		run, err := svc.CreateRun(ctx, tracking.CreateRunParams{ExperimentID: exp, RunName: name, StartTime: int64(1_790_000_000_000 + i*1000)})
		if err != nil {
			t.Fatal(err)
		}
		rmse := 1 + math.Log10(alpha)/10 + float64(i)/1000
		ms := []tracking.Metric{{Key: "rmse", Value: rmse, Timestamp: 99, Step: 39}}
		for step := range 40 {
			ms = append(ms, tracking.Metric{Key: "loss", Value: rmse + 5/float64(step+1), Timestamp: int64(step), Step: int64(step)})
		}
		if err := svc.LogBatch(ctx, tracking.LogBatchParams{RunID: run.Info.RunID, Metrics: ms, Params: []tracking.Param{
			{Key: "alpha", Value: fmt.Sprint(alpha)}, {Key: "kernel", Value: kernel}, {Key: "seed", Value: "7"}}}); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, run.Info.RunID)
		if rmse > worstV {
			worst, worstV = name, rmse
		}
		if rmse < bestV {
			best, bestV = name, rmse
		}
	}

	b := newBrowser(t)
	firstRow := `document.querySelector("table.compared tbody th").innerText.trim()`
	b.run(t, "select a page", chromedp.Navigate(base+"/experiments/"+exp), waitText("sweep-59"),
		chromedp.Click(chromedp.CSS(`input[aria-label="Select every run on this page"]`)),
		waitText("Compare 50 runs"),
		chromedp.Click(chromedp.CSS(`input[aria-label="Select every run on this page"]`)),
		waitJS(`!!document.evaluate('//button[normalize-space(.)="Compare runs"]', document).iterateNext()`))
	b.run(t, "compare all matching", chromedp.Click(chromedp.Search(`//button[contains(., "Compare all matching")]`)),
		waitText("Compare 60 runs", "The runs of", "Params that differ", "Same in every run: seed = 7"),
		// alpha: 6 values, 10 runs each; kernel: 2 values, 30 each.
		waitJS(`[...document.querySelectorAll("tr.differs")].some(r => r.innerText.includes("alpha") && r.innerText.includes("0.001 (10)"))`),
		waitJS(`[...document.querySelectorAll("tr.differs")].some(r => r.innerText.includes("kernel") && r.innerText.includes("rbf (30)"))`),
		// One thin line per run over the params that differ (alpha, kernel) and the metric.
		waitJS(fmt.Sprintf(`document.querySelectorAll("svg.pcoords path.line.thin").length === %d && document.querySelectorAll("svg.pcoords g.axis").length === 3`, n)),
		waitJS(`new Set([...document.querySelectorAll("svg.pcoords path.line")].map(p => p.getAttribute("stroke"))).size > 5`),
		waitText("Lines coloured by"),
		// Both metrics charted once scrolled into view, every run a series, no legend of 60 rows.
		eval(`window.scrollTo(0, document.body.scrollHeight)`),
		waitJS(`document.querySelectorAll(".uplot canvas").length === 2 && !document.querySelector(".u-legend")`),
		waitJS(fmt.Sprintf(`document.querySelectorAll("table.compared tbody tr").length === %d`, n)))
	b.screenshot(t, "compare-many")
	b.axe(t, "compare 60 runs")
	b.run(t, "sort by rmse", clickXPath(`//table[contains(@class,"compared")]//thead//button[contains(., "rmse")]`),
		waitJS(fmt.Sprintf(`%s === %q`, firstRow, worst)),
		clickXPath(`//table[contains(@class,"compared")]//thead//button[contains(., "rmse")]`),
		waitJS(fmt.Sprintf(`%s === %q`, firstRow, best)))

	q := url.Values{"exp": {exp}, "filter": {"params.kernel = 'rbf'"}}
	b.run(t, "filtered", chromedp.Navigate(base+"/compare?"+q.Encode()),
		waitText("Compare 30 runs", "matching params.kernel = 'rbf'", "Same in every run: kernel = rbf, seed = 7"))
	b.run(t, "by ids", chromedp.Navigate(base+"/compare?runs="+ids[0]+","+ids[1]+",0123456789abcdef0123456789abcdef"),
		waitText("Compare 3 runs", "Showing 2 of 3 runs (the others were not found)", "Params (differences highlighted)"),
		// A few runs: MLflow's layout, with legends.
		waitJS(`document.querySelectorAll(".u-legend").length === 2`))

	b.mu.Lock()
	defer b.mu.Unlock()
	for _, e := range b.errors {
		t.Errorf("browser console: %s", e)
	}
}
