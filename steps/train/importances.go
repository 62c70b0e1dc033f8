package train

import (
	"bytes"
	"fmt"
	"sort"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/weirhq/weir/ml/model"
)

// maxPlotted is how many features the importance plot shows (the largest).
const maxPlotted = 20

// importances returns the fitted estimator's impurity importances by feature name (trees,
// forests and boosting; scikit-learn's feature_importances_), or nil for estimators that
// have none.
func importances(m *model.Model) map[string]float64 {
	fi, ok := m.Estimator.(interface{ FeatureImportances() []float64 })
	if !ok {
		return nil
	}
	vals := fi.FeatureImportances()
	names := m.Signature.Features
	if len(vals) == 0 || len(vals) != len(names) {
		return nil
	}
	out := make(map[string]float64, len(vals))
	for i, v := range vals {
		out[names[i]] = v
	}
	return out
}

// importancePlot draws the largest importances as horizontal bars, largest on top.
func importancePlot(imp map[string]float64) ([]byte, error) {
	type kv struct {
		name string
		v    float64
	}
	var all []kv
	for k, v := range imp {
		all = append(all, kv{k, v})
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].v != all[j].v {
			return all[i].v > all[j].v
		}
		return all[i].name < all[j].name
	})
	if len(all) > maxPlotted {
		all = all[:maxPlotted]
	}
	vals := make(plotter.Values, len(all))
	names := make([]string, len(all))
	for i, e := range all { // bottom to top: smallest first
		vals[len(all)-1-i] = e.v
		names[len(all)-1-i] = e.name
	}
	p := plot.New()
	p.Title.Text = "Feature importances (impurity)"
	p.X.Label.Text = "importance"
	bars, err := plotter.NewBarChart(vals, vg.Points(10))
	if err != nil {
		return nil, fmt.Errorf("importance plot: %w", err)
	}
	bars.Horizontal = true
	p.Add(bars)
	p.NominalY(names...)
	wt, err := p.WriterTo(6*vg.Inch, vg.Length(1.2+0.25*float64(len(all)))*vg.Inch, "png")
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if _, err := wt.WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
