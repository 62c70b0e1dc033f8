package mlflowapi

import (
	"net/http"
	"path"
	"strings"

	"github.com/weirhq/weir/tracking"
)

// MLflow 3's logged models (service.proto: createLoggedModel … logOutputs), the calls an
// MLflow 3 client's log_model makes: create the model (PENDING), upload its files to its
// artifact location through the artifact proxy, name it as the run's output, finalize it
// (READY).

type wLoggedModelInfo struct {
	ModelID                string `json:"model_id"`
	ExperimentID           string `json:"experiment_id"`
	Name                   string `json:"name"`
	CreationTimestampMs    int64  `json:"creation_timestamp_ms"`
	LastUpdatedTimestampMs int64  `json:"last_updated_timestamp_ms"`
	ArtifactURI            string `json:"artifact_uri"`
	Status                 string `json:"status"`
	ModelType              string `json:"model_type,omitempty"`
	SourceRunID            string `json:"source_run_id,omitempty"`
	StatusMessage          string `json:"status_message,omitempty"`
	Tags                   []wTag `json:"tags,omitempty"`
}

type wLoggedModelData struct {
	Params  []wTag    `json:"params,omitempty"`
	Metrics []wMetric `json:"metrics,omitempty"`
}

type wLoggedModel struct {
	Info wLoggedModelInfo `json:"info"`
	Data wLoggedModelData `json:"data"`
}

type wModelOutput struct {
	ModelID string  `json:"model_id"`
	Step    flexInt `json:"step"`
}

func toWireLoggedModel(m *tracking.LoggedModel) wLoggedModel {
	w := wLoggedModel{Info: wLoggedModelInfo{
		ModelID: m.ID, ExperimentID: m.ExperimentID, Name: m.Name, CreationTimestampMs: m.CreationTime,
		LastUpdatedTimestampMs: m.LastUpdatedTime, ArtifactURI: m.ArtifactLocation, Status: string(m.Status),
		ModelType: m.ModelType, SourceRunID: m.SourceRunID, StatusMessage: m.StatusMessage, Tags: toWireTags(m.Tags),
	}}
	for _, p := range m.Params {
		w.Data.Params = append(w.Data.Params, wTag(p))
	}
	return w
}

func loggedModelResponse(m *tracking.LoggedModel, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	return map[string]any{"model": toWireLoggedModel(m)}, nil
}

func fromWireParams(ps []wTag) []tracking.Param {
	out := make([]tracking.Param, len(ps))
	for i, p := range ps {
		out[i] = tracking.Param(p)
	}
	return out
}

// loggedModelRequest is the union of the logged-model endpoints' parameters.
type loggedModelRequest struct {
	ExperimentID  string   `json:"experiment_id"`
	ExperimentIDs []string `json:"experiment_ids"`
	Name          string   `json:"name"`
	ModelType     string   `json:"model_type"`
	SourceRunID   string   `json:"source_run_id"`
	Params        []wTag   `json:"params"`
	Tags          []wTag   `json:"tags"`
	Status        flexEnum `json:"status"`
	Filter        string   `json:"filter"`
	MaxResults    flexInt  `json:"max_results"`
	PageToken     string   `json:"page_token"`
	OrderBy       []struct {
		FieldName string `json:"field_name"`
		Ascending *bool  `json:"ascending"`
	} `json:"order_by"`
	ArtifactDirectoryPath string `json:"artifact_directory_path"`
	ArtifactFilePath      string `json:"artifact_file_path"`
}

// modelID returns the {model_id} of the URL.
func modelID(r *http.Request) (string, error) {
	id := r.PathValue("model_id")
	if id == "" {
		return "", missing("model_id")
	}
	return id, nil
}

func loggedModelNotFound(err error, id string) error {
	return notFoundMsg(err, "Logged model with ID '%s' not found.", id)
}

// createLoggedModel is POST logged-models.
func (a *API) createLoggedModel(r *http.Request) (any, error) {
	var req loggedModelRequest
	if err := a.decode(r, &req); err != nil {
		return nil, err
	}
	if req.ExperimentID == "" {
		return nil, missing("experiment_id")
	}
	return loggedModelResponse(a.svc.CreateLoggedModel(r.Context(), tracking.CreateLoggedModelParams{
		ExperimentID: req.ExperimentID, Name: req.Name, ModelType: req.ModelType, SourceRunID: req.SourceRunID,
		Tags: fromWireTags(req.Tags), Params: fromWireParams(req.Params),
	}))
}

// loggedModel is logged-models/{model_id}: GET gets, PATCH finalizes, DELETE deletes.
func (a *API) loggedModel(r *http.Request) (any, error) {
	id, err := modelID(r)
	if err != nil {
		return nil, err
	}
	var req loggedModelRequest
	if err := a.decode(r, &req); err != nil {
		return nil, err
	}
	switch r.Method {
	case http.MethodPatch:
		if req.Status == "" {
			return nil, missing("status")
		}
		st, err := tracking.ParseLoggedModelStatus(string(req.Status))
		if err != nil {
			return nil, err
		}
		m, err := a.svc.FinalizeLoggedModel(r.Context(), id, st)
		return loggedModelResponse(m, loggedModelNotFound(err, id))
	case http.MethodDelete:
		return nil, loggedModelNotFound(a.svc.DeleteLoggedModel(r.Context(), id), id)
	default:
		m, err := a.svc.GetLoggedModel(r.Context(), id)
		return loggedModelResponse(m, loggedModelNotFound(err, id))
	}
}

