package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Domain errors. Drivers translate their own errors into these once, at the boundary.
var (
	// ErrNotFound means the requested row does not exist.
	ErrNotFound = errors.New("not found")
	// ErrAlreadyExists means a row with the same key exists.
	ErrAlreadyExists = errors.New("already exists")
	// ErrLeaseHeld means a run's lease is held by another owner and has not expired, so it
	// cannot be acquired (AcquireLease).
	ErrLeaseHeld = errors.New("lease held by another owner")
	// ErrLeaseLost means a writer's lease on a run is no longer the run's current lease: it
	// expired and was taken over, or it was revoked (Clear). The writer must stop acting on
	// the run; nothing of its batch was written.
	ErrLeaseLost = errors.New("lease lost")
	// ErrConflict means a row no longer has the state the writer last read (a guard of the
	// batch failed): someone else changed it. Nothing of the batch was written.
	ErrConflict = errors.New("conflict")
)

// GuardError is the error of a batch whose guard failed. It wraps ErrLeaseLost (the lease's
// epoch changed) or ErrConflict (a run or task instance changed state) and names the row.
type GuardError struct {
	// DAGID and RunID name the run whose guard failed.
	DAGID, RunID string
	// TaskID and MapIndex name the task instance whose state differed; TaskID is "" when
	// the run's lease or state failed the guard.
	TaskID   string
	MapIndex int
	// Want and Got are what the writer expected and what the store holds: epochs for a lost
	// lease, states for a conflict ("none" for the empty state, "absent" for a missing row).
	Want, Got string
	// Err is ErrLeaseLost or ErrConflict.
	Err error
}

// Error implements error.
func (e *GuardError) Error() string {
	what := "run " + e.DAGID + "/" + e.RunID
	if e.TaskID != "" {
		what = fmt.Sprintf("task instance %s/%s/%s[%d]", e.DAGID, e.RunID, e.TaskID, e.MapIndex)
	}
	if errors.Is(e.Err, ErrLeaseLost) {
		return fmt.Sprintf("%s: %v: the writer holds epoch %s, the run's lease is at %s (another process took the run over, or it was cleared)",
			what, e.Err, e.Want, e.Got)
	}
	return fmt.Sprintf("%s: %v: expected state %s, found %s (another writer changed it)", what, e.Err, e.Want, e.Got)
}

// Unwrap returns ErrLeaseLost or ErrConflict.
func (e *GuardError) Unwrap() error { return e.Err }

// RunState is the state of a DAG run.
type RunState string

// DAG run states, as Airflow's.
const (
	RunQueued  RunState = "queued"
	RunRunning RunState = "running"
	RunSuccess RunState = "success"
	RunFailed  RunState = "failed"
)

// Finished reports whether the run reached a final state.
func (s RunState) Finished() bool { return s == RunSuccess || s == RunFailed }

// TIState is the state of a task instance, as Airflow's. The empty string is Airflow's
// "none": created, no decision made yet.
type TIState string

// Task instance states.
const (
	TINone            TIState = ""
	TIScheduled       TIState = "scheduled"
	TIQueued          TIState = "queued"
	TIRunning         TIState = "running"
	TISuccess         TIState = "success"
	TIFailed          TIState = "failed"
	TISkipped         TIState = "skipped"
	TIUpstreamFailed  TIState = "upstream_failed"
	TIUpForRetry      TIState = "up_for_retry"
	TIUpForReschedule TIState = "up_for_reschedule"
	TIRemoved         TIState = "removed"
)

// Finished reports whether the state is final for the current clearing of the instance:
// success, failed, skipped, upstream_failed or removed (Airflow's "done").
func (s TIState) Finished() bool {
	switch s {
	case TISuccess, TIFailed, TISkipped, TIUpstreamFailed, TIRemoved:
		return true
	}
	return false
}

// String returns the state name, "none" for the empty state.
func (s TIState) String() string {
	if s == TINone {
		return "none"
	}
	return string(s)
}

