package pyworker

import (
	"errors"
	"fmt"
)

// Sentinel errors; every error Load and Predict return for a failed request is an *Error
// that wraps one of them, so callers branch with errors.Is.
var (
	// ErrInput marks input the model cannot take: a column the signature needs is missing,
	// or the model raised ValueError, TypeError or KeyError on the data (for example
	// scikit-learn's "X has 3 features, but LinearRegression is expecting 10 features").
	// Serving answers these with 400.
	ErrInput = errors.New("invalid input")
	// ErrLoad marks a model the worker could not load (a missing or unreadable pickle, a
	// module the pickle needs, a loader that needs mlflow).
	ErrLoad = errors.New("model cannot be loaded")
	// ErrPredict marks any other exception the model raised while predicting.
	ErrPredict = errors.New("prediction failed")
	// ErrTimeout marks a request that got no answer in time (Config.RequestTimeout, the
	// caller's context deadline, or Config.StartTimeout for a load); a worker busy with
	// it was killed and is restarted. A request ended by its context also wraps the
	// context's error.
	ErrTimeout = errors.New("timed out")
	// ErrWorkerDied marks a request whose worker process died while answering it (a
	// crash, the OOM killer, kill -9) twice: a request is retried once, on whichever
	// worker is free first, when its worker dies; a dead worker is restarted.
	ErrWorkerDied = errors.New("worker process died")
	// ErrProtocol marks an answer the worker should never give; the worker is restarted.
	ErrProtocol = errors.New("worker protocol error")
	// ErrClosed is returned by a Pool or Model used after Close.
	ErrClosed = errors.New("closed")
)

// Error is a failed load or prediction. It wraps one of the sentinel errors above.
type Error struct {
	// Kind is the sentinel this error wraps (ErrInput, ErrLoad, ...).
	Kind error
	// Model is the model directory.
	Model string
	// Worker is the 0-based index of the worker that answered, or -1 when none did.
	Worker int
	// Column names the input column at fault, when known.
	Column string
	// Msg says what went wrong. For Python exceptions it is the traceback's last line,
	// such as "ValueError: X has 3 features, but LinearRegression is expecting 10
	// features as input.".
	Msg string
	// Traceback is Python's full traceback, when the error came from Python.
	Traceback string

	cause error // the caller's context error, when it ended the request
}

// Error formats the error with the model directory, the worker and the message.
func (e *Error) Error() string {
	where := "pyworker: model " + e.Model
	if e.Worker >= 0 {
		where += fmt.Sprintf(" (worker %d)", e.Worker)
	}
	if e.Column != "" {
		return fmt.Sprintf("%s: %v: column %q: %s", where, e.Kind, e.Column, e.Msg)
	}
	return fmt.Sprintf("%s: %v: %s", where, e.Kind, e.Msg)
}

// Unwrap returns the sentinel Kind and, when the caller's context ended the request,
// its error (context.DeadlineExceeded or context.Canceled).
func (e *Error) Unwrap() []error {
	if e.cause != nil {
		return []error{e.Kind, e.cause}
	}
	return []error{e.Kind}
}

// kinds maps the worker's error kinds to sentinels.
var kinds = map[string]error{
	"input":   ErrInput,
	"load":    ErrLoad,
	"predict": ErrPredict,
}
