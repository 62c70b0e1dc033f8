package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/weirhq/weir/tracking"
)

// MLflowError is an error answer of the server's MLflow API: MLflow's error code
// (RESOURCE_DOES_NOT_EXIST …) and message. errors.Is(err, tracking.ErrNotFound) holds for
// RESOURCE_DOES_NOT_EXIST, tracking.ErrAlreadyExists for RESOURCE_ALREADY_EXISTS and
// tracking.ErrInvalid for INVALID_PARAMETER_VALUE, as for the local tracking service.
type MLflowError struct {
	Status  int    `json:"-"`
	Code    string `json:"error_code"`
	Message string `json:"message"`
}

// Error returns the server's message.
func (e *MLflowError) Error() string { return e.Message }

// Unwrap maps the MLflow code to the tracking package's errors.
func (e *MLflowError) Unwrap() error {
	switch e.Code {
	case "RESOURCE_DOES_NOT_EXIST":
		return tracking.ErrNotFound
	case "RESOURCE_ALREADY_EXISTS":
		return tracking.ErrAlreadyExists
	case "INVALID_PARAMETER_VALUE":
		return tracking.ErrInvalid
	}
	return nil
}

// Tracking is a client of the server's MLflow tracking and registry API (/api/2.0/mlflow/).
// Its methods have the signatures of tracking.Service's, so a caller can use either the
// local service or a server through one interface.
type Tracking struct{ c *Client }

// Tracking returns the client of the server's MLflow API.
func (c *Client) Tracking() *Tracking { return &Tracking{c: c} }

// mlflow sends a request to /api/2.0/mlflow/<endpoint> with body as JSON and decodes the
// answer into out.
func (t *Tracking) mlflow(ctx context.Context, method, endpoint string, body, out any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("%s: encode the request: %w", endpoint, err)
	}
	req, err := http.NewRequestWithContext(ctx, method, t.c.root+"/api/2.0/mlflow/"+endpoint, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := t.c.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("%s: read the answer: %w", endpoint, err)
	}
	if resp.StatusCode/100 != 2 {
		e := &MLflowError{Status: resp.StatusCode}
		if json.Unmarshal(raw, e) != nil || e.Code == "" {
			e.Code, e.Message = "INTERNAL_ERROR", fmt.Sprintf("%s %s: %s: %s", method, endpoint, resp.Status, strings.TrimSpace(string(raw)))
		}
		return e
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("%s: decode the answer: %w", endpoint, err)
	}
	return nil
}

// Wire types: MLflow's messages as JSON.

type mTag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// mFloat is a metric value: a number, or "NaN", "Infinity", "-Infinity".
type mFloat float64

func (f *mFloat) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		switch s {
		case "NaN":
			*f = mFloat(math.NaN())
		case "Infinity", "inf":
			*f = mFloat(math.Inf(1))
		case "-Infinity", "-inf":
			*f = mFloat(math.Inf(-1))
		default:
			v, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return fmt.Errorf("metric value %q: not a number", s)
			}
			*f = mFloat(v)
		}
		return nil
	}
	var v float64
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*f = mFloat(v)
	return nil
}

// mInt is an int64 sent as a number or a string (protobuf's JSON form of int64).
type mInt int64

func (n *mInt) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "" || s == "null" {
		return nil
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("integer %s: %w", b, err)
	}
	*n = mInt(v)
	return nil
}

type mExperiment struct {
	ExperimentID     string `json:"experiment_id"`
	Name             string `json:"name"`
	ArtifactLocation string `json:"artifact_location"`
	LifecycleStage   string `json:"lifecycle_stage"`
	LastUpdateTime   mInt   `json:"last_update_time"`
	CreationTime     mInt   `json:"creation_time"`
	Tags             []mTag `json:"tags"`
}

type mMetric struct {
	Key       string `json:"key"`
	Value     mFloat `json:"value"`
	Timestamp mInt   `json:"timestamp"`
	Step      mInt   `json:"step"`
	RunID     string `json:"run_id"`
}

