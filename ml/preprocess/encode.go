package preprocess

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"

	"github.com/weirhq/weir/ml/frame"
)

// categories returns the sorted distinct non-missing values of a column as
// text (numbers sorted numerically for numeric columns).
func categories(c *frame.Column) []string {
	seen := map[string]bool{}
	var out []string
	for i := 0; i < c.Len(); i++ {
		if c.IsNull(i) {
			continue
		}
		s := c.Format(i)
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	switch c.Type() {
	case frame.Float, frame.Int:
		sort.Slice(out, func(a, b int) bool {
			x, _ := strconv.ParseFloat(out[a], 64)
			y, _ := strconv.ParseFloat(out[b], 64)
			return x < y
		})
	default:
		slices.Sort(out)
	}
	return out
}

func categoricalColumns(f *frame.Frame, names []string) ([]string, error) {
	if len(names) == 0 {
		for _, c := range f.Columns() {
			if c.Type() == frame.String || c.Type() == frame.Bool {
				names = append(names, c.Name())
			}
		}
		return names, nil
	}
	for _, n := range names {
		if _, err := f.Column(n); err != nil {
			return nil, err
		}
	}
	return names, nil
}

// OneHotEncoder replaces each categorical column by one 0/1 Float column per
// category seen in training, named "column=category". A missing value, and
// a category not seen in training when HandleUnknown is "ignore" (the
// default), encodes as all zeros.
type OneHotEncoder struct {
	// Columns are the columns to encode; empty means every String and Bool
	// column at fit time.
	Columns []string `json:"columns"`
	// HandleUnknown is "ignore" (default: all zeros) or "error".
	HandleUnknown string `json:"handle_unknown,omitempty"`
	// Categories are the fitted, sorted categories of each column.
	Categories [][]string `json:"categories"`
}

// Kind returns "onehot_encoder".
func (e *OneHotEncoder) Kind() string { return "onehot_encoder" }

// Fit records the categories of each column.
func (e *OneHotEncoder) Fit(f *frame.Frame) error {
	if e.HandleUnknown != "" && e.HandleUnknown != "ignore" && e.HandleUnknown != "error" {
		return fmt.Errorf("onehot_encoder: handle_unknown %q is not ignore or error", e.HandleUnknown)
	}
	names, err := categoricalColumns(f, e.Columns)
	if err != nil {
		return err
	}
	e.Columns, e.Categories = names, make([][]string, len(names))
	for j, n := range names {
		c, _ := f.Column(n)
		e.Categories[j] = categories(c)
	}
	return nil
}

// OutputNames returns the names of the columns the encoder produces.
func (e *OneHotEncoder) OutputNames() []string {
	var out []string
	for j, n := range e.Columns {
		for _, cat := range e.Categories[j] {
			out = append(out, n+"="+cat)
		}
	}
	return out
}

// Transform replaces the encoded columns by their indicator columns, which
// take the place of the first encoded column; other columns keep their
// order.
func (e *OneHotEncoder) Transform(f *frame.Frame) (*frame.Frame, error) {
	if e.Categories == nil {
		return nil, ErrNotFitted
	}
	enc := map[string]int{}
	for j, n := range e.Columns {
		enc[n] = j
	}
	var cols []*frame.Column
	for _, n := range e.Columns {
		if _, err := f.Column(n); err != nil {
			return nil, err
		}
	}
	for _, c := range f.Columns() {
		j, ok := enc[c.Name()]
		if !ok {
			cols = append(cols, c)
			continue
		}
		index := make(map[string]int, len(e.Categories[j]))
		for k, cat := range e.Categories[j] {
			index[cat] = k
		}
		data := make([][]float64, len(e.Categories[j]))
		for k := range data {
			data[k] = make([]float64, c.Len())
		}
		for i := 0; i < c.Len(); i++ {
			if c.IsNull(i) {
				continue
			}
			s := c.Format(i)
			k, ok := index[s]
			if !ok {
				if e.HandleUnknown == "error" {
					return nil, &frame.ValueError{Column: c.Name(), Row: i + 1, Value: s, Problem: "is a category not seen in training"}
				}
				continue
			}
			data[k][i] = 1
		}
		for k, cat := range e.Categories[j] {
			cols = append(cols, frame.NewFloat(c.Name()+"="+cat, data[k], nil))
		}
	}
	return frame.New(cols...)
}

// OrdinalEncoder replaces each categorical column by the index of its value
// in the sorted training categories, as a Float column. A missing value
// stays missing; an unknown category becomes Unknown (default -1), or is an
// error when HandleUnknown is "error".
type OrdinalEncoder struct {
	// Columns are the columns to encode; empty means every String and Bool
	// column at fit time.
	Columns []string `json:"columns"`
	// HandleUnknown is "use_encoded_value" (default) or "error".
	HandleUnknown string `json:"handle_unknown,omitempty"`
	// Unknown is the code of an unknown category; nil means -1.
	Unknown *float64 `json:"unknown,omitempty"`
	// Categories are the fitted, sorted categories of each column.
	Categories [][]string `json:"categories"`
}

// Kind returns "ordinal_encoder".
func (e *OrdinalEncoder) Kind() string { return "ordinal_encoder" }

// Fit records the categories of each column.
func (e *OrdinalEncoder) Fit(f *frame.Frame) error {
	if e.HandleUnknown != "" && e.HandleUnknown != "use_encoded_value" && e.HandleUnknown != "error" {
		return fmt.Errorf("ordinal_encoder: handle_unknown %q is not use_encoded_value or error", e.HandleUnknown)
	}
	names, err := categoricalColumns(f, e.Columns)
	if err != nil {
		return err
	}
	e.Columns, e.Categories = names, make([][]string, len(names))
	for j, n := range names {
		c, _ := f.Column(n)
		e.Categories[j] = categories(c)
	}
	return nil
}

// Transform replaces each encoded column by its codes.
func (e *OrdinalEncoder) Transform(f *frame.Frame) (*frame.Frame, error) {
	if e.Categories == nil {
		return nil, ErrNotFitted
	}
	unknown := -1.0
	if e.Unknown != nil {
		unknown = *e.Unknown
	}
	out := f
	for j, n := range e.Columns {
		c, err := f.Column(n)
		if err != nil {
			return nil, err
		}
		index := make(map[string]int, len(e.Categories[j]))
		for k, cat := range e.Categories[j] {
			index[cat] = k
		}
		v := make([]float64, c.Len())
		valid := make([]bool, c.Len())
		for i := range v {
			if c.IsNull(i) {
				v[i] = math.NaN()
				continue
			}
			valid[i] = true
			s := c.Format(i)
			k, ok := index[s]
			switch {
			case ok:
				v[i] = float64(k)
			case e.HandleUnknown == "error":
				return nil, &frame.ValueError{Column: n, Row: i + 1, Value: s, Problem: "is a category not seen in training"}
			default:
				v[i] = unknown
			}
		}
		if out, err = out.With(frame.NewFloat(n, v, valid)); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// LabelEncoder maps class labels (the text of a target column's values) to
// the integers 0…k-1 in sorted order, and back.
type LabelEncoder struct {
	// Classes are the fitted labels; class i is Classes[i].
	Classes []string `json:"classes"`
}

// Fit records the sorted distinct labels of c, which must have no missing
// values.
func (e *LabelEncoder) Fit(c *frame.Column) error {
	if n := c.NullCount(); n > 0 {
		return fmt.Errorf("target column %q has %d missing values", c.Name(), n)
	}
	e.Classes = categories(c)
	return nil
}

// Encode returns the class index of each row of c.
func (e *LabelEncoder) Encode(c *frame.Column) ([]int, error) {
	index := make(map[string]int, len(e.Classes))
	for k, cat := range e.Classes {
		index[cat] = k
	}
	out := make([]int, c.Len())
	for i := range out {
		if c.IsNull(i) {
			return nil, &frame.ValueError{Column: c.Name(), Row: i + 1, Problem: "is missing"}
		}
		k, ok := index[c.Format(i)]
		if !ok {
			return nil, &frame.ValueError{Column: c.Name(), Row: i + 1, Value: c.Format(i), Problem: "is not a known class"}
		}
		out[i] = k
	}
	return out, nil
}

// Decode returns the labels of class indexes.
func (e *LabelEncoder) Decode(y []int) ([]string, error) {
	out := make([]string, len(y))
	for i, k := range y {
		if k < 0 || k >= len(e.Classes) {
			return nil, fmt.Errorf("class index %d out of range [0, %d)", k, len(e.Classes))
		}
		out[i] = e.Classes[k]
	}
	return out, nil
}
