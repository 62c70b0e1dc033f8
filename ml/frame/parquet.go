package frame

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// parquetOrderKey is the key-value metadata entry in which WriteParquet
// records the column order (Parquet groups sort their fields by name).
const parquetOrderKey = "weir.columns"

// ReadParquet reads a Parquet file with a flat schema (no nested or
// repeated fields) into a frame. BOOLEAN becomes Bool; INT32 and INT64 Int,
// or Time when annotated TIMESTAMP or DATE; FLOAT and DOUBLE Float;
// BYTE_ARRAY String. Columns keep the order WriteParquet recorded, else the
// file's order.
func ReadParquet(r io.ReaderAt, size int64) (*Frame, error) {
	pf, err := parquet.OpenFile(r, size)
	if err != nil {
		return nil, fmt.Errorf("parquet: %w", err)
	}
	fields := pf.Schema().Fields()
	bs := make([]*builder, len(fields))
	kinds := make([]func(parquet.Value) (any, error), len(fields))
	for j, fd := range fields {
		if !fd.Leaf() || fd.Repeated() {
			return nil, fmt.Errorf("parquet: column %q is nested or repeated; only flat schemas are supported", fd.Name())
		}
		typ, conv, err := parquetColumnType(fd)
		if err != nil {
			return nil, err
		}
		bs[j] = newBuilder(fd.Name(), typ, true, "", int(min(pf.NumRows(), 1<<20)))
		kinds[j] = conv
	}
	reader := parquet.NewReader(pf)
	defer reader.Close()
	rows := make([]parquet.Row, 1024)
	rowNum := 0
	for {
		n, err := reader.ReadRows(rows)
		for _, row := range rows[:n] {
			rowNum++
			if len(row) != len(fields) {
				return nil, fmt.Errorf("parquet: row %d has %d values for %d columns", rowNum, len(row), len(fields))
			}
			for _, v := range row {
				j := v.Column()
				if v.IsNull() {
					bs[j].appendNull()
					continue
				}
				x, cerr := kinds[j](v)
				if cerr != nil {
					return nil, &ValueError{Column: fields[j].Name(), Row: rowNum, Problem: cerr.Error()}
				}
				bs[j].appendValue(x)
			}
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("parquet: row %d: %w", rowNum+1, err)
		}
	}
	cols := make([]*Column, len(bs))
	for j, b := range bs {
		cols[j] = b.column()
	}
	if order, ok := pf.Lookup(parquetOrderKey); ok {
		var names []string
		if json.Unmarshal([]byte(order), &names) == nil && len(names) == len(cols) {
			byName := map[string]*Column{}
			for _, c := range cols {
				byName[c.name] = c
			}
			ordered := make([]*Column, 0, len(cols))
			for _, n := range names {
				if c, ok := byName[n]; ok {
					ordered = append(ordered, c)
				}
			}
			if len(ordered) == len(cols) {
				cols = ordered
			}
		}
	}
	return New(cols...)
}

func parquetColumnType(fd parquet.Field) (Type, func(parquet.Value) (any, error), error) {
	t := fd.Type()
	var lt any
	if l := t.LogicalType(); l != nil {
		lt = l.Value
	}
	switch t.Kind() {
	case parquet.Boolean:
		return Bool, func(v parquet.Value) (any, error) { return v.Boolean(), nil }, nil
	case parquet.Int32, parquet.Int64:
		switch l := lt.(type) {
		case *format.TimestampType:
			scale := int64(1)
			switch l.Unit.Value.(type) {
			case *format.MilliSeconds:
				scale = 1e6
			case *format.MicroSeconds:
				scale = 1e3
			}
			return Time, func(v parquet.Value) (any, error) { return v.Int64() * scale, nil }, nil
		case *format.DateType:
			return Time, func(v parquet.Value) (any, error) { return int64(v.Int32()) * 86400e9, nil }, nil
		}
		if t.Kind() == parquet.Int32 {
			return Int, func(v parquet.Value) (any, error) { return int64(v.Int32()), nil }, nil
		}
		return Int, func(v parquet.Value) (any, error) { return v.Int64(), nil }, nil
	case parquet.Float:
		return Float, func(v parquet.Value) (any, error) { return float64(v.Float()), nil }, nil
	case parquet.Double:
		return Float, func(v parquet.Value) (any, error) { return v.Double(), nil }, nil
	case parquet.ByteArray, parquet.FixedLenByteArray:
		return String, func(v parquet.Value) (any, error) { return string(v.ByteArray()), nil }, nil
	}
	return Invalid, nil, fmt.Errorf("parquet: column %q has unsupported type %v", fd.Name(), t)
}

