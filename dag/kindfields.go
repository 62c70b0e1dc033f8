package dag

import (
	"fmt"
	"reflect"
	"strings"
)

// This file reads a kind's spec struct (its tagged fields, recursively) and walks spec
// values: required checks, template fields, deep copies.

type fieldType int

const (
	ftString fieldType = iota
	ftInt
	ftFloat
	ftBool
	ftDuration
	ftStrings
	ftInts
	ftFloats
	ftStrMap
	ftObject
	ftAny
	ftStruct
	ftStructs
)

var fieldTypeNames = map[fieldType]string{ftString: "string", ftInt: "integer", ftFloat: "number",
	ftBool: "boolean", ftDuration: "duration", ftStrings: "list of strings", ftInts: "list of integers",
	ftFloats: "list of numbers", ftStrMap: "map of strings", ftObject: "mapping", ftAny: "any value",
	ftStruct: "mapping", ftStructs: "list of mappings"}

var durationType = reflect.TypeOf(Duration(0))

// maxSpecDepth bounds the nesting of spec structs.
const maxSpecDepth = 8

// specFields reads the tagged fields of a spec struct.
func specFields(name string, spec any) ([]KindField, error) {
	rv := reflect.ValueOf(spec)
	if rv.Kind() != reflect.Pointer || rv.Elem().Kind() != reflect.Struct {
		return nil, fmt.Errorf("task kind %s: KindDef.New returns %T, want a pointer to a struct", name, spec)
	}
	return structFields(name, rv.Elem().Type(), 0)
}

func structFields(name string, rt reflect.Type, depth int) ([]KindField, error) {
	if depth > maxSpecDepth {
		return nil, fmt.Errorf("task kind %s: spec structs nested more than %d deep", name, maxSpecDepth)
	}
	var out []KindField
	for i := 0; i < rt.NumField(); i++ {
		sf := rt.Field(i)
		tag, ok := sf.Tag.Lookup("yaml")
		if !ok || tag == "-" || !sf.IsExported() {
			continue
		}
		parts := strings.Split(tag, ",")
		f := KindField{Name: parts[0], Doc: sf.Tag.Get("doc"), index: i, scalar: sf.Tag.Get("scalar")}
		if f.Name == "" {
			return nil, fmt.Errorf("task kind %s: field %s has an empty yaml name", name, sf.Name)
		}
		for _, opt := range parts[1:] {
			switch opt {
			case "lenient":
				f.lenient = true
			case "single":
				f.single = true
			default:
				return nil, fmt.Errorf("task kind %s: field %s: unknown yaml option %q (lenient, single)", name, sf.Name, opt)
			}
		}
		t := sf.Type
		if t.Kind() == reflect.Pointer {
			f.ptr, t = true, t.Elem()
		}
		switch {
		case t == durationType:
			f.typ = ftDuration
		case t.Kind() == reflect.String:
			f.typ = ftString
		case t.Kind() == reflect.Int:
			f.typ = ftInt
		case t.Kind() == reflect.Float64:
			f.typ = ftFloat
		case t.Kind() == reflect.Bool:
			f.typ = ftBool
		case f.ptr:
			return nil, fmt.Errorf("task kind %s: field %s has type %s: pointers are for string, int, float64, bool and dag.Duration", name, sf.Name, sf.Type)
		case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.String:
			f.typ = ftStrings
		case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Int:
			f.typ = ftInts
		case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Float64:
			f.typ = ftFloats
		case t.Kind() == reflect.Map && t.Key().Kind() == reflect.String && t.Elem().Kind() == reflect.String:
			f.typ = ftStrMap
		case t.Kind() == reflect.Map && t.Key().Kind() == reflect.String && t.Elem().Kind() == reflect.Interface && t.Elem().NumMethod() == 0:
			f.typ = ftObject
		case t.Kind() == reflect.Interface && t.NumMethod() == 0:
			f.typ = ftAny
		case t.Kind() == reflect.Struct, t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Struct:
			f.typ = ftStruct
			st := t
			if t.Kind() == reflect.Slice {
				f.typ, st = ftStructs, t.Elem()
			}
			sub, err := structFields(name, st, depth+1)
			if err != nil {
				return nil, err
			}
			f.sub = sub
		default:
			return nil, fmt.Errorf("task kind %s: field %s has type %s: use string, int, float64, bool, dag.Duration (or pointers to those), []string, []int, []float64, map[string]string, map[string]any, any, or a struct or slice of structs", name, sf.Name, sf.Type)
		}
		f.Type = fieldTypeNames[f.typ]
		switch tmpl := sf.Tag.Get("template"); tmpl {
		case "":
		case "true":
			f.Template = true
		case "value":
			f.Template, f.typed = true, true
		default:
			return nil, fmt.Errorf("task kind %s: field %s: template tag %q, want true or value", name, sf.Name, tmpl)
		}
		if f.Template && (f.ptr || (f.typ != ftString && f.typ != ftStrings && f.typ != ftStrMap && f.typ != ftAny && f.typ != ftObject)) {
			return nil, fmt.Errorf("task kind %s: field %s: only strings, lists and maps of strings and JSON values can be templates (tag the fields of a nested struct instead)", name, sf.Name)
		}
		if req, ok := sf.Tag.Lookup("required"); ok {
			f.Required = true
			if req != "custom" {
				f.requiredMsg = req
				if req == "" || req == "true" {
					f.requiredMsg = f.Name + " is required"
				}
			}
		}
		out = append(out, f)
	}
	return out, nil
}

