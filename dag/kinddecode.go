package dag

import (
	"reflect"

	"github.com/goccy/go-yaml/ast"
)

// decodeField reads the YAML value n of field path into field f of the spec struct that
// spec points to, recording an error with n's position when the value has the wrong type.
func (s *scope) decodeField(f *KindField, spec any, n ast.Node, path string) {
	fv := reflect.ValueOf(spec).Elem().Field(f.index)
	set := func(v any, ok bool) {
		if ok && v != nil {
			fv.Set(reflect.ValueOf(v).Convert(fv.Type()))
		}
	}
	switch f.typ {
	case ftString:
		set(s.str(n, path, f.lenient))
	case ftInt:
		set(s.integer(n, path))
	case ftBool:
		set(s.boolean(n, path))
	case ftDuration:
		set(s.duration(n, path))
	case ftStrings:
		if _, isStr := s.deref(n, path).(*ast.StringNode); isStr && f.scalar != "" && !f.single {
			s.errorf(n, path, "%s", f.scalar)
			return
		}
		v, _ := s.strList(n, path, f.lenient, f.single)
		if v != nil {
			fv.Set(reflect.ValueOf(v).Convert(fv.Type()))
		}
	case ftInts:
		v, _ := s.intList(n, path)
		if v != nil {
			fv.Set(reflect.ValueOf(v).Convert(fv.Type()))
		}
	case ftStrMap:
		v, _ := s.strMap(n, path)
		if v != nil {
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
	}
}

// decodeNested reads the mapping under a nested kind's key into a new spec, strictly:
// unknown keys are errors with a did-you-mean hint.
func (s *scope) decodeNested(k *kindReg, n ast.Node, field string) any {
	es, ok := s.mapping(n, field)
	if !ok {
		return nil
	}
	spec := k.def.New()
	names := make([]string, len(k.fields))
	for i := range k.fields {
		names[i] = k.fields[i].Name
	}
	for _, e := range es {
		s.record(e.valField, e.valNode)
		f := k.byName[e.key]
		if f == nil {
			s.unknownField(e, field, names)
			continue
		}
		s.decodeField(f, spec, e.valNode, e.valField)
	}
	return spec
}
