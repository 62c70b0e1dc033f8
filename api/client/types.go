package client

import (
	"encoding/json"
	"time"
)

// The types below are the JSON objects of the API (api/openapi.yaml), with Airflow's field
// names. A time that is not set is nil; Go's time.Time marshals as RFC 3339.

// Error is an API error: an RFC 7807 problem (Airflow's status, title, detail and type) with
// weir's stable machine code and the field at fault. The client returns it for every answer
// that is not a 2xx.
type Error struct {
	// Status is the HTTP status code.
	Status int `json:"status"`
	// Title is the HTTP status text.
	Title string `json:"title"`
	// Detail says what went wrong, for a person, naming the field at fault.
	Detail string `json:"detail"`
	// Type is always "about:blank".
	Type string `json:"type"`
	// Code is the stable machine code: one of the Code constants.
	Code string `json:"code"`
	// Field names the body field or the query or path parameter at fault (dotted for nested
	// fields, "conf.epochs"), "" when no single field is.
	Field string `json:"field,omitempty"`
}

// Error codes.
const (
	CodeInvalidJSON      = "invalid_json"       // the body is not JSON, or not an object
	CodeUnknownField     = "unknown_field"      // the body has a field the operation does not take
	CodeInvalidField     = "invalid_field"      // a field or parameter has a wrong type or value, or is missing
	CodeInvalidParam     = "invalid_param"      // a DAG param value rejected by its schema
	CodeNotFound         = "not_found"          // no such DAG, run, task instance, dataset or pool
	CodeAlreadyExists    = "already_exists"     // a run or pool of that name exists
	CodeConflict         = "conflict"           // the resource is busy (a run still executing)
	CodeForbidden        = "forbidden"          // the caller may not do this (its role, an approval's assignees)
	CodeMethodNotAllowed = "method_not_allowed" // the path exists, the method does not
	CodeTooLarge         = "too_large"          // the body is larger than the server takes
	CodeInternal         = "internal"           // the server failed
)

// Error implements error: the detail, which names what is wrong.
func (e *Error) Error() string {
	if e.Detail != "" {
		return e.Detail
	}
	return e.Title
}

// HealthInfo is GET /health.
type HealthInfo struct {
	Metadatabase struct {
		// Status is "healthy" or "unhealthy".
		Status string `json:"status"`
	} `json:"metadatabase"`
	Scheduler struct {
		// Status is "healthy", "unhealthy", or nil when the server runs no scheduler.
		Status *string `json:"status"`
		// LatestSchedulerHeartbeat is the scheduler's last heartbeat, nil when none.
		LatestSchedulerHeartbeat *time.Time `json:"latest_scheduler_heartbeat"`
	} `json:"scheduler"`
}

// VersionInfo is GET /version.
type VersionInfo struct {
	Version    string  `json:"version"`
	GitVersion *string `json:"git_version"`
}

// Tag is a DAG tag, as Airflow's {"name": …}.
type Tag struct {
	Name string `json:"name"`
}

// ScheduleInterval is Airflow's schedule object; Value is weir's schedule as written.
type ScheduleInterval struct {
	Type  string `json:"__type"`
	Value string `json:"value"`
}

