package model_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/weirhq/weir/ml/cluster"
	"github.com/weirhq/weir/ml/ensemble"
	"github.com/weirhq/weir/ml/frame"
	"github.com/weirhq/weir/ml/linear"
	"github.com/weirhq/weir/ml/model"
	"github.com/weirhq/weir/ml/preprocess"
	"github.com/weirhq/weir/ml/tree"
)

// customers is a small mixed-type frame derived from the wine data set:
// numeric columns with gaps, a categorical column, and a string target.
func customers(t testing.TB) *frame.Frame {
	t.Helper()
	f, err := frame.Open(t.Context(), "../testdata/data/wine.csv", frame.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	n := f.NumRows()
	alcohol, _ := f.Column("alcohol")
	target, _ := f.Column("target_class")
	color, _ := f.Column("color_intensity")
	alc := make([]float64, n)
	valid := make([]bool, n)
	region := make([]string, n)
	label := make([]string, n)
	for i := 0; i < n; i++ {
		alc[i], valid[i] = alcohol.Float(i), i%13 != 0
		region[i] = []string{"north", "south", "east"}[int(color.Float(i))%3]
		label[i] = []string{"barolo", "grignolino", "barbera"}[target.Int(i)]
	}
	f, _ = f.Drop("alcohol", "target_class")
	f, _ = f.With(frame.NewFloat("alcohol", alc, valid))
	f, _ = f.With(frame.NewString("region", region, nil))
	f, _ = f.With(frame.NewString("cultivar", label, nil))
	return f
}

func pipeline() *preprocess.Pipeline {
	return &preprocess.Pipeline{Steps: []preprocess.Transformer{
		&preprocess.Imputer{Columns: []string{"alcohol"}, Strategy: preprocess.Median},
		&preprocess.OneHotEncoder{Columns: []string{"region"}},
		&preprocess.StandardScaler{},
	}}
}

func estimators() map[string]func() any {
	return map[string]func() any{
		"logistic": func() any { return &linear.LogisticRegression{} },
		"tree":     func() any { return &tree.Classifier{MaxDepth: 5} },
		"forest": func() any {
			return &ensemble.ForestClassifier{ForestOptions: ensemble.ForestOptions{NEstimators: 15, Seed: 2}}
		},
		"boosting": func() any { return &ensemble.BoostingClassifier{BoostOptions: ensemble.BoostOptions{NEstimators: 15}} },
		"ols":      func() any { return &linear.LinearRegression{} },
		"ridge":    func() any { return &linear.Ridge{Alpha: new(2.0)} },
		"lasso":    func() any { return &linear.Lasso{Alpha: new(0.05)} },
		"enet":     func() any { return &linear.ElasticNet{Alpha: new(0.05)} },
		"rtree":    func() any { return &tree.Regressor{MaxDepth: 4} },
		"rforest": func() any {
			return &ensemble.ForestRegressor{ForestOptions: ensemble.ForestOptions{NEstimators: 10, Seed: 3}}
		},
		"rboost": func() any { return &ensemble.BoostingRegressor{BoostOptions: ensemble.BoostOptions{NEstimators: 20}} },
		"kmeans": func() any { return &cluster.KMeans{K: 3, Seed: 1} },
	}
}

func train(t testing.TB, name string) (*model.Model, *frame.Frame) {
	t.Helper()
	f := customers(t)
	cfg := model.Config{Estimator: estimators()[name](), Preprocess: pipeline(), Params: map[string]any{"name": name}}
	switch name {
	case "logistic", "tree", "forest", "boosting":
		cfg.Target = "cultivar"
	case "kmeans":
		cfg.Inputs = []string{"alcohol", "malic_acid", "flavanoids", "region"}
	default:
		cfg.Target = "proline"
		cfg.Inputs = []string{"alcohol", "malic_acid", "ash", "flavanoids", "hue", "region"}
	}
	m, err := model.Train(f, cfg)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return m, f
}

func sameBits(t *testing.T, a, b *model.Prediction) {
	t.Helper()
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if !bytes.Equal(ja, jb) {
		t.Fatal("predictions differ after loading")
	}
	for i := range a.Values {
		if math.Float64bits(a.Values[i]) != math.Float64bits(b.Values[i]) {
			t.Fatalf("value %d: %v != %v", i, a.Values[i], b.Values[i])
		}
	}
	for i := range a.Probabilities {
		for k := range a.Probabilities[i] {
			if math.Float64bits(a.Probabilities[i][k]) != math.Float64bits(b.Probabilities[i][k]) {
				t.Fatalf("probability %d,%d differs", i, k)
			}
		}
	}
}

func TestSaveLoadPredictsBitForBit(t *testing.T) {
	t.Parallel()
	for name := range estimators() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			m, f := train(t, name)
			before, err := m.Predict(f)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := m.Save(&buf); err != nil {
				t.Fatal(err)
			}
			loaded, err := model.Load(&buf)
			if err != nil {
				t.Fatal(err)
			}
			after, err := loaded.Predict(f)
			if err != nil {
				t.Fatal(err)
			}
			sameBits(t, before, after)
			if loaded.Metadata.DataFingerprint != model.Fingerprint(f) || loaded.Metadata.Rows != 178 {
				t.Errorf("metadata %+v", loaded.Metadata)
			}
		})
	}
}