// flatFields lists fields for `weir kinds`, each struct's fields after it with a dotted
// name ("checks[].column").
func flatFields(fields []KindField, base string) []KindField {
	var out []KindField
	for _, f := range fields {
		g := f
		g.Name = base + f.Name
		g.sub = nil
		out = append(out, g)
		switch f.typ {
		case ftStruct:
			out = append(out, flatFields(f.sub, g.Name+".")...)
		case ftStructs:
			out = append(out, flatFields(f.sub, g.Name+"[].")...)
		}
	}
	return out
}

// fieldPath returns the error path of field f under base (a top-level field: top set).
func fieldPath(f *KindField, base string, top bool) string {
	if top {
		return f.path
	}
	return base + "." + f.Name
}

// checkRequired reports the required fields of a spec struct (and its nested structs)
// that are not set.
func checkRequired(c *KindCheck, rv reflect.Value, fields []KindField, base string) {
	for i := range fields {
		f := &fields[i]
		fv := rv.Field(f.index)
		name := f.Name
		if base != "" {
			name = base + "." + f.Name
		}
		if f.requiredMsg != "" && fv.IsZero() {
			c.Errorf(name, "missing: %s", f.requiredMsg)
		}
		switch f.typ {
		case ftStruct:
			checkRequired(c, fv, f.sub, name)
		case ftStructs:
			for j := 0; j < fv.Len(); j++ {
				checkRequired(c, fv.Index(j), f.sub, index(name, j))
			}
		}
	}
}

// eachTemplate calls fn with the field path and value of every template string of a spec.
func (k *kindReg) eachTemplate(spec any, fn func(field, s string)) {
	walkTemplates(reflect.ValueOf(spec).Elem(), k.fields, "", true, fn)
}

func walkTemplates(rv reflect.Value, fields []KindField, base string, top bool, fn func(field, s string)) {
	for i := range fields {
		f := &fields[i]
		if !f.Template && f.sub == nil {
			continue
		}
		fv, path := rv.Field(f.index), fieldPath(f, base, top)
		switch f.typ {
		case ftString:
			fn(path, fv.String())
		case ftStrings:
			for j := 0; j < fv.Len(); j++ {
				fn(index(path, j), fv.Index(j).String())
			}
		case ftStrMap:
			m := fv.Convert(reflect.TypeOf(map[string]string{})).Interface().(map[string]string)
			for _, key := range sortedMapKeys(m) {
				fn(path+"."+key, m[key])
			}
		case ftAny, ftObject:
			eachArg(path, fv.Interface(), fn)
		case ftStruct:
			walkTemplates(fv, f.sub, path, false, fn)
		case ftStructs:
			for j := 0; j < fv.Len(); j++ {
				walkTemplates(fv.Index(j), f.sub, index(path, j), false, fn)
			}
		}
	}
}

// render evaluates the template fields of spec (a fresh copy) in place.
func (k *kindReg) render(spec any, c *TemplateContext, vars map[string]any, fail func(string, error)) {
	r := &specRenderer{k: k, c: c, vars: vars, fail: fail}
	r.walk(reflect.ValueOf(spec).Elem(), k.fields, "", true)
}

type specRenderer struct {
	k    *kindReg
	c    *TemplateContext
	vars map[string]any
	fail func(string, error)
}

func (r *specRenderer) str(field, s string) string {
	if !isTemplate(s) {
		return s
	}
	out, err := render(s, r.vars)
	if err != nil {
		r.fail(field, err)
		return s
	}
	return out
}

