package sqlite

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"
	"unsafe"
)

// Conversions between domain values and column values. Times are INTEGER unix microseconds,
// NULL for the zero time (0 also reads as the zero time); JSON documents are TEXT, NULL for a
// nil or empty json.RawMessage. The scanners below implement sql.Scanner so that scanning
// takes no reflection path in database/sql: ListTaskInstances scans thousands of rows.

// timeArg returns the column value of t.
func timeArg(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMicro()
}

// jsonArg returns the column value of m: a string sharing m's bytes, not a copy, since an
// output may be large. It is valid only while m is not modified, which holds for the
// statement it is an argument of: the driver copies the text when it binds it, and nothing
// keeps the argument after the statement ran.
func jsonArg(m json.RawMessage) any {
	if len(m) == 0 {
		return nil
	}
	return unsafe.String(&m[0], len(m))
}

// boolArg returns the column value of b: 1 or 0.
func boolArg(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// timeCol scans a time column into *p, in UTC.
type timeCol struct{ p *time.Time }

func (c timeCol) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*c.p = time.Time{}
	case int64:
		if v == 0 {
			*c.p = time.Time{}
		} else {
			*c.p = time.UnixMicro(v).UTC()
		}
	default:
		return fmt.Errorf("time column: unexpected %T", src)
	}
	return nil
}

// intCol scans an INTEGER column into *p.
type intCol struct{ p *int }

func (c intCol) Scan(src any) error {
	switch v := src.(type) {
	case int64:
		*c.p = int(v)
	case nil:
		*c.p = 0
	default:
		return fmt.Errorf("integer column: unexpected %T", src)
	}
	return nil
}

// boolCol scans an INTEGER column into *p: true unless 0 or NULL.
type boolCol struct{ p *bool }

func (c boolCol) Scan(src any) error {
	switch v := src.(type) {
	case int64:
		*c.p = v != 0
	case nil:
		*c.p = false
	default:
		return fmt.Errorf("boolean column: unexpected %T", src)
	}
	return nil
}

// jsonCol scans a JSON column into *p: nil for NULL, else a copy of the text.
type jsonCol struct{ p *json.RawMessage }

func (c jsonCol) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*c.p = nil
	case string:
		*c.p = json.RawMessage(v)
	case []byte:
		*c.p = append(json.RawMessage(nil), v...)
	default:
		return fmt.Errorf("JSON column: unexpected %T", src)
	}
	return nil
}

// tiKey formats a task instance's key for error messages: "dag/run/task", with "[i]"
// appended for a mapped instance.
func tiKey(dagID, runID, taskID string, mapIndex int) string {
	k := dagID + "/" + runID + "/" + taskID
	if mapIndex >= 0 {
		k += "[" + strconv.Itoa(mapIndex) + "]"
	}
	return k
}