func TestTrainedModelsAreUseful(t *testing.T) {
	t.Parallel()
	m, f := train(t, "logistic")
	p, err := m.Predict(f)
	if err != nil {
		t.Fatal(err)
	}
	target, _ := f.Column("cultivar")
	right := 0
	for i, l := range p.Labels {
		if l == target.Str(i) {
			right++
		}
	}
	if right < 170 {
		t.Fatalf("logistic regression labels %d/178 wine rows right", right)
	}
	if got := strings.Join(m.Signature.Classes, ","); got != "barbera,barolo,grignolino" {
		t.Fatalf("classes %s", got)
	}
}

// TestLoadInFreshProcess saves a model, then runs this test binary again
// to load it and predict, and compares the child's predictions bit for bit.
func TestLoadInFreshProcess(t *testing.T) {
	if path := os.Getenv("WEIR_TEST_MODEL"); path != "" {
		m, err := model.LoadFile(path)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(3)
		}
		p, err := m.Predict(customers(t))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(4)
		}
		_ = json.NewEncoder(os.Stdout).Encode(p)
		return
	}
	t.Parallel()
	dir := t.TempDir()
	for _, name := range []string{"boosting", "forest", "lasso"} {
		m, f := train(t, name)
		path := filepath.Join(dir, name+".json")
		if err := m.SaveFile(path); err != nil {
			t.Fatal(err)
		}
		want, _ := m.Predict(f)
		cmd := exec.Command(os.Args[0], "-test.run=^TestLoadInFreshProcess$")
		cmd.Env = append(os.Environ(), "WEIR_TEST_MODEL="+path)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s: child: %v", name, err)
		}
		var got model.Prediction
		dec := json.NewDecoder(bytes.NewReader(out))
		if err := dec.Decode(&got); err != nil {
			t.Fatalf("%s: child output %q: %v", name, out, err)
		}
		sameBits(t, want, &got)
	}
}

func TestPredictBadInput(t *testing.T) {
	t.Parallel()
	m, f := train(t, "ridge")
	noHue, _ := f.Drop("hue")
	if _, err := m.Predict(noHue); !errors.Is(err, frame.ErrNoColumn) || !strings.Contains(err.Error(), `"hue"`) {
		t.Errorf("missing column: %v", err)
	}
	asText := make([]string, f.NumRows())
	for i := range asText {
		asText[i] = "abc"
	}
	bad, _ := f.With(frame.NewString("ash", asText, nil))
	if _, err := m.Predict(bad); err == nil || err.Error() != `model: column "ash" is string; the model was trained on float` {
		t.Errorf("string column: %v", err)
	}
	v := make([]float64, f.NumRows())
	v[16] = math.NaN()
	nan, _ := f.With(frame.NewFloat("hue", v, nil))
	if _, err := m.Predict(nan); err == nil || !strings.Contains(err.Error(), `column "hue", row 17`) {
		t.Errorf("NaN: %v", err)
	}
}