// DAGRun is one run of a DAG.
type DAGRun struct {
	// DAGID and RunID together are the key.
	DAGID string
	RunID string
	// LogicalDate is the run's logical date (Airflow's execution date), UTC.
	LogicalDate time.Time
	// RunType says how the run was triggered: "manual", "scheduled", "backfill", "dataset".
	RunType string
	// State is the run's state.
	State RunState
	// Conf is the JSON object given when the run was triggered, or nil.
	Conf json.RawMessage
	// Params is the JSON object of resolved param values (defaults overridden by conf).
	Params json.RawMessage
	// DAG is the JSON snapshot of the DAG definition the run executes (a dag.DAG), so a
	// resumed run uses the definition it started with. In an upsert (Apply), a nil DAG
	// keeps the stored snapshot, so writers need not carry it.
	DAG json.RawMessage
	// DAGHash identifies the DAG definition's version: a hash of the snapshot.
	DAGHash string
	// QueuedAt, StartedAt, EndedAt are the run's times; the zero time means unset.
	QueuedAt  time.Time
	StartedAt time.Time
	EndedAt   time.Time
	// DataIntervalStart and DataIntervalEnd are the data interval a scheduled run covers
	// (Airflow's data interval); for other runs, what the schedule infers for their time.
	DataIntervalStart time.Time
	DataIntervalEnd   time.Time
	// TriggerEvents is the JSON list of the dataset events that triggered a dataset-scheduled
	// run (DatasetEvent objects), nil otherwise.
	TriggerEvents json.RawMessage
	// Owner identifies the process executing the run, "host:pid", or "" when none does.
	Owner string
	// HeartbeatAt is when the owner last said it was alive.
	HeartbeatAt time.Time
}

// TaskInstance is one task of one run, at one map index.
type TaskInstance struct {
	// DAGID, RunID, TaskID and MapIndex together are the key. MapIndex is −1 for an
	// unmapped task.
	DAGID    string
	RunID    string
	TaskID   string
	MapIndex int
	// State is the instance's state.
	State TIState
	// TryNumber counts the tries started so far (0 before the first).
	TryNumber int
	// MaxTries is retries + 1.
	MaxTries int
	// Pool and PoolSlots say which slots the instance takes while running.
	Pool      string
	PoolSlots int
	// PriorityWeight is the effective priority; higher runs first.
	PriorityWeight int
	// QueuedAt, StartedAt, EndedAt are the current try's times; zero means unset.
	QueuedAt  time.Time
	StartedAt time.Time
	EndedAt   time.Time
	// NextTryAt is when an up_for_retry instance may run again.
	NextTryAt time.Time
	// Hostname and PID say where the current try runs (PID of the task's process for
	// command tasks, of the weir process otherwise).
	Hostname string
	PID      int
	// Output is the task's JSON output (Airflow's return-value XCom), nil when none.
	Output json.RawMessage
	// Error is the last try's error message, "" when none.
	Error string
	// Args is the JSON object of a mapped instance's arguments (its partial arguments and
	// its expanded item), nil for an unmapped task.
	Args json.RawMessage
	// RenderedMapIndex is a mapped instance's display name (from the task's map index
	// template), "" when none.
	RenderedMapIndex string
	// CacheKey is the result-cache key of the instance's last try ("sha256:<hex>"), "" when
	// the task is not cached (cache: false) or caching was off for the run.
	CacheKey string
	// CachedFrom names the task instance whose result a cache hit reused,
	// "DAG/RUN/TASK" or "DAG/RUN/TASK[i]"; "" when the instance ran (or never finished).
	CachedFrom string
}

// TIKey identifies a task instance.
type TIKey struct {
	DAGID    string
	RunID    string
	TaskID   string
	MapIndex int
}

// TaskTry is the record of one try of a task instance.
type TaskTry struct {
	DAGID     string
	RunID     string
	TaskID    string
	MapIndex  int
	TryNumber int
	State     TIState
	StartedAt time.Time
	EndedAt   time.Time
	Hostname  string
	PID       int
	Error     string
}

// Pool is a named set of slots shared by every task that names it, across DAGs and runs.
type Pool struct {
	// Name is the key. "default_pool" always exists.
	Name string
	// Slots is the number of slots; −1 means unlimited.
	Slots int
	// Description is free text.
	Description string
}

// DefaultPool is the pool of tasks that name none.
const DefaultPool = "default_pool"

