package dag

import (
	"fmt"
	"math"
	"time"
)

// ParseDuration reads a duration from a Go duration string ("90s", "1h30m") or a number of
// seconds (int or float), as YAML and JSON decoders produce them.
func ParseDuration(v any) (Duration, error) {
	switch x := v.(type) {
	case string:
		d, err := time.ParseDuration(x)
		if err != nil {
			return 0, fmt.Errorf("invalid duration %q: use a number of seconds or a Go duration such as \"90s\" or \"1h30m\"", x)
		}
		if d < 0 {
			return 0, fmt.Errorf("invalid duration %q: must not be negative", x)
		}
		return Duration(d), nil
	case int:
		return secs(float64(x))
	case int64:
		return secs(float64(x))
	case uint64:
		return secs(float64(x))
	case float64:
		return secs(x)
	case nil:
		return 0, nil
	default:
		return 0, fmt.Errorf("invalid duration %v (%T): use a number of seconds or a string such as \"90s\"", v, v)
	}
}

func secs(f float64) (Duration, error) {
	if f < 0 || math.IsNaN(f) || math.IsInf(f, 0) || f > float64(math.MaxInt64/int64(time.Second)) {
		return 0, fmt.Errorf("invalid duration %v seconds", f)
	}
	return Duration(f * float64(time.Second)), nil
}