type mRun struct {
	Info struct {
		RunID          string `json:"run_id"`
		RunName        string `json:"run_name"`
		ExperimentID   string `json:"experiment_id"`
		UserID         string `json:"user_id"`
		Status         string `json:"status"`
		StartTime      mInt   `json:"start_time"`
		EndTime        mInt   `json:"end_time"`
		ArtifactURI    string `json:"artifact_uri"`
		LifecycleStage string `json:"lifecycle_stage"`
	} `json:"info"`
	Data struct {
		Metrics []mMetric `json:"metrics"`
		Params  []mTag    `json:"params"`
		Tags    []mTag    `json:"tags"`
	} `json:"data"`
	Inputs struct {
		DatasetInputs []struct {
			Tags    []mTag          `json:"tags"`
			Dataset json.RawMessage `json:"dataset"`
		} `json:"dataset_inputs"`
	} `json:"inputs"`
	Outputs *struct {
		ModelOutputs []struct {
			ModelID string `json:"model_id"`
			Step    mInt   `json:"step"`
		} `json:"model_outputs"`
	} `json:"outputs"`
}

type mVersion struct {
	Name                 string   `json:"name"`
	Version              string   `json:"version"`
	CreationTimestamp    mInt     `json:"creation_timestamp"`
	LastUpdatedTimestamp mInt     `json:"last_updated_timestamp"`
	UserID               string   `json:"user_id"`
	CurrentStage         string   `json:"current_stage"`
	Description          string   `json:"description"`
	Source               string   `json:"source"`
	RunID                string   `json:"run_id"`
	RunLink              string   `json:"run_link"`
	Status               string   `json:"status"`
	StatusMessage        string   `json:"status_message"`
	Tags                 []mTag   `json:"tags"`
	Aliases              []string `json:"aliases"`
}

type mModel struct {
	Name                 string     `json:"name"`
	CreationTimestamp    mInt       `json:"creation_timestamp"`
	LastUpdatedTimestamp mInt       `json:"last_updated_timestamp"`
	Description          string     `json:"description"`
	LatestVersions       []mVersion `json:"latest_versions"`
	Tags                 []mTag     `json:"tags"`
	Aliases              []struct {
		Alias   string `json:"alias"`
		Version string `json:"version"`
	} `json:"aliases"`
}

func tags(ts []mTag) []tracking.Tag {
	var out []tracking.Tag
	for _, t := range ts {
		out = append(out, tracking.Tag(t))
	}
	return out
}

func (e *mExperiment) experiment() tracking.Experiment {
	return tracking.Experiment{ID: e.ExperimentID, Name: e.Name, ArtifactLocation: e.ArtifactLocation, LifecycleStage: e.LifecycleStage,
		CreationTime: int64(e.CreationTime), LastUpdateTime: int64(e.LastUpdateTime), Tags: tags(e.Tags)}
}

func (r *mRun) run() tracking.Run {
	i := r.Info
	out := tracking.Run{Info: tracking.RunInfo{RunID: i.RunID, ExperimentID: i.ExperimentID, RunName: i.RunName, UserID: i.UserID,
		Status: tracking.RunStatus(i.Status), StartTime: int64(i.StartTime), EndTime: int64(i.EndTime), ArtifactURI: i.ArtifactURI,
		LifecycleStage: i.LifecycleStage}, Tags: tags(r.Data.Tags)}
	for _, p := range r.Data.Params {
		out.Params = append(out.Params, tracking.Param(p))
	}
	for _, m := range r.Data.Metrics {
		out.Metrics = append(out.Metrics, tracking.Metric{Key: m.Key, Value: float64(m.Value), Timestamp: int64(m.Timestamp), Step: int64(m.Step), RunID: m.RunID})
	}
	for _, in := range r.Inputs.DatasetInputs {
		out.Inputs = append(out.Inputs, tracking.DatasetInput{Tags: tags(in.Tags), Dataset: in.Dataset})
	}
	if r.Outputs != nil {
		for _, o := range r.Outputs.ModelOutputs {
			out.Outputs = append(out.Outputs, tracking.ModelOutput{ModelID: o.ModelID, Step: int64(o.Step)})
		}
	}
	return out
}