// DAG is a DAG as the API shows it.
type DAG struct {
	DAGID       string  `json:"dag_id"`
	Description *string `json:"description"`
	// IsPaused stops scheduled runs; manual triggers still work.
	IsPaused bool `json:"is_paused"`
	// IsActive is false once the DAG's file is gone.
	IsActive bool `json:"is_active"`
	// Fileloc is the file defining the DAG, or "go:<package>".
	Fileloc string `json:"fileloc"`
	// FileToken is the token of GET /dagSources/{file_token}: the DAG ID.
	FileToken            string            `json:"file_token"`
	Owners               []string          `json:"owners"`
	Tags                 []Tag             `json:"tags"`
	ScheduleInterval     *ScheduleInterval `json:"schedule_interval"`
	TimetableDescription *string           `json:"timetable_description"`
	MaxActiveTasks       int               `json:"max_active_tasks"`
	MaxActiveRuns        int               `json:"max_active_runs"`
	HasImportErrors      bool              `json:"has_import_errors"`
	LastParsedTime       *time.Time        `json:"last_parsed_time"`
	// Schedule is the schedule as written, "" for manual only (weir).
	Schedule string `json:"schedule"`
	// Timezone is the schedule's time zone (weir).
	Timezone string `json:"timezone,omitempty"`
	// Datasets is the dataset condition the DAG is scheduled on, nil when none (weir).
	Datasets json.RawMessage `json:"datasets"`
	// DatasetExpression is the same condition written with & and | (weir).
	DatasetExpression *string `json:"dataset_expression"`
	// DAGHash is the version of the loaded definition (weir).
	DAGHash string `json:"dag_hash,omitempty"`
	// Params are the declared params, each a JSON schema (weir).
	Params map[string]json.RawMessage `json:"params,omitempty"`
	// TaskIDs are the DAG's tasks in topological order, definition order among independent
	// ones (weir).
	TaskIDs []string `json:"task_ids,omitempty"`
	// NextDAGRun is the logical date of the next time-scheduled run, nil when none will be
	// scheduled (manual or dataset-triggered only, @once done, past the end date).
	NextDAGRun *time.Time `json:"next_dagrun"`
	// NextDAGRunDataIntervalStart is the start of that run's data interval.
	NextDAGRunDataIntervalStart *time.Time `json:"next_dagrun_data_interval_start"`
	// NextDAGRunDataIntervalEnd is the end of that run's data interval.
	NextDAGRunDataIntervalEnd *time.Time `json:"next_dagrun_data_interval_end"`
	// NextDAGRunCreateAfter is when the scheduler creates that run (the interval's end,
	// the start date for @once); before now when it is due (a paused DAG).
	NextDAGRunCreateAfter *time.Time `json:"next_dagrun_create_after"`
}

// DAGCollection is a page of DAGs.
type DAGCollection struct {
	DAGs         []DAG `json:"dags"`
	TotalEntries int   `json:"total_entries"`
}

// ImportError is a DAG file that failed to load.
type ImportError struct {
	Filename string `json:"filename"`
	// StackTrace lists every problem, one per line (file:line:col …).
	StackTrace string     `json:"stack_trace"`
	Timestamp  *time.Time `json:"timestamp"`
}

// ImportErrorCollection is a page of import errors.
type ImportErrorCollection struct {
	ImportErrors []ImportError `json:"import_errors"`
	TotalEntries int           `json:"total_entries"`
}

// DAGRun is a DAG run.
type DAGRun struct {
	DAGID       string    `json:"dag_id"`
	DAGRunID    string    `json:"dag_run_id"`
	LogicalDate time.Time `json:"logical_date"`
	// ExecutionDate is LogicalDate under Airflow's older name.
	ExecutionDate     time.Time  `json:"execution_date"`
	DataIntervalStart *time.Time `json:"data_interval_start"`
	DataIntervalEnd   *time.Time `json:"data_interval_end"`
	// State is queued, running, success or failed.
	State string `json:"state"`
	// RunType is manual, scheduled, backfill or dataset.
	RunType string `json:"run_type"`
	// ExternalTrigger is true for manual runs.
	ExternalTrigger bool `json:"external_trigger"`
	// Conf is the conf given when triggered ({} when none).
	Conf                   json.RawMessage `json:"conf"`
	QueuedAt               *time.Time      `json:"queued_at"`
	StartDate              *time.Time      `json:"start_date"`
	EndDate                *time.Time      `json:"end_date"`
	LastSchedulingDecision *time.Time      `json:"last_scheduling_decision"`
	Note                   *string         `json:"note"`
	// Params are the resolved param values (weir).
	Params json.RawMessage `json:"params"`
	// DAGHash is the version of the definition the run executes (weir).
	DAGHash string `json:"dag_hash"`
	// TriggerEvents are the dataset events that triggered a dataset run, nil otherwise (weir).
	TriggerEvents json.RawMessage `json:"trigger_events"`
}

// DAGRunCollection is a page of runs.
type DAGRunCollection struct {
	DAGRuns      []DAGRun `json:"dag_runs"`
	TotalEntries int      `json:"total_entries"`
}

