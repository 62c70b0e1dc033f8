package preprocess

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/weirhq/weir/ml/frame"
)

// ErrNotFitted is returned when a transform is used before Fit.
var ErrNotFitted = errors.New("preprocess: transform used before Fit")

// Transformer is a data transform fitted on training data.
type Transformer interface {
	// Kind returns the transform's name in saved pipelines, such as
	// "standard_scaler".
	Kind() string
	// Fit learns the transform's parameters from f.
	Fit(f *frame.Frame) error
	// Transform applies the fitted transform to f, returning a new frame.
	Transform(f *frame.Frame) (*frame.Frame, error)
}

// numericColumns returns names, or when empty all Float, Int and Bool
// columns of f, checking that each exists and is numeric.
func numericColumns(f *frame.Frame, names []string) ([]string, error) {
	if len(names) == 0 {
		for _, c := range f.Columns() {
			switch c.Type() {
			case frame.Float, frame.Int, frame.Bool:
				names = append(names, c.Name())
			}
		}
		return names, nil
	}
	for _, n := range names {
		c, err := f.Column(n)
		if err != nil {
			return nil, err
		}
		switch c.Type() {
		case frame.Float, frame.Int, frame.Bool:
		default:
			return nil, fmt.Errorf("column %q is %s, not numeric", n, c.Type())
		}
	}
	return names, nil
}

// present returns the non-missing, non-NaN values of a numeric column.
func present(c *frame.Column) []float64 {
	out := make([]float64, 0, c.Len())
	for i := 0; i < c.Len(); i++ {
		if v := c.Float(i); !math.IsNaN(v) {
			out = append(out, v)
		}
	}
	return out
}

// fitStats computes two statistics of each named column's present values
// with stat, failing on a column that has none.
func fitStats(f *frame.Frame, names []string, stat func(v []float64) (a, b float64)) (as, bs []float64, err error) {
	as, bs = make([]float64, len(names)), make([]float64, len(names))
	for j, n := range names {
		c, _ := f.Column(n)
		v := present(c)
		if len(v) == 0 {
			return nil, nil, fmt.Errorf("column %q has no values to fit on", n)
		}
		as[j], bs[j] = stat(v)
	}
	return as, bs, nil
}

