package serve

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/weirhq/weir/ml/frame"
)

// InputError is a request the model cannot take: a malformed body, a missing column or a
// value of the wrong type. Column and Row (1-based) say where, when known.
type InputError struct {
	Column string
	Row    int
	Msg    string
}

func (e *InputError) Error() string {
	switch {
	case e.Column != "" && e.Row > 0:
		return fmt.Sprintf("column %q, row %d: %s", e.Column, e.Row, e.Msg)
	case e.Column != "":
		return fmt.Sprintf("column %q: %s", e.Column, e.Msg)
	}
	return e.Msg
}

func badBody(format string, args ...any) error {
	return &InputError{Msg: fmt.Sprintf(format, args...)}
}

// table is a decoded request before it meets the signature: named columns of values that
// are json.Number, string, bool or nil. From text (CSV) every value is a string or nil.
type table struct {
	columns map[string][]any
	order   []string // the columns in the request's order, for a model without a signature
	rows    int
	text    bool
}

func newTable() *table { return &table{columns: map[string][]any{}} }

// setRows checks that every column has n values.
func (t *table) setRows(n int) { t.rows = n }

// decodeJSON reads a JSON document keeping numbers as json.Number.
func decodeJSON(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(v); err != nil {
		return badBody("malformed JSON body: %v", err)
	}
	if d.More() {
		return badBody("malformed JSON body: more than one JSON value")
	}
	return nil
}

// parseMLflow decodes an MLflow /invocations body. order is the signature's column order,
// used by positional inputs (lists of lists).
func parseMLflow(contentType string, body []byte, order []string) (*table, error) {
	ct := strings.ToLower(strings.TrimSpace(strings.Split(contentType, ";")[0]))
	switch ct {
	case "text/csv":
		return parseCSV(body)
	case "application/json", "":
	default:
		return nil, badBody("content type %q: send application/json or text/csv", contentType)
	}
	var doc map[string]json.RawMessage
	if err := decodeJSON(body, &doc); err != nil {
		return nil, err
	}
	var keys []string
	for _, k := range []string{"dataframe_split", "dataframe_records", "instances", "inputs"} {
		if _, ok := doc[k]; ok {
			keys = append(keys, k)
		}
	}
	if len(keys) != 1 {
		return nil, badBody("the JSON body must have exactly one of dataframe_split, dataframe_records, instances or inputs; it has %d (%s)", len(keys), strings.Join(keys, ", "))
	}
	raw := doc[keys[0]]
	switch keys[0] {
	case "dataframe_split":
		var s struct {
			Columns []string `json:"columns"`
			Data    [][]any  `json:"data"`
		}
		if err := decodeJSON(raw, &s); err != nil {
			return nil, badBody("dataframe_split: want {\"columns\": [...], \"data\": [[...]]}: %v", err)
		}
		return fromRows(s.Columns, s.Data)
	case "dataframe_records":
		var recs []map[string]any
		if err := decodeJSON(raw, &recs); err != nil {
			return nil, badBody("dataframe_records: want a list of {column: value} objects: %v", err)
		}
		return fromRecords(recs, order), nil
	}
	return parseTensor(keys[0], raw, order)
}

// parseTensor decodes instances or inputs: a list of records, a list of rows (positional,
// in the signature's order), a list of scalars (one input), or {column: [values]}.
func parseTensor(key string, raw json.RawMessage, order []string) (*table, error) {
	var v any
	if err := decodeJSON(raw, &v); err != nil {
		return nil, err
	}
	switch x := v.(type) {
	case map[string]any:
		t := newTable()
		n := -1
		for name, col := range x {
			vals, ok := col.([]any)
			if !ok {
				vals = []any{col}
			}
			if n >= 0 && len(vals) != n {
				return nil, &InputError{Column: name, Msg: fmt.Sprintf("%s: %d values, other columns have %d", key, len(vals), n)}
			}
			n = len(vals)
			t.columns[name] = vals
			t.order = append(t.order, name)
		}
		slices.Sort(t.order) // a JSON object's keys have no order
		t.setRows(max(n, 0))
		return t, nil
	case []any:
		if len(x) == 0 {
			return newTable(), nil
		}
		switch x[0].(type) {
		case map[string]any:
			recs := make([]map[string]any, len(x))
			for i, r := range x {
				m, ok := r.(map[string]any)
				if !ok {
					return nil, &InputError{Row: i + 1, Msg: fmt.Sprintf("%s: row %d is not an object like row 1", key, i+1)}
				}
				recs[i] = m
			}
			return fromRecords(recs, order), nil
		case []any:
			if len(order) == 0 {
				return nil, errNoSignature
			}
			rows := make([][]any, len(x))
			for i, r := range x {
				row, ok := r.([]any)
				if !ok {
					return nil, &InputError{Row: i + 1, Msg: fmt.Sprintf("%s: row %d is not a list like row 1", key, i+1)}
				}
				rows[i] = row
			}
			return fromRows(order, rows)
		default:
			if len(order) != 1 {
				return nil, badBody("%s: a list of scalars fits a model of one input; this model takes %d (%s): send rows or records", key, len(order), strings.Join(order, ", "))
			}
			t := newTable()
			t.columns[order[0]] = x
			t.setRows(len(x))
			return t, nil
		}
	}
	return nil, badBody("%s: want a list of rows or records, or {column: [values]}", key)
}