// searchLoggedModels is POST logged-models/search.
func (a *API) searchLoggedModels(r *http.Request) (any, error) {
	var req loggedModelRequest
	if err := a.decode(r, &req); err != nil {
		return nil, err
	}
	if req.MaxResults < 0 || req.MaxResults > tracking.MaxSearchResults {
		return nil, invalidParam("Invalid value %d for parameter 'max_results': it must be at most %d", req.MaxResults, tracking.MaxSearchResults)
	}
	if len(req.ExperimentIDs) == 0 {
		return nil, missing("experiment_ids")
	}
	p := tracking.SearchLoggedModelsParams{ExperimentIDs: req.ExperimentIDs, Filter: req.Filter, MaxResults: int(req.MaxResults), PageToken: req.PageToken}
	for _, o := range req.OrderBy {
		if o.FieldName == "" {
			return nil, missing("order_by.field_name")
		}
		// MLflow's OrderBy.ascending defaults to true.
		p.OrderBy = append(p.OrderBy, tracking.LoggedModelOrder{Field: o.FieldName, Ascending: o.Ascending == nil || *o.Ascending})
	}
	page, err := a.svc.SearchLoggedModels(r.Context(), p)
	if err != nil {
		return nil, err
	}
	out := struct {
		Models        []wLoggedModel `json:"models,omitempty"`
		NextPageToken string         `json:"next_page_token,omitempty"`
	}{NextPageToken: page.NextPageToken}
	for i := range page.Models {
		out.Models = append(out.Models, toWireLoggedModel(&page.Models[i]))
	}
	return out, nil
}

// setLoggedModelTags is PATCH logged-models/{model_id}/tags.
func (a *API) setLoggedModelTags(r *http.Request) (any, error) {
	id, err := modelID(r)
	if err != nil {
		return nil, err
	}
	var req loggedModelRequest
	if err := a.decode(r, &req); err != nil {
		return nil, err
	}
	return nil, loggedModelNotFound(a.svc.SetLoggedModelTags(r.Context(), id, fromWireTags(req.Tags)), id)
}

// deleteLoggedModelTag is DELETE logged-models/{model_id}/tags/{tag_key}.
func (a *API) deleteLoggedModelTag(r *http.Request) (any, error) {
	id, err := modelID(r)
	if err != nil {
		return nil, err
	}
	return nil, a.svc.DeleteLoggedModelTag(r.Context(), id, r.PathValue("tag_key"))
}

// logLoggedModelParams is POST logged-models/{model_id}/params.
func (a *API) logLoggedModelParams(r *http.Request) (any, error) {
	id, err := modelID(r)
	if err != nil {
		return nil, err
	}
	var req loggedModelRequest
	if err := a.decode(r, &req); err != nil {
		return nil, err
	}
	return nil, loggedModelNotFound(a.svc.LogLoggedModelParams(r.Context(), id, fromWireParams(req.Params)), id)
}

// logOutputs is POST runs/outputs: the logged models a run produced.
func (a *API) logOutputs(r *http.Request) (any, error) {
	var req struct {
		RunID  string         `json:"run_id"`
		Models []wModelOutput `json:"models"`
	}
	if err := a.decode(r, &req); err != nil {
		return nil, err
	}
	if req.RunID == "" {
		return nil, missing("run_id")
	}
	outs := make([]tracking.ModelOutput, len(req.Models))
	for i, m := range req.Models {
		if m.ModelID == "" {
			return nil, missing("models.model_id")
		}
		outs[i] = tracking.ModelOutput{ModelID: m.ModelID, Step: int64(m.Step)}
	}
	return nil, runNotFound(a.svc.LogOutputs(r.Context(), req.RunID, outs), req.RunID)
}

// loggedModelRoot returns a logged model and the artifact store path of its files.
func (a *API) loggedModelRoot(r *http.Request) (*tracking.LoggedModel, string, error) {
	id, err := modelID(r)
	if err != nil {
		return nil, "", err
	}
	m, err := a.svc.GetLoggedModel(r.Context(), id)
	if err != nil {
		return nil, "", loggedModelNotFound(err, id)
	}
	root, ok := proxiedPath(m.ArtifactLocation)
	if !ok {
		return nil, "", invalidParam("the files of logged model %s are at %s, which this server does not serve", id, m.ArtifactLocation)
	}
	return m, root, nil
}

// listLoggedModelArtifacts is GET logged-models/{model_id}/artifacts/directories: the files
// directly under artifact_directory_path among the model's, with paths relative to its root.
func (a *API) listLoggedModelArtifacts(r *http.Request) (any, error) {
	m, root, err := a.loggedModelRoot(r)
	if err != nil {
		return nil, err
	}
	var req loggedModelRequest
	if err := a.decode(r, &req); err != nil {
		return nil, err
	}
	sub, err := tracking.CleanArtifactPath(req.ArtifactDirectoryPath)
	if err != nil {
		return nil, err
	}
	files, err := a.art.List(r.Context(), path.Join(root, sub))
	if err != nil {
		return nil, err
	}
	out := struct {
		RootURI string      `json:"root_uri"`
		Files   []wFileInfo `json:"files,omitempty"`
	}{RootURI: m.ArtifactLocation}
	for _, f := range files {
		out.Files = append(out.Files, fileInfo(strings.TrimPrefix(f.Path, root+"/"), f))
	}
	return out, nil
}

// getLoggedModelArtifact is GET logged-models/{model_id}/artifacts/files: the content of
// the model's file artifact_file_path.
func (a *API) getLoggedModelArtifact(w http.ResponseWriter, r *http.Request) {
	_, root, err := a.loggedModelRoot(r)
	if err == nil {
		var p string
		if p, err = tracking.CleanArtifactPath(r.URL.Query().Get("artifact_file_path")); err == nil {
			if p == "" {
				err = missing("artifact_file_path")
			} else {
				a.sendArtifact(w, r, path.Join(root, p))
				return
			}
		}
	}
	a.writeErr(w, r, err)
}
