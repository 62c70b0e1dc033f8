package preprocess_test

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/weirhq/weir/ml/frame"
	"github.com/weirhq/weir/ml/preprocess"
)

func wine(t *testing.T) *frame.Frame {
	t.Helper()
	f, err := frame.Open(t.Context(), "../testdata/data/wine.csv", frame.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	f, err = f.Drop("target_class")
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestScalersAgainstSklearn(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../testdata/preprocess.json")
	if err != nil {
		t.Fatal(err)
	}
	var want map[string]json.RawMessage
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	f := wine(t)
	for name, tr := range map[string]preprocess.Transformer{
		"standard": &preprocess.StandardScaler{},
		"minmax":   &preprocess.MinMaxScaler{},
		"robust":   &preprocess.RobustScaler{},
	} {
		var rows [][]float64
		if err := json.Unmarshal(want[name], &rows); err != nil {
			t.Fatal(err)
		}
		if err := tr.Fit(f); err != nil {
			t.Fatal(err)
		}
		g, err := tr.Transform(f)
		if err != nil {
			t.Fatal(err)
		}
		m, err := g.Matrix()
		if err != nil {
			t.Fatal(err)
		}
		for i, row := range rows {
			for j, w := range row {
				if got := m.At(i, j); math.Abs(got-w) > 1e-9*math.Max(1, math.Abs(w)) {
					t.Errorf("%s [%d,%d] = %.15g, scikit-learn %.15g", name, i, j, got, w)
				}
			}
		}
	}
}

func people(t *testing.T) *frame.Frame {
	t.Helper()
	const data = `age,city,income,plan
30,Paris,1000,gold
,Lyon,2000,silver
50,Paris,,gold
40,,4000,bronze
`
	f, err := frame.ReadCSV(strings.NewReader(data), frame.CSVOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestImputeEncodeScalePipelineRoundTrip(t *testing.T) {
	t.Parallel()
	f := people(t)
	p := &preprocess.Pipeline{Steps: []preprocess.Transformer{
		&preprocess.Imputer{Columns: []string{"age", "income"}, Strategy: preprocess.Median},
		&preprocess.Imputer{Columns: []string{"city"}, Strategy: preprocess.MostFrequent},
		&preprocess.OneHotEncoder{Columns: []string{"city"}},
		&preprocess.OrdinalEncoder{Columns: []string{"plan"}},
		&preprocess.StandardScaler{Columns: []string{"age", "income"}},
	}}
	out, err := p.FitTransform(f)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(out.Names(), ","), "age,city=Lyon,city=Paris,income,plan"; got != want {
		t.Fatalf("columns %s, want %s", got, want)
	}
	m, err := out.Matrix()
	if err != nil {
		t.Fatal(err)
	}
	// age imputed with median 40 → [30 40 50 40]; mean 40, sd sqrt(50).
	if got := m.At(0, 0); math.Abs(got-(-10/math.Sqrt(50))) > 1e-12 {
		t.Errorf("scaled age[0] = %v", got)
	}
	// city row 4 missing → most frequent Paris.
	if m.At(3, 2) != 1 || m.At(3, 1) != 0 {
		t.Errorf("imputed city one-hot = %v %v", m.At(3, 1), m.At(3, 2))
	}
	// plan: bronze=0 gold=1 silver=2.
	if m.At(0, 4) != 1 || m.At(1, 4) != 2 || m.At(3, 4) != 0 {
		t.Errorf("plan codes %v %v %v", m.At(0, 4), m.At(1, 4), m.At(3, 4))
	}
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var q preprocess.Pipeline
	if err := json.Unmarshal(b, &q); err != nil {
		t.Fatal(err)
	}
	out2, err := q.Transform(f)
	if err != nil {
		t.Fatal(err)
	}
	m2, _ := out2.Matrix()
	r, c := m.Dims()
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			if math.Float64bits(m.At(i, j)) != math.Float64bits(m2.At(i, j)) {
				t.Fatalf("[%d,%d] %v != %v after JSON round trip", i, j, m.At(i, j), m2.At(i, j))
			}
		}
	}
}

func TestUnknownCategories(t *testing.T) {
	t.Parallel()
	train := people(t)
	test, _ := frame.New(frame.NewString("city", []string{"Paris", "Nice"}, nil), frame.NewString("plan", []string{"gold", "platinum"}, nil))
	oh := &preprocess.OneHotEncoder{Columns: []string{"city"}}
	if err := oh.Fit(train); err != nil {
		t.Fatal(err)
	}
	out, err := oh.Transform(test)
	if err != nil {
		t.Fatal(err)
	}
	m, _ := out.Matrix("city=Lyon", "city=Paris")
	if m.At(1, 0) != 0 || m.At(1, 1) != 0 || m.At(0, 1) != 1 {
		t.Fatalf("unknown city not all zeros: %v", m)
	}
	strict := &preprocess.OneHotEncoder{Columns: []string{"city"}, HandleUnknown: "error"}
	_ = strict.Fit(train)
	if _, err := strict.Transform(test); err == nil || err.Error() != `column "city", row 2: "Nice" is a category not seen in training` {
		t.Fatalf("err = %v", err)
	}
	ord := &preprocess.OrdinalEncoder{Columns: []string{"plan"}}
	_ = ord.Fit(train)
	out, _ = ord.Transform(test)
	plan, _ := out.Column("plan")
	if plan.Float(0) != 1 || plan.Float(1) != -1 {
		t.Fatalf("ordinal %v %v", plan.Float(0), plan.Float(1))
	}
}

func TestBadInput(t *testing.T) {
	t.Parallel()
	f := people(t)
	if err := (&preprocess.StandardScaler{Columns: []string{"nope"}}).Fit(f); !errors.Is(err, frame.ErrNoColumn) {
		t.Errorf("missing column: %v", err)
	}
	if err := (&preprocess.StandardScaler{Columns: []string{"city"}}).Fit(f); err == nil || !strings.Contains(err.Error(), `column "city" is string`) {
		t.Errorf("string column: %v", err)
	}
	if _, err := (&preprocess.StandardScaler{}).Transform(f); !errors.Is(err, preprocess.ErrNotFitted) {
		t.Errorf("not fitted: %v", err)
	}
	if err := (&preprocess.Imputer{Strategy: "magic"}).Fit(f); err == nil {
		t.Error("unknown strategy accepted")
	}
	if err := (&preprocess.Imputer{Columns: []string{"city"}, Strategy: preprocess.Mean}).Fit(f); err == nil {
		t.Error("mean of a string column accepted")
	}
	var p preprocess.Pipeline
	if err := json.Unmarshal([]byte(`{"steps":[{"kind":"bogus","params":{}}]}`), &p); err == nil {
		t.Error("unknown step kind accepted")
	}
}

func TestSplits(t *testing.T) {
	t.Parallel()
	y := make([]int, 100)
	for i := range y {
		if i%4 == 0 {
			y[i] = 1
		}
	}
	train, test, err := preprocess.StratifiedSplit(y, 0.2, 7)
	if err != nil {
		t.Fatal(err)
	}
	pos := 0
	for _, i := range test {
		pos += y[i]
	}
	if len(test) != 20 || len(train) != 80 || pos != 5 {
		t.Fatalf("test %d train %d positives in test %d", len(test), len(train), pos)
	}
	train2, _, _ := preprocess.StratifiedSplit(y, 0.2, 7)
	for i := range train {
		if train[i] != train2[i] {
			t.Fatal("same seed, different split")
		}
	}
	a, b, err := preprocess.TrainTestSplit(10, 0.3, 1)
	if err != nil || len(a) != 7 || len(b) != 3 {
		t.Fatalf("split %v %v %v", a, b, err)
	}
	folds, err := preprocess.StratifiedKFold(y, 5, 3)
	if err != nil {
		t.Fatal(err)
	}
	seen := make([]int, len(y))
	for _, f := range folds {
		p := 0
		for _, i := range f.Test {
			seen[i]++
			p += y[i]
		}
		if len(f.Test) != 20 || p != 5 || len(f.Train) != 80 {
			t.Fatalf("fold test %d positives %d train %d", len(f.Test), p, len(f.Train))
		}
	}
	for i, s := range seen {
		if s != 1 {
			t.Fatalf("row %d in %d test folds", i, s)
		}
	}
	kf, err := preprocess.KFold(11, 3, false, 0)
	if err != nil || len(kf[0].Test) != 4 || len(kf[2].Test) != 3 || kf[0].Test[0] != 0 {
		t.Fatalf("kfold %v %v", kf, err)
	}
	if _, err := preprocess.KFold(3, 5, true, 0); err == nil {
		t.Error("k > n accepted")
	}
	if _, _, err := preprocess.StratifiedSplit([]int{0, 0, 1}, 0.5, 0); err == nil {
		t.Error("class with one row accepted")
	}
}