func (r *specRenderer) walk(rv reflect.Value, fields []KindField, base string, top bool) {
	for i := range fields {
		f := &fields[i]
		if !f.Template && f.sub == nil {
			continue
		}
		fv, path := rv.Field(f.index), fieldPath(f, base, top)
		switch f.typ {
		case ftString:
			fv.SetString(r.str(path, fv.String()))
		case ftStrings:
			for j := 0; j < fv.Len(); j++ {
				fv.Index(j).SetString(r.str(index(path, j), fv.Index(j).String()))
			}
		case ftStrMap:
			iter := fv.MapRange()
			type kv struct{ k, v reflect.Value }
			var set []kv
			for iter.Next() {
				s := iter.Value().String()
				if isTemplate(s) {
					out := reflect.New(fv.Type().Elem()).Elem()
					out.SetString(r.str(path+"."+iter.Key().String(), s))
					set = append(set, kv{iter.Key(), out})
				}
			}
			for _, x := range set {
				fv.SetMapIndex(x.k, x.v)
			}
		case ftAny, ftObject:
			val := fv.Interface()
			if top && f.Name == r.k.def.MapArgs && fv.IsZero() && r.c.Args != nil {
				// A mapped task without arguments of its own takes its instance's.
				val = cloneValue(map[string]any(r.c.Args))
			}
			if f.typed {
				val = renderArg(path, val, r.vars, r.fail)
			} else {
				val = renderStrings(path, val, r.vars, r.fail)
			}
			if val == nil {
				fv.SetZero()
			} else {
				fv.Set(reflect.ValueOf(val).Convert(fv.Type()))
			}
		case ftStruct:
			r.walk(fv, f.sub, path, false)
		case ftStructs:
			for j := 0; j < fv.Len(); j++ {
				r.walk(fv.Index(j), f.sub, index(path, j), false)
			}
		}
	}
}

// renderStrings interpolates every string leaf of v (maps and lists are fresh copies).
func renderStrings(field string, v any, vars map[string]any, fail func(string, error)) any {
	return mapLeaves(v, func(x any) any {
		s, ok := x.(string)
		if !ok || !isTemplate(s) {
			return x
		}
		out, err := render(s, vars)
		if err != nil {
			fail(field, err)
			return s
		}
		return out
	})
}

// mapSpecValues returns a deep copy of a spec struct pointer (no slice, map or pointer
// shared), with fn applied to every JSON-like value in it (interface-typed values and
// map[string]any). Other values are returned unchanged.
func mapSpecValues(spec any, fn func(any) any) any {
	if spec == nil {
		return nil
	}
	rv := reflect.ValueOf(spec)
	if rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Elem().Kind() != reflect.Struct {
		return spec
	}
	out := reflect.New(rv.Elem().Type())
	out.Elem().Set(deepCopy(rv.Elem(), fn))
	return out.Interface()
}

var anyMapType = reflect.TypeOf(map[string]any{})

// deepCopy copies v recursively, applying fn to JSON-like values.
func deepCopy(v reflect.Value, fn func(any) any) reflect.Value {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return v
		}
		out := reflect.New(v.Type().Elem())
		out.Elem().Set(deepCopy(v.Elem(), fn))
		return out
	case reflect.Struct:
		out := reflect.New(v.Type()).Elem()
		out.Set(v)
		for i := 0; i < v.NumField(); i++ {
			if out.Field(i).CanSet() {
				out.Field(i).Set(deepCopy(v.Field(i), fn))
			}
		}
		return out
	case reflect.Slice:
		if v.IsNil() {
			return v
		}
		out := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		for i := 0; i < v.Len(); i++ {
			out.Index(i).Set(deepCopy(v.Index(i), fn))
		}
		return out
	case reflect.Map:
		if v.IsNil() {
			return v
		}
		if v.Type().ConvertibleTo(anyMapType) && v.Type().Elem().Kind() == reflect.Interface {
			if x := fn(v.Convert(anyMapType).Interface()); x != nil {
				if m, ok := x.(map[string]any); ok {
					return reflect.ValueOf(m).Convert(v.Type())
				}
			}
			return reflect.Zero(v.Type())
		}
		out := reflect.MakeMapWithSize(v.Type(), v.Len())
		iter := v.MapRange()
		for iter.Next() {
			out.SetMapIndex(iter.Key(), deepCopy(iter.Value(), fn))
		}
		return out
	case reflect.Interface:
		if v.IsNil() {
			return v
		}
		out := reflect.New(v.Type()).Elem()
		if x := fn(v.Interface()); x != nil {
			out.Set(reflect.ValueOf(x))
		}
		return out
	}
	return v
}

// mapValues applies fn to every JSON-like value of a spec struct, in place.
func mapValues(rv reflect.Value, fn func(any) any) {
	rv.Set(deepCopy(rv, fn))
}
