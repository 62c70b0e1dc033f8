package store

import (
	"context"
	"time"
)

// Classes of ServeErrorCount.Class.
const (
	// ServeError4xx counts requests refused as the client's fault: a malformed body, a
	// missing column or a value of the wrong type, a body too large, an unknown version.
	ServeError4xx = "4xx"
	// ServeError5xx counts requests the server failed: the model failed or answered NaN,
	// its Python worker died, the deployment was not ready.
	ServeError5xx = "5xx"
)

// ServeErrorCount is how many serving requests of one endpoint failed in one minute, for
// one model version and class, as counted by one writer (one serving process). A writer
// counts in memory and writes its running totals again and again: PutServeErrors keeps the
// larger count, so a retried or reordered write changes nothing, and writers never write
// each other's rows, so nodes sharing a store never contend on a row. Readers sum the rows.
type ServeErrorCount struct {
	// Endpoint is the deployment's name.
	Endpoint string
	// Minute is the start of the minute counted (UTC, whole minutes).
	Minute time.Time
	// Writer names the process that counted (random per serving process).
	Writer string
	// ModelName and ModelVersion name the model version chosen for the request; both are
	// empty when the request failed before one was chosen (version unknown). A model
	// outside the registry has its reference as name and an empty version.
	ModelName, ModelVersion string
	// Class is ServeError4xx or ServeError5xx.
	Class string
	// Count is how many requests failed in the minute (at least 1).
	Count int64
	// LastStatus, LastMessage and LastAt are the HTTP status, error message and time of
	// the latest of them.
	LastStatus  int
	LastMessage string
	LastAt      time.Time
}

// ServeErrorFilter filters ListServeErrors. Zero fields do not filter.
type ServeErrorFilter struct {
	// Endpoint matches exactly.
	Endpoint string
	// Since keeps the minutes that end after it (the minute holding Since included).
	Since time.Time
	// Limit caps the rows returned (default 10,000), newest minutes first.
	Limit int
}

// MaxServeErrorMessage is the longest LastMessage kept, in bytes; PutServeErrors cuts
// longer ones.
const MaxServeErrorMessage = 1000

// ServeErrorStore keeps the counts of failed serving requests (package predlog writes and
// reads them).
type ServeErrorStore interface {
	// PutServeErrors records counts in one transaction: a row new for its endpoint, minute,
	// writer, model version and class is inserted; an existing one keeps the larger count
	// and the last status and message of the later LastAt. Minute is truncated to the
	// minute.
	PutServeErrors(ctx context.Context, cs []*ServeErrorCount) error
	// ListServeErrors returns the rows matching the filter, newest minute first.
	ListServeErrors(ctx context.Context, f ServeErrorFilter) ([]*ServeErrorCount, error)
}