// appendValue appends a value already of the builder's Go type (float64,
// int64 — Unix nanoseconds for Time —, bool or string).
func (b *builder) appendValue(x any) {
	switch v := x.(type) {
	case float64:
		b.f = append(b.f, v)
	case int64:
		b.i = append(b.i, v)
	case bool:
		b.b = append(b.b, v)
	case string:
		code, ok := b.dict[v]
		if !ok {
			code = int32(len(b.levels))
			b.dict[v] = code
			b.levels = append(b.levels, v)
		}
		b.codes = append(b.codes, code)
	}
	if b.anyNull {
		b.null = append(b.null, false)
	}
	b.n++
}

// WriteParquet writes the frame as a Parquet file with one optional column
// per frame column (Float as DOUBLE, Int as INT64, Bool as BOOLEAN, String
// as UTF-8 BYTE_ARRAY, Time as TIMESTAMP in nanoseconds, UTC), compressed
// with Snappy.
func WriteParquet(w io.Writer, f *Frame) error {
	group := parquet.Group{}
	for _, c := range f.cols {
		var node parquet.Node
		switch c.typ {
		case Float:
			node = parquet.Leaf(parquet.DoubleType)
		case Int:
			node = parquet.Int(64)
		case Bool:
			node = parquet.Leaf(parquet.BooleanType)
		case String:
			node = parquet.String()
		case Time:
			node = parquet.Timestamp(parquet.Nanosecond)
		default:
			return fmt.Errorf("parquet: column %q has invalid type", c.name)
		}
		group[c.name] = parquet.Optional(node)
	}
	schema := parquet.NewSchema("frame", group)
	order, _ := json.Marshal(f.Names())
	pw := parquet.NewWriter(w, schema, parquet.KeyValueMetadata(parquetOrderKey, string(order)), parquet.Compression(&parquet.Snappy))
	// Leaf columns are indexed in the schema's (sorted) order.
	leafIndex := make([]int, len(f.cols))
	for k, path := range schema.Columns() {
		i := f.index[path[0]]
		leafIndex[i] = k
	}
	const batch = 1024
	rows := make([]parquet.Row, 0, batch)
	for start := 0; start < f.rows; start += batch {
		rows = rows[:0]
		for i := start; i < min(start+batch, f.rows); i++ {
			row := make(parquet.Row, len(f.cols))
			for j, c := range f.cols {
				var v parquet.Value
				if c.IsNull(i) {
					v = parquet.NullValue()
				} else {
					switch c.typ {
					case Float:
						v = parquet.DoubleValue(c.f[i])
					case Int, Time:
						v = parquet.Int64Value(c.i[i])
					case Bool:
						v = parquet.BooleanValue(c.b[i])
					case String:
						v = parquet.ByteArrayValue([]byte(c.levels[c.codes[i]]))
					}
					v = v.Level(0, 1, leafIndex[j])
				}
				if c.IsNull(i) {
					v = v.Level(0, 0, leafIndex[j])
				}
				row[leafIndex[j]] = v
			}
			rows = append(rows, row)
		}
		if _, err := pw.WriteRows(rows); err != nil {
			return fmt.Errorf("parquet: %w", err)
		}
	}
	return pw.Close()
}
