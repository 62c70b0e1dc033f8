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
	maxNull int        // length of the longest null text
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
		c.maxNull = max(c.maxNull, len(n))
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
			if len(v) <= c.maxNull && c.nulls[v] {
				bs[j].appendNull()
				continue
			}
			if problem := bs[j].append(v); problem != "" {
				if !c.fixed[j] {
					problem += fmt.Sprintf(" (the type %s was inferred from the first %d rows; set CSVOptions.Schema[%q] to read it otherwise)", bs[j].typ, c.opts.InferRows, c.header[j])
				}
				return &ValueError{Column: c.header[j], Row: c.row, Line: line, Value: v, Problem: problem}
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
	// The CSV records are read by a second goroutine, in batches, while
	// this one parses them into the columns: reading and parsing overlap.
	// The reader stops at maxRows, so no row is read ahead of this call.
	if maxRows <= 0 || n < maxRows {
		remaining := -1
		if maxRows > 0 {
			remaining = maxRows - n
		}
		done := make(chan struct{})
		defer close(done)
		batches := make(chan csvBatch, 4)
		go c.readBatches(remaining, batches, done)
		for b := range batches {
			for k, rec := range b.recs {
				if err := add(rec, b.lines[k]); err != nil {
					c.err = err
					return nil, err
				}
			}
			if b.err != nil {
				c.err = b.err
				return nil, c.err
			}
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

// csvBatch is a run of records read ahead by readBatches.
type csvBatch struct {
	recs  [][]string
	lines []int
	err   error
}

// readBatches reads up to remaining records (all when negative) in batches
// and sends them on out, which it closes at the end; it stops early when
// done is closed.
func (c *CSVReader) readBatches(remaining int, out chan<- csvBatch, done <-chan struct{}) {
	defer close(out)
	const size = 2048
	for remaining != 0 {
		b := csvBatch{recs: make([][]string, 0, size), lines: make([]int, 0, size)}
		eof := false
		for len(b.recs) < size && remaining != 0 {
			rec, err := c.r.Read()
			if err == io.EOF {
				eof = true
				break
			}
			if err != nil {
				b.err = csvError(err)
				break
			}
			line, _ := c.r.FieldPos(0)
			b.recs = append(b.recs, append([]string(nil), rec...))
			b.lines = append(b.lines, line)
			remaining--
		}
		select {
		case out <- b:
		case <-done:
			return
		}
		if eof || b.err != nil {
			return
		}
	}
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
