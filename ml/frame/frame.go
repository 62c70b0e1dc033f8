package frame

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"gonum.org/v1/gonum/mat"
)

// ErrNoColumn is returned (wrapped) when a named column does not exist.
var ErrNoColumn = errors.New("no such column")

// ValueError reports a bad value, naming its column and row.
type ValueError struct {
	// Column is the column's name.
	Column string
	// Row is the 1-based data row (the header is not counted).
	Row int
	// Line is the 1-based line of the input where the value starts, or 0
	// when the input is not line-based.
	Line int
	// Value is the offending value as text.
	Value string
	// Problem says what is wrong, for example "is not a number".
	Problem string
}

// Error returns a message such as
// `column "age", row 17 (line 18): "abc" is not a number`.
func (e *ValueError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "column %q, row %d", e.Column, e.Row)
	if e.Line > 0 {
		fmt.Fprintf(&b, " (line %d)", e.Line)
	}
	b.WriteString(": ")
	if e.Value != "" {
		fmt.Fprintf(&b, "%q ", e.Value)
	}
	b.WriteString(e.Problem)
	return b.String()
}

// Field describes one column of a schema.
type Field struct {
	// Name is the column's name.
	Name string `json:"name"`
	// Type is the column's type.
	Type Type `json:"type"`
}

// Schema is the ordered list of a frame's columns and their types.
type Schema []Field

// String returns the schema as "name:type, …".
func (s Schema) String() string {
	parts := make([]string, len(s))
	for i, f := range s {
		parts[i] = f.Name + ":" + f.Type.String()
	}
	return strings.Join(parts, ", ")
}

// Frame is an immutable table of equally long, uniquely named columns.
type Frame struct {
	cols  []*Column
	index map[string]int
	rows  int
}

// New returns a frame of the given columns, which must have unique names
// and equal lengths.
func New(cols ...*Column) (*Frame, error) {
	f := &Frame{cols: cols, index: make(map[string]int, len(cols))}
	for i, c := range cols {
		if c == nil {
			return nil, fmt.Errorf("frame: column %d is nil", i)
		}
		if _, dup := f.index[c.name]; dup {
			return nil, fmt.Errorf("frame: duplicate column %q", c.name)
		}
		f.index[c.name] = i
		if i == 0 {
			f.rows = c.n
		} else if c.n != f.rows {
			return nil, fmt.Errorf("frame: column %q has %d rows, column %q has %d", c.name, c.n, cols[0].name, f.rows)
		}
	}
	return f, nil
}

// NumRows returns the number of rows.
func (f *Frame) NumRows() int { return f.rows }

// NumCols returns the number of columns.
func (f *Frame) NumCols() int { return len(f.cols) }

// Names returns the column names in order.
func (f *Frame) Names() []string {
	out := make([]string, len(f.cols))
	for i, c := range f.cols {
		out[i] = c.name
	}
	return out
}

// Schema returns the names and types of the columns.
func (f *Frame) Schema() Schema {
	out := make(Schema, len(f.cols))
	for i, c := range f.cols {
		out[i] = Field{Name: c.name, Type: c.typ}
	}
	return out
}

// Columns returns the columns in order. The slice must not be modified.
func (f *Frame) Columns() []*Column { return f.cols }

// Col returns the i-th column.
func (f *Frame) Col(i int) *Column { return f.cols[i] }

// Has reports whether the frame has a column called name.
func (f *Frame) Has(name string) bool {
	_, ok := f.index[name]
	return ok
}

// Column returns the column called name, or an error wrapping ErrNoColumn
// that lists the available columns.
func (f *Frame) Column(name string) (*Column, error) {
	i, ok := f.index[name]
	if !ok {
		return nil, fmt.Errorf("column %q: %w (have %s)", name, ErrNoColumn, strings.Join(f.Names(), ", "))
	}
	return f.cols[i], nil
}

// Select returns a frame of the named columns, in the given order.
func (f *Frame) Select(names ...string) (*Frame, error) {
	cols := make([]*Column, len(names))
	for i, n := range names {
		c, err := f.Column(n)
		if err != nil {
			return nil, err
		}
		cols[i] = c
	}
	return New(cols...)
}

// Drop returns a frame without the named columns.
func (f *Frame) Drop(names ...string) (*Frame, error) {
	drop := map[string]bool{}
	for _, n := range names {
		if _, err := f.Column(n); err != nil {
			return nil, err
		}
		drop[n] = true
	}
	var cols []*Column
	for _, c := range f.cols {
		if !drop[c.name] {
			cols = append(cols, c)
		}
	}
	return New(cols...)
}

// With returns a frame with c added at the end, or replacing the column of
// the same name in place.
func (f *Frame) With(c *Column) (*Frame, error) {
	cols := append([]*Column(nil), f.cols...)
	if i, ok := f.index[c.name]; ok {
		cols[i] = c
	} else {
		cols = append(cols, c)
	}
	return New(cols...)
}

// Take returns a frame of the given rows, in the given order (rows may
// repeat). It fails if a row is out of range.
func (f *Frame) Take(rows []int) (*Frame, error) {
	for _, r := range rows {
		if r < 0 || r >= f.rows {
			return nil, fmt.Errorf("frame: row %d out of range [0, %d)", r, f.rows)
		}
	}
	cols := make([]*Column, len(f.cols))
	for i, c := range f.cols {
		cols[i] = c.take(rows)
	}
	out, _ := New(cols...)
	if len(cols) == 0 {
		out.rows = len(rows)
	}
	return out, nil
}

