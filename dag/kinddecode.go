package dag

import (
	"reflect"

	"github.com/goccy/go-yaml/ast"
)

// decodeField reads the YAML value n of field path into field f of the spec struct that
// spec points to, recording an error with n's position when the value has the wrong type.
func (s *scope) decodeField(f *KindField, spec any, n ast.Node, path string) {
	s.decodeValue(f, reflect.ValueOf(spec).Elem().Field(f.index), n, path)
}

// decodeValue reads n into fv, the Go field of f.
func (s *scope) decodeValue(f *KindField, fv reflect.Value, n ast.Node, path string) {
	if f.ptr {
		tmp := reflect.New(fv.Type().Elem())
		if s.decodeScalar(f, tmp.Elem(), n, path) {
			fv.Set(tmp)
		}
		return
	}
	if s.decodeScalar(f, fv, n, path) {
		return
	}
	setSlice := func(v any) {
		if v != nil && reflect.ValueOf(v).Len() > 0 {
			fv.Set(reflect.ValueOf(v).Convert(fv.Type()))
		}
	}
	switch f.typ {
	case ftStrings:
		if _, isStr := s.deref(n, path).(*ast.StringNode); isStr && f.scalar != "" && !f.single {
			s.errorf(n, path, "%s", f.scalar)
			return
		}
		v, _ := s.strList(n, path, f.lenient, f.single)
		setSlice(v)
	case ftInts:
		v, _ := s.intList(n, path)
		setSlice(v)
	case ftFloats:
		items, _ := s.list(n, path, false)
		var out []float64
		for i, it := range items {
			if x, ok := s.number(it, index(path, i)); ok {
				out = append(out, x)
			}
		}
		setSlice(out)
	case ftStrMap:
		if v, _ := s.strMap(n, path); v != nil {
			fv.Set(reflect.ValueOf(v).Convert(fv.Type()))
		}
	case ftObject:
		if v := s.objectValue(n, path); v != nil {
			fv.Set(reflect.ValueOf(v).Convert(fv.Type()))
		}
	case ftAny:
		if v, ok := s.value(n, path); ok && v != nil {
			fv.Set(reflect.ValueOf(v))
		}
	case ftStruct:
		s.decodeStruct(f.sub, fv, n, path)
	case ftStructs:
		items, _ := s.list(n, path, false)
		out := reflect.MakeSlice(fv.Type(), 0, len(items))
		for i, it := range items {
			el := reflect.New(fv.Type().Elem()).Elem()
			s.record(index(path, i), it)
			s.decodeStruct(f.sub, el, it, index(path, i))
			out = reflect.Append(out, el)
		}
		if out.Len() > 0 {
			fv.Set(out)
		}
	}
}

// decodeScalar reads a scalar field; it returns false when f is not a scalar, or the value
// was wrong (the error is recorded).
func (s *scope) decodeScalar(f *KindField, fv reflect.Value, n ast.Node, path string) bool {
	var v any
	var ok bool
	switch f.typ {
	case ftString:
		v, ok = s.str(n, path, f.lenient)
	case ftInt:
		v, ok = s.integer(n, path)
	case ftFloat:
		v, ok = s.number(n, path)
	case ftBool:
		v, ok = s.boolean(n, path)
	case ftDuration:
		v, ok = s.duration(n, path)
	default:
		return false
	}
	if ok {
		fv.Set(reflect.ValueOf(v).Convert(fv.Type()))
	}
	return ok
}

// decodeStruct reads a mapping into the struct value fv, strictly: unknown keys are errors
// with a did-you-mean hint.
func (s *scope) decodeStruct(fields []KindField, fv reflect.Value, n ast.Node, field string) bool {
	es, ok := s.mapping(n, field)
	if !ok {
		return false
	}
	names := make([]string, len(fields))
	for i := range fields {
		names[i] = fields[i].Name
	}
	for _, e := range es {
		s.record(e.valField, e.valNode)
		var f *KindField
		for i := range fields {
			if fields[i].Name == e.key {
				f = &fields[i]
			}
		}
		if f == nil {
			s.unknownField(e, field, names)
			continue
		}
		s.decodeValue(f, fv.Field(f.index), e.valNode, e.valField)
	}
	return true
}

// decodeNested reads the mapping under a nested kind's key into a new spec.
func (s *scope) decodeNested(k *kindReg, n ast.Node, field string) any {
	spec := k.def.New()
	if !s.decodeStruct(k.fields, reflect.ValueOf(spec).Elem(), n, field) {
		return nil
	}
	return spec
}
