package dag

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"strconv"
	"strings"
)

// Free-form values (param schemas, go task args) use canonical JSON types: nil, bool, string,
// int64 for numbers written without a fraction or exponent, float64 for the others, []any and
// map[string]any. The YAML loader produces them, and Param and GoSpec keep the int64/float64
// distinction through a JSON round trip by writing integral float64 values as "2.0".

// MarshalJSON writes the param with integral floats marked as floats ("2.0").
func (p Param) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Schema any `json:"schema"`
	}{jsonMarked(p.Schema)})
}

// UnmarshalJSON reads a param, giving numbers their canonical type (int64 or float64).
func (p *Param) UnmarshalJSON(b []byte) error {
	var raw struct {
		Schema map[string]any `json:"schema"`
	}
	if err := unmarshalNumbers(b, &raw); err != nil {
		return err
	}
	schema, _ := fromJSONNumbers(raw.Schema).(map[string]any)
	p.Schema = schema
	return nil
}

// MarshalJSON writes the spec with integral floats in Args marked as floats ("2.0").
func (g GoSpec) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Func string `json:"func"`
		Args any    `json:"args,omitempty"`
	}{g.Func, jsonMarked(g.Args)})
}

// UnmarshalJSON reads a spec, giving numbers in Args their canonical type.
func (g *GoSpec) UnmarshalJSON(b []byte) error {
	var raw struct {
		Func string `json:"func"`
		Args any    `json:"args"`
	}
	if err := unmarshalNumbers(b, &raw); err != nil {
		return err
	}
	g.Func, g.Args = raw.Func, fromJSONNumbers(raw.Args)
	return nil
}

// MarshalJSON writes the task; in a Task.Spec, integral floats of JSON-like fields are
// marked as floats ("2.0"), as in go args.
func (t Task) MarshalJSON() ([]byte, error) {
	type plain Task
	p := plain(t)
	if t.Spec != nil {
		p.Spec = mapSpecValues(t.Spec, jsonMarked)
	}
	return json.Marshal(p)
}

// UnmarshalJSON reads a task, keeping Task.Spec as raw JSON (a json.RawMessage) until
// Kinds.Restore decodes it into its kind's struct.
func (t *Task) UnmarshalJSON(b []byte) error {
	type plain Task
	var raw struct {
		plain
		Spec json.RawMessage `json:"spec,omitempty"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*t = Task(raw.plain)
	t.Spec = nil
	if len(raw.Spec) > 0 && string(raw.Spec) != "null" {
		t.Spec = raw.Spec
	}
	return nil
}

func unmarshalNumbers(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	return dec.Decode(v)
}

// jsonMarked returns v with every integral float replaced by a json.Number ending in ".0",
// so that fromJSONNumbers reads it back as a float64.
func jsonMarked(v any) any {
	return mapLeaves(v, func(v any) any {
		if x, ok := v.(float64); ok && x == math.Trunc(x) && !math.IsInf(x, 0) {
			return json.Number(strconv.FormatFloat(x, 'f', -1, 64) + ".0")
		}
		return v
	})
}

// fromJSONNumbers replaces json.Number values by int64 (no fraction or exponent, in range),
// uint64 (larger integers) or float64.
func fromJSONNumbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		return numberValue(string(x))
	case map[string]any:
		for k, e := range x {
			x[k] = fromJSONNumbers(e)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = fromJSONNumbers(e)
		}
		return x
	default:
		return v
	}
}

// numberValue converts the text of a JSON number to its canonical type.
func numberValue(s string) any {
	if !strings.ContainsAny(s, ".eE") {
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return i
		}
		if u, err := strconv.ParseUint(s, 10, 64); err == nil {
			return u
		}
	}
	f, _ := strconv.ParseFloat(s, 64)
	return f
}

// canonical converts a Go value built by hand (ints, float32, typed slices and maps) to the
// canonical JSON types. Values it does not know are returned unchanged.
func canonical(v any) any {
	switch x := v.(type) {
	case nil, bool, string, int64, float64:
		return v
	case int:
		return int64(x)
	case int8:
		return int64(x)
	case int16:
		return int64(x)
	case int32:
		return int64(x)
	case uint:
		return canonicalUint(uint64(x))
	case uint8:
		return int64(x)
	case uint16:
		return int64(x)
	case uint32:
		return int64(x)
	case uint64:
		return canonicalUint(x)
	case float32:
		f, _ := strconv.ParseFloat(strconv.FormatFloat(float64(x), 'g', -1, 32), 64)
		return f
	case json.Number:
		return numberValue(string(x))
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = canonical(e)
		}
		return m
	case []any:
		l := make([]any, len(x))
		for i, e := range x {
			l[i] = canonical(e)
		}
		return l
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		if rv.Kind() == reflect.Slice && rv.IsNil() {
			return []any(nil)
		}
		l := make([]any, rv.Len())
		for i := range l {
			l[i] = canonical(rv.Index(i).Interface())
		}
		return l
	case reflect.Map:
		if rv.Type().Key().Kind() != reflect.String {
			return v
		}
		m := make(map[string]any, rv.Len())
		iter := rv.MapRange()
		for iter.Next() {
			m[iter.Key().String()] = canonical(iter.Value().Interface())
		}
		return m
	}
	return v
}

func canonicalUint(u uint64) any {
	if u <= math.MaxInt64 {
		return int64(u)
	}
	return u
}

// Truthy is Python's truth for a JSON-like value: false, null, zero numbers, "" and empty
// lists and maps are false, everything else is true. Short-circuit conditions and HTTP sensor
// checks use it.
func Truthy(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case float64:
		return x != 0
	case float32:
		return x != 0
	case int:
		return x != 0
	case int64:
		return x != 0
	case uint64:
		return x != 0
	case string:
		return x != ""
	case []any:
		return len(x) > 0
	case map[string]any:
		return len(x) > 0
	}
	return true
}