// TaskInstance is one task of one run at one map index.
type TaskInstance struct {
	DAGID    string `json:"dag_id"`
	DAGRunID string `json:"dag_run_id"`
	TaskID   string `json:"task_id"`
	// MapIndex is −1 for an unmapped task.
	MapIndex         int        `json:"map_index"`
	RenderedMapIndex *string    `json:"rendered_map_index"`
	ExecutionDate    *time.Time `json:"execution_date,omitempty"`
	// State is nil for Airflow's none (nothing decided yet).
	State      *string    `json:"state"`
	TryNumber  int        `json:"try_number"`
	MaxTries   int        `json:"max_tries"`
	StartDate  *time.Time `json:"start_date"`
	EndDate    *time.Time `json:"end_date"`
	QueuedWhen *time.Time `json:"queued_when"`
	// Duration is the seconds the current try took, once finished.
	Duration       *float64 `json:"duration"`
	Hostname       string   `json:"hostname"`
	PID            *int     `json:"pid"`
	Pool           string   `json:"pool"`
	PoolSlots      int      `json:"pool_slots"`
	PriorityWeight int      `json:"priority_weight"`
	Note           *string  `json:"note"`
	// NextTryAt is when an up_for_retry instance runs again (weir).
	NextTryAt *time.Time `json:"next_try_at"`
	// Output is the task's JSON output, nil when none (weir).
	Output json.RawMessage `json:"output"`
	// Error is the last try's error, "" when none (weir).
	Error string `json:"error"`
	// Args are a mapped instance's arguments (weir).
	Args json.RawMessage `json:"args"`
	// CacheKey is the result-cache key of a cached task's last try, "sha256:<hex>"; nil
	// when the task is not cached (weir).
	CacheKey *string `json:"cache_key"`
	// CachedFrom names the instance whose cached result this one reused
	// ("DAG/RUN/TASK[i]"), nil when it ran (weir).
	CachedFrom *string `json:"cached_from"`
}

// StateName returns the state, "none" for nil.
func (ti *TaskInstance) StateName() string {
	if ti.State == nil {
		return "none"
	}
	return *ti.State
}

// TaskInstanceCollection is a page of task instances.
type TaskInstanceCollection struct {
	TaskInstances []TaskInstance `json:"task_instances"`
	TotalEntries  int            `json:"total_entries"`
}

// DAGReference names a DAG.
type DAGReference struct {
	DAGID string `json:"dag_id"`
}

// TaskReference names a task.
type TaskReference struct {
	DAGID  string `json:"dag_id"`
	TaskID string `json:"task_id"`
}

// Dataset is a dataset URI with the DAGs scheduled on it and the tasks updating it.
type Dataset struct {
	URI            string          `json:"uri"`
	CreatedAt      *time.Time      `json:"created_at"`
	UpdatedAt      *time.Time      `json:"updated_at"`
	ConsumingDAGs  []DAGReference  `json:"consuming_dags"`
	ProducingTasks []TaskReference `json:"producing_tasks"`
}

// DatasetCollection is a page of datasets.
type DatasetCollection struct {
	Datasets     []Dataset `json:"datasets"`
	TotalEntries int       `json:"total_entries"`
}

// DatasetEvent is one update of a dataset.
type DatasetEvent struct {
	ID         int64           `json:"id"`
	DatasetURI string          `json:"dataset_uri"`
	Extra      json.RawMessage `json:"extra"`
	// The source fields name the task instance that emitted the event; nil for events
	// posted through the API.
	SourceDAGID    *string   `json:"source_dag_id"`
	SourceRunID    *string   `json:"source_run_id"`
	SourceTaskID   *string   `json:"source_task_id"`
	SourceMapIndex int       `json:"source_map_index"`
	Timestamp      time.Time `json:"timestamp"`
}

// DatasetEventCollection is a page of dataset events.
type DatasetEventCollection struct {
	DatasetEvents []DatasetEvent `json:"dataset_events"`
	TotalEntries  int            `json:"total_entries"`
}

// Pool is a named set of slots.
type Pool struct {
	Name string `json:"name"`
	// Slots is the size; −1 means unlimited.
	Slots int `json:"slots"`
	// OccupiedSlots are taken by running and queued instances.
	OccupiedSlots  int `json:"occupied_slots"`
	RunningSlots   int `json:"running_slots"`
	QueuedSlots    int `json:"queued_slots"`
	ScheduledSlots int `json:"scheduled_slots"`
	// OpenSlots are free; −1 for an unlimited pool.
	OpenSlots       int     `json:"open_slots"`
	DeferredSlots   int     `json:"deferred_slots"`
	Description     *string `json:"description"`
	IncludeDeferred bool    `json:"include_deferred"`
}

// PoolCollection is a page of pools.
type PoolCollection struct {
	Pools        []Pool `json:"pools"`
	TotalEntries int    `json:"total_entries"`
}

