package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/weirhq/weir/api/client"
)

// Page sizes, as Airflow's fallback_page_limit and maximum_page_limit (but larger: weir
// runs have thousands of task instances and listing them in one request is cheap).
const (
	defaultLimit = 100
	maxLimit     = 10000
)

// decodeBody reads the JSON object in the request body into v (a pointer to a struct whose
// optional fields are pointers), strictly: unknown fields, wrong types, trailing data and a
// body that is not an object are 400s naming what is wrong. An empty body is an empty
// object unless required.
func decodeBody(r *http.Request, v any, required bool) error {
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return &apiError{status: http.StatusRequestEntityTooLarge, code: client.CodeTooLarge,
				msg: fmt.Sprintf("request body: larger than %d bytes", mbe.Limit)}
		}
		return &apiError{status: http.StatusBadRequest, code: client.CodeInvalidJSON, msg: "request body: " + err.Error()}
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		if required {
			return &apiError{status: http.StatusBadRequest, code: client.CodeInvalidJSON, msg: "request body: want a JSON object, got nothing"}
		}
		raw = []byte("{}")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return bodyError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return &apiError{status: http.StatusBadRequest, code: client.CodeInvalidJSON, msg: "request body: unexpected data after the JSON object"}
	}
	return nil
}

// bodyError turns a decoding error into a 400.
func bodyError(err error) *apiError {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return &apiError{status: http.StatusBadRequest, code: client.CodeInvalidJSON,
			msg: fmt.Sprintf("request body: invalid JSON at byte %d: %v", syn.Offset, syn)}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return &apiError{status: http.StatusBadRequest, code: client.CodeInvalidJSON, msg: "request body: truncated JSON"}
	case errors.As(err, &typ):
		if typ.Field == "" {
			return &apiError{status: http.StatusBadRequest, code: client.CodeInvalidJSON,
				msg: fmt.Sprintf("request body: want a JSON object, got %s", typ.Value)}
		}
		return badField(typ.Field, "must be %s, got %s", typeName(typ.Type), typ.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name, _ := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
		if name == "" {
			// Found by FuzzDecodeBodies: "" named no field and left the message without one.
			return &apiError{status: http.StatusBadRequest, code: client.CodeUnknownField,
				msg: `request body: an empty key "" is not a field: remove it`}
		}
		return &apiError{status: http.StatusBadRequest, code: client.CodeUnknownField, field: name,
			msg: fmt.Sprintf("%s: unknown field", name)}
	}
	return &apiError{status: http.StatusBadRequest, code: client.CodeInvalidJSON, msg: "request body: " + err.Error()}
}

// typeName describes a Go type as the JSON a caller must send.
func typeName(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Bool:
		return "a boolean"
	case reflect.String:
		return "a string"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return "a " + t.String()
}

// jsonObject checks that raw (from an optional body field) is a JSON object or null, and
// returns it decoded (nil for null or absent), numbers as json.Number.
func jsonObject(field string, raw json.RawMessage) (map[string]any, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	if raw[0] != '{' {
		return nil, badField(field, "must be a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, badField(field, "must be a JSON object: %v", err)
	}
	return m, nil
}

// parseTime reads an RFC 3339 time. A "+" that a query string turned into a space is put
// back, so ?x=2026-01-02T03:04:05+01:00 works unencoded.
func parseTime(field, s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil && strings.Contains(s, " ") {
		t, err = time.Parse(time.RFC3339Nano, strings.ReplaceAll(s, " ", "+"))
	}
	if err != nil {
		return time.Time{}, badField(field, "want an RFC 3339 time like 2026-01-02T03:04:05Z, got %q", s)
	}
	return t.UTC(), nil
}

// query reads query parameters; each method returns a 400 naming the parameter on a bad value.
type query url.Values

func (q query) has(name string) bool { _, ok := q[name]; return ok }

func (q query) str(name string) string { return url.Values(q).Get(name) }

// int returns the parameter's value, def when absent; it must be ≥ min.
func (q query) int(name string, def, min int) (int, error) {
	if !q.has(name) {
		return def, nil
	}
	s := q.str(name)
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, badField(name, "want an integer, got %q", s)
	}
	if n < min {
		return 0, badField(name, "want an integer ≥ %d, got %d", min, n)
	}
	return n, nil
}

// bool returns the parameter's value, nil when absent.
func (q query) bool(name string) (*bool, error) {
	if !q.has(name) {
		return nil, nil
	}
	s := q.str(name)
	b, err := strconv.ParseBool(s)
	if err != nil {
		return nil, badField(name, "want true or false, got %q", s)
	}
	return &b, nil
}

// time returns the parameter's value, the zero time when absent.
func (q query) time(name string) (time.Time, error) {
	if !q.has(name) {
		return time.Time{}, nil
	}
	return parseTime(name, q.str(name))
}

// list returns every value of a repeated parameter; values are also split at commas.
func (q query) list(name string) []string {
	var out []string
	for _, v := range q[name] {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// enumList is list with every value one of allowed.
func (q query) enumList(name string, allowed []string) ([]string, error) {
	vals := q.list(name)
	for _, v := range vals {
		if !slices.Contains(allowed, v) {
			return nil, badField(name, "%q is not one of %s", v, strings.Join(allowed, ", "))
		}
	}
	return vals, nil
}

// page reads limit and offset: limit ≥ 1 (default 100; more than 10000 counts as 10000),
// offset ≥ 0.
func (q query) page() (limit, offset int, err error) {
	if limit, err = q.int("limit", defaultLimit, 1); err != nil {
		return 0, 0, err
	}
	if offset, err = q.int("offset", 0, 0); err != nil {
		return 0, 0, err
	}
	return min(limit, maxLimit), offset, nil
}

// paginate returns the page of items at offset, at most limit long.
func paginate[T any](items []T, limit, offset int) []T {
	if offset >= len(items) {
		return items[:0]
	}
	return items[offset:min(len(items), offset+limit)]
}

// pathInt reads an integer path value ≥ min.
func pathInt(r *http.Request, name string, min int) (int, error) {
	s := r.PathValue(name)
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, badField(name, "want an integer, got %q", s)
	}
	if n < min {
		return 0, badField(name, "want an integer ≥ %d, got %d", min, n)
	}
	return n, nil
}
