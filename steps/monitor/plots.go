package monitor

import (
	"bytes"
	"fmt"
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/weirhq/weir/monitor/drift"
)

// distributionPlot draws a feature's reference and current distributions side by
// side: shares per bin (numeric) or per category.
func distributionPlot(f drift.Feature) ([]byte, error) {
	p := plot.New()
	verdict := "no drift"
	if f.Drift {
		verdict = "DRIFT"
	}
	p.Title.Text = fmt.Sprintf("%s: %s %.4g (%s)", f.Column, f.Test, f.Score, verdict)
	p.Y.Label.Text = "share"
	n := len(f.RefShares)
	labels := make([]string, n)
	every := max(1, n/8)
	for i := range labels {
		switch {
		case f.Labels != nil:
			labels[i] = f.Labels[i]
		case f.Edges != nil && i%every == 0:
			labels[i] = fmt.Sprintf("%.3g", (f.Edges[i]+f.Edges[i+1])/2)
		}
	}
	w := vg.Points(max(2, 120/float64(max(n, 1))))
	ref, err := plotter.NewBarChart(plotter.Values(f.RefShares), w)
	if err != nil {
		return nil, err
	}
	ref.Color = color.RGBA{R: 31, G: 119, B: 180, A: 255}
	ref.LineStyle.Width = 0
	ref.Offset = -w / 2
	cur, err := plotter.NewBarChart(plotter.Values(f.CurShares), w)
	if err != nil {
		return nil, err
	}
	cur.Color = color.RGBA{R: 255, G: 127, B: 14, A: 255}
	cur.LineStyle.Width = 0
	cur.Offset = w / 2
	p.Add(plotter.NewGrid(), ref, cur)
	p.Legend.Add("reference", ref)
	p.Legend.Add("current", cur)
	p.Legend.Top = true
	p.NominalX(labels...)
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
