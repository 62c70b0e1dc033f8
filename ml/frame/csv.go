package frame

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
)

// CSVOptions configure reading CSV. The zero value reads comma-separated
// text with a header row and inferred types.
type CSVOptions struct {
	// Delimiter separates fields; 0 means ','.
	Delimiter rune
	// Schema overrides the inferred type of the named columns. A value that
	// does not parse as the given type is an error.
	Schema map[string]Type
	// NullValues are the texts read as missing values. Nil means "", "NA",
	// "N/A", "NaN", "nan", "null", "NULL", "None" and "none".
	NullValues []string
	// InferRows is how many rows are read ahead to infer column types; 0
	// means 1000. After inference the types are fixed (except that an Int
	// column becomes Float when it meets a non-integer number), so a later
	// value of another type is an error that suggests a Schema override.
	InferRows int
	// ChunkRows is the initial capacity, in rows, of the column buffers; 0
	// means 4096. It affects only allocation, not results.
	ChunkRows int
}

// CSVReader reads a CSV stream with a header row into frames, chunk by
// chunk. Types are inferred once, from the first InferRows rows, so every
// chunk has the same schema.
type CSVReader struct {
	r       *csv.Reader
	opts    CSVOptions
	header  []string
	types   []Type
	layouts []string
	fixed   []bool
	nulls   map[string]bool
	pending [][]string // rows read ahead for inference, not yet returned
	lines   []int
	row     int // data rows consumed so far
	err     error
}

// NewCSVReader reads the header and the rows needed for type inference
// from r and returns a reader positioned at the first data row.
func NewCSVReader(r io.Reader, opts CSVOptions) (*CSVReader, error) {
	if opts.InferRows <= 0 {
		opts.InferRows = 1000
	}
	if opts.ChunkRows <= 0 {
		opts.ChunkRows = 4096
	}
	cr := csv.NewReader(r)
	if opts.Delimiter != 0 {
		cr.Comma = opts.Delimiter
	}
	cr.ReuseRecord = true
	nulls := opts.NullValues
	if nulls == nil {
		nulls = defaultNulls
	}
	c := &CSVReader{r: cr, opts: opts, nulls: map[string]bool{}}
	for _, n := range nulls {
		c.nulls[n] = true
	}
	header, err := cr.Read()
	if err == io.EOF {
		return nil, errors.New("csv: empty input: no header row")
	}
	if err != nil {
		return nil, csvError(err)
	}
	c.header = append([]string(nil), header...)
	if len(c.header) > 0 {
		c.header[0] = strings.TrimPrefix(c.header[0], "\ufeff")
	}
	seen := map[string]int{}
	for j, h := range c.header {
		h = strings.TrimSpace(h)
		if h == "" {
			h = fmt.Sprintf("column_%d", j+1)
		}
		if k, dup := seen[h]; dup {
			return nil, fmt.Errorf("csv: header: column %d and column %d are both named %q", k+1, j+1, h)
		}
		seen[h] = j
		c.header[j] = h
	}
	for name := range opts.Schema {
		if _, ok := seen[name]; !ok {
			return nil, fmt.Errorf("csv: schema override for column %q: %w (header has %s)", name, ErrNoColumn, strings.Join(c.header, ", "))
		}
	}
	// Read ahead and infer.
	inf := make([]*inferrer, len(c.header))
	for j := range inf {
		inf[j] = newInferrer()
	}
	for len(c.pending) < opts.InferRows {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, csvError(err)
		}
		line, _ := cr.FieldPos(0)
		c.pending = append(c.pending, append([]string(nil), rec...))
		c.lines = append(c.lines, line)
		for j, v := range rec {
			if !c.nulls[v] {
				inf[j].add(v)
			}
		}
	}
	c.types = make([]Type, len(c.header))
	c.layouts = make([]string, len(c.header))
	c.fixed = make([]bool, len(c.header))
	for j, h := range c.header {
		if t, ok := opts.Schema[h]; ok {
			if t <= Invalid || t > Time {
				return nil, fmt.Errorf("csv: schema override for column %q: invalid type %v", h, t)
			}
			c.types[j], c.fixed[j] = t, true
			continue
		}
		c.types[j], c.layouts[j] = inf[j].result()
	}
	return c, nil
}

