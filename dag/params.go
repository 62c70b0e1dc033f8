package dag

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
)

// ResolveParams computes the params of a run, as Airflow does: each declared param starts
// from its schema's default, a conf value of the same name replaces it (run conf wins over
// DAG params), then overrides replace that (the CLI's --param k=v). Override values that are
// strings are read as JSON when they parse (10, true, [1,2], {"a":1}), else kept as strings;
// a string is then converted to the schema's type when the schema wants a number, an integer
// or a boolean and the string parses as one; and a schema that accepts the raw string keeps
// it. Integral numbers of integer params become int64.
//
// Every value is validated against its schema. The error (nil when all is well) names each
// bad param and what is wrong (`param "epochs": got "ten", want integer`), each unknown
// override (listing the declared params) and each required param (no default, not given).
func (d *DAG) ResolveParams(conf, overrides map[string]any) (map[string]any, error) {
	var errs []error
	names := sortedMapKeys(d.Params)
	values := map[string]any{}
	for name, p := range d.Params {
		if def, ok := p.Default(); ok {
			values[name] = cloneValue(canonical(def))
		}
	}
	for name, v := range conf {
		if _, ok := d.Params[name]; ok {
			values[name] = canonical(v)
		}
	}
	for _, name := range sortedMapKeys(overrides) {
		p, ok := d.Params[name]
		if !ok {
			list := "none"
			if len(names) > 0 {
				list = strings.Join(names, ", ")
			}
			errs = append(errs, fmt.Errorf("unknown param %q%s; declared params: %s", name, DidYouMean(name, names), list))
			continue
		}
		values[name] = overrideValue(p.Schema, canonical(overrides[name]))
	}
	for _, name := range names {
		v, ok := values[name]
		if !ok {
			errs = append(errs, fmt.Errorf("param %q: required: it has no default and was not given", name))
			continue
		}
		schema := d.Params[name].Schema
		sch, err := compileSchema(schema)
		if err != nil {
			errs = append(errs, fmt.Errorf("param %q: invalid schema: %v", name, err))
			continue
		}
		v = integral(schema, v)
		if msg := validationMessage(sch, v); msg != "" {
			errs = append(errs, fmt.Errorf("param %q: %s", name, msg))
			continue
		}
		values[name] = v
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return values, nil
}

// overrideValue interprets an override: see ResolveParams.
func overrideValue(schema map[string]any, v any) any {
	raw, ok := v.(string)
	if !ok {
		return v
	}
	parsed := any(raw)
	if json.Valid([]byte(raw)) {
		dec := json.NewDecoder(bytes.NewReader([]byte(raw)))
		dec.UseNumber()
		var x any
		if dec.Decode(&x) == nil {
			parsed = fromJSONNumbers(x)
		}
	}
	coerced := parsed
	if s, isStr := parsed.(string); isStr {
		types := schemaTypes(schema)
		switch {
		case types["integer"]:
			if i, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64); err == nil {
				coerced = i
			} else if types["number"] {
				coerced = parseFloat(s, coerced)
			}
		case types["number"]:
			coerced = parseFloat(s, coerced)
		case types["boolean"]:
			if b, err := strconv.ParseBool(strings.TrimSpace(s)); err == nil {
				coerced = b
			}
		}
	}
	sch, err := compileSchema(schema)
	if err != nil {
		return coerced
	}
	for _, cand := range []any{coerced, parsed, raw} {
		if sch.Validate(integral(schema, cand)) == nil {
			return cand
		}
	}
	return coerced
}

func parseFloat(s string, fallback any) any {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return fallback
	}
	return f
}

// schemaTypes returns the set of types a schema's "type" keyword names.
func schemaTypes(schema map[string]any) map[string]bool {
	set := map[string]bool{}
	switch t := schema["type"].(type) {
	case string:
		set[t] = true
	case []any:
		for _, e := range t {
			if s, ok := e.(string); ok {
				set[s] = true
			}
		}
	}
	return set
}