// affine replaces each named column by (x - shift[j]) / scale[j] as a Float
// column, keeping missing values missing.
func affine(f *frame.Frame, names []string, shift, scale []float64, add []float64) (*frame.Frame, error) {
	if shift == nil {
		return nil, ErrNotFitted
	}
	out := f
	for j, n := range names {
		c, err := f.Column(n)
		if err != nil {
			return nil, err
		}
		switch c.Type() {
		case frame.Float, frame.Int, frame.Bool:
		default:
			return nil, fmt.Errorf("column %q is %s, not numeric", n, c.Type())
		}
		v := make([]float64, c.Len())
		var valid []bool
		for i := range v {
			if c.IsNull(i) {
				if valid == nil {
					valid = make([]bool, len(v))
					for k := range valid {
						valid[k] = true
					}
				}
				valid[i] = false
				v[i] = math.NaN()
				continue
			}
			v[i] = (c.Float(i) - shift[j]) / scale[j]
			if add != nil {
				v[i] += add[j]
			}
		}
		if out, err = out.With(frame.NewFloat(n, v, valid)); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// StandardScaler centres each column to mean 0 and scales it to standard
// deviation 1 (population standard deviation; a constant column is only
// centred).
type StandardScaler struct {
	// Columns are the columns to scale; empty means every numeric column
	// at fit time.
	Columns []string `json:"columns"`
	// Mean is the fitted mean of each column.
	Mean []float64 `json:"mean"`
	// Scale is the fitted standard deviation of each column, 1 when it is 0.
	Scale []float64 `json:"scale"`
}

// Kind returns "standard_scaler".
func (s *StandardScaler) Kind() string { return "standard_scaler" }

// Fit computes each column's mean and standard deviation, ignoring missing
// values.
func (s *StandardScaler) Fit(f *frame.Frame) error {
	names, err := numericColumns(f, s.Columns)
	if err != nil {
		return err
	}
	mean, scale, err := fitStats(f, names, func(v []float64) (float64, float64) {
		var mean float64
		for _, x := range v {
			mean += x
		}
		mean /= float64(len(v))
		var ss float64
		for _, x := range v {
			ss += (x - mean) * (x - mean)
		}
		sd := math.Sqrt(ss / float64(len(v)))
		if sd < 10*2.220446049250313e-16 {
			sd = 1
		}
		return mean, sd
	})
	if err != nil {
		return err
	}
	s.Columns, s.Mean, s.Scale = names, mean, scale
	return nil
}

// Transform returns f with the columns standardised.
func (s *StandardScaler) Transform(f *frame.Frame) (*frame.Frame, error) {
	return affine(f, s.Columns, s.Mean, s.Scale, nil)
}

// MinMaxScaler maps each column linearly so that its training minimum and
// maximum become Low and High (0 and 1 by default).
type MinMaxScaler struct {
	// Columns are the columns to scale; empty means every numeric column
	// at fit time.
	Columns []string `json:"columns"`
	// Low is the lower end of the target range; Low and High both 0 mean
	// [0, 1] (an empty range is not meaningful), which Fit does not write
	// back. Otherwise Low < High, both finite.
	Low float64 `json:"low"`
	// High is the upper end of the target range.
	High float64 `json:"high"`
	// Min is the fitted minimum of each column.
	Min []float64 `json:"min"`
	// Max is the fitted maximum of each column.
	Max []float64 `json:"max"`
}

// Kind returns "minmax_scaler".
func (s *MinMaxScaler) Kind() string { return "minmax_scaler" }

// Fit records each column's minimum and maximum, ignoring missing values.
func (s *MinMaxScaler) Fit(f *frame.Frame) error {
	names, err := numericColumns(f, s.Columns)
	if err != nil {
		return err
	}
	low, high := s.featureRange()
	if math.IsNaN(low) || math.IsInf(low, 0) || math.IsNaN(high) || math.IsInf(high, 0) || low >= high {
		return fmt.Errorf("minmax_scaler: range [Low, High] = [%v, %v]: it must hold finite numbers with Low < High (both 0 means [0, 1])", s.Low, s.High)
	}
	lo, hi, err := fitStats(f, names, func(v []float64) (float64, float64) { return slices.Min(v), slices.Max(v) })
	if err != nil {
		return err
	}
	s.Columns, s.Min, s.Max = names, lo, hi
	return nil
}

// featureRange returns the target range, [0, 1] when Low and High are
// both 0.
func (s *MinMaxScaler) featureRange() (float64, float64) {
	if s.Low == 0 && s.High == 0 {
		return 0, 1
	}
	return s.Low, s.High
}

// Transform returns f with the columns rescaled.
func (s *MinMaxScaler) Transform(f *frame.Frame) (*frame.Frame, error) {
	if s.Min == nil {
		return nil, ErrNotFitted
	}
	// sklearn: X*scale + (low - min*scale), scale = (high-low)/(max-min).
	shift := make([]float64, len(s.Min))
	scale := make([]float64, len(s.Min))
	add := make([]float64, len(s.Min))
	low, high := s.featureRange()
	for j := range s.Min {
		r := s.Max[j] - s.Min[j]
		if r == 0 {
			r = 1
		}
		sc := (high - low) / r
		shift[j], scale[j], add[j] = 0, 1/sc, low-s.Min[j]*sc
	}
	return affine(f, s.Columns, shift, scale, add)
}

// RobustScaler subtracts each column's median and divides by its
// interquartile range (75th minus 25th percentile; 1 when it is 0).
type RobustScaler struct {
	// Columns are the columns to scale; empty means every numeric column
	// at fit time.
	Columns []string `json:"columns"`
	// Center is the fitted median of each column.
	Center []float64 `json:"center"`
	// Scale is the fitted interquartile range of each column.
	Scale []float64 `json:"scale"`
}

// Kind returns "robust_scaler".
func (s *RobustScaler) Kind() string { return "robust_scaler" }

// Fit computes each column's median and interquartile range, ignoring
// missing values.
func (s *RobustScaler) Fit(f *frame.Frame) error {
	names, err := numericColumns(f, s.Columns)
	if err != nil {
		return err
	}
	center, scale, err := fitStats(f, names, func(v []float64) (float64, float64) {
		slices.Sort(v)
		iqr := Percentile(v, 75) - Percentile(v, 25)
		if iqr == 0 {
			iqr = 1
		}
		return Percentile(v, 50), iqr
	})
	if err != nil {
		return err
	}
	s.Columns, s.Center, s.Scale = names, center, scale
	return nil
}

// Transform returns f with the columns robustly scaled.
func (s *RobustScaler) Transform(f *frame.Frame) (*frame.Frame, error) {
	return affine(f, s.Columns, s.Center, s.Scale, nil)
}

// Percentile returns the q-th percentile (0 ≤ q ≤ 100) of sorted values
// with linear interpolation, NumPy's default method. It returns NaN for an
// empty slice.
func Percentile(sorted []float64, q float64) float64 {
	n := len(sorted)
	if n == 0 {
		return math.NaN()
	}
	pos := q / 100 * float64(n-1)
	lo := int(math.Floor(pos))
	if lo >= n-1 {
		return sorted[n-1]
	}
	t := pos - float64(lo)
	a, b := sorted[lo], sorted[lo+1]
	if t >= 0.5 {
		return b - (b-a)*(1-t)
	}
	return a + (b-a)*t
}

// Select keeps only the named columns, in the given order.
type Select struct {
	// Columns are the columns kept.
	Columns []string `json:"columns"`
}

// Kind returns "select".
func (s *Select) Kind() string { return "select" }

// Fit checks that the columns exist.
func (s *Select) Fit(f *frame.Frame) error {
	_, err := f.Select(s.Columns...)
	return err
}

// Transform returns the selected columns.
func (s *Select) Transform(f *frame.Frame) (*frame.Frame, error) {
	return f.Select(s.Columns...)
}

// Pipeline applies transforms in order; each is fitted on the output of the
// previous ones. A fitted Pipeline marshals to and from JSON.
type Pipeline struct {
	// Steps are the transforms, applied first to last.
	Steps []Transformer
}

// Fit fits every step in turn on the transformed training data.
func (p *Pipeline) Fit(f *frame.Frame) error {
	_, err := p.FitTransform(f)
	return err
}

// FitTransform fits every step and returns the transformed training data.
func (p *Pipeline) FitTransform(f *frame.Frame) (*frame.Frame, error) {
	for _, s := range p.Steps {
		if err := s.Fit(f); err != nil {
			return nil, fmt.Errorf("%s: %w", s.Kind(), err)
		}
		var err error
		if f, err = s.Transform(f); err != nil {
			return nil, fmt.Errorf("%s: %w", s.Kind(), err)
		}
	}
	return f, nil
}

// Transform applies the fitted steps.
func (p *Pipeline) Transform(f *frame.Frame) (*frame.Frame, error) {
	for _, s := range p.Steps {
		var err error
		if f, err = s.Transform(f); err != nil {
			return nil, fmt.Errorf("%s: %w", s.Kind(), err)
		}
	}
	return f, nil
}

type stepJSON struct {
	Kind   string          `json:"kind"`
	Params json.RawMessage `json:"params"`
}

// MarshalJSON encodes the steps as [{"kind": …, "params": {…}}, …].
func (p Pipeline) MarshalJSON() ([]byte, error) {
	steps := make([]stepJSON, len(p.Steps))
	for i, s := range p.Steps {
		b, err := json.Marshal(s)
		if err != nil {
			return nil, err
		}
		steps[i] = stepJSON{Kind: s.Kind(), Params: b}
	}
	return json.Marshal(map[string]any{"steps": steps})
}

// UnmarshalJSON decodes what MarshalJSON encodes.
func (p *Pipeline) UnmarshalJSON(b []byte) error {
	var raw struct {
		Steps []stepJSON `json:"steps"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	p.Steps = nil
	for i, s := range raw.Steps {
		t, err := newTransformer(s.Kind)
		if err != nil {
			return fmt.Errorf("pipeline step %d: %w", i, err)
		}
		if err := json.Unmarshal(s.Params, t); err != nil {
			return fmt.Errorf("pipeline step %d (%s): %w", i, s.Kind, err)
		}
		p.Steps = append(p.Steps, t)
	}
	return nil
}

func newTransformer(kind string) (Transformer, error) {
	switch kind {
	case "standard_scaler":
		return &StandardScaler{}, nil
	case "minmax_scaler":
		return &MinMaxScaler{}, nil
	case "robust_scaler":
		return &RobustScaler{}, nil
	case "imputer":
		return &Imputer{}, nil
	case "onehot_encoder":
		return &OneHotEncoder{}, nil
	case "ordinal_encoder":
		return &OrdinalEncoder{}, nil
	case "select":
		return &Select{}, nil
	}
	return nil, fmt.Errorf("unknown transform kind %q", kind)
}
