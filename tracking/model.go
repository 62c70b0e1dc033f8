package tracking

import (
	"errors"

	"github.com/weirhq/weir/store"
)

// Domain errors. Backends report ErrNotFound and ErrAlreadyExists (the same values as
// package store's), wrapped with the key concerned; callers test with errors.Is.
var (
	// ErrNotFound means the experiment, run, model, version, alias or tag does not exist.
	ErrNotFound = store.ErrNotFound
	// ErrAlreadyExists means an experiment or registered model of that name exists.
	ErrAlreadyExists = store.ErrAlreadyExists
	// ErrInvalid means a request the model rejects: a bad name, a value too long, a param
	// logged again with another value, a write to a deleted run, a malformed filter.
	ErrInvalid = errors.New("invalid parameter value")
	// ErrInvalidState means the object is in a state that forbids the operation: renaming
	// a deleted experiment. MLflow reports it as INVALID_STATE.
	ErrInvalidState = errors.New("invalid state")
)

// Lifecycle stages of experiments and runs.
const (
	// StageActive is the stage of a live experiment or run.
	StageActive = "active"
	// StageDeleted is the stage of a deleted (restorable) experiment or run.
	StageDeleted = "deleted"
)

// DefaultExperimentID is the ID of the experiment "Default", which always exists.
const DefaultExperimentID = "0"

// DefaultExperimentName is the name of experiment DefaultExperimentID.
const DefaultExperimentName = "Default"

// DefaultArtifactRoot is the prefix of artifact locations the server proxies: an
// experiment created without an artifact location gets "mlflow-artifacts:/<id>", and its
// runs "mlflow-artifacts:/<id>/<run>/artifacts".
const DefaultArtifactRoot = "mlflow-artifacts:"

// RunStatus is the status of a run, as MLflow's RunStatus enum.
type RunStatus string

// Run statuses.
const (
	RunRunning   RunStatus = "RUNNING"
	RunScheduled RunStatus = "SCHEDULED"
	RunFinished  RunStatus = "FINISHED"
	RunFailed    RunStatus = "FAILED"
	RunKilled    RunStatus = "KILLED"
)

// Valid reports whether s is one of the run statuses.
func (s RunStatus) Valid() bool {
	switch s {
	case RunRunning, RunScheduled, RunFinished, RunFailed, RunKilled:
		return true
	}
	return false
}

// Terminal reports whether s is a final status (FINISHED, FAILED or KILLED).
func (s RunStatus) Terminal() bool { return s == RunFinished || s == RunFailed || s == RunKilled }

// ViewType selects runs or experiments by lifecycle stage.
type ViewType string

// View types, as MLflow's ViewType enum. The empty string means ActiveOnly.
const (
	ActiveOnly  ViewType = "ACTIVE_ONLY"
	DeletedOnly ViewType = "DELETED_ONLY"
	AllViews    ViewType = "ALL"
)

// Includes reports whether an entity in lifecycle stage stage is in view v.
func (v ViewType) Includes(stage string) bool {
	switch v {
	case AllViews:
		return true
	case DeletedOnly:
		return stage == StageDeleted
	default:
		return stage == StageActive
	}
}

// Model version stages, as MLflow's (deprecated in favour of aliases, still used).
const (
	StageNone       = "None"
	StageStaging    = "Staging"
	StageProduction = "Production"
	StageArchived   = "Archived"
)

// Model version statuses. Weir registers versions synchronously, so they are READY at once.
const (
	VersionPendingRegistration = "PENDING_REGISTRATION"
	VersionFailedRegistration  = "FAILED_REGISTRATION"
	VersionReady               = "READY"
)

// Tags weir and MLflow give a meaning to.
const (
	// TagRunName mirrors a run's name.
	TagRunName = "mlflow.runName"
	// TagParentRunID holds the ID of a run's parent run.
	TagParentRunID = "mlflow.parentRunId"
	// TagUser holds the user who created a run.
	TagUser = "mlflow.user"
	// TagLoggedModels holds the JSON list of models logged with runs/log-model.
	TagLoggedModels = "mlflow.log-model.history"
	// TagDAGID, TagDAGRunID, TagTaskID and TagTryNumber tie a tracking run to the DAG
	// run, task and try that produced it.
	TagDAGID     = "weir.dag_id"
	TagDAGRunID  = "weir.run_id"
	TagTaskID    = "weir.task_id"
	TagTryNumber = "weir.try_number"
	// TagMapIndex holds the map index of a mapped task instance's tracking run.
	TagMapIndex = "weir.map_index"
)

