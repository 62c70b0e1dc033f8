package tracking

import "context"

// Store persists experiments, runs and the model registry. Implementations are safe for
// concurrent use and pass the conformance suite in tracking/trackingtest. Errors wrap
// ErrNotFound, ErrAlreadyExists, ErrInvalid or ErrInvalidState when they stand for one of
// them.
//
// A Store checks the model's invariants (params are write-once, names are unique, writes
// to a deleted run are refused) but not MLflow's validation limits: Service does that.
type Store interface {
	// CreateExperiment creates an active experiment and returns its ID; ErrAlreadyExists if
	// an experiment (deleted or not) has the name.
	CreateExperiment(ctx context.Context, p CreateExperimentParams) (string, error)
	// GetExperiment returns an experiment by ID, deleted or not.
	GetExperiment(ctx context.Context, id string) (*Experiment, error)
	// GetExperimentByName returns an experiment by name, deleted or not.
	GetExperimentByName(ctx context.Context, name string) (*Experiment, error)
	// SearchExperiments returns a page of experiments.
	SearchExperiments(ctx context.Context, p SearchExperimentsParams) (*ExperimentPage, error)
	// RenameExperiment gives an active experiment a new name; ErrAlreadyExists if taken,
	// ErrInvalidState if the experiment is deleted.
	RenameExperiment(ctx context.Context, id, newName string) error
	// SetExperimentLifecycle deletes (StageDeleted) or restores (StageActive) an
	// experiment. Deleting one deletes its active runs too, and restoring it restores the
	// runs that deletion deleted. The Default experiment cannot be deleted.
	SetExperimentLifecycle(ctx context.Context, id, stage string) error
	// SetExperimentTag sets (or overwrites) a tag of an experiment.
	SetExperimentTag(ctx context.Context, id string, tag Tag) error
	// DeleteExperimentTag deletes a tag of an experiment; ErrNotFound if it has none.
	DeleteExperimentTag(ctx context.Context, id, key string) error

	// CreateRun creates a run in an active experiment and returns it.
	CreateRun(ctx context.Context, p CreateRunParams) (*Run, error)
	// GetRun returns a run with its params, latest metrics, tags and inputs.
	GetRun(ctx context.Context, runID string) (*Run, error)
	// UpdateRun changes a run's status, end time or name and returns its info.
	UpdateRun(ctx context.Context, p UpdateRunParams) (*RunInfo, error)
	// SetRunLifecycle deletes (StageDeleted) or restores (StageActive) a run.
	SetRunLifecycle(ctx context.Context, runID, stage string) error
	// LogBatch writes metrics, params and tags of an active run in one transaction: all or
	// nothing. A param already logged with another value is ErrInvalid. Setting the tag
	// mlflow.runName renames the run.
	LogBatch(ctx context.Context, p LogBatchParams) error
	// DeleteRunTag deletes a tag of a run; ErrNotFound if it has none.
	DeleteRunTag(ctx context.Context, runID, key string) error
	// LogInputs records datasets a run consumed.
	LogInputs(ctx context.Context, runID string, inputs []DatasetInput) error
	// GetMetricHistory returns a page of the points of one metric of a run, by step then
	// timestamp.
	GetMetricHistory(ctx context.Context, p GetMetricHistoryParams) (*MetricPage, error)
	// SearchRuns returns a page of the runs of some experiments that match a filter.
	SearchRuns(ctx context.Context, p SearchRunsParams) (*RunPage, error)

	// CreateRegisteredModel creates a registered model; ErrAlreadyExists if the name is
	// taken.
	CreateRegisteredModel(ctx context.Context, p CreateRegisteredModelParams) (*RegisteredModel, error)
	// GetRegisteredModel returns a registered model with its latest versions, tags and
	// aliases.
	GetRegisteredModel(ctx context.Context, name string) (*RegisteredModel, error)
	// RenameRegisteredModel renames a model (its versions follow).
	RenameRegisteredModel(ctx context.Context, name, newName string) (*RegisteredModel, error)
	// UpdateRegisteredModel sets a model's description.
	UpdateRegisteredModel(ctx context.Context, name, description string) (*RegisteredModel, error)
	// DeleteRegisteredModel deletes a model with its versions, tags and aliases.
	DeleteRegisteredModel(ctx context.Context, name string) error
	// SearchRegisteredModels returns a page of registered models.
	SearchRegisteredModels(ctx context.Context, p SearchRegistryParams) (*RegisteredModelPage, error)
	// SetRegisteredModelTag sets a tag of a registered model.
	SetRegisteredModelTag(ctx context.Context, name string, tag Tag) error
	// DeleteRegisteredModelTag deletes a tag of a registered model.
	DeleteRegisteredModelTag(ctx context.Context, name, key string) error
	// SetRegisteredModelAlias points alias at a version (moving it if it pointed
	// elsewhere).
	SetRegisteredModelAlias(ctx context.Context, name, alias, version string) error
	// DeleteRegisteredModelAlias deletes an alias; ErrNotFound if the model has none of
	// that name.
	DeleteRegisteredModelAlias(ctx context.Context, name, alias string) error
	// GetModelVersionByAlias returns the version an alias points at.
	GetModelVersionByAlias(ctx context.Context, name, alias string) (*ModelVersion, error)
	// GetLatestVersions returns the latest version of each of stages (of every stage if
	// none given) that has one.
	GetLatestVersions(ctx context.Context, name string, stages []string) ([]ModelVersion, error)

	// CreateModelVersion creates the next version of a registered model, READY, in stage
	// None.
	CreateModelVersion(ctx context.Context, p CreateModelVersionParams) (*ModelVersion, error)
	// GetModelVersion returns one version.
	GetModelVersion(ctx context.Context, name, version string) (*ModelVersion, error)
	// UpdateModelVersion sets a version's description.
	UpdateModelVersion(ctx context.Context, name, version, description string) (*ModelVersion, error)
	// DeleteModelVersion deletes a version, its tags and the aliases pointing at it.
	DeleteModelVersion(ctx context.Context, name, version string) error
	// SearchModelVersions returns a page of model versions.
	SearchModelVersions(ctx context.Context, p SearchRegistryParams) (*ModelVersionPage, error)
	// TransitionModelVersionStage moves a version to stage; with archiveExisting, the
	// other versions in that stage (Staging or Production) move to Archived.
	TransitionModelVersionStage(ctx context.Context, name, version, stage string, archiveExisting bool) (*ModelVersion, error)
	// SetModelVersionTag sets a tag of a version.
	SetModelVersionTag(ctx context.Context, name, version string, tag Tag) error
	// DeleteModelVersionTag deletes a tag of a version.
	DeleteModelVersionTag(ctx context.Context, name, version, key string) error

	// CreateLoggedModel creates a logged model, PENDING, with p's ID, name and artifact
	// location (all required), in an existing experiment; ErrAlreadyExists if the ID is
	// taken.
	CreateLoggedModel(ctx context.Context, p CreateLoggedModelParams) (*LoggedModel, error)
	// GetLoggedModel returns a logged model with its tags and params; ErrNotFound once it
	// is deleted.
	GetLoggedModel(ctx context.Context, id string) (*LoggedModel, error)
	// FinalizeLoggedModel sets a logged model's status (READY or UPLOAD_FAILED) and returns
	// the model.
	FinalizeLoggedModel(ctx context.Context, id string, status LoggedModelStatus) (*LoggedModel, error)
	// DeleteLoggedModel deletes a logged model (its files stay where they are).
	DeleteLoggedModel(ctx context.Context, id string) error
	// SearchLoggedModels returns a page of the live logged models of some experiments.
	SearchLoggedModels(ctx context.Context, p SearchLoggedModelsParams) (*LoggedModelPage, error)
	// SetLoggedModelTags sets (or overwrites) tags of a logged model.
	SetLoggedModelTags(ctx context.Context, id string, tags []Tag) error
	// DeleteLoggedModelTag deletes a tag of a logged model; ErrNotFound if it has none.
	DeleteLoggedModelTag(ctx context.Context, id, key string) error
	// LogLoggedModelParams logs params of a logged model: write-once, as a run's (logging
	// the same value again is allowed, another value is ErrInvalid).
	LogLoggedModelParams(ctx context.Context, id string, params []Param) error
	// LogOutputs records logged models an active run produced (runs/outputs); each model
	// must exist. Logging a model again updates its step.
	LogOutputs(ctx context.Context, runID string, outputs []ModelOutput) error

	// CreateWebhook stores a new registry webhook (every field set by the caller).
	CreateWebhook(ctx context.Context, w Webhook) error
	// GetWebhook returns a webhook; ErrNotFound once it is deleted.
	GetWebhook(ctx context.Context, id string) (*Webhook, error)
	// ListWebhooks returns a page of the webhooks, oldest first (maxResults 0: all).
	ListWebhooks(ctx context.Context, maxResults int, pageToken string) (*WebhookPage, error)
	// UpdateWebhook replaces a webhook's fields (but its ID and creation time).
	UpdateWebhook(ctx context.Context, w Webhook) error
	// DeleteWebhook deletes a webhook.
	DeleteWebhook(ctx context.Context, id string) error
}