// integral turns an integral float into an int64 when the schema wants an integer.
func integral(schema map[string]any, v any) any {
	f, ok := v.(float64)
	if ok && schemaTypes(schema)["integer"] && f == math.Trunc(f) && math.Abs(f) < 1<<53 {
		return int64(f)
	}
	return v
}

// schemas caches compiled param schemas by their JSON text.
var schemas sync.Map

// compileSchema compiles a param schema (JSON Schema draft 2020-12 unless it says otherwise,
// formats asserted, no references to other documents).
func compileSchema(schema map[string]any) (*jsonschema.Schema, error) {
	doc := canonical(schema)
	if schema == nil {
		doc = map[string]any{}
	}
	key, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	if c, ok := schemas.Load(string(key)); ok {
		return c.(*compiledSchema).sch, c.(*compiledSchema).err
	}
	sch, err := compileSchemaDoc(doc)
	schemas.Store(string(key), &compiledSchema{sch, err})
	return sch, err
}

type compiledSchema struct {
	sch *jsonschema.Schema
	err error
}

const schemaURL = "weir:param.json"

func compileSchemaDoc(doc any) (*jsonschema.Schema, error) {
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	c.UseLoader(jsonschema.SchemeURLLoader{})
	if err := c.AddResource(schemaURL, doc); err != nil {
		return nil, newSchemaError(err)
	}
	sch, err := c.Compile(schemaURL)
	if err != nil {
		return nil, newSchemaError(err)
	}
	return sch, nil
}

// schemaError is an invalid schema: the first problem the metaschema found, and where in
// the schema ("properties.x.type"; "" for the schema as a whole).
type schemaError struct {
	at  string
	msg string
}

func (e *schemaError) Error() string { return e.msg }

// newSchemaError shortens a schema compilation error to its first cause.
func newSchemaError(err error) *schemaError {
	var sve *jsonschema.SchemaValidationError
	var ve *jsonschema.ValidationError
	if errors.As(err, &sve) && errors.As(sve.Err, &ve) {
		for len(ve.Causes) > 0 {
			ve = ve.Causes[0]
		}
		msg := (&jsonschema.ValidationError{ErrorKind: ve.ErrorKind}).Error()
		return &schemaError{at: strings.Join(ve.InstanceLocation, "."), msg: strings.TrimPrefix(msg, "at '': ")}
	}
	return &schemaError{msg: strings.ReplaceAll(err.Error(), schemaURL, "schema")}
}

// validationMessage returns what is wrong with v under sch, or "".
func validationMessage(sch *jsonschema.Schema, v any) string {
	err := sch.Validate(v)
	if err == nil {
		return ""
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return err.Error()
	}
	return strings.Join(leafMessages(ve, v), "; ")
}

// leafMessages lists the innermost causes of a validation error, one message each; a type
// mismatch of the value itself reads `got "ten", want integer`.
func leafMessages(ve *jsonschema.ValidationError, v any) []string {
	if len(ve.Causes) > 0 {
		var out []string
		for _, c := range ve.Causes {
			for _, m := range leafMessages(c, v) {
				if !slices.Contains(out, m) {
					out = append(out, m)
				}
			}
		}
		return out
	}
	if t, ok := ve.ErrorKind.(*kind.Type); ok && len(ve.InstanceLocation) == 0 && v != nil {
		if b, err := json.Marshal(v); err == nil {
			return []string{fmt.Sprintf("got %s, want %s", b, strings.Join(t.Want, " or "))}
		}
	}
	// The error of a lone cause prints as "at '/path': message"; at the root, drop "at ''".
	msg := (&jsonschema.ValidationError{ErrorKind: ve.ErrorKind, InstanceLocation: ve.InstanceLocation}).Error()
	return []string{strings.TrimPrefix(msg, "at '': ")}
}
