package preprocess

import (
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/weirhq/weir/ml/frame"
)

// Imputation strategies.
const (
	Mean         = "mean"
	Median       = "median"
	MostFrequent = "most_frequent"
	Constant     = "constant"
)

// Imputer fills missing values (and NaN in Float columns). Numeric columns
// may use any strategy and become Float columns; String columns may use
// most_frequent or constant and stay String columns.
type Imputer struct {
	// Columns are the columns to fill; empty means every column with a
	// missing value at fit time.
	Columns []string `json:"columns"`
	// Strategy is "mean", "median", "most_frequent" (ties go to the
	// smallest value) or "constant".
	Strategy string `json:"strategy"`
	// FillValue is the text of the constant for the constant strategy,
	// parsed as a number for numeric columns.
	FillValue string `json:"fill_value,omitempty"`
	// Values are the fitted fill values of each column, as text.
	Values []string `json:"values"`
}

// Kind returns "imputer".
func (m *Imputer) Kind() string { return "imputer" }

// Fit computes the fill value of each column.
func (m *Imputer) Fit(f *frame.Frame) error {
	switch m.Strategy {
	case Mean, Median, MostFrequent, Constant:
	default:
		return fmt.Errorf("imputer: unknown strategy %q (want mean, median, most_frequent or constant)", m.Strategy)
	}
	names := m.Columns
	if len(names) == 0 {
		for _, c := range f.Columns() {
			if c.NullCount() > 0 || hasNaN(c) {
				names = append(names, c.Name())
			}
		}
	}
	m.Columns, m.Values = names, make([]string, len(names))
	for j, n := range names {
		c, err := f.Column(n)
		if err != nil {
			return err
		}
		numeric := c.Type() == frame.Float || c.Type() == frame.Int || c.Type() == frame.Bool
		switch {
		case m.Strategy == Constant:
			if numeric {
				if _, err := strconv.ParseFloat(m.FillValue, 64); err != nil {
					return fmt.Errorf("imputer: column %q is numeric but fill value %q is not a number", n, m.FillValue)
				}
			}
			m.Values[j] = m.FillValue
		case m.Strategy == MostFrequent:
			counts := map[string]int{}
			for i := 0; i < c.Len(); i++ {
				if !c.IsNull(i) && !(numeric && math.IsNaN(c.Float(i))) {
					counts[c.Format(i)]++
				}
			}
			if len(counts) == 0 {
				return fmt.Errorf("imputer: column %q has no values to fit on", n)
			}
			best, bestN := "", -1
			for _, cat := range categories(c) {
				if counts[cat] > bestN {
					best, bestN = cat, counts[cat]
				}
			}
			m.Values[j] = best
		default:
			if !numeric {
				return fmt.Errorf("imputer: column %q is %s; strategy %s needs a numeric column", n, c.Type(), m.Strategy)
			}
			v := present(c)
			if len(v) == 0 {
				return fmt.Errorf("imputer: column %q has no values to fit on", n)
			}
			var x float64
			if m.Strategy == Mean {
				for _, e := range v {
					x += e
				}
				x /= float64(len(v))
			} else {
				slices.Sort(v)
				x = Percentile(v, 50)
			}
			m.Values[j] = strconv.FormatFloat(x, 'g', -1, 64)
		}
	}
	return nil
}

func hasNaN(c *frame.Column) bool {
	if c.Type() != frame.Float {
		return false
	}
	for i := 0; i < c.Len(); i++ {
		if !c.IsNull(i) && math.IsNaN(c.Float(i)) {
			return true
		}
	}
	return false
}

// Transform returns f with the missing values of the columns filled.
func (m *Imputer) Transform(f *frame.Frame) (*frame.Frame, error) {
	if m.Values == nil {
		return nil, ErrNotFitted
	}
	out := f
	for j, n := range m.Columns {
		c, err := f.Column(n)
		if err != nil {
			return nil, err
		}
		var col *frame.Column
		switch c.Type() {
		case frame.Float, frame.Int, frame.Bool:
			fill, err := strconv.ParseFloat(m.Values[j], 64)
			if err != nil {
				return nil, fmt.Errorf("imputer: column %q: fill value %q is not a number", n, m.Values[j])
			}
			v := make([]float64, c.Len())
			for i := range v {
				v[i] = c.Float(i)
				if math.IsNaN(v[i]) {
					v[i] = fill
				}
			}
			col = frame.NewFloat(n, v, nil)
		case frame.String:
			v := make([]string, c.Len())
			for i := range v {
				if c.IsNull(i) {
					v[i] = m.Values[j]
				} else {
					v[i] = c.Str(i)
				}
			}
			col = frame.NewString(n, v, nil)
		default:
			return nil, fmt.Errorf("imputer: column %q is %s, which cannot be imputed", n, c.Type())
		}
		if out, err = out.With(col); err != nil {
			return nil, err
		}
	}
	return out, nil
}