func TestTrainBadInput(t *testing.T) {
	t.Parallel()
	f := customers(t)
	one := f.Filter(func(i int) bool { c, _ := f.Column("cultivar"); return c.Str(i) == "barolo" })
	for name, tc := range map[string]struct {
		f    *frame.Frame
		cfg  model.Config
		want string
	}{
		"one class":      {one, model.Config{Target: "cultivar", Estimator: &linear.LogisticRegression{}, Preprocess: pipeline()}, `only one class ("barolo")`},
		"no target":      {f, model.Config{Target: "nope", Estimator: &linear.Ridge{}, Preprocess: pipeline()}, `column "nope": no such column`},
		"empty":          {f.Head(0), model.Config{Target: "proline", Estimator: &linear.Ridge{}}, "empty training set"},
		"missing values": {f, model.Config{Target: "proline", Inputs: []string{"alcohol"}, Estimator: &linear.Ridge{}}, `column "alcohol", row 1: is missing`},
		"string input":   {f, model.Config{Target: "proline", Inputs: []string{"region"}, Estimator: &linear.Ridge{}}, `column "region" is string`},
		"missing input":  {f, model.Config{Target: "proline", Inputs: []string{"zzz"}, Estimator: &linear.Ridge{}}, `column "zzz"`},
		"unsupported":    {f, model.Config{Target: "proline", Estimator: struct{}{}}, "cannot be saved"},
	} {
		if _, err := model.Train(tc.f, tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", name, err, tc.want)
		}
	}
}

func TestLoadRejectsBadFiles(t *testing.T) {
	t.Parallel()
	m, _ := train(t, "rtree")
	var buf bytes.Buffer
	_ = m.Save(&buf)
	good := buf.String()
	for name, tc := range map[string]struct{ doc, want string }{
		"garbage":     {"{", "not a saved model"},
		"format":      {strings.Replace(good, `"weir.model"`, `"other"`, 1), "format"},
		"version":     {strings.Replace(good, `"format_version":1`, `"format_version":99`, 1), "version 99"},
		"kind":        {strings.Replace(good, `"tree.Regressor"`, `"tree.Magic"`, 1), "unknown estimator kind"},
		"bad child":   {strings.Replace(good, `"left":[1,`, `"left":[999,`, 1), "malformed"},
		"bad feature": {strings.Replace(good, `"feature":[`, `"feature":[77,`, 1), "tree"},
	} {
		if _, err := model.Load(strings.NewReader(tc.doc)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", name, err, tc.want)
		}
	}
}

// The model keeps per-column reference statistics of its training inputs, through a save
// and a load.
func TestReferenceStats(t *testing.T) {
	t.Parallel()
	f, err := frame.New(
		frame.NewFloat("x", []float64{0, 1, 2, 3, 4, 10}, []bool{true, true, true, true, true, false}),
		frame.NewString("c", []string{"a", "b", "a", "a", "b", "c"}, nil),
	)
	if err != nil {
		t.Fatal(err)
	}
	stats := model.ReferenceStats(f, 4)
	x, c := stats[0], stats[1]
	if x.Count != 5 || x.Missing != 1 || x.Mean != 2 || x.Min != 0 || x.Max != 4 || len(x.Edges) != 5 || x.Edges[4] != 4 {
		t.Fatalf("x: %+v", x)
	}
	if want := []int{1, 1, 1, 2}; fmt.Sprint(x.Counts) != fmt.Sprint(want) {
		t.Fatalf("x counts %v, want %v", x.Counts, want)
	}
	if fmt.Sprint(c.Levels, c.LevelCounts) != "[a b c] [3 2 1]" {
		t.Fatalf("c: %+v", c)
	}
}
