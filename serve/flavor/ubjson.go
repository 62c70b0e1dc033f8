package flavor

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// decodeUBJSON decodes a Universal Binary JSON document (ubjson.org, draft 12, the format
// of XGBoost's .ubj models) into the values encoding/json would give: map[string]any,
// []any, float64, string, bool and nil.
func decodeUBJSON(b []byte) (any, error) {
	d := &ubjDecoder{b: b}
	v, err := d.value(0)
	if err != nil {
		return nil, fmt.Errorf("at byte %d: %w", d.off, err)
	}
	return v, nil
}

type ubjDecoder struct {
	b   []byte
	off int
}

var errUBJEnd = errors.New("unexpected end of data")

const ubjMaxDepth = 64

func (d *ubjDecoder) byte() (byte, error) {
	if d.off >= len(d.b) {
		return 0, errUBJEnd
	}
	c := d.b[d.off]
	d.off++
	return c, nil
}

func (d *ubjDecoder) take(n int) ([]byte, error) {
	if n < 0 || n > len(d.b)-d.off {
		return nil, errUBJEnd
	}
	p := d.b[d.off : d.off+n]
	d.off += n
	return p, nil
}

// marker reads the next type marker, skipping no-ops.
func (d *ubjDecoder) marker() (byte, error) {
	for {
		c, err := d.byte()
		if err != nil || c != 'N' {
			return c, err
		}
	}
}

func (d *ubjDecoder) value(depth int) (any, error) {
	m, err := d.marker()
	if err != nil {
		return nil, err
	}
	return d.typed(m, depth)
}

// length reads a count or a string's length: an integer with its marker.
func (d *ubjDecoder) length() (int, error) {
	m, err := d.marker()
	if err != nil {
		return 0, err
	}
	v, err := d.integer(m)
	if err != nil {
		return 0, err
	}
	if v < 0 || v > int64(len(d.b)) {
		return 0, fmt.Errorf("length %d out of range", v)
	}
	return int(v), nil
}

func (d *ubjDecoder) integer(m byte) (int64, error) {
	var n int
	switch m {
	case 'i', 'U':
		n = 1
	case 'I':
		n = 2
	case 'l':
		n = 4
	case 'L':
		n = 8
	default:
		return 0, fmt.Errorf("marker %q is not an integer", m)
	}
	p, err := d.take(n)
	if err != nil {
		return 0, err
	}
	switch m {
	case 'i':
		return int64(int8(p[0])), nil
	case 'U':
		return int64(p[0]), nil
	case 'I':
		return int64(int16(binary.BigEndian.Uint16(p))), nil
	case 'l':
		return int64(int32(binary.BigEndian.Uint32(p))), nil
	}
	return int64(binary.BigEndian.Uint64(p)), nil
}

func (d *ubjDecoder) typed(m byte, depth int) (any, error) {
	switch m {
	case 'Z':
		return nil, nil
	case 'T':
		return true, nil
	case 'F':
		return false, nil
	case 'i', 'U', 'I', 'l', 'L':
		v, err := d.integer(m)
		return float64(v), err
	case 'd':
		p, err := d.take(4)
		if err != nil {
			return nil, err
		}
		return float64(math.Float32frombits(binary.BigEndian.Uint32(p))), nil
	case 'D':
		p, err := d.take(8)
		if err != nil {
			return nil, err
		}
		return math.Float64frombits(binary.BigEndian.Uint64(p)), nil
	case 'C':
		c, err := d.byte()
		return string(rune(c)), err
	case 'S', 'H':
		n, err := d.length()
		if err != nil {
			return nil, err
		}
		p, err := d.take(n)
		return string(p), err
	case '[', '{':
		if depth >= ubjMaxDepth {
			return nil, errors.New("containers nested too deep")
		}
		return d.container(m, depth+1)
	}
	return nil, fmt.Errorf("unknown marker %q", m)
}

// container reads an array or object after its opening marker, with the optional
// $type and #count of optimized containers.
func (d *ubjDecoder) container(open byte, depth int) (any, error) {
	var elemType byte
	count := -1
	if d.off < len(d.b) && d.b[d.off] == '$' {
		d.off++
		t, err := d.byte()
		if err != nil {
			return nil, err
		}
		elemType = t
		if d.off >= len(d.b) || d.b[d.off] != '#' {
			return nil, errors.New("a typed container ($) without a count (#)")
		}
	}
	if d.off < len(d.b) && d.b[d.off] == '#' {
		d.off++
		n, err := d.length()
		if err != nil {
			return nil, err
		}
		count = n
	}
	elem := func() (any, error) {
		if elemType != 0 {
			return d.typed(elemType, depth)
		}
		return d.value(depth)
	}
	end := func(c byte) (bool, error) {
		if count >= 0 {
			return false, nil
		}
		for d.off < len(d.b) && d.b[d.off] == 'N' {
			d.off++
		}
		if d.off >= len(d.b) {
			return false, errUBJEnd
		}
		if d.b[d.off] == c {
			d.off++
			return true, nil
		}
		return false, nil
	}
	if open == '[' {
		arr := make([]any, 0, max(count, 0))
		for i := 0; count < 0 || i < count; i++ {
			if done, err := end(']'); err != nil || done {
				return arr, err
			}
			v, err := elem()
			if err != nil {
				return nil, err
			}
			arr = append(arr, v)
		}
		return arr, nil
	}
	obj := map[string]any{}
	for i := 0; count < 0 || i < count; i++ {
		if done, err := end('}'); err != nil || done {
			return obj, err
		}
		n, err := d.length()
		if err != nil {
			return nil, err
		}
		k, err := d.take(n)
		if err != nil {
			return nil, err
		}
		v, err := elem()
		if err != nil {
			return nil, err
		}
		obj[string(k)] = v
	}
	return obj, nil
}
