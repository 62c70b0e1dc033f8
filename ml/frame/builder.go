package frame

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// timeLayouts are the timestamp layouts recognised by inference, most
// specific first.
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02",
}

// defaultNulls are the texts read as missing values by default.
var defaultNulls = []string{"", "NA", "N/A", "NaN", "nan", "null", "NULL", "None", "none"}

// builder accumulates the values of one column as they are read.
type builder struct {
	name     string
	typ      Type // Invalid while only missing values were seen
	fixed    bool // the type was given by the user: never promote
	layout   string
	n        int
	f        []float64
	i        []int64
	b        []bool
	codes    []int32
	levels   []string
	dict     map[string]int32
	null     []bool
	anyNull  bool
	capacity int
}

func newBuilder(name string, typ Type, fixed bool, layout string, capacity int) *builder {
	b := &builder{name: name, typ: typ, fixed: fixed, layout: layout, capacity: capacity}
	b.alloc()
	return b
}

func (b *builder) alloc() {
	c := b.capacity
	switch b.typ {
	case Float:
		b.f = make([]float64, 0, c)
	case Int, Time:
		b.i = make([]int64, 0, c)
	case Bool:
		b.b = make([]bool, 0, c)
	case String:
		b.codes = make([]int32, 0, c)
		b.dict = map[string]int32{}
	}
}

// setType fixes the type of a builder that so far saw only missing values.
func (b *builder) setType(typ Type, layout string) {
	b.typ, b.layout = typ, layout
	nulls := b.n
	b.alloc()
	for k := 0; k < nulls; k++ {
		b.pushZero()
	}
}

func (b *builder) pushZero() {
	switch b.typ {
	case Float:
		b.f = append(b.f, math.NaN())
	case Int, Time:
		b.i = append(b.i, 0)
	case Bool:
		b.b = append(b.b, false)
	case String:
		b.codes = append(b.codes, 0)
	}
}

func (b *builder) appendNull() {
	if !b.anyNull {
		b.null = make([]bool, b.n, max(b.capacity, b.n+1))
		b.anyNull = true
	}
	b.null = append(b.null, true)
	if b.typ != Invalid {
		b.pushZero()
	}
	b.n++
}

// append parses s and appends it, returning a description of the problem
// when s does not fit the column's type.
func (b *builder) append(s string) string {
	if b.typ == Invalid {
		t, layout := inferValue(s)
		b.setType(t, layout)
	}
	switch b.typ {
	case Float:
		v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil && !isRangeErr(err) {
			return "is not a number"
		}
		b.f = append(b.f, v)
	case Int:
		v, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil {
			fv, ferr := strconv.ParseFloat(strings.TrimSpace(s), 64)
			if b.fixed || ferr != nil {
				return "is not an integer"
			}
			b.promoteFloat()
			b.f = append(b.f, fv)
			break
		}
		b.i = append(b.i, v)
	case Bool:
		v, ok := parseBool(s)
		if !ok {
			return "is not a boolean (true or false)"
		}
		b.b = append(b.b, v)
	case Time:
		t, err := parseTime(s, b.layout)
		if err != nil {
			return "is not a time (want RFC 3339 or 2006-01-02[ 15:04:05])"
		}
		b.i = append(b.i, t.UnixNano())
	case String:
		code, ok := b.dict[s]
		if !ok {
			code = int32(len(b.levels))
			b.dict[s] = code
			b.levels = append(b.levels, s)
		}
		b.codes = append(b.codes, code)
	}
	if b.anyNull {
		b.null = append(b.null, false)
	}
	b.n++
	return ""
}

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

func (b *builder) promoteFloat() {
	b.f = make([]float64, len(b.i), max(cap(b.i), len(b.i)+1))
	for k, v := range b.i {
		b.f[k] = float64(v)
	}
	if b.anyNull {
		for k, null := range b.null {
			if null {
				b.f[k] = math.NaN()
			}
		}
	}
	b.i = nil
	b.typ = Float
}

func (b *builder) column() *Column {
	c := &Column{name: b.name, typ: b.typ, n: b.n, f: b.f, i: b.i, b: b.b, codes: b.codes, levels: b.levels}
	if b.anyNull {
		c.null = b.null
	}
	if b.typ == Invalid { // only missing values: a Float column of NaN
		c.typ = Float
		c.f = make([]float64, b.n)
		for k := range c.f {
			c.f[k] = math.NaN()
		}
	}
	return c
}

func parseBool(s string) (bool, bool) {
	switch strings.TrimSpace(s) {
	case "true", "True", "TRUE":
		return true, true
	case "false", "False", "FALSE":
		return false, true
	}
	return false, false
}

func parseTime(s, layout string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if layout != "" {
		t, err := time.Parse(layout, s)
		if err == nil {
			return t, nil
		}
	}
	var err error
	for _, l := range timeLayouts {
		var t time.Time
		if t, err = time.Parse(l, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, err
}

// inferValue returns the narrowest type that reads s, and for times the
// layout.
func inferValue(s string) (Type, string) {
	t := strings.TrimSpace(s)
	if _, ok := parseBool(t); ok {
		return Bool, ""
	}
	if _, err := strconv.ParseInt(t, 10, 64); err == nil {
		return Int, ""
	}
	if _, err := strconv.ParseFloat(t, 64); err == nil || isRangeErr(err) {
		return Float, ""
	}
	for _, l := range timeLayouts {
		if _, err := time.Parse(l, t); err == nil {
			return Time, l
		}
	}
	return String, ""
}

// inferrer accumulates, over a sample of values, which types can read all
// of them.
type inferrer struct {
	seen                               bool
	canBool, canInt, canFloat, canTime bool
	layout                             string
}

func newInferrer() *inferrer {
	return &inferrer{canBool: true, canInt: true, canFloat: true, canTime: true}
}

func (in *inferrer) add(s string) {
	t := strings.TrimSpace(s)
	in.seen = true
	if in.canBool {
		_, in.canBool = parseBool(t)
	}
	if in.canInt {
		_, err := strconv.ParseInt(t, 10, 64)
		in.canInt = err == nil
	}
	if in.canFloat {
		_, err := strconv.ParseFloat(t, 64)
		in.canFloat = err == nil || isRangeErr(err)
	}
	if in.canTime {
		if in.layout == "" {
			_, l := inferValue(t)
			if l == "" {
				in.canTime = false
			}
			in.layout = l
		} else if _, err := parseTime(t, in.layout); err != nil {
			in.canTime = false
		}
	}
}

func (in *inferrer) result() (Type, string) {
	switch {
	case !in.seen:
		return Invalid, ""
	case in.canBool:
		return Bool, ""
	case in.canInt:
		return Int, ""
	case in.canFloat:
		return Float, ""
	case in.canTime:
		return Time, in.layout
	}
	return String, ""
}