// Deployment is a model serving deployment (weir's own resource).
type Deployment struct {
	Name string `json:"name"`
	// Model is the reference answering requests.
	Model string `json:"model"`
	// Canary answers CanaryWeight percent of the requests; empty for none.
	Canary       string `json:"canary"`
	CanaryWeight int    `json:"canary_weight"`
	// Shadow sees every request; its answers are recorded, not returned.
	Shadow      string    `json:"shadow"`
	Description string    `json:"description"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// DeploymentCollection is a page of deployments.
type DeploymentCollection struct {
	Deployments  []Deployment `json:"deployments"`
	TotalEntries int          `json:"total_entries"`
}

// VersionStats summarises the logged predictions of one model version behind an endpoint.
type VersionStats struct {
	Model            string   `json:"model"`
	Version          string   `json:"version"`
	Shadow           bool     `json:"shadow"`
	Requests         int      `json:"requests"`
	LatencyP50Micros int64    `json:"latency_p50_us"`
	LatencyP99Micros int64    `json:"latency_p99_us"`
	Labelled         int      `json:"labelled"`
	MAE              *float64 `json:"mae,omitempty"`
	RMSE             *float64 `json:"rmse,omitempty"`
	Accuracy         *float64 `json:"accuracy,omitempty"`
	// Errors4xx and Errors5xx count the version's failed requests (client's and server's
	// fault); ErrorRate is their share of all its requests. The failed requests for which
	// no model was chosen are on a row of their own: model "", version "none".
	Errors4xx int64   `json:"errors_4xx"`
	Errors5xx int64   `json:"errors_5xx"`
	ErrorRate float64 `json:"error_rate"`
	// LastError, LastErrorStatus and LastErrorAt describe the latest failed request.
	LastError       string     `json:"last_error,omitempty"`
	LastErrorStatus int        `json:"last_error_status,omitempty"`
	LastErrorAt     *time.Time `json:"last_error_at,omitempty"`
}

// DeploymentComparison is GET /deployments/{deployment_name}/compare: the live figures of
// each model version that answered, for a canary analysis before promotion.
type DeploymentComparison struct {
	Deployment string         `json:"deployment"`
	Versions   []VersionStats `json:"versions"`
}

// DeploymentBody is PUT /deployments/{deployment_name}.
type DeploymentBody struct {
	Model        string `json:"model"`
	Canary       string `json:"canary,omitempty"`
	CanaryWeight int    `json:"canary_weight,omitempty"`
	Shadow       string `json:"shadow,omitempty"`
	Description  string `json:"description,omitempty"`
}

// Backfill is a backfill the server started: the IDs of its runs, one per data interval,
// in interval order (weir).
type Backfill struct {
	DAGID    string    `json:"dag_id"`
	FromDate time.Time `json:"from_date"`
	ToDate   time.Time `json:"to_date"`
	RunIDs   []string  `json:"run_ids"`
}

// Prediction is one logged prediction of a served model, with its label once posted.
type Prediction struct {
	PredictionID string `json:"prediction_id"`
	// Endpoint is the endpoint that answered; ModelName and ModelVersion the model.
	Endpoint     string `json:"endpoint"`
	ModelName    string `json:"model_name"`
	ModelVersion string `json:"model_version"`
	// Inputs and Output are the request's inputs and the answer, null when not recorded.
	Inputs json.RawMessage `json:"inputs"`
	Output json.RawMessage `json:"output"`
	// LatencyMicros is how long the prediction took, in microseconds.
	LatencyMicros int64     `json:"latency_micros"`
	Time          time.Time `json:"time"`
	// Shadow marks a mirrored model's prediction, not returned to the client.
	Shadow bool `json:"shadow"`
	// Label is the posted ground truth, null until then; LabelledAt when it was posted.
	Label      json.RawMessage `json:"label"`
	LabelledAt *time.Time      `json:"labelled_at"`
}

// PredictionCollection is a list of predictions, newest first.
type PredictionCollection struct {
	Predictions []Prediction `json:"predictions"`
	// TotalEntries is the number of predictions in this answer.
	TotalEntries int `json:"total_entries"`
}

// PredictionFilter filters ListPredictions; zero fields do not filter.
type PredictionFilter struct {
	Endpoint, ModelName, ModelVersion string
	// Since and Until bound the prediction's time: Since inclusive, Until exclusive.
	Since, Until time.Time
	// Labelled keeps only predictions with a label.
	Labelled bool
	// Limit caps the answer (default 100).
	Limit int
}
