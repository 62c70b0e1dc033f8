package live

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image/color"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/weirhq/weir/monitor/drift"
	"github.com/weirhq/weir/store"
)

var (
	refColor = color.RGBA{R: 31, G: 119, B: 180, A: 255}
	curColor = color.RGBA{R: 255, G: 127, B: 14, A: 255}
)

// DistributionPlot draws a feature's reference and current distributions side by side
// (shares per bin or per category), as a PNG.
func DistributionPlot(f drift.Feature) ([]byte, error) {
	p := plot.New()
	verdict := "no drift"
	if f.Drift {
		verdict = "DRIFT"
	}
	p.Title.Text = fmt.Sprintf("%s: %s %.4g (%s)", f.Column, f.Test, f.Score, verdict)
	p.Y.Label.Text = "share"
	n := len(f.RefShares)
	if n == 0 || len(f.CurShares) != n {
		return nil, fmt.Errorf("feature %s has no binned distributions to draw", f.Column)
	}
	labels := make([]string, n)
	every := max(1, n/8)
	for i := range labels {
		switch {
		case f.Labels != nil && i < len(f.Labels):
			labels[i] = f.Labels[i]
		case f.Edges != nil && i+1 < len(f.Edges) && i%every == 0:
			labels[i] = fmt.Sprintf("%.3g", (f.Edges[i]+f.Edges[i+1])/2)
		}
	}
	w := vg.Points(max(2, 120/float64(n)))
	ref, err := plotter.NewBarChart(plotter.Values(f.RefShares), w)
	if err != nil {
		return nil, err
	}
	ref.Color, ref.LineStyle.Width, ref.Offset = refColor, 0, -w/2
	cur, err := plotter.NewBarChart(plotter.Values(f.CurShares), w)
	if err != nil {
		return nil, err
	}
	cur.Color, cur.LineStyle.Width, cur.Offset = curColor, 0, w/2
	p.Add(plotter.NewGrid(), ref, cur)
	p.Legend.Add("reference", ref)
	p.Legend.Add("current", cur)
	p.Legend.Top = true
	// Headroom above the tallest bar, so the legend in the top corner covers no bar.
	top := 0.0
	for i := range n {
		top = max(top, f.RefShares[i], f.CurShares[i])
	}
	p.Y.Min, p.Y.Max = 0, max(top*1.3, 0.01)
	p.NominalX(labels...)
	return png(p)
}

// HistoryPlot draws, over time (oldest to newest result), each feature's drift score
// and the share of drifted features, as a PNG.
func HistoryPlot(monitor string, results []*Result) ([]byte, error) {
	p := plot.New()
	p.Title.Text = "monitor " + monitor + ": drift over time"
	p.X.Label.Text = "time (UTC)"
	p.Y.Label.Text = "score / share"
	p.X.Tick.Marker = plot.TimeTicks{Format: "01-02 15:04:05"}
	series := map[string]plotter.XYs{}
	var names []string
	var share plotter.XYs
	for _, res := range results {
		if res.Data == nil {
			continue
		}
		x := float64(res.Time.UnixMicro()) / 1e6
		share = append(share, plotter.XY{X: x, Y: res.Data.Share})
		for _, f := range res.Data.Features {
			key := fmt.Sprintf("%s (%s)", f.Column, f.Test)
			if _, ok := series[key]; !ok {
				names = append(names, key)
			}
			series[key] = append(series[key], plotter.XY{X: x, Y: f.Score})
		}
	}
	if len(share) == 0 {
		return nil, fmt.Errorf("monitor %s has no judged result to draw yet", monitor)
	}
	slices.Sort(names)
	p.Add(plotter.NewGrid())
	for i, name := range names {
		l, pts, err := plotter.NewLinePoints(series[name])
		if err != nil {
			return nil, err
		}
		c := plotColor(i)
		l.Color, pts.Color = c, c
		p.Add(l, pts)
		p.Legend.Add(name, l, pts)
	}
	l, err := plotter.NewLine(share)
	if err != nil {
		return nil, err
	}
	l.Width, l.Dashes = vg.Points(2), []vg.Length{vg.Points(6), vg.Points(3)}
	p.Add(l)
	p.Legend.Add("drifted share", l)
	p.Legend.Top = true
	return png(p)
}

func plotColor(i int) color.Color {
	palette := []color.RGBA{{31, 119, 180, 255}, {255, 127, 14, 255}, {44, 160, 44, 255}, {214, 39, 40, 255},
		{148, 103, 189, 255}, {140, 86, 75, 255}, {227, 119, 194, 255}, {127, 127, 127, 255}}
	return palette[i%len(palette)]
}

func png(p *plot.Plot) ([]byte, error) {
	wt, err := p.WriterTo(6*vg.Inch, 4*vg.Inch, "png")
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if _, err := wt.WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// ErrNoPlot is returned by Plot for a plot that cannot be drawn (yet): no judged result,
// or no such feature.
var ErrNoPlot = errors.New("no such plot")

// HistoryLimit is how many of the latest results the history plot draws.
const HistoryLimit = 500

// Plot draws one plot of a monitor from its stored results: "history" (drift score over
// time) or a feature's name (reference vs current distribution of the latest judged
// result; "prediction" for the model's outputs). ErrNotFound (wrapped) for an unknown
// monitor; ErrNoPlot (wrapped) when there is nothing to draw.
func Plot(ctx context.Context, st store.Store, monitor, name string) ([]byte, error) {
	if _, err := st.GetMonitor(ctx, monitor); err != nil {
		return nil, err
	}
	srs, err := st.ListMonitorResults(ctx, store.MonitorResultFilter{Monitor: monitor, Limit: HistoryLimit})
	if err != nil {
		return nil, err
	}
	var results []*Result
	for i := len(srs) - 1; i >= 0; i-- {
		res, err := Decode(srs[i])
		if err != nil {
			return nil, err
		}
		results = append(results, res)
	}
	if name == "history" {
		b, err := HistoryPlot(monitor, results)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrNoPlot, err)
		}
		return b, nil
	}
	for i := len(results) - 1; i >= 0; i-- {
		res := results[i]
		if res.Data == nil {
			continue
		}
		if name == "prediction" && res.Prediction != nil && res.Prediction.Feature != nil {
			return DistributionPlot(*res.Prediction.Feature)
		}
		var names []string
		for _, f := range res.Data.Features {
			if f.Column == name {
				return DistributionPlot(f)
			}
			names = append(names, f.Column)
		}
		return nil, fmt.Errorf("%w: monitor %s's latest result has no feature %q (features: %v, and history, prediction)", ErrNoPlot, monitor, name, names)
	}
	return nil, fmt.Errorf("%w: monitor %s has no judged result yet (run it: weir monitors run %s)", ErrNoPlot, monitor, monitor)
}
