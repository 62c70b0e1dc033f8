package evaluate

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/weirhq/weir/steps/scoring"
)

// Each plot is a decodable PNG of the size asked for; the ROC curve goes from (0,0) to
// (1,1) through one point per distinct score.
func TestPlotsArePNGs(t *testing.T) {
	t.Parallel()
	reg := &scoring.Result{YTrue: []float64{1, 2, 3, 4}, YPred: []float64{1.1, 1.9, 3.2, 3.7}}
	cls := &scoring.Result{Classes: []string{"no", "yes"}, True: []int{0, 0, 1, 1, 1}, Pred: []int{0, 1, 1, 1, 0},
		Proba: [][]float64{{.9, .1}, {.4, .6}, {.2, .8}, {.3, .7}, {.6, .4}}, Confusion: [][]int{{1, 1}, {1, 2}},
		Metrics: map[string]float64{"roc_auc": 0.667}}
	for name, draw := range map[string]func() ([]byte, error){
		"residuals":        func() ([]byte, error) { return residualPlot(reg, "y") },
		"roc_curve":        func() ([]byte, error) { return rocPlot(cls) },
		"confusion_matrix": func() ([]byte, error) { return confusionPlot(cls) },
	} {
		b, err := draw()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if w := img.Bounds().Dx(); w < 300 {
			t.Fatalf("%s: %d pixels wide", name, w)
		}
		if dir := os.Getenv("WEIR_PLOT_DIR"); dir != "" {
			os.WriteFile(filepath.Join(dir, name+".png"), b, 0o644)
		}
	}
	pts := rocCurve([]bool{false, true, true, false}, []float64{.1, .8, .8, .5})
	if len(pts) != 4 || pts[1].X != 0 || pts[1].Y != 1 || pts[3].X != 1 || pts[3].Y != 1 {
		t.Fatalf("ROC points %v", pts)
	}
}
