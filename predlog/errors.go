package predlog

import (
	"context"
	"time"

	"github.com/weirhq/weir/store"
)

// FailedRequest is one serving request that failed, as the serving path hands it to
// RecordError.
type FailedRequest struct {
	// Endpoint is the deployment's name. Required.
	Endpoint string
	// ModelName and ModelVersion name the model version chosen for the request; both empty
	// when it failed before one was chosen (the deployment not ready, an unknown version).
	ModelName, ModelVersion string
	// Status is the HTTP status answered: 4xx is the client's fault, 5xx the server's.
	Status int
	// Message is the error answered (cut to store.MaxServeErrorMessage bytes when stored).
	Message string
	// Time is when the request failed; RecordError sets it from Config.Clock when zero.
	Time time.Time
}

// ErrorClass returns the class a status counts in: store.ServeError5xx for 500 and above,
// else store.ServeError4xx.
func ErrorClass(status int) string {
	if status >= 500 {
		return store.ServeError5xx
	}
	return store.ServeError4xx
}

// VersionNone is the version label of a failed request for which no model was chosen.
const VersionNone = "none"

// maxErrorBuckets caps the minutes × versions × classes counted in memory between flushes;
// a failure beyond it is counted by Prometheus only.
const maxErrorBuckets = 10_000

type errKey struct {
	endpoint, model, version, class string
	minute                          int64 // unix microseconds of the minute's start
}

// errBucket is a running total: the writer rewrites it whole (PutServeErrors keeps the
// larger count), so a lost or repeated write costs nothing.
type errBucket struct {
	count  int64
	status int
	msg    string
	at     time.Time
	dirty  bool // changed since the last write
}

// RecordError counts a failed request, without waiting: in Prometheus
// (weir_serve_errors_total) and in memory, per minute, for the flusher to write with the
// next batch. It takes a lock, so it is for the failure path only.
func (w *Writer) RecordError(e FailedRequest) {
	if e.Endpoint == "" {
		return
	}
	if e.Time.IsZero() {
		e.Time = w.cfg.Clock()
	}
	class := ErrorClass(e.Status)
	label := e.ModelVersion
	if e.ModelName == "" {
		label = VersionNone
	}
	w.serveErrors.WithLabelValues(e.Endpoint, label, class).Inc()
	k := errKey{e.Endpoint, e.ModelName, e.ModelVersion, class, e.Time.Truncate(time.Minute).UnixMicro()}
	w.errMu.Lock()
	defer w.errMu.Unlock()
	b := w.errs[k]
	if b == nil {
		if len(w.errs) >= maxErrorBuckets {
			w.nErrorsUncounted++
			return
		}
		b = &errBucket{}
		w.errs[k] = b
	}
	b.count++
	if !e.Time.Before(b.at) {
		b.status, b.msg, b.at = e.Status, e.Message, e.Time
	}
	b.dirty = true
}

// flushErrors writes the error counts changed since the last write, and forgets those
// written whose minute ended over a minute ago. A failed write is retried with the next.
func (w *Writer) flushErrors(ctx context.Context) {
	keep := w.cfg.Clock().Truncate(time.Minute).Add(-time.Minute).UnixMicro()
	w.errMu.Lock()
	var rows []*store.ServeErrorCount
	var keys []errKey
	for k, b := range w.errs {
		if !b.dirty {
			if k.minute < keep {
				delete(w.errs, k)
			}
			continue
		}
		b.dirty = false
		keys = append(keys, k)
		rows = append(rows, &store.ServeErrorCount{Endpoint: k.endpoint, Minute: time.UnixMicro(k.minute), Writer: w.id,
			ModelName: k.model, ModelVersion: k.version, Class: k.class, Count: b.count, LastStatus: b.status,
			LastMessage: b.msg, LastAt: b.at})
	}
	uncounted := w.nErrorsUncounted
	w.nErrorsUncounted = 0
	w.errMu.Unlock()
	if uncounted > 0 {
		w.cfg.Logger.Warn("serving errors: too many distinct endpoint, version and minute counts between writes; some were counted by Prometheus only",
			"uncounted", uncounted)
	}
	if len(rows) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, w.cfg.WriteTimeout)
	defer cancel()
	if err := w.cfg.Store.PutServeErrors(ctx, rows); err != nil {
		w.cfg.Logger.Error("serving errors: write the counts of failed requests; retrying with the next flush", "rows", len(rows), "err", err)
		w.errMu.Lock()
		for _, k := range keys {
			if b := w.errs[k]; b != nil {
				b.dirty = true
			}
		}
		w.errMu.Unlock()
	}
}
