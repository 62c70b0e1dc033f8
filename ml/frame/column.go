package frame

import (
	"fmt"
	"math"
	"strconv"
	"time"
)

// Type is the type of a column's values.
type Type int

const (
	// Invalid is the zero Type; no column has it.
	Invalid Type = iota
	// Float is a 64-bit floating-point column.
	Float
	// Int is a 64-bit signed integer column.
	Int
	// Bool is a boolean column.
	Bool
	// String is a dictionary-encoded text column, usable as a categorical.
	String
	// Time is a timestamp column with nanosecond precision, in UTC.
	Time
)

var typeNames = [...]string{"invalid", "float", "int", "bool", "string", "time"}

// String returns the lower-case name of the type ("float", "int", "bool",
// "string" or "time").
func (t Type) String() string {
	if t < 0 || int(t) >= len(typeNames) {
		return fmt.Sprintf("Type(%d)", int(t))
	}
	return typeNames[t]
}

// ParseType returns the Type named s, accepting the names returned by
// Type.String and the aliases "float64", "double", "int64", "integer",
// "boolean", "str", "text", "categorical", "timestamp" and "datetime".
func ParseType(s string) (Type, error) {
	switch s {
	case "float", "float64", "double", "number":
		return Float, nil
	case "int", "int64", "integer":
		return Int, nil
	case "bool", "boolean":
		return Bool, nil
	case "string", "str", "text", "categorical", "category":
		return String, nil
	case "time", "timestamp", "datetime":
		return Time, nil
	}
	return Invalid, fmt.Errorf("frame: unknown column type %q", s)
}

// MarshalText encodes the type as its name.
func (t Type) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// UnmarshalText decodes a type name accepted by ParseType.
func (t *Type) UnmarshalText(b []byte) error {
	v, err := ParseType(string(b))
	*t = v
	return err
}

// Column is a named, typed, immutable sequence of values with optional
// missing values. Only the slice matching Type is set.
type Column struct {
	name   string
	typ    Type
	n      int
	f      []float64
	i      []int64 // Int values, and Time values as Unix nanoseconds
	b      []bool
	codes  []int32 // String values as indexes into levels
	levels []string
	null   []bool // nil when the column has no missing values
}

// NewFloat returns a Float column. valid may be nil (no missing values) or
// have len(v) entries, false marking a missing value. NaN values are kept
// as values, not as missing.
func NewFloat(name string, v []float64, valid []bool) *Column {
	return &Column{name: name, typ: Float, n: len(v), f: v, null: nullMask(valid)}
}

// NewInt returns an Int column; valid is as for NewFloat.
func NewInt(name string, v []int64, valid []bool) *Column {
	return &Column{name: name, typ: Int, n: len(v), i: v, null: nullMask(valid)}
}

// NewBool returns a Bool column; valid is as for NewFloat.
func NewBool(name string, v []bool, valid []bool) *Column {
	return &Column{name: name, typ: Bool, n: len(v), b: v, null: nullMask(valid)}
}

// NewTime returns a Time column, converting the times to UTC; valid is as
// for NewFloat.
func NewTime(name string, v []time.Time, valid []bool) *Column {
	ns := make([]int64, len(v))
	for k, t := range v {
		ns[k] = t.UnixNano()
	}
	return &Column{name: name, typ: Time, n: len(v), i: ns, null: nullMask(valid)}
}

// NewString returns a String column; valid is as for NewFloat.
func NewString(name string, v []string, valid []bool) *Column {
	c := &Column{name: name, typ: String, n: len(v), codes: make([]int32, len(v)), null: nullMask(valid)}
	dict := map[string]int32{}
	for k, s := range v {
		code, ok := dict[s]
		if !ok {
			code = int32(len(c.levels))
			dict[s] = code
			c.levels = append(c.levels, s)
		}
		c.codes[k] = code
	}
	return c
}

func nullMask(valid []bool) []bool {
	if valid == nil {
		return nil
	}
	null := make([]bool, len(valid))
	any := false
	for k, v := range valid {
		null[k] = !v
		any = any || !v
	}
	if !any {
		return nil
	}
	return null
}

// Name returns the column's name.
func (c *Column) Name() string { return c.name }

// Type returns the column's type.
func (c *Column) Type() Type { return c.typ }

// Len returns the number of values, missing ones included.
func (c *Column) Len() int { return c.n }

// Rename returns a copy of the column with another name, sharing its data.
func (c *Column) Rename(name string) *Column {
	d := *c
	d.name = name
	return &d
}

// IsNull reports whether row i is missing.
func (c *Column) IsNull(i int) bool { return c.null != nil && c.null[i] }

// NullCount returns the number of missing values.
func (c *Column) NullCount() int {
	n := 0
	for _, v := range c.null {
		if v {
			n++
		}
	}
	return n
}

// Float returns row i as a float64: Int and Bool (1 or 0) are converted,
// Time gives Unix seconds, a missing value or a String column gives NaN.
func (c *Column) Float(i int) float64 {
	if c.IsNull(i) {
		return math.NaN()
	}
	switch c.typ {
	case Float:
		return c.f[i]
	case Int:
		return float64(c.i[i])
	case Bool:
		if c.b[i] {
			return 1
		}
		return 0
	case Time:
		return float64(c.i[i]) / 1e9
	}
	return math.NaN()
}

// Floats returns the values of a Float column (missing values are NaN in
// the returned copy) or of an Int or Bool column converted to float64. It
// fails for String and Time columns.
func (c *Column) Floats() ([]float64, error) {
	switch c.typ {
	case Float, Int, Bool:
	default:
		return nil, fmt.Errorf("frame: column %q is %s, not numeric", c.name, c.typ)
	}
	out := make([]float64, c.n)
	for k := range out {
		out[k] = c.Float(k)
	}
	return out, nil
}