func fromRows(columns []string, rows [][]any) (*table, error) {
	t := newTable()
	for j, c := range columns {
		vals := make([]any, len(rows))
		for i, r := range rows {
			if len(r) != len(columns) {
				return nil, &InputError{Row: i + 1, Msg: fmt.Sprintf("row %d has %d values for %d columns (%s)", i+1, len(r), len(columns), strings.Join(columns, ", "))}
			}
			vals[i] = r[j]
		}
		t.columns[c] = vals
	}
	t.order = columns
	t.setRows(len(rows))
	return t, nil
}

// missing marks a value absent from a record (as opposed to null).
type missing struct{}

func fromRecords(recs []map[string]any, order []string) *table {
	t := newTable()
	if len(order) == 0 { // no signature: every key of the records, sorted
		seen := map[string]bool{}
		for _, r := range recs {
			for k := range r {
				if !seen[k] {
					seen[k] = true
					order = append(order, k)
				}
			}
		}
		slices.Sort(order)
	}
	t.order = order
	for _, c := range order {
		vals := make([]any, len(recs))
		for i, r := range recs {
			v, ok := r[c]
			if !ok {
				v = missing{}
			}
			vals[i] = v
		}
		t.columns[c] = vals
	}
	t.setRows(len(recs))
	return t
}

func parseCSV(body []byte) (*table, error) {
	r := csv.NewReader(bytes.NewReader(body))
	header, err := r.Read()
	if err != nil {
		return nil, badBody("CSV body: no header row: %v", err)
	}
	var rows [][]any
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, badBody("CSV body: %v", err)
		}
		row := make([]any, len(rec))
		for i, s := range rec {
			if s == "" {
				row[i] = nil
			} else {
				row[i] = s
			}
		}
		rows = append(rows, row)
	}
	t, err := fromRows(header, rows)
	if err != nil {
		return nil, err
	}
	t.text = true
	return t, nil
}

// errNoSignature answers positional inputs sent to a model without a signature.
var errNoSignature = &InputError{Msg: "this model has no signature, so its inputs need column names: send dataframe_split, dataframe_records, {column: [values]} or CSV with a header"}

// frameAsGiven builds the frame of a model without a signature: the request's columns in
// its order, typed by their values (numbers: float, true/false: bool, else string; from
// CSV, text that parses as a number is a number).
func frameAsGiven(t *table) (*frame.Frame, error) {
	if len(t.order) == 0 && len(t.columns) > 0 {
		return nil, errNoSignature
	}
	schema := make(frame.Schema, len(t.order))
	for j, name := range t.order {
		schema[j] = frame.Field{Name: name, Type: inferType(t.columns[name], t.text)}
	}
	return frameFor(t, schema)
}

func inferType(vals []any, text bool) frame.Type {
	typ, seen := frame.Float, false
	for _, v := range vals {
		var k frame.Type
		switch x := v.(type) {
		case nil, missing:
			continue
		case json.Number:
			k = frame.Float
		case bool:
			k = frame.Bool
		case string:
			k = frame.String
			if _, err := strconv.ParseFloat(x, 64); text && err == nil {
				k = frame.Float
			}
		default:
			return frame.String
		}
		switch {
		case !seen:
			typ, seen = k, true
		case typ != k && (typ == frame.String || k == frame.String):
			return frame.String
		case typ != k:
			typ = frame.Float // numbers and booleans
		}
	}
	return typ
}

