package tracking

import (
	"context"
	"fmt"
	"strings"
)

// LoggedModelStatus is the status of a logged model, as MLflow 3's LoggedModelStatus enum
// (service.proto) names it.
type LoggedModelStatus string

// Statuses of a logged model.
const (
	// LoggedModelPending is the status of a model created but whose files are not all
	// uploaded yet.
	LoggedModelPending LoggedModelStatus = "LOGGED_MODEL_PENDING"
	// LoggedModelReady is the status of a model whose files are uploaded.
	LoggedModelReady LoggedModelStatus = "LOGGED_MODEL_READY"
	// LoggedModelUploadFailed is the status of a model whose upload failed.
	LoggedModelUploadFailed LoggedModelStatus = "LOGGED_MODEL_UPLOAD_FAILED"
)

// loggedModelStatusNumbers are the enum's numbers in service.proto.
var loggedModelStatusNumbers = map[string]LoggedModelStatus{
	"1": LoggedModelPending, "2": LoggedModelReady, "3": LoggedModelUploadFailed,
}

// ParseLoggedModelStatus returns the status a name ("LOGGED_MODEL_READY", or "READY"), or
// the enum's number ("2"), stands for; ErrInvalid for anything else.
func ParseLoggedModelStatus(s string) (LoggedModelStatus, error) {
	if st, ok := loggedModelStatusNumbers[s]; ok {
		return st, nil
	}
	switch st := LoggedModelStatus("LOGGED_MODEL_" + strings.TrimPrefix(strings.ToUpper(s), "LOGGED_MODEL_")); st {
	case LoggedModelPending, LoggedModelReady, LoggedModelUploadFailed:
		return st, nil
	}
	return "", invalid("logged model status %q: want LOGGED_MODEL_PENDING, LOGGED_MODEL_READY or LOGGED_MODEL_UPLOAD_FAILED (or 1-3)", s)
}

// LoggedModel is a model logged to an experiment (MLflow 3's LoggedModel): its files live
// under ArtifactLocation, and runs name it as an output (Run.Outputs) whatever registry
// versions are made of it later.
type LoggedModel struct {
	// ID is "m-" and 32 lowercase hex digits.
	ID           string
	ExperimentID string
	Name         string
	// ArtifactLocation is "<experiment artifact location>/models/<ID>/artifacts".
	ArtifactLocation string
	// CreationTime and LastUpdatedTime are Unix milliseconds.
	CreationTime    int64
	LastUpdatedTime int64
	// ModelType is free text such as "Agent" or "sklearn"; may be empty.
	ModelType string
	// SourceRunID is the run that produced the model; may be empty.
	SourceRunID   string
	Status        LoggedModelStatus
	StatusMessage string
	// Tags and Params are sorted by key. Params are write-once, tags are mutable.
	Tags   []Tag
	Params []Param
}

// ModelOutput is a logged model a run produced (runs/outputs), at a step of the run.
type ModelOutput struct {
	ModelID string
	Step    int64
}

// CreateLoggedModelParams describes a new logged model. Service fills ID, Name,
// ArtifactLocation and Time when empty; a Store needs them all.
type CreateLoggedModelParams struct {
	ID               string
	ExperimentID     string
	Name             string
	ArtifactLocation string
	ModelType        string
	SourceRunID      string
	Tags             []Tag
	Params           []Param
	// Time is Unix milliseconds; 0 for now.
	Time int64
}

// LoggedModelOrder is one order_by clause of SearchLoggedModels: an attribute (name,
// model_id, model_type, status, source_run_id, creation_timestamp,
// last_updated_timestamp).
type LoggedModelOrder struct {
	Field     string
	Ascending bool
}

// SearchLoggedModelsParams selects a page of logged models.
type SearchLoggedModelsParams struct {
	// ExperimentIDs are the experiments searched; at least one.
	ExperimentIDs []string
	// Filter is in MLflow's grammar over the attributes of LoggedModelOrder, tags and
	// params.
	Filter string
	// OrderBy defaults to creation time descending; ties go by ID.
	OrderBy []LoggedModelOrder
	// MaxResults is the page size; default 100.
	MaxResults int
	PageToken  string
}

// LoggedModelPage is a page of logged models.
type LoggedModelPage struct {
	Models        []LoggedModel
	NextPageToken string
}

// CreateLoggedModel validates the tags and params, fills the ID ("m-" and 32 hex digits),
// the name (generated as a run's) and the artifact location from the experiment, which must
// be active, and creates the model, PENDING until FinalizeLoggedModel.
func (s *Service) CreateLoggedModel(ctx context.Context, p CreateLoggedModelParams) (*LoggedModel, error) {
	for _, t := range p.Tags {
		if err := ValidateTag(t); err != nil {
			return nil, err
		}
	}
	for _, pr := range p.Params {
		if err := ValidateKey("param", pr.Key); err != nil {
			return nil, err
		}
	}
	if p.ExperimentID == "" {
		p.ExperimentID = DefaultExperimentID
	}
	e, err := s.GetExperiment(ctx, p.ExperimentID)
	if err != nil {
		return nil, err
	}
	if e.LifecycleStage != StageActive {
		return nil, invalid("experiment %s is deleted: a model is logged to an active experiment", p.ExperimentID)
	}
	if p.SourceRunID != "" {
		if _, err := s.GetRun(ctx, p.SourceRunID); err != nil {
			return nil, fmt.Errorf("source run of the logged model: %w", err)
		}
	}
	if p.ID == "" {
		p.ID = "m-" + randomHex(16)
	}
	if p.Name == "" {
		p.Name = GenerateRunName()
	}
	if p.ArtifactLocation == "" {
		p.ArtifactLocation = strings.TrimSuffix(e.ArtifactLocation, "/") + "/models/" + p.ID + "/artifacts"
	}
	if p.Time == 0 {
		p.Time = s.NowMillis()
	}
	return s.Store.CreateLoggedModel(ctx, p)
}

// SetLoggedModelTags validates the tags and sets them.
func (s *Service) SetLoggedModelTags(ctx context.Context, id string, tags []Tag) error {
	for _, t := range tags {
		if err := ValidateTag(t); err != nil {
			return err
		}
	}
	return s.Store.SetLoggedModelTags(ctx, id, tags)
}

// LogLoggedModelParams validates the params' keys and logs them.
func (s *Service) LogLoggedModelParams(ctx context.Context, id string, params []Param) error {
	for _, p := range params {
		if err := ValidateKey("param", p.Key); err != nil {
			return err
		}
	}
	return s.Store.LogLoggedModelParams(ctx, id, params)
}
