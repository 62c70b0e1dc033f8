package frame

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
)

// JSONOptions configure reading JSON lines.
type JSONOptions struct {
	// Schema overrides the inferred type of the named columns.
	Schema map[string]Type
	// InferRows is how many lines are read ahead to infer column types; 0
	// means 1000.
	InferRows int
}

// cell is one JSON value as text, or null.
type cell struct {
	text string
	null bool
}

// ReadJSONLines reads one JSON object per line (blank lines are skipped)
// into a frame. Columns appear in the order their keys are first seen; a
// key absent from a line, or null, is a missing value. Numbers, booleans
// and strings are typed as in CSV (a string holding a date becomes a Time
// column unless the schema says otherwise); nested objects and arrays are
// kept as JSON text in String columns.
func ReadJSONLines(r io.Reader, opts JSONOptions) (*Frame, error) {
	if opts.InferRows <= 0 {
		opts.InferRows = 1000
	}
	var (
		names   []string
		index   = map[string]int{}
		sample  []map[int]cell
		sLines  []int
		bs      []*builder
		row     int
		lineNum int
	)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 64*1024*1024)
	parse := func(line []byte) (map[int]cell, error) {
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.UseNumber()
		tok, err := dec.Token()
		if err != nil || tok != json.Delim('{') {
			return nil, fmt.Errorf("jsonl: line %d: not a JSON object", lineNum)
		}
		out := map[int]cell{}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return nil, fmt.Errorf("jsonl: line %d: %v", lineNum, err)
			}
			key := kt.(string)
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return nil, fmt.Errorf("jsonl: line %d, key %q: %v", lineNum, key, err)
			}
			j, ok := index[key]
			if !ok {
				j = len(names)
				index[key] = j
				names = append(names, key)
				if bs != nil { // after inference: a new, lazily typed column
					b := newBuilder(key, Invalid, false, "", 0)
					for k := 0; k < row; k++ {
						b.appendNull()
					}
					bs = append(bs, b)
				}
			}
			var c cell
			switch {
			case bytes.Equal(raw, []byte("null")):
				c.null = true
			case raw[0] == '"':
				_ = json.Unmarshal(raw, &c.text)
			default:
				c.text = string(raw)
			}
			out[j] = c
		}
		if _, err := dec.Token(); err != nil {
			return nil, fmt.Errorf("jsonl: line %d: %v", lineNum, err)
		}
		return out, nil
	}
	add := func(rec map[int]cell, line int) error {
		row++
		for j, b := range bs {
			c, ok := rec[j]
			if !ok || c.null {
				b.appendNull()
				continue
			}
			if problem := b.append(c.text); problem != "" {
				return &ValueError{Column: names[j], Row: row, Line: line, Value: c.text, Problem: problem}
			}
		}
		return nil
	}
	for sc.Scan() {
		lineNum++
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		rec, err := parse(line)
		if err != nil {
			return nil, err
		}
		if bs == nil {
			sample = append(sample, rec)
			sLines = append(sLines, lineNum)
			if len(sample) < opts.InferRows {
				continue
			}
			bs = inferJSON(names, sample, opts.Schema)
			for k, s := range sample {
				if err := add(s, sLines[k]); err != nil {
					return nil, err
				}
			}
			sample = nil
			continue
		}
		if err := add(rec, lineNum); err != nil {
			return nil, err
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("jsonl: line %d: %w", lineNum+1, err)
	}
	if bs == nil {
		bs = inferJSON(names, sample, opts.Schema)
		for k, s := range sample {
			if err := add(s, sLines[k]); err != nil {
				return nil, err
			}
		}
	}
	for name := range opts.Schema {
		if _, ok := index[name]; !ok {
			return nil, fmt.Errorf("jsonl: schema override for column %q: %w", name, ErrNoColumn)
		}
	}
	cols := make([]*Column, len(bs))
	for j, b := range bs {
		cols[j] = b.column()
	}
	return New(cols...)
}

func inferJSON(names []string, sample []map[int]cell, schema map[string]Type) []*builder {
	bs := make([]*builder, len(names))
	for j, name := range names {
		if t, ok := schema[name]; ok {
			bs[j] = newBuilder(name, t, true, "", len(sample))
			continue
		}
		in := newInferrer()
		for _, rec := range sample {
			if c, ok := rec[j]; ok && !c.null {
				in.add(c.text)
			}
		}
		t, layout := in.result()
		bs[j] = newBuilder(name, t, false, layout, len(sample))
	}
	return bs
}