// frameFor builds the frame the model takes from t: one column per input of the schema,
// converted to its type. A missing column or a value of another type is an InputError.
func frameFor(t *table, inputs frame.Schema) (*frame.Frame, error) {
	cols := make([]*frame.Column, len(inputs))
	for j, in := range inputs {
		vals, ok := t.columns[in.Name]
		if !ok {
			return nil, &InputError{Column: in.Name, Msg: "missing: the model needs this input column"}
		}
		c, err := column(in, vals, t.text)
		if err != nil {
			return nil, err
		}
		cols[j] = c
	}
	f, err := frame.New(cols...)
	if err != nil {
		return nil, badBody("%v", err)
	}
	return f, nil
}

func column(in frame.Field, vals []any, text bool) (*frame.Column, error) {
	n := len(vals)
	valid := make([]bool, n)
	bad := func(i int, v any, want string) error {
		if _, ok := v.(missing); ok {
			return &InputError{Column: in.Name, Row: i + 1, Msg: "missing from the record"}
		}
		b, _ := json.Marshal(v)
		return &InputError{Column: in.Name, Row: i + 1, Msg: fmt.Sprintf("%s is not %s", b, want)}
	}
	switch in.Type {
	case frame.Float:
		out := make([]float64, n)
		for i, v := range vals {
			var f float64
			var err error
			switch x := v.(type) {
			case nil:
				continue
			case json.Number:
				f, err = strconv.ParseFloat(string(x), 64)
			case string:
				if !text {
					return nil, bad(i, v, "a number")
				}
				f, err = strconv.ParseFloat(x, 64)
			case bool:
				if x {
					f = 1
				}
			default:
				return nil, bad(i, v, "a number")
			}
			if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
				return nil, bad(i, v, "a finite number")
			}
			out[i], valid[i] = f, true
		}
		return frame.NewFloat(in.Name, out, valid), nil
	case frame.Int:
		out := make([]int64, n)
		for i, v := range vals {
			var s string
			switch x := v.(type) {
			case nil:
				continue
			case json.Number:
				s = string(x)
			case string:
				if !text {
					return nil, bad(i, v, "an integer")
				}
				s = x
			default:
				return nil, bad(i, v, "an integer")
			}
			k, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				f, ferr := strconv.ParseFloat(s, 64)
				if ferr != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
					return nil, bad(i, v, "an integer")
				}
				k = int64(f)
			}
			out[i], valid[i] = k, true
		}
		return frame.NewInt(in.Name, out, valid), nil
	case frame.Bool:
		out := make([]bool, n)
		for i, v := range vals {
			switch x := v.(type) {
			case nil:
				continue
			case bool:
				out[i] = x
			case string:
				b, err := strconv.ParseBool(x)
				if !text || err != nil {
					return nil, bad(i, v, "a boolean")
				}
				out[i] = b
			default:
				return nil, bad(i, v, "a boolean")
			}
			valid[i] = true
		}
		return frame.NewBool(in.Name, out, valid), nil
	case frame.String:
		out := make([]string, n)
		for i, v := range vals {
			switch x := v.(type) {
			case nil:
				continue
			case string:
				out[i] = x
			case json.Number:
				out[i] = string(x)
			case bool:
				out[i] = strconv.FormatBool(x)
			default:
				return nil, bad(i, v, "a string")
			}
			valid[i] = true
		}
		return frame.NewString(in.Name, out, valid), nil
	case frame.Time:
		out := make([]time.Time, n)
		for i, v := range vals {
			switch x := v.(type) {
			case nil:
				continue
			case string:
				tm, err := time.Parse(time.RFC3339Nano, x)
				if err != nil {
					return nil, bad(i, v, "an RFC 3339 time")
				}
				out[i] = tm
			default:
				return nil, bad(i, v, "an RFC 3339 time")
			}
			valid[i] = true
		}
		return frame.NewTime(in.Name, out, valid), nil
	}
	return nil, &InputError{Column: in.Name, Msg: fmt.Sprintf("the signature's type %s cannot be served", in.Type)}
}

// frameJSON encodes the inputs of f as MLflow's dataframe_split.
func frameJSON(f *frame.Frame) json.RawMessage {
	type split struct {
		Columns []string `json:"columns"`
		Data    [][]any  `json:"data"`
	}
	s := split{Columns: f.Names(), Data: make([][]any, f.NumRows())}
	cols := f.Columns()
	for i := range s.Data {
		row := make([]any, len(cols))
		for j, c := range cols {
			if c.IsNull(i) {
				continue
			}
			row[j] = c.Value(i)
		}
		s.Data[i] = row
	}
	b, err := json.Marshal(s)
	if err != nil {
		return json.RawMessage(`null`)
	}
	return b
}