// Ints returns the values of an Int or Bool (1 or 0) column, or of a Float
// column holding whole numbers, as []int: class labels ready for a
// classifier's Fit. A missing value, a Float that is not a whole number
// or out of int range, and a String or Time column are errors naming the
// column and row (encode String labels with preprocess.LabelEncoder).
func (c *Column) Ints() ([]int, error) {
	switch c.typ {
	case Int, Bool, Float:
	default:
		return nil, fmt.Errorf("frame: column %q is %s; integer labels need an int, bool or whole-number float column (encode strings with preprocess.LabelEncoder)", c.name, c.typ)
	}
	out := make([]int, c.n)
	for k := range out {
		if c.IsNull(k) {
			return nil, &ValueError{Column: c.name, Row: k + 1, Value: "", Problem: "is missing (integer labels must be present)"}
		}
		switch c.typ {
		case Int:
			out[k] = int(c.i[k])
		case Bool:
			if c.b[k] {
				out[k] = 1
			}
		case Float:
			v := c.f[k]
			if v != math.Trunc(v) || math.Abs(v) > 1<<53 {
				return nil, &ValueError{Column: c.name, Row: k + 1, Value: c.Format(k), Problem: "is not a whole number (integer labels expected)"}
			}
			out[k] = int(v)
		}
	}
	return out, nil
}

// slice returns rows [i, j) sharing c's storage.
func (c *Column) slice(i, j int) *Column {
	d := &Column{name: c.name, typ: c.typ, n: j - i, levels: c.levels}
	switch c.typ {
	case Float:
		d.f = c.f[i:j:j]
	case Int, Time:
		d.i = c.i[i:j:j]
	case Bool:
		d.b = c.b[i:j:j]
	case String:
		d.codes = c.codes[i:j:j]
	}
	if c.null != nil {
		d.null = c.null[i:j:j]
	}
	return d
}

// Int returns row i of an Int column (Time: Unix nanoseconds); 0 when
// missing or of another type.
func (c *Column) Int(i int) int64 {
	if c.IsNull(i) || c.i == nil {
		return 0
	}
	return c.i[i]
}

// Bool returns row i of a Bool column; false when missing or of another
// type.
func (c *Column) Bool(i int) bool {
	if c.IsNull(i) || c.b == nil {
		return false
	}
	return c.b[i]
}

// Time returns row i of a Time column in UTC; the zero time when missing or
// of another type.
func (c *Column) Time(i int) time.Time {
	if c.IsNull(i) || c.typ != Time {
		return time.Time{}
	}
	return time.Unix(0, c.i[i]).UTC()
}

// Str returns row i of a String column; "" when missing or of another type.
// Use Format for a textual form of any type.
func (c *Column) Str(i int) string {
	if c.IsNull(i) || c.typ != String {
		return ""
	}
	return c.levels[c.codes[i]]
}

// Code returns the dictionary code of row i of a String column, an index
// into Levels, or -1 when missing or of another type.
func (c *Column) Code(i int) int {
	if c.IsNull(i) || c.typ != String {
		return -1
	}
	return int(c.codes[i])
}

// Levels returns the distinct values of a String column in order of first
// appearance (values of missing rows may be included). The slice must not
// be modified.
func (c *Column) Levels() []string { return c.levels }

// Format returns row i as text: "" for a missing value, floats in the
// shortest form that reads back exactly, times in RFC 3339 with
// nanoseconds.
func (c *Column) Format(i int) string {
	if c.IsNull(i) {
		return ""
	}
	switch c.typ {
	case Float:
		return strconv.FormatFloat(c.f[i], 'g', -1, 64)
	case Int:
		return strconv.FormatInt(c.i[i], 10)
	case Bool:
		return strconv.FormatBool(c.b[i])
	case String:
		return c.levels[c.codes[i]]
	case Time:
		return c.Time(i).Format(time.RFC3339Nano)
	}
	return ""
}

// Value returns row i as a Go value: float64, int64, bool, string or
// time.Time, or nil when missing.
func (c *Column) Value(i int) any {
	if c.IsNull(i) {
		return nil
	}
	switch c.typ {
	case Float:
		return c.f[i]
	case Int:
		return c.i[i]
	case Bool:
		return c.b[i]
	case String:
		return c.levels[c.codes[i]]
	case Time:
		return c.Time(i)
	}
	return nil
}

// take returns a new column with the given rows, in order.
func (c *Column) take(idx []int) *Column {
	d := &Column{name: c.name, typ: c.typ, n: len(idx), levels: c.levels}
	switch c.typ {
	case Float:
		d.f = make([]float64, len(idx))
		for k, r := range idx {
			d.f[k] = c.f[r]
		}
	case Int, Time:
		d.i = make([]int64, len(idx))
		for k, r := range idx {
			d.i[k] = c.i[r]
		}
	case Bool:
		d.b = make([]bool, len(idx))
		for k, r := range idx {
			d.b[k] = c.b[r]
		}
	case String:
		d.codes = make([]int32, len(idx))
		for k, r := range idx {
			d.codes[k] = c.codes[r]
		}
	}
	if c.null != nil {
		d.null = make([]bool, len(idx))
		any := false
		for k, r := range idx {
			d.null[k] = c.null[r]
			any = any || c.null[r]
		}
		if !any {
			d.null = nil
		}
	}
	return d
}
