package mlflowapi

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/weirhq/weir/tracking"
)

// modelRequest is the union of the registry endpoints' parameters.
type modelRequest struct {
	Name                    string   `json:"name"`
	NewName                 string   `json:"new_name"`
	Description             *string  `json:"description"`
	Tags                    []wTag   `json:"tags"`
	Key                     string   `json:"key"`
	Value                   string   `json:"value"`
	Alias                   string   `json:"alias"`
	Version                 string   `json:"version"`
	Stages                  []string `json:"stages"`
	Stage                   string   `json:"stage"`
	ArchiveExistingVersions bool     `json:"archive_existing_versions"`
	Source                  string   `json:"source"`
	ModelID                 string   `json:"model_id"`
	RunID                   string   `json:"run_id"`
	RunLink                 string   `json:"run_link"`
	Filter                  string   `json:"filter"`
	MaxResults              flexInt  `json:"max_results"`
	OrderBy                 []string `json:"order_by"`
	PageToken               string   `json:"page_token"`
}

// decodeModel decodes a registry request and checks the parameters required names.
func (a *API) decodeModel(r *http.Request, required ...string) (*modelRequest, error) {
	var req modelRequest
	if err := a.decode(r, &req); err != nil {
		return nil, err
	}
	for _, name := range required {
		var v string
		switch name {
		case "name":
			v = req.Name
		case "new_name":
			v = req.NewName
		case "key":
			v = req.Key
		case "alias":
			v = req.Alias
		case "version":
			v = req.Version
		case "stage":
			v = req.Stage
		case "source":
			v = req.Source
		}
		if v == "" {
			return nil, missing(name)
		}
	}
	return &req, nil
}

func modelResponse(m *tracking.RegisteredModel, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	return map[string]any{"registered_model": toWireModel(m)}, nil
}

func versionResponse(v *tracking.ModelVersion, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	return map[string]any{"model_version": toWireVersion(v)}, nil
}

func (a *API) createModel(r *http.Request) (any, error) {
	req, err := a.decodeModel(r, "name")
	if err != nil {
		return nil, err
	}
	desc := ""
	if req.Description != nil {
		desc = *req.Description
	}
	m, err := a.svc.CreateRegisteredModel(r.Context(), tracking.CreateRegisteredModelParams{
		Name: req.Name, Description: desc, Tags: fromWireTags(req.Tags),
	})
	if err == nil {
		a.notify(r.Context(), tracking.EventRegisteredModelCreated, map[string]any{
			"name": m.Name, "tags": tagMap(req.Tags), "description": nilIfEmpty(desc)})
	}
	return modelResponse(m, err)
}

// nilIfEmpty is s, or nil (JSON null) when empty, as MLflow's payloads write unset fields.
func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func (a *API) getModel(r *http.Request) (any, error) {
	req, err := a.decodeModel(r, "name")
	if err != nil {
		return nil, err
	}
	return modelResponse(a.svc.GetRegisteredModel(r.Context(), req.Name))
}

func (a *API) renameModel(r *http.Request) (any, error) {
	req, err := a.decodeModel(r, "name", "new_name")
	if err != nil {
		return nil, err
	}
	return modelResponse(a.svc.RenameRegisteredModel(r.Context(), req.Name, req.NewName))
}

func (a *API) updateModel(r *http.Request) (any, error) {
	req, err := a.decodeModel(r, "name")
	if err != nil {
		return nil, err
	}
	if req.Description == nil {
		return modelResponse(a.svc.GetRegisteredModel(r.Context(), req.Name))
	}
	return modelResponse(a.svc.UpdateRegisteredModel(r.Context(), req.Name, *req.Description))
}

func (a *API) deleteModel(r *http.Request) (any, error) {
	req, err := a.decodeModel(r, "name")
	if err != nil {
		return nil, err
	}
	return nil, a.svc.DeleteRegisteredModel(r.Context(), req.Name)
}

func (a *API) searchParams(req *modelRequest) (tracking.SearchRegistryParams, error) {
	if req.MaxResults < 0 || req.MaxResults > 1000 {
		return tracking.SearchRegistryParams{}, invalidParam("Invalid value for max_results: it must be between 1 and 1000, got %d", req.MaxResults)
	}
	return tracking.SearchRegistryParams{Filter: req.Filter, OrderBy: req.OrderBy, MaxResults: int(req.MaxResults), PageToken: req.PageToken}, nil
}