// ListRunsParams filters ListRuns. Zero fields do not filter.
type ListRunsParams struct {
	DAGID  string
	RunID  string
	States []RunState
	// Limit caps the number of runs returned (default 100); newest first.
	Limit int
	// Offset skips that many runs first (ListRuns; CountRuns ignores Limit and Offset).
	Offset int
}

// ListTIParams filters ListTaskInstances. Zero fields do not filter.
type ListTIParams struct {
	DAGID   string
	RunID   string
	TaskIDs []string
	States  []TIState
	// Limit, when positive, returns at most that many instances, after skipping Offset.
	Limit  int
	Offset int
}

// Batch is a set of writes committed in one transaction. DeleteTIs are deleted first (with
// their tries; a missing one is not an error), then runs and task instances are upserted
// whole (by key), then tries are upserted by (run, task, map index, try number). Deleting
// and re-creating instances in one batch is how a mapped task's placeholder (map index −1)
// becomes its expanded instances.
//
// Guards and TIGuards make the batch a compare-and-set: they are checked first, inside the
// same transaction, and if one fails nothing is written and Apply returns a *GuardError.
type Batch struct {
	// Guards are checked before any write: each run's lease must have the guard's epoch
	// (ErrLeaseLost otherwise) and the run the guard's state (ErrConflict otherwise). A
	// guard with Release ends the lease after the batch's writes.
	Guards []RunGuard
	// TIGuards are the task instance states the writer last read; an instance that exists
	// in another state fails the batch with ErrConflict. An instance that does not exist
	// passes (the batch may create it).
	TIGuards  []TIGuard
	DeleteTIs []TIKey
	Runs      []*DAGRun
	TIs       []*TaskInstance
	Tries     []*TaskTry
	// DatasetEvents are recorded last (AddDatasetEvent's semantics), so a task's success and
	// the events of its outlets commit together. Their IDs are set by Apply.
	DatasetEvents []*DatasetEvent
	// CacheEntries are upserted by key after the task instances, so a cached task's success
	// and its cache entry commit together.
	CacheEntries []*CacheEntry
	// RenderedFields are upserted by key after the tries (RunViewStore).
	RenderedFields []*RenderedFields
}

// Empty reports whether the batch holds no writes.
func (b *Batch) Empty() bool {
	return len(b.DeleteTIs) == 0 && len(b.Runs) == 0 && len(b.TIs) == 0 && len(b.Tries) == 0 &&
		len(b.DatasetEvents) == 0 && len(b.Guards) == 0 && len(b.CacheEntries) == 0 && len(b.RenderedFields) == 0
}

// CacheEntry is the recorded result of a successful task instance, reused by later
// instances with the same cache key (a task with cache: true).
type CacheEntry struct {
	// Key is the cache key, "sha256:<hex>" of the canonical JSON of the task's inputs (see
	// package engine); the primary key.
	Key string
	// DAGID and TaskID name the task; RunID and MapIndex the instance that produced the
	// result (MapIndex −1 for an unmapped task).
	DAGID    string
	TaskID   string
	RunID    string
	MapIndex int
	// Output is the instance's JSON output, nil when it had none.
	Output json.RawMessage
	// TrackingRunID is the experiment-tracking run of the try that produced the result, ""
	// when it was not tracked.
	TrackingRunID string
	// Inputs is the JSON description of what the key was computed from (with file content
	// hashes), kept to explain a key; nil when not recorded.
	Inputs json.RawMessage
	// CreatedAt is when the result was recorded.
	CreatedAt time.Time
}

// Source names the instance that produced the entry, as TaskInstance.CachedFrom does.
func (c *CacheEntry) Source() string {
	s := c.DAGID + "/" + c.RunID + "/" + c.TaskID
	if c.MapIndex >= 0 {
		s += fmt.Sprintf("[%d]", c.MapIndex)
	}
	return s
}

// CacheFilter selects cache entries (ListCacheEntries, DeleteCacheEntries). Zero fields do
// not filter.
type CacheFilter struct {
	DAGID  string
	TaskID string
	// Limit caps the number of entries listed (default 100); newest first. Deletions
	// ignore it.
	Limit int
}