func csvError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		if errors.Is(pe.Err, csv.ErrFieldCount) {
			return fmt.Errorf("csv: line %d: wrong number of fields (the header has a different number)", pe.StartLine)
		}
		return fmt.Errorf("csv: line %d, column %d: %v", pe.Line, pe.Column, pe.Err)
	}
	return fmt.Errorf("csv: %w", err)
}

// Schema returns the column names and the types inferred or given. A column
// whose sampled values were all missing has type Invalid until its first
// value is read.
func (c *CSVReader) Schema() Schema {
	s := make(Schema, len(c.header))
	for j, h := range c.header {
		s[j] = Field{Name: h, Type: c.types[j]}
	}
	return s
}

// Read returns a frame of up to maxRows further rows (all remaining rows
// when maxRows <= 0), or io.EOF when no rows remain. After an error other
// than io.EOF the reader is unusable.
func (c *CSVReader) Read(maxRows int) (*Frame, error) {
	if c.err != nil {
		return nil, c.err
	}
	capacity := c.opts.ChunkRows
	if maxRows > 0 {
		capacity = min(capacity, maxRows)
	}
	bs := make([]*builder, len(c.header))
	for j, h := range c.header {
		bs[j] = newBuilder(h, c.types[j], c.fixed[j], c.layouts[j], capacity)
	}
	n := 0
	add := func(rec []string, line int) error {
		c.row++
		for j, v := range rec {
			if c.nulls[v] {
				bs[j].appendNull()
				continue
			}
			if problem := bs[j].append(v); problem != "" {
				if !c.fixed[j] {
					problem += fmt.Sprintf(" (the type %s was inferred from the first %d rows; set CSVOptions.Schema[%q] to read it otherwise)", bs[j].typ, c.opts.InferRows, c.header[j])
				}
				l, _ := c.r.FieldPos(j)
				if line > 0 {
					l = line
				}
				return &ValueError{Column: c.header[j], Row: c.row, Line: l, Value: v, Problem: problem}
			}
		}
		n++
		return nil
	}
	for len(c.pending) > 0 && (maxRows <= 0 || n < maxRows) {
		rec, line := c.pending[0], c.lines[0]
		c.pending, c.lines = c.pending[1:], c.lines[1:]
		if err := add(rec, line); err != nil {
			c.err = err
			return nil, err
		}
	}
	for maxRows <= 0 || n < maxRows {
		rec, err := c.r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			c.err = csvError(err)
			return nil, c.err
		}
		if err := add(rec, 0); err != nil {
			c.err = err
			return nil, err
		}
	}
	if n == 0 && maxRows > 0 {
		return nil, io.EOF
	}
	cols := make([]*Column, len(bs))
	for j, b := range bs {
		cols[j] = b.column()
		if c.types[j] == Invalid && b.typ != Invalid {
			c.types[j], c.layouts[j] = b.typ, b.layout // later chunks keep it
		}
		if c.types[j] == Int && b.typ == Float {
			c.types[j] = Float
		}
	}
	return New(cols...)
}

// ReadCSV reads a whole CSV stream with a header row into a frame. Memory
// use is proportional to the parsed values, not to the text.
func ReadCSV(r io.Reader, opts CSVOptions) (*Frame, error) {
	c, err := NewCSVReader(r, opts)
	if err != nil {
		return nil, err
	}
	return c.Read(0)
}

// WriteCSV writes the frame as CSV with a header row. Missing values are
// written as empty fields.
func WriteCSV(w io.Writer, f *Frame) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(f.Names()); err != nil {
		return err
	}
	rec := make([]string, f.NumCols())
	for i := 0; i < f.NumRows(); i++ {
		for j, c := range f.cols {
			rec[j] = c.Format(i)
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