func (a *API) searchModels(r *http.Request) (any, error) {
	req, err := a.decodeModel(r)
	if err != nil {
		return nil, err
	}
	p, err := a.searchParams(req)
	if err != nil {
		return nil, err
	}
	page, err := a.svc.SearchRegisteredModels(r.Context(), p)
	if err != nil {
		return nil, err
	}
	out := struct {
		RegisteredModels []wModel `json:"registered_models,omitempty"`
		NextPageToken    string   `json:"next_page_token,omitempty"`
	}{NextPageToken: page.NextPageToken}
	for i := range page.RegisteredModels {
		out.RegisteredModels = append(out.RegisteredModels, toWireModel(&page.RegisteredModels[i]))
	}
	return out, nil
}

func (a *API) getLatestVersions(r *http.Request) (any, error) {
	req, err := a.decodeModel(r, "name")
	if err != nil {
		return nil, err
	}
	vs, err := a.svc.GetLatestVersions(r.Context(), req.Name, req.Stages)
	if err != nil {
		return nil, err
	}
	out := struct {
		ModelVersions []wModelVersion `json:"model_versions,omitempty"`
	}{}
	for i := range vs {
		out.ModelVersions = append(out.ModelVersions, toWireVersion(&vs[i]))
	}
	return out, nil
}

func (a *API) setModelTag(r *http.Request) (any, error) {
	req, err := a.decodeModel(r, "name", "key")
	if err != nil {
		return nil, err
	}
	return nil, a.svc.SetRegisteredModelTag(r.Context(), req.Name, tracking.Tag{Key: req.Key, Value: req.Value})
}

func (a *API) deleteModelTag(r *http.Request) (any, error) {
	req, err := a.decodeModel(r, "name", "key")
	if err != nil {
		return nil, err
	}
	return nil, a.svc.DeleteRegisteredModelTag(r.Context(), req.Name, req.Key)
}

// alias is registered-models/alias: POST sets, DELETE deletes, GET resolves.
func (a *API) alias(r *http.Request) (any, error) {
	switch r.Method {
	case http.MethodGet:
		return a.getByAlias(r)
	case http.MethodDelete:
		req, err := a.decodeModel(r, "name", "alias")
		if err != nil {
			return nil, err
		}
		if err := a.svc.DeleteRegisteredModelAlias(r.Context(), req.Name, req.Alias); err != nil {
			return nil, err
		}
		a.notify(r.Context(), tracking.EventModelVersionAliasDeleted, map[string]any{"name": req.Name, "alias": req.Alias})
		return nil, nil
	default:
		req, err := a.decodeModel(r, "name", "alias", "version")
		if err != nil {
			return nil, err
		}
		if err := a.svc.SetRegisteredModelAlias(r.Context(), req.Name, req.Alias, req.Version); err != nil {
			return nil, err
		}
		a.notify(r.Context(), tracking.EventModelVersionAliasCreated, map[string]any{"name": req.Name, "alias": req.Alias, "version": req.Version})
		return nil, nil
	}
}

func (a *API) getByAlias(r *http.Request) (any, error) {
	req, err := a.decodeModel(r, "name", "alias")
	if err != nil {
		return nil, err
	}
	return versionResponse(a.svc.GetModelVersionByAlias(r.Context(), req.Name, req.Alias))
}

// createVersion is model-versions/create. A version made of an MLflow 3 logged model
// (model_id) is recorded on the model too, in its tag mlflow.modelVersions (a JSON list of
// {name, version}), as MLflow's handler does (set_model_versions_tags).
func (a *API) createVersion(r *http.Request) (any, error) {
	req, err := a.decodeModel(r, "name", "source")
	if err != nil {
		return nil, err
	}
	desc := ""
	if req.Description != nil {
		desc = *req.Description
	}
	var logged *tracking.LoggedModel
	if req.ModelID != "" {
		if logged, err = a.svc.GetLoggedModel(r.Context(), req.ModelID); err != nil {
			return nil, loggedModelNotFound(err, req.ModelID)
		}
	}
	v, err := a.svc.CreateModelVersion(r.Context(), tracking.CreateModelVersionParams{
		Name: req.Name, Source: req.Source, RunID: req.RunID, RunLink: req.RunLink, Description: desc, Tags: fromWireTags(req.Tags),
	})
	if err == nil {
		a.notify(r.Context(), tracking.EventModelVersionCreated, map[string]any{
			"name": v.Name, "version": v.Version, "source": req.Source, "run_id": nilIfEmpty(req.RunID),
			"tags": tagMap(req.Tags), "description": nilIfEmpty(desc)})
	}
	if err != nil || logged == nil {
		return versionResponse(v, err)
	}
	type registration struct {
		Name    string `json:"name"`
		Version string `json:"version"`
	}
	var regs []registration
	for _, t := range logged.Tags {
		if t.Key == tagModelVersions {
			_ = json.Unmarshal([]byte(t.Value), &regs)
		}
	}
	b, _ := json.Marshal(append(regs, registration{v.Name, v.Version}))
	if err := a.svc.SetLoggedModelTags(r.Context(), logged.ID, []tracking.Tag{{Key: tagModelVersions, Value: string(b)}}); err != nil {
		return nil, err
	}
	w := toWireVersion(v)
	w.ModelID = logged.ID
	return map[string]any{"model_version": w}, nil
}