// RunGuard is what a batch expects of one run before it writes anything.
type RunGuard struct {
	// DAGID and RunID name the run.
	DAGID, RunID string
	// Epoch is the lease epoch the writer holds (or read). The run's lease must be at
	// exactly this epoch; 0 means the run must never have been leased.
	Epoch int64
	// State, when not empty, is the run state the writer last read.
	State RunState
	// Release ends the lease after the batch's writes: the owner is cleared and the epoch
	// advances, so no writer holding the old epoch can write again.
	Release bool
}

// TIGuard is the state a writer last read of one task instance.
type TIGuard struct {
	TIKey
	// State is the state the writer expects the stored instance to have.
	State TIState
}

// Lease is the ownership of a run by one writer (an engine). Only the current lease's
// holder may commit transitions of the run (RunGuard.Epoch); see the package documentation.
type Lease struct {
	// DAGID and RunID name the run.
	DAGID, RunID string
	// Owner identifies the holder ("host:pid:start:instance" for an engine), "" when the
	// lease was released.
	Owner string
	// Epoch is the fencing token: it advances on every acquisition and release, so a
	// writer's epoch is valid only while nobody else has acquired or released the lease.
	Epoch int64
	// ExpiresAt is when the lease lapses unless renewed; after it, anyone may acquire it.
	ExpiresAt time.Time
	// HeartbeatAt is when the holder last renewed it.
	HeartbeatAt time.Time
}

// Held reports whether the lease has an owner and has not expired at now.
func (l *Lease) Held(now time.Time) bool {
	return l != nil && l.Owner != "" && now.Before(l.ExpiresAt)
}

// AcquireLeaseParams describe an acquisition of a run's lease.
type AcquireLeaseParams struct {
	// DAGID and RunID name the run, which must exist (ErrNotFound otherwise).
	DAGID, RunID string
	// Owner identifies the new holder; required.
	Owner string
	// TTL is how long the lease lasts from Now unless renewed; required, positive.
	TTL time.Duration
	// Now is the acquirer's current time; expiry is judged against it.
	Now time.Time
	// TakeOver, when positive, is the epoch of a lease whose holder the caller knows to be
	// dead (a process on this host that no longer exists): that lease is taken even if it
	// has not expired, provided its epoch is still TakeOver.
	TakeOver int64
}

// RunView is a run as read inside a transaction of UpdateRun.
type RunView struct {
	// Run is the run, with its DAG snapshot.
	Run *DAGRun
	// Lease is the run's lease, nil if it was never leased.
	Lease *Lease
	// TIs are the run's task instances, ordered by task ID and map index.
	TIs []*TaskInstance
}

// DAGMeta is what the store keeps about a DAG between processes: whether it is paused, where
// it comes from, and the scheduler's bookkeeping.
type DAGMeta struct {
	// DAGID is the key.
	DAGID string
	// IsPaused stops the scheduler from creating runs of the DAG (manual triggers still
	// work, as in Airflow).
	IsPaused bool
	// Source is the file (or "go:…") that defines the DAG; Hash the version of its
	// definition (as DAGRun.DAGHash).
	Source string
	Hash   string
	// Schedule is the DAG's schedule as written, "" for manual only.
	Schedule string
	// LastScheduledStart and LastScheduledEnd are the data interval of the latest run the
	// scheduler created on the DAG's time schedule (zero: none yet).
	LastScheduledStart time.Time
	LastScheduledEnd   time.Time
	// IsActive is false once the DAG's file is gone.
	IsActive bool
	// UpdatedAt is when the row last changed.
	UpdatedAt time.Time
}

// ImportError is a DAG file that failed to load.
type ImportError struct {
	// File is the key: the DAG file's path.
	File string
	// Message lists every problem, one per line (file:line:col: …).
	Message string
	// At is when the file was last loaded.
	At time.Time
}

// Dataset is a URI that tasks update (outlets) and DAGs are scheduled on.
type Dataset struct {
	// URI is the key, compared as written (case-sensitive).
	URI string
	// CreatedAt is when the dataset was first seen; UpdatedAt when its last event arrived.
	CreatedAt time.Time
	UpdatedAt time.Time
}

