package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/weirhq/weir/api/client"
	"github.com/weirhq/weir/store"
)

// apiError is an error with its HTTP status, machine code and field: what a handler returns
// for anything the caller did wrong. Other errors become a 500 (a store.ErrNotFound a 404).
type apiError struct {
	status int
	code   string
	field  string
	msg    string
}

func (e *apiError) Error() string { return e.msg }

// badField is a 400 invalid_field naming field; the message starts with the field's name.
func badField(field, format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, code: client.CodeInvalidField, field: field,
		msg: field + ": " + fmt.Sprintf(format, args...)}
}

// notFound is a 404.
func notFound(format string, args ...any) *apiError {
	return &apiError{status: http.StatusNotFound, code: client.CodeNotFound, msg: fmt.Sprintf(format, args...)}
}

// conflict is a 409 with code (conflict or already_exists).
func conflict(code, format string, args ...any) *apiError {
	return &apiError{status: http.StatusConflict, code: code, msg: fmt.Sprintf(format, args...)}
}

// writeError writes err as a problem+json answer. Errors that are not an *apiError are
// logged and answered as a 500, except store.ErrNotFound (404) and store.ErrInvalidID (400).
func (a *API) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var ae *apiError
	switch {
	case errors.As(err, &ae):
	case errors.Is(err, store.ErrNotFound):
		ae = notFound("%v", err)
	case errors.Is(err, store.ErrInvalidID):
		ae = &apiError{status: http.StatusBadRequest, code: client.CodeInvalidField, msg: err.Error()}
	default:
		a.cfg.Logger.Error("api: request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		ae = &apiError{status: http.StatusInternalServerError, code: client.CodeInternal, msg: err.Error()}
	}
	writeProblem(w, ae)
}

// writeProblem writes an RFC 7807 problem.
func writeProblem(w http.ResponseWriter, ae *apiError) {
	body, _ := json.Marshal(client.Error{
		Status: ae.status, Title: http.StatusText(ae.status), Detail: ae.msg, Type: "about:blank",
		Code: ae.code, Field: ae.field,
	})
	h := w.Header()
	h.Set("Content-Type", "application/problem+json")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(ae.status)
	w.Write(append(body, '\n'))
}