// tagModelVersions is the logged-model tag listing the registry versions made of it.
const tagModelVersions = "mlflow.modelVersions"

func (a *API) getVersion(r *http.Request) (any, error) {
	req, err := a.decodeModel(r, "name", "version")
	if err != nil {
		return nil, err
	}
	return versionResponse(a.svc.GetModelVersion(r.Context(), req.Name, req.Version))
}

func (a *API) updateVersion(r *http.Request) (any, error) {
	req, err := a.decodeModel(r, "name", "version")
	if err != nil {
		return nil, err
	}
	if req.Description == nil {
		return versionResponse(a.svc.GetModelVersion(r.Context(), req.Name, req.Version))
	}
	return versionResponse(a.svc.UpdateModelVersion(r.Context(), req.Name, req.Version, *req.Description))
}

func (a *API) deleteVersion(r *http.Request) (any, error) {
	req, err := a.decodeModel(r, "name", "version")
	if err != nil {
		return nil, err
	}
	return nil, a.svc.DeleteModelVersion(r.Context(), req.Name, req.Version)
}

func (a *API) searchVersions(r *http.Request) (any, error) {
	req, err := a.decodeModel(r)
	if err != nil {
		return nil, err
	}
	p, err := a.searchParams(req)
	if err != nil {
		return nil, err
	}
	page, err := a.svc.SearchModelVersions(r.Context(), p)
	if err != nil {
		return nil, err
	}
	out := struct {
		ModelVersions []wModelVersion `json:"model_versions,omitempty"`
		NextPageToken string          `json:"next_page_token,omitempty"`
	}{NextPageToken: page.NextPageToken}
	for i := range page.ModelVersions {
		out.ModelVersions = append(out.ModelVersions, toWireVersion(&page.ModelVersions[i]))
	}
	return out, nil
}

func (a *API) transitionStage(r *http.Request) (any, error) {
	req, err := a.decodeModel(r, "name", "version", "stage")
	if err != nil {
		return nil, err
	}
	return versionResponse(a.svc.TransitionModelVersionStage(r.Context(), req.Name, req.Version, req.Stage, req.ArchiveExistingVersions))
}

// getDownloadURI returns where a version's files are: its source, with a runs:/RUN/PATH
// source resolved against the run's artifact URI.
func (a *API) getDownloadURI(r *http.Request) (any, error) {
	req, err := a.decodeModel(r, "name", "version")
	if err != nil {
		return nil, err
	}
	v, err := a.svc.GetModelVersion(r.Context(), req.Name, req.Version)
	if err != nil {
		return nil, err
	}
	uri := v.Source
	if id, ok := strings.CutPrefix(uri, "models:/m-"); ok && !strings.Contains(id, "/") {
		// An MLflow 3 logged model: its files are at its artifact location.
		m, err := a.svc.GetLoggedModel(r.Context(), "m-"+id)
		if err != nil {
			return nil, err
		}
		uri = m.ArtifactLocation
	} else if rest, ok := strings.CutPrefix(uri, "runs:/"); ok {
		runID, sub, _ := strings.Cut(rest, "/")
		run, err := a.svc.GetRun(r.Context(), runID)
		if err != nil {
			return nil, err
		}
		uri = strings.TrimSuffix(run.Info.ArtifactURI+"/"+sub, "/")
	}
	return map[string]string{"artifact_uri": uri}, nil
}

func (a *API) setVersionTag(r *http.Request) (any, error) {
	req, err := a.decodeModel(r, "name", "version", "key")
	if err != nil {
		return nil, err
	}
	if err := a.svc.SetModelVersionTag(r.Context(), req.Name, req.Version, tracking.Tag{Key: req.Key, Value: req.Value}); err != nil {
		return nil, err
	}
	a.notify(r.Context(), tracking.EventModelVersionTagSet, map[string]any{"name": req.Name, "version": req.Version, "key": req.Key, "value": req.Value})
	return nil, nil
}

func (a *API) deleteVersionTag(r *http.Request) (any, error) {
	req, err := a.decodeModel(r, "name", "version", "key")
	if err != nil {
		return nil, err
	}
	if err := a.svc.DeleteModelVersionTag(r.Context(), req.Name, req.Version, req.Key); err != nil {
		return nil, err
	}
	a.notify(r.Context(), tracking.EventModelVersionTagDeleted, map[string]any{"name": req.Name, "version": req.Version, "key": req.Key})
	return nil, nil
}