func (v *mVersion) version() tracking.ModelVersion {
	return tracking.ModelVersion{Name: v.Name, Version: v.Version, CreationTime: int64(v.CreationTimestamp), LastUpdatedTime: int64(v.LastUpdatedTimestamp),
		CurrentStage: v.CurrentStage, Description: v.Description, UserID: v.UserID, Source: v.Source, RunID: v.RunID, RunLink: v.RunLink,
		Status: v.Status, StatusMessage: v.StatusMessage, Tags: tags(v.Tags), Aliases: v.Aliases}
}

func (m *mModel) model() tracking.RegisteredModel {
	out := tracking.RegisteredModel{Name: m.Name, Description: m.Description, CreationTime: int64(m.CreationTimestamp),
		LastUpdatedTime: int64(m.LastUpdatedTimestamp), Tags: tags(m.Tags)}
	for _, v := range m.LatestVersions {
		out.LatestVersions = append(out.LatestVersions, v.version())
	}
	for _, a := range m.Aliases {
		out.Aliases = append(out.Aliases, tracking.Alias{Alias: a.Alias, Version: a.Version})
	}
	return out
}

func viewType(v tracking.ViewType) string {
	if v == "" {
		return string(tracking.ActiveOnly)
	}
	return string(v)
}

// SearchExperiments returns a page of experiments (experiments/search).
func (t *Tracking) SearchExperiments(ctx context.Context, p tracking.SearchExperimentsParams) (*tracking.ExperimentPage, error) {
	body := map[string]any{"filter": p.Filter, "order_by": p.OrderBy, "view_type": viewType(p.ViewType), "page_token": p.PageToken}
	if p.MaxResults > 0 {
		body["max_results"] = p.MaxResults
	}
	var out struct {
		Experiments   []mExperiment `json:"experiments"`
		NextPageToken string        `json:"next_page_token"`
	}
	if err := t.mlflow(ctx, http.MethodPost, "experiments/search", body, &out); err != nil {
		return nil, err
	}
	page := &tracking.ExperimentPage{NextPageToken: out.NextPageToken}
	for _, e := range out.Experiments {
		page.Experiments = append(page.Experiments, e.experiment())
	}
	return page, nil
}

// GetExperimentByName returns an experiment by name (experiments/get-by-name).
func (t *Tracking) GetExperimentByName(ctx context.Context, name string) (*tracking.Experiment, error) {
	var out struct {
		Experiment mExperiment `json:"experiment"`
	}
	if err := t.mlflow(ctx, http.MethodPost, "experiments/get-by-name", map[string]string{"experiment_name": name}, &out); err != nil {
		return nil, err
	}
	e := out.Experiment.experiment()
	return &e, nil
}

// GetRun returns a run with its params, latest metrics and tags (runs/get).
func (t *Tracking) GetRun(ctx context.Context, runID string) (*tracking.Run, error) {
	var out struct {
		Run mRun `json:"run"`
	}
	if err := t.mlflow(ctx, http.MethodPost, "runs/get", map[string]string{"run_id": runID}, &out); err != nil {
		return nil, err
	}
	r := out.Run.run()
	return &r, nil
}

// SearchRuns returns a page of runs (runs/search).
func (t *Tracking) SearchRuns(ctx context.Context, p tracking.SearchRunsParams) (*tracking.RunPage, error) {
	body := map[string]any{"experiment_ids": p.ExperimentIDs, "filter": p.Filter, "run_view_type": viewType(p.ViewType),
		"order_by": p.OrderBy, "page_token": p.PageToken}
	if p.MaxResults > 0 {
		body["max_results"] = p.MaxResults
	}
	var out struct {
		Runs          []mRun `json:"runs"`
		NextPageToken string `json:"next_page_token"`
	}
	if err := t.mlflow(ctx, http.MethodPost, "runs/search", body, &out); err != nil {
		return nil, err
	}
	page := &tracking.RunPage{NextPageToken: out.NextPageToken}
	for _, r := range out.Runs {
		page.Runs = append(page.Runs, r.run())
	}
	return page, nil
}