// Provider is a database that holds a tracking Store beside other data, as store/sqlite's
// Store does (DAG runs and tracking in one file).
type Provider interface {
	// Tracking returns the database's tracking store.
	Tracking() Store
}

// Of returns the tracking store of db, and false when db is not a Provider.
func Of(db any) (Store, bool) {
	p, ok := db.(Provider)
	if !ok {
		return nil, false
	}
	return p.Tracking(), true
}

// CreateExperimentParams describes a new experiment.
type CreateExperimentParams struct {
	// Name must be unique among experiments.
	Name string
	// ArtifactLocation is where its runs put artifacts; empty for
	// "mlflow-artifacts:/<id>".
	ArtifactLocation string
	Tags             []Tag
	// Time is the creation time in Unix milliseconds; 0 for now.
	Time int64
}

// SearchExperimentsParams selects a page of experiments.
type SearchExperimentsParams struct {
	// Filter is in MLflow's grammar over name, creation_time, last_update_time and tags.
	Filter string
	// OrderBy clauses over name, experiment_id, creation_time, last_update_time; default
	// creation time descending, then ID.
	OrderBy []string
	// ViewType defaults to ActiveOnly.
	ViewType ViewType
	// MaxResults is the page size; default 1000.
	MaxResults int
	// PageToken is the NextPageToken of the previous page, or empty for the first.
	PageToken string
}

