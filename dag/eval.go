package dag

import (
	"fmt"
	"strings"
)

// EvalValue evaluates a value that may hold templates, as mapped inputs and go args are:
// a string that is exactly one "{{ expr }}" takes the expression's typed value, other
// strings are interpolated, maps and lists are evaluated recursively (on a copy), and other
// values are returned as they are.
func EvalValue(v any, c *TemplateContext) (any, error) {
	if c == nil {
		c = &TemplateContext{MapIndex: -1}
	}
	vars := c.vars(c.TaskID)
	var errs []string
	out := renderArg("value", cloneValue(v), vars, func(field string, err error) {
		errs = append(errs, err.Error())
	})
	if len(errs) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return out, nil
}

// EvalExpr evaluates one expression (written without braces), as branch and short-circuit
// conditions are, and returns its value.
func EvalExpr(src string, c *TemplateContext) (any, error) {
	if c == nil {
		c = &TemplateContext{MapIndex: -1}
	}
	v, err := eval(src, c.vars(c.TaskID))
	if err != nil {
		return nil, err
	}
	return canonical(v), nil
}

// zipFunc pairs lists element by element, up to the shortest (Airflow's XComArg.zip).
func zipFunc(lists ...any) ([]any, error) { return zipLists(false, nil, lists) }

// zipLongestFunc pairs lists up to the longest, padding with fill (zip with a fillvalue).
func zipLongestFunc(fill any, lists ...any) ([]any, error) { return zipLists(true, fill, lists) }

func zipLists(longest bool, fill any, lists []any) ([]any, error) {
	ls := make([][]any, len(lists))
	n := -1
	for i, l := range lists {
		x, ok := l.([]any)
		if !ok {
			return nil, fmt.Errorf("zip: argument %d is %T, want a list", i+1, l)
		}
		ls[i] = x
		switch {
		case n < 0:
			n = len(x)
		case longest && len(x) > n, !longest && len(x) < n:
			n = len(x)
		}
	}
	out := make([]any, 0, max(n, 0))
	for j := 0; j < n; j++ {
		tuple := make([]any, len(ls))
		for i, l := range ls {
			if j < len(l) {
				tuple[i] = l[j]
			} else {
				tuple[i] = fill
			}
		}
		out = append(out, tuple)
	}
	return out, nil
}

// concatFunc joins lists one after the other (Airflow's XComArg.concat).
func concatFunc(lists ...any) ([]any, error) {
	var out []any
	for i, l := range lists {
		x, ok := l.([]any)
		if !ok {
			return nil, fmt.Errorf("concat: argument %d is %T, want a list", i+1, l)
		}
		out = append(out, x...)
	}
	if out == nil {
		out = []any{}
	}
	return out, nil
}