// Tag is a key-value pair on an experiment, run, registered model or model version.
type Tag struct {
	Key   string
	Value string
}

// Param is a run's parameter: a key and its value, written once.
type Param struct {
	Key   string
	Value string
}

// Metric is one point of a run's metric series.
type Metric struct {
	Key string
	// Value may be NaN or ±Inf.
	Value float64
	// Timestamp is when the value was measured, in Unix milliseconds.
	Timestamp int64
	// Step is the training step (or any ordinal) of the value; 0 when not given.
	Step int64
	// RunID is the run of the point; set by the queries that span runs
	// (GetMetricHistoryBulk) and left empty otherwise.
	RunID string
}

// Experiment groups runs.
type Experiment struct {
	// ID is a decimal integer, assigned by the store ("0" is the Default experiment).
	ID string
	// Name is unique among experiments, deleted ones included.
	Name string
	// ArtifactLocation is where runs put their artifacts: "mlflow-artifacts:/<id>" unless
	// given at creation.
	ArtifactLocation string
	// LifecycleStage is StageActive or StageDeleted.
	LifecycleStage string
	// CreationTime and LastUpdateTime are Unix milliseconds.
	CreationTime   int64
	LastUpdateTime int64
	// Tags are sorted by key.
	Tags []Tag
}

// RunInfo is a run's metadata.
type RunInfo struct {
	// RunID is 32 lowercase hex digits.
	RunID        string
	ExperimentID string
	// RunName is the run's name (mirrored in tag mlflow.runName).
	RunName string
	UserID  string
	Status  RunStatus
	// StartTime is Unix milliseconds; EndTime too, 0 while the run has not ended.
	StartTime int64
	EndTime   int64
	// ArtifactURI is the root of the run's artifacts.
	ArtifactURI    string
	LifecycleStage string
}

// DatasetInput is a dataset a run consumed (runs/log-inputs). Dataset is MLflow's Dataset
// message as raw JSON (name, digest, source_type, source, schema, profile), kept verbatim.
type DatasetInput struct {
	Tags    []Tag
	Dataset []byte
}

// Run is a run with its data.
type Run struct {
	Info RunInfo
	// Params are sorted by key.
	Params []Param
	// Metrics holds the latest point of each key, sorted by key.
	Metrics []Metric
	// Tags are sorted by key.
	Tags []Tag
	// Inputs are the datasets logged with LogInputs, in logging order.
	Inputs []DatasetInput
	// Outputs are the logged models the run produced (LogOutputs), by model ID.
	Outputs []ModelOutput
}

// Tag returns the value of the run's tag key, and whether it has it.
func (r *Run) Tag(key string) (string, bool) {
	for _, t := range r.Tags {
		if t.Key == key {
			return t.Value, true
		}
	}
	return "", false
}

// Alias is a name pointing at one version of a registered model.
type Alias struct {
	Alias   string
	Version string
}

// RegisteredModel is a named model with versions.
type RegisteredModel struct {
	// Name is unique among registered models.
	Name        string
	Description string
	// CreationTime and LastUpdatedTime are Unix milliseconds.
	CreationTime    int64
	LastUpdatedTime int64
	// LatestVersions holds the latest version of each stage that has one, by stage.
	LatestVersions []ModelVersion
	// Tags are sorted by key; Aliases by alias.
	Tags    []Tag
	Aliases []Alias
}

// ModelVersion is one version of a registered model.
type ModelVersion struct {
	Name string
	// Version is a decimal integer, "1" for the first.
	Version         string
	CreationTime    int64
	LastUpdatedTime int64
	// CurrentStage is one of StageNone, StageStaging, StageProduction, StageArchived.
	CurrentStage string
	Description  string
	UserID       string
	// Source is the URI of the model's files (e.g. "mlflow-artifacts:/1/<run>/artifacts/model"
	// or "runs:/<run>/model").
	Source string
	// RunID is the run that produced the version; empty if none.
	RunID   string
	RunLink string
	// Status is VersionReady once registered.
	Status        string
	StatusMessage string
	// Tags are sorted by key; Aliases too.
	Tags    []Tag
	Aliases []string
}
