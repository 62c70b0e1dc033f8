package evaluate

import (
	"bytes"
	"fmt"
	"image/color"
	"sort"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/weirhq/weir/steps/scoring"
)

// encodePNG renders p as a PNG of 5×4 inches.
func encodePNG(p *plot.Plot) ([]byte, error) {
	wt, err := p.WriterTo(5*vg.Inch, 4*vg.Inch, "png")
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if _, err := wt.WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// residualPlot draws residuals (true − predicted) against predictions.
func residualPlot(r *scoring.Result, target string) ([]byte, error) {
	p := plot.New()
	p.Title.Text = "Residuals of " + target
	p.X.Label.Text = "predicted"
	p.Y.Label.Text = "true − predicted"
	pts := make(plotter.XYs, len(r.YPred))
	lo, hi := 0.0, 0.0
	for i := range pts {
		pts[i].X, pts[i].Y = r.YPred[i], r.YTrue[i]-r.YPred[i]
		if i == 0 || pts[i].X < lo {
			lo = pts[i].X
		}
		if i == 0 || pts[i].X > hi {
			hi = pts[i].X
		}
	}
	sc, err := plotter.NewScatter(pts)
	if err != nil {
		return nil, err
	}
	sc.GlyphStyle.Shape = draw.CircleGlyph{}
	sc.GlyphStyle.Color = color.RGBA{R: 31, G: 119, B: 180, A: 255}
	zero, err := plotter.NewLine(plotter.XYs{{X: lo, Y: 0}, {X: hi, Y: 0}})
	if err != nil {
		return nil, err
	}
	zero.LineStyle.Dashes = []vg.Length{vg.Points(4), vg.Points(4)}
	p.Add(plotter.NewGrid(), sc, zero)
	return encodePNG(p)
}

// rocCurve returns the ROC curve of scores for the positive rows (false positive rate,
// true positive rate), one point per distinct score.
func rocCurve(positive []bool, score []float64) plotter.XYs {
	idx := make([]int, len(score))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return score[idx[a]] > score[idx[b]] })
	var pos, neg float64
	for _, p := range positive {
		if p {
			pos++
		} else {
			neg++
		}
	}
	pts := plotter.XYs{{X: 0, Y: 0}}
	var tp, fp float64
	for k, i := range idx {
		if positive[i] {
			tp++
		} else {
			fp++
		}
		if k == len(idx)-1 || score[idx[k+1]] != score[i] {
			pts = append(pts, plotter.XY{X: fp / max(neg, 1), Y: tp / max(pos, 1)})
		}
	}
	return pts
}

// rocPlot draws the ROC curve of a binary classifier (the positive class is the second),
// or one curve per class (one vs rest) for more classes.
func rocPlot(r *scoring.Result) ([]byte, error) {
	p := plot.New()
	p.Title.Text = "ROC curve"
	if auc, ok := r.Metrics["roc_auc"]; ok {
		p.Title.Text = fmt.Sprintf("ROC curve (AUC %.3f)", auc)
	}
	p.X.Label.Text = "false positive rate"
	p.Y.Label.Text = "true positive rate"
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, 1, 0, 1
	classes := []int{1}
	if len(r.Classes) > 2 {
		classes = classes[:0]
		for k := range r.Classes {
			classes = append(classes, k)
		}
	}
	p.Add(plotter.NewGrid())
	for n, k := range classes {
		positive := make([]bool, len(r.True))
		score := make([]float64, len(r.True))
		for i := range positive {
			positive[i] = r.True[i] == k
			score[i] = r.Proba[i][k]
		}
		l, err := plotter.NewLine(rocCurve(positive, score))
		if err != nil {
			return nil, err
		}
		l.LineStyle.Width = vg.Points(1.5)
		l.LineStyle.Color = plotutilColor(n)
		p.Add(l)
		p.Legend.Add(r.Classes[k], l)
	}
	diag, err := plotter.NewLine(plotter.XYs{{X: 0, Y: 0}, {X: 1, Y: 1}})
	if err != nil {
		return nil, err
	}
	diag.LineStyle.Dashes = []vg.Length{vg.Points(4), vg.Points(4)}
	p.Add(diag)
	p.Legend.Top = false
	p.Legend.Left = false
	return encodePNG(p)
}

func plotutilColor(i int) color.Color {
	cs := []color.RGBA{{31, 119, 180, 255}, {255, 127, 14, 255}, {44, 160, 44, 255}, {214, 39, 40, 255},
		{148, 103, 189, 255}, {140, 86, 75, 255}, {227, 119, 194, 255}, {127, 127, 127, 255}}
	return cs[i%len(cs)]
}

// grid is a confusion matrix as a heat map grid: column c is the predicted class, row r
// the true class (drawn top down).
type grid struct{ m [][]int }

func (g grid) Dims() (c, r int)   { return len(g.m), len(g.m) }
func (g grid) Z(c, r int) float64 { return float64(g.m[len(g.m)-1-r][c]) }
func (g grid) X(c int) float64    { return float64(c) }
func (g grid) Y(r int) float64    { return float64(r) }

// confusionPlot draws the confusion matrix with its counts.
func confusionPlot(r *scoring.Result) ([]byte, error) {
	p := plot.New()
	p.Title.Text = "Confusion matrix"
	p.X.Label.Text = "predicted"
	p.Y.Label.Text = "true"
	n := len(r.Confusion)
	pal := moreland.SmoothBlueRed().Palette(64)
	hm := plotter.NewHeatMap(grid{r.Confusion}, pal)
	if hm.Min == hm.Max {
		hm.Max = hm.Min + 1
	}
	p.Add(hm)
	var xys plotter.XYs
	var texts []string
	for t := 0; t < n; t++ {
		for c := 0; c < n; c++ {
			xys = append(xys, plotter.XY{X: float64(c), Y: float64(n - 1 - t)})
			texts = append(texts, fmt.Sprint(r.Confusion[t][c]))
		}
	}
	labels, err := plotter.NewLabels(plotter.XYLabels{XYs: xys, Labels: texts})
	if err != nil {
		return nil, err
	}
	for i := range labels.TextStyle {
		labels.TextStyle[i].XAlign = draw.XCenter
		labels.TextStyle[i].YAlign = draw.YCenter
	}
	p.Add(labels)
	names := make([]string, n)
	copy(names, r.Classes)
	p.NominalX(names...)
	rev := make([]string, n)
	for i := range rev {
		rev[i] = names[n-1-i]
	}
	p.NominalY(rev...)
	return encodePNG(p)
}