// CompareRuns returns runs side by side, as tracking.Service.CompareRuns.
func (t *Tracking) CompareRuns(ctx context.Context, runIDs []string) (*tracking.Comparison, error) {
	var runs []tracking.Run
	for _, id := range runIDs {
		r, err := t.GetRun(ctx, id)
		if err != nil {
			return nil, err
		}
		runs = append(runs, *r)
	}
	return tracking.CompareOf(runs), nil
}

func registryBody(p tracking.SearchRegistryParams) map[string]any {
	body := map[string]any{"filter": p.Filter, "order_by": p.OrderBy, "page_token": p.PageToken}
	if p.MaxResults > 0 {
		body["max_results"] = p.MaxResults
	}
	return body
}

// SearchRegisteredModels returns a page of registered models (registered-models/search).
func (t *Tracking) SearchRegisteredModels(ctx context.Context, p tracking.SearchRegistryParams) (*tracking.RegisteredModelPage, error) {
	var out struct {
		Models        []mModel `json:"registered_models"`
		NextPageToken string   `json:"next_page_token"`
	}
	if err := t.mlflow(ctx, http.MethodPost, "registered-models/search", registryBody(p), &out); err != nil {
		return nil, err
	}
	page := &tracking.RegisteredModelPage{NextPageToken: out.NextPageToken}
	for _, m := range out.Models {
		page.RegisteredModels = append(page.RegisteredModels, m.model())
	}
	return page, nil
}

// SearchModelVersions returns a page of model versions (model-versions/search).
func (t *Tracking) SearchModelVersions(ctx context.Context, p tracking.SearchRegistryParams) (*tracking.ModelVersionPage, error) {
	var out struct {
		Versions      []mVersion `json:"model_versions"`
		NextPageToken string     `json:"next_page_token"`
	}
	if err := t.mlflow(ctx, http.MethodPost, "model-versions/search", registryBody(p), &out); err != nil {
		return nil, err
	}
	page := &tracking.ModelVersionPage{NextPageToken: out.NextPageToken}
	for _, v := range out.Versions {
		page.ModelVersions = append(page.ModelVersions, v.version())
	}
	return page, nil
}

// GetRegisteredModel returns a registered model (registered-models/get).
func (t *Tracking) GetRegisteredModel(ctx context.Context, name string) (*tracking.RegisteredModel, error) {
	var out struct {
		Model mModel `json:"registered_model"`
	}
	if err := t.mlflow(ctx, http.MethodPost, "registered-models/get", map[string]string{"name": name}, &out); err != nil {
		return nil, err
	}
	m := out.Model.model()
	return &m, nil
}

// GetModelVersion returns one version of a model (model-versions/get).
func (t *Tracking) GetModelVersion(ctx context.Context, name, version string) (*tracking.ModelVersion, error) {
	var out struct {
		Version mVersion `json:"model_version"`
	}
	if err := t.mlflow(ctx, http.MethodPost, "model-versions/get", map[string]string{"name": name, "version": version}, &out); err != nil {
		return nil, err
	}
	v := out.Version.version()
	return &v, nil
}

// GetModelVersionByAlias returns the version an alias points at (GET registered-models/alias).
func (t *Tracking) GetModelVersionByAlias(ctx context.Context, name, alias string) (*tracking.ModelVersion, error) {
	var out struct {
		Version mVersion `json:"model_version"`
	}
	if err := t.mlflow(ctx, http.MethodGet, "registered-models/alias", map[string]string{"name": name, "alias": alias}, &out); err != nil {
		return nil, err
	}
	v := out.Version.version()
	return &v, nil
}

// SetRegisteredModelAlias points an alias at a version (POST registered-models/alias).
func (t *Tracking) SetRegisteredModelAlias(ctx context.Context, name, alias, version string) error {
	return t.mlflow(ctx, http.MethodPost, "registered-models/alias", map[string]string{"name": name, "alias": alias, "version": version}, nil)
}

// DeleteRegisteredModelAlias deletes an alias (DELETE registered-models/alias).
func (t *Tracking) DeleteRegisteredModelAlias(ctx context.Context, name, alias string) error {
	return t.mlflow(ctx, http.MethodDelete, "registered-models/alias", map[string]string{"name": name, "alias": alias}, nil)
}