// ExperimentPage is a page of experiments; NextPageToken is empty on the last page.
type ExperimentPage struct {
	Experiments   []Experiment
	NextPageToken string
}

// CreateRunParams describes a new run.
type CreateRunParams struct {
	// ExperimentID is the experiment of the run; it must be active.
	ExperimentID string
	// RunName is the run's name; empty leaves it empty (Service generates one).
	RunName string
	UserID  string
	// StartTime is Unix milliseconds; 0 for now.
	StartTime int64
	// Status defaults to RunRunning.
	Status RunStatus
	// ParentRunID, if set, is recorded as tag mlflow.parentRunId.
	ParentRunID string
	Tags        []Tag
}

// UpdateRunParams changes a run; nil fields stay as they are.
type UpdateRunParams struct {
	RunID   string
	Status  *RunStatus
	EndTime *int64
	RunName *string
}

// LogBatchParams are the metrics, params and tags to write to a run at once.
type LogBatchParams struct {
	RunID   string
	Metrics []Metric
	Params  []Param
	Tags    []Tag
}

// GetMetricHistoryParams selects a page of one metric's points.
type GetMetricHistoryParams struct {
	RunID string
	Key   string
	// MaxResults is the page size; 0 for all points.
	MaxResults int
	PageToken  string
}

// MetricPage is a page of metric points.
type MetricPage struct {
	Metrics       []Metric
	NextPageToken string
}

// SearchRunsParams selects a page of runs.
type SearchRunsParams struct {
	// ExperimentIDs are the experiments searched; at least one.
	ExperimentIDs []string
	// Filter is in MLflow's grammar (see ParseFilter).
	Filter string
	// ViewType defaults to ActiveOnly.
	ViewType ViewType
	// MaxResults is the page size; default 1000.
	MaxResults int
	// OrderBy clauses (see ParseOrderBy); default start time descending, then run ID.
	OrderBy   []string
	PageToken string
}

// RunPage is a page of runs.
type RunPage struct {
	Runs          []Run
	NextPageToken string
}

// CreateRegisteredModelParams describes a new registered model.
type CreateRegisteredModelParams struct {
	Name        string
	Description string
	Tags        []Tag
	// Time is Unix milliseconds; 0 for now.
	Time int64
}

// SearchRegistryParams selects a page of registered models or model versions.
type SearchRegistryParams struct {
	// Filter is in MLflow's grammar over name (and run_id, source_path, version_number for
	// versions) and tags.
	Filter string
	// OrderBy clauses over name, creation_timestamp, last_updated_timestamp (and
	// version_number for versions).
	OrderBy    []string
	MaxResults int
	PageToken  string
}

// RegisteredModelPage is a page of registered models.
type RegisteredModelPage struct {
	RegisteredModels []RegisteredModel
	NextPageToken    string
}

// ModelVersionPage is a page of model versions.
type ModelVersionPage struct {
	ModelVersions []ModelVersion
	NextPageToken string
}

// CreateModelVersionParams describes a new model version.
type CreateModelVersionParams struct {
	// Name is the registered model; it must exist.
	Name        string
	Source      string
	RunID       string
	RunLink     string
	Description string
	UserID      string
	Tags        []Tag
	// Time is Unix milliseconds; 0 for now.
	Time int64
}
