package evaluate

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/weirhq/weir/ml/frame"
	"github.com/weirhq/weir/ml/model"
	"github.com/weirhq/weir/steps/scoring"
)

// Permutation configures permutation importance (scikit-learn's
// sklearn.inspection.permutation_importance, on the model's input columns).
type Permutation struct {
	// Repeats is how many times each column is shuffled; 0 turns permutation importance
	// off (scikit-learn's default n_repeats is 5).
	Repeats int `yaml:"repeats" doc:"How many times each input column is shuffled; setting it turns permutation importance on (scikit-learn's n_repeats, 5 by default there)."`
	// Seed seeds the shuffles.
	Seed int `yaml:"seed" doc:"The seed of the shuffles (default 0)."`
	// Metric is the score whose drop is measured; default r2 (regression) or accuracy.
	Metric string `yaml:"metric" doc:"The score whose drop is measured: default r2 for regression, accuracy for classification."`
}

// importance is one input column's permutation importance: the mean and standard deviation
// over the repeats of the score's drop (lower-is-better metrics are negated first).
type importance struct {
	Mean float64 `json:"mean"`
	Std  float64 `json:"std"`
}

// permutationImportance shuffles each input column of the held-out data, one at a time,
// and measures how much the model's score drops.
func permutationImportance(m *model.Model, data *frame.Frame, target string, base map[string]float64, p *Permutation) (map[string]importance, string, error) {
	metric := p.Metric
	if metric == "" {
		metric = "r2"
		if m.Task == model.Classification {
			metric = "accuracy"
		}
	}
	b, ok := base[metric]
	if !ok {
		return nil, metric, fmt.Errorf("permutation_importance.metric: %s is not computed for this %s model", metric, m.Task)
	}
	sign := 1.0
	if lowerIsBetter(metric) {
		sign = -1
	}
	repeats := p.Repeats
	if repeats <= 0 {
		repeats = 5
	}
	rng := rand.New(rand.NewPCG(uint64(p.Seed), 0x5eed))
	n := data.NumRows()
	out := map[string]importance{}
	for _, in := range m.Signature.Inputs {
		col, err := data.Select(in.Name)
		if err != nil {
			return nil, metric, err
		}
		drops := make([]float64, repeats)
		for r := range drops {
			perm := rng.Perm(n)
			shuffled, err := col.Take(perm)
			if err != nil {
				return nil, metric, err
			}
			f, err := data.With(shuffled.Col(0))
			if err != nil {
				return nil, metric, err
			}
			res, err := scoring.Score(m, f, target)
			if err != nil {
				return nil, metric, err
			}
			drops[r] = sign * (b - res.Metrics[metric])
		}
		mean, std := meanStd(drops)
		out[in.Name] = importance{Mean: mean, Std: std}
	}
	return out, metric, nil
}

func lowerIsBetter(metric string) bool {
	switch metric {
	case "rmse", "mse", "mae", "mape", "log_loss":
		return true
	}
	return false
}

// meanStd returns the mean and the population standard deviation (NumPy's default, as
// scikit-learn reports importances_std).
func meanStd(v []float64) (float64, float64) {
	s := 0.0
	for _, x := range v {
		s += x
	}
	mean := s / float64(len(v))
	ss := 0.0
	for _, x := range v {
		ss += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(ss / float64(len(v)))
}

// sortedImportances returns the columns by decreasing mean importance.
func sortedImportances(imp map[string]importance) []string {
	names := make([]string, 0, len(imp))
	for k := range imp {
		names = append(names, k)
	}
	sort.Slice(names, func(i, j int) bool {
		if imp[names[i]].Mean != imp[names[j]].Mean {
			return imp[names[i]].Mean > imp[names[j]].Mean
		}
		return names[i] < names[j]
	})
	return names
}

// permutationPlot draws the importances as horizontal bars with their standard deviation,
// largest on top.
func permutationPlot(imp map[string]importance) ([]byte, error) {
	names := sortedImportances(imp)
	if len(names) > 20 {
		names = names[:20]
	}
	vals := make(plotter.Values, len(names))
	labels := make([]string, len(names))
	for i, n := range names {
		vals[len(names)-1-i] = imp[n].Mean
		labels[len(names)-1-i] = n
	}
	p := plot.New()
	p.Title.Text = "Permutation importance (held-out data)"
	p.X.Label.Text = "score drop"
	bars, err := plotter.NewBarChart(vals, vg.Points(10))
	if err != nil {
		return nil, err
	}
	bars.Horizontal = true
	p.Add(bars)
	p.NominalY(labels...)
	return encodePNG(p)
}