// DatasetEvent is one update of a dataset.
type DatasetEvent struct {
	// ID orders events; set by the store.
	ID int64
	// URI is the dataset updated.
	URI string
	// Extra is free JSON metadata given by the producer, nil when none.
	Extra json.RawMessage
	// SourceDAGID, SourceRunID, SourceTaskID and SourceMapIndex name the task instance
	// that emitted the event; empty for events posted through the API.
	SourceDAGID    string
	SourceRunID    string
	SourceTaskID   string
	SourceMapIndex int
	// Timestamp is when the event happened.
	Timestamp time.Time
	// SourceAlias, when not empty, is the asset alias the task added the event through
	// (Airflow's outlet_events[AssetAlias(...)].add): recording the event also records
	// that the alias resolves to URI (AliasStore). Not read back.
	SourceAlias string
	// Consumers are the IDs of the DAGs scheduled on the dataset: recording the event queues
	// it for each of them (Airflow's dataset DAG run queue). Not read back.
	Consumers []string
}

// QueuedEvent is a dataset event waiting for a consumer DAG's next run.
type QueuedEvent struct {
	// DAGID is the consumer; Event the queued event.
	DAGID string
	Event *DatasetEvent
}

// ListEventsParams filters ListDatasetEvents. Zero fields do not filter.
type ListEventsParams struct {
	URI         string
	SourceDAGID string
	// AfterID returns only events with a larger ID.
	AfterID int64
	// Limit caps the number of events (default 100); newest first.
	Limit int
}

// Prediction is one prediction a served model made, as the prediction log records it
// (package predlog), with the label posted later as feedback.
type Prediction struct {
	// ID names the prediction; the caller chooses it (unique, at most 250 bytes) and returns
	// it to the client, which posts the label under it.
	ID string
	// Endpoint is the deployment's endpoint name that answered.
	Endpoint string
	// ModelName and ModelVersion are the registered model and version that answered.
	ModelName, ModelVersion string
	// Inputs and Output are the request's inputs and the model's answer, as JSON; nil when
	// not recorded.
	Inputs, Output json.RawMessage
	// LatencyMicros is how long the prediction took, in microseconds.
	LatencyMicros int64
	// Time is when the prediction was made.
	Time time.Time
	// Shadow reports a prediction of a mirrored (shadow) model, logged but not returned.
	Shadow bool
	// Label is the ground truth posted as feedback, as JSON; nil until then.
	Label json.RawMessage
	// LabelledAt is when the label was posted; zero until then.
	LabelledAt time.Time
}

// PredictionFilter filters ListPredictions. Zero fields do not filter.
type PredictionFilter struct {
	// Endpoint, ModelName and ModelVersion match exactly.
	Endpoint, ModelName, ModelVersion string
	// Since and Until bound Time: Since <= Time < Until.
	Since, Until time.Time
	// Labelled keeps only predictions with a label (for performance monitoring).
	Labelled bool
	// Limit caps the number of predictions (default 100); newest (by Time) first.
	Limit int
}