// Slice returns rows [i, j) in O(columns) time: the result shares the
// frame's storage (frames are immutable, so this is safe). It fails unless
// 0 ≤ i ≤ j ≤ NumRows. Use Take to select rows by index.
func (f *Frame) Slice(i, j int) (*Frame, error) {
	if i < 0 || j < i || j > f.rows {
		return nil, fmt.Errorf("frame: row range [%d, %d) is not within [0, %d]", i, j, f.rows)
	}
	cols := make([]*Column, len(f.cols))
	for k, c := range f.cols {
		cols[k] = c.slice(i, j)
	}
	out, _ := New(cols...)
	out.rows = j - i
	return out, nil
}

// Filter returns the rows for which keep returns true.
func (f *Frame) Filter(keep func(row int) bool) *Frame {
	var rows []int
	for r := 0; r < f.rows; r++ {
		if keep(r) {
			rows = append(rows, r)
		}
	}
	out, _ := f.Take(rows)
	return out
}

// Head returns the first n rows (all when n exceeds NumRows).
func (f *Frame) Head(n int) *Frame {
	n = max(0, min(n, f.rows))
	rows := make([]int, n)
	for i := range rows {
		rows[i] = i
	}
	out, _ := f.Take(rows)
	return out
}

// Sample returns n rows drawn without replacement, in random order, using
// the seed; the same seed gives the same sample.
func (f *Frame) Sample(n int, seed uint64) (*Frame, error) {
	if n < 0 || n > f.rows {
		return nil, fmt.Errorf("frame: cannot sample %d of %d rows", n, f.rows)
	}
	perm := rand.New(rand.NewPCG(seed, 0x5eed)).Perm(f.rows)
	return f.Take(perm[:n])
}

// Split shuffles the rows with the seed and returns the first fraction
// (0 < fraction < 1, rounded to the nearest row) and the rest.
func (f *Frame) Split(fraction float64, seed uint64) (*Frame, *Frame, error) {
	if !(fraction > 0 && fraction < 1) {
		return nil, nil, fmt.Errorf("frame: split fraction %v is not in (0, 1)", fraction)
	}
	perm := rand.New(rand.NewPCG(seed, 0x5eed)).Perm(f.rows)
	n := int(math.Round(fraction * float64(f.rows)))
	a, err := f.Take(perm[:n])
	if err != nil {
		return nil, nil, err
	}
	b, err := f.Take(perm[n:])
	return a, b, err
}

// Matrix returns the named columns (all columns when none are named) as a
// rows × columns matrix. Float, Int and Bool columns are accepted; a
// missing, NaN or infinite value is an error naming its column and row, as
// is a String or Time column.
func (f *Frame) Matrix(names ...string) (*mat.Dense, error) { return f.matrix(false, names) }

// MatrixMissing is Matrix for models that accept missing values (the
// trees and ensembles of ml/tree and ml/ensemble): a missing value or NaN
// becomes NaN in the matrix. An infinite value, a String or a Time column
// is still an error.
func (f *Frame) MatrixMissing(names ...string) (*mat.Dense, error) { return f.matrix(true, names) }

func (f *Frame) matrix(allowMissing bool, names []string) (*mat.Dense, error) {
	if len(names) == 0 {
		names = f.Names()
	}
	if f.rows == 0 || len(names) == 0 {
		return nil, fmt.Errorf("frame: cannot make a matrix of %d rows and %d columns", f.rows, len(names))
	}
	m := mat.NewDense(f.rows, len(names), nil)
	raw := m.RawMatrix()
	for j, n := range names {
		c, err := f.Column(n)
		if err != nil {
			return nil, err
		}
		switch c.typ {
		case Float, Int, Bool:
		default:
			return nil, fmt.Errorf("column %q is %s; a numeric column is needed (encode it first)", n, c.typ)
		}
		for i := 0; i < f.rows; i++ {
			if c.IsNull(i) {
				if allowMissing {
					raw.Data[i*raw.Stride+j] = math.NaN()
					continue
				}
				return nil, &ValueError{Column: n, Row: i + 1, Problem: "is missing (impute it first)"}
			}
			v := c.Float(i)
			if allowMissing && math.IsNaN(v) {
				raw.Data[i*raw.Stride+j] = v
				continue
			}
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, &ValueError{Column: n, Row: i + 1, Value: c.Format(i), Problem: "is not a finite number"}
			}
			raw.Data[i*raw.Stride+j] = v
		}
	}
	return m, nil
}

// String returns the first rows of the frame as an aligned text table.
func (f *Frame) String() string {
	const maxRows = 10
	n := min(f.rows, maxRows)
	cells := make([][]string, n+1)
	width := make([]int, len(f.cols))
	cells[0] = make([]string, len(f.cols))
	for j, c := range f.cols {
		cells[0][j] = c.name
		width[j] = len(c.name)
	}
	for i := 0; i < n; i++ {
		cells[i+1] = make([]string, len(f.cols))
		for j, c := range f.cols {
			s := c.Format(i)
			if c.IsNull(i) {
				s = "null"
			}
			cells[i+1][j] = s
			width[j] = max(width[j], len(s))
		}
	}
	var b strings.Builder
	for _, row := range cells {
		for j, s := range row {
			if j > 0 {
				b.WriteString("  ")
			}
			if j == len(row)-1 {
				b.WriteString(s)
			} else {
				fmt.Fprintf(&b, "%-*s", width[j], s)
			}
		}
		b.WriteString("\n")
	}
	if f.rows > n {
		fmt.Fprintf(&b, "… %d more rows\n", f.rows-n)
	}
	return b.String()
}