// Store is weir's metadata store. Every method is safe for concurrent use. Times are stored
// with microsecond precision and returned in UTC.
type Store interface {
	MonitorStore

	ApprovalStore
	AuditStore

	AliasStore
	RunViewStore
	RunCounter
	// CreateRun inserts a run and its initial task instances in one transaction. It returns
	// ErrAlreadyExists if a run with the same DAG ID and run ID exists.
	CreateRun(ctx context.Context, run *DAGRun, tis []*TaskInstance) error
	// GetRun returns one run or ErrNotFound.
	GetRun(ctx context.Context, dagID, runID string) (*DAGRun, error)
	// ListRuns returns runs matching the filter, newest (by QueuedAt, then DAG ID, then run
	// ID) first, after skipping p.Offset, without their DAG snapshot (DAG is nil: GetRun
	// returns it).
	ListRuns(ctx context.Context, p ListRunsParams) ([]*DAGRun, error)
	// ListTaskInstances returns task instances matching the filter, ordered by DAG ID,
	// run ID, task ID and map index.
	ListTaskInstances(ctx context.Context, p ListTIParams) ([]*TaskInstance, error)
	// CountTaskInstances returns how many task instances match the filter (Limit and
	// Offset are ignored).
	CountTaskInstances(ctx context.Context, p ListTIParams) (int, error)
	// GetTaskInstance returns one task instance or ErrNotFound.
	GetTaskInstance(ctx context.Context, dagID, runID, taskID string, mapIndex int) (*TaskInstance, error)
	// ListTries returns the tries of one task instance, oldest first.
	ListTries(ctx context.Context, dagID, runID, taskID string, mapIndex int) ([]*TaskTry, error)
	// Apply commits a batch of writes atomically: all of it or none. A failed guard
	// returns a *GuardError wrapping ErrLeaseLost or ErrConflict.
	Apply(ctx context.Context, b *Batch) error
	// UpdateRun reads a run, its lease and its task instances, calls fn with them, and
	// applies the batch fn returns, all in one transaction: nobody writes the run between
	// the read and the write. fn must be quick (it holds the store's write lock) and may
	// return a nil batch to write nothing; its batch may not hold dataset events. An error
	// from fn is returned as is, and nothing is written. ErrNotFound if the run is missing.
	// The batch should guard what fn decided from (the lease's epoch, the states read): a
	// driver may read without locking and rely on the guards to refuse a write whose read
	// went stale (SQLite holds its write lock from the read to the commit).
	UpdateRun(ctx context.Context, dagID, runID string, fn func(v *RunView) (*Batch, error)) error
	// AcquireLease takes a run's lease for p.Owner: a new lease if the run has none, or the
	// current one if it was released, has expired at p.Now, or has epoch p.TakeOver. The
	// epoch advances. It returns ErrLeaseHeld (wrapped, with the holder) otherwise.
	AcquireLease(ctx context.Context, p AcquireLeaseParams) (*Lease, error)
	// GetLease returns a run's lease, or ErrNotFound if the run has no lease row. A run
	// never leased may also have a released lease at epoch 0 (left by a guard).
	GetLease(ctx context.Context, dagID, runID string) (*Lease, error)
	// RenewLeases extends each lease still at its epoch to now+ttl (updating each's
	// ExpiresAt and HeartbeatAt, and the run's HeartbeatAt), in one transaction, and returns
	// the leases that were lost (their epoch changed): their holder must stop.
	RenewLeases(ctx context.Context, leases []*Lease, ttl time.Duration, now time.Time) (lost []*Lease, err error)
	// ReleaseLease ends a lease if it is still at its epoch (ErrLeaseLost otherwise): the
	// owner is cleared and the epoch advances.
	ReleaseLease(ctx context.Context, l *Lease) error
	// ListPools returns every pool, by name.
	ListPools(ctx context.Context) ([]*Pool, error)
	// GetPool returns one pool or ErrNotFound.
	GetPool(ctx context.Context, name string) (*Pool, error)
	// UpsertPool creates or updates a pool.
	UpsertPool(ctx context.Context, p *Pool) error
	// DeletePool removes a pool; ErrNotFound if missing. The default pool cannot be deleted.
	DeletePool(ctx context.Context, name string) error

	// ListDeployments returns every serving deployment, by name.
	ListDeployments(ctx context.Context) ([]*Deployment, error)
	// GetDeployment returns one deployment or ErrNotFound.
	GetDeployment(ctx context.Context, name string) (*Deployment, error)
	// PutDeployment creates or replaces a deployment after checking it (Deployment.Check).
	// It sets d.UpdatedAt to now, and d.CreatedAt to now for a new deployment or to the
	// stored creation time for an existing one.
	PutDeployment(ctx context.Context, d *Deployment) error
	// DeleteDeployment removes a deployment; ErrNotFound if missing.
	DeleteDeployment(ctx context.Context, name string) error

	// UpsertDAG creates or updates a DAG's metadata, keeping IsPaused unless the row is new
	// (a new DAG starts with the IsPaused given).
	UpsertDAG(ctx context.Context, m *DAGMeta) error
	// GetDAG returns one DAG's metadata or ErrNotFound.
	GetDAG(ctx context.Context, dagID string) (*DAGMeta, error)
	// ListDAGs returns every DAG's metadata, by ID.
	ListDAGs(ctx context.Context) ([]*DAGMeta, error)
	// SetPaused pauses or unpauses a DAG; ErrNotFound if unknown.
	SetPaused(ctx context.Context, dagID string, paused bool) error
	// SetLastScheduled records the data interval of the latest scheduled run of a DAG, in
	// the same transaction as the run's creation when run is not nil (CreateRun's semantics,
	// ErrAlreadyExists included).
	SetLastScheduled(ctx context.Context, dagID string, start, end time.Time, run *DAGRun, tis []*TaskInstance) error
	// ReplaceImportErrors sets the import errors of the given files: a file with an empty
	// message has none any more.
	ReplaceImportErrors(ctx context.Context, errs []*ImportError) error
	// ListImportErrors returns every current import error, by file.
	ListImportErrors(ctx context.Context) ([]*ImportError, error)

	// AddDatasetEvent records an event (creating its dataset if new) and queues it for each
	// of ev.Consumers, in one transaction; it sets ev.ID.
	AddDatasetEvent(ctx context.Context, ev *DatasetEvent) error
	// ListDatasets returns every dataset, by URI.
	ListDatasets(ctx context.Context) ([]*Dataset, error)
	// ListDatasetEvents returns events matching the filter, newest first.
	ListDatasetEvents(ctx context.Context, p ListEventsParams) ([]*DatasetEvent, error)
	// ListQueuedEvents returns the events queued for a consumer DAG ("" for every DAG),
	// oldest first.
	ListQueuedEvents(ctx context.Context, dagID string) ([]*QueuedEvent, error)
	// TriggerFromQueue creates a run (CreateRun's semantics) and removes from the consumer's
	// queue the events with IDs in eventIDs, in one transaction, so a queued event is
	// consumed by exactly one run. If the run already exists it returns ErrAlreadyExists
	// and still removes the events (a retry after a crash between the two is harmless).
	TriggerFromQueue(ctx context.Context, run *DAGRun, tis []*TaskInstance, eventIDs []int64) error

	// GetCacheEntry returns the cache entry with the key, or ErrNotFound.
	GetCacheEntry(ctx context.Context, key string) (*CacheEntry, error)
	// ListCacheEntries returns the entries matching the filter, newest (by CreatedAt) first,
	// without their Inputs (nil).
	ListCacheEntries(ctx context.Context, f CacheFilter) ([]*CacheEntry, error)
	// DeleteCacheEntries removes the entries matching the filter (all of them for a zero
	// filter) and returns how many it removed.
	DeleteCacheEntries(ctx context.Context, f CacheFilter) (int, error)

	// InsertPredictions records predictions in one transaction: all of them or none. It
	// returns ErrAlreadyExists (wrapped, with the ID) if one's ID is taken. Their Label
	// and LabelledAt are written too (normally empty).
	InsertPredictions(ctx context.Context, ps []*Prediction) error
	// GetPrediction returns one prediction, label included, or ErrNotFound.
	GetPrediction(ctx context.Context, id string) (*Prediction, error)
	// ListPredictions returns the predictions matching the filter, newest (by Time) first,
	// ties by ID descending (prediction IDs are time-ordered UUIDs, so the newest first).
	ListPredictions(ctx context.Context, f PredictionFilter) ([]*Prediction, error)
	// SetPredictionLabel records the label (JSON, not empty) of a prediction and when it
	// was posted, replacing any earlier label; ErrNotFound if the prediction is missing.
	SetPredictionLabel(ctx context.Context, id string, label json.RawMessage, at time.Time) error

	// CreateToken records a new API token; ErrAlreadyExists (wrapped) if an active token
	// has its name or its hash is taken.
	CreateToken(ctx context.Context, t *Token) error
	// GetTokenByHash returns the token (active, expired or revoked) with the hash, or
	// ErrNotFound.
	GetTokenByHash(ctx context.Context, hash string) (*Token, error)
	// ListTokens returns every token, revoked ones included, by name then creation time.
	ListTokens(ctx context.Context) ([]*Token, error)
	// CountActiveTokens returns how many tokens are not revoked (expired ones included).
	CountActiveTokens(ctx context.Context) (int, error)
	// RevokeToken revokes the active token with the name at the given time; ErrNotFound
	// (wrapped) if no active token has it.
	RevokeToken(ctx context.Context, name string, at time.Time) error

	SecretStore
	UserStore
	TaskTokenStore
	ServeErrorStore

	// Close releases the store's resources.
	Close() error
}
