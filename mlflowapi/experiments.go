package mlflowapi

import (
	"net/http"

	"github.com/weirhq/weir/tracking"
)

func (a *API) createExperiment(r *http.Request) (any, error) {
	var req struct {
		Name             string `json:"name"`
		ArtifactLocation string `json:"artifact_location"`
		Tags             []wTag `json:"tags"`
	}
	if err := a.decode(r, &req); err != nil {
		return nil, err
	}
	if req.Name == "" {
		return nil, missing("name")
	}
	id, err := a.svc.CreateExperiment(r.Context(), tracking.CreateExperimentParams{
		Name: req.Name, ArtifactLocation: req.ArtifactLocation, Tags: fromWireTags(req.Tags),
	})
	if err != nil {
		return nil, err
	}
	return map[string]string{"experiment_id": id}, nil
}

func (a *API) getExperiment(r *http.Request) (any, error) {
	var req struct {
		ExperimentID string `json:"experiment_id"`
	}
	if err := a.decode(r, &req); err != nil {
		return nil, err
	}
	if req.ExperimentID == "" {
		return nil, missing("experiment_id")
	}
	e, err := a.svc.GetExperiment(r.Context(), req.ExperimentID)
	if err != nil {
		return nil, notFoundMsg(err, "No Experiment with id=%s exists", req.ExperimentID)
	}
	return map[string]any{"experiment": toWireExperiment(e)}, nil
}

// notFoundMsg replaces the message of a not-found error by MLflow's.
func notFoundMsg(err error, format string, args ...any) error {
	if isNotFound(err) {
		ae := invalidParam(format, args...).(*apiError)
		ae.status, ae.code = http.StatusNotFound, "RESOURCE_DOES_NOT_EXIST"
		return ae
	}
	return err
}

func (a *API) getExperimentByName(r *http.Request) (any, error) {
	var req struct {
		Name string `json:"experiment_name"`
	}
	if err := a.decode(r, &req); err != nil {
		return nil, err
	}
	if req.Name == "" {
		return nil, missing("experiment_name")
	}
	e, err := a.svc.GetExperimentByName(r.Context(), req.Name)
	if err != nil {
		return nil, notFoundMsg(err, "Could not find experiment with name '%s'", req.Name)
	}
	return map[string]any{"experiment": toWireExperiment(e)}, nil
}

type searchExperimentsRequest struct {
	MaxResults flexInt  `json:"max_results"`
	PageToken  string   `json:"page_token"`
	Filter     string   `json:"filter"`
	OrderBy    []string `json:"order_by"`
	ViewType   flexEnum `json:"view_type"`
}

func (a *API) searchExperiments(r *http.Request) (any, error) {
	var req searchExperimentsRequest
	if err := a.decode(r, &req); err != nil {
		return nil, err
	}
	return a.doSearchExperiments(r, req)
}

func (a *API) doSearchExperiments(r *http.Request, req searchExperimentsRequest) (any, error) {
	if req.MaxResults < 0 || req.MaxResults > tracking.MaxSearchResults {
		return nil, invalidParam("Invalid value %d for parameter 'max_results' supplied: it must be at most %d", req.MaxResults, tracking.MaxSearchResults)
	}
	view, err := viewType(string(req.ViewType), "view_type")
	if err != nil {
		return nil, err
	}
	page, err := a.svc.SearchExperiments(r.Context(), tracking.SearchExperimentsParams{
		Filter: req.Filter, OrderBy: req.OrderBy, ViewType: view, MaxResults: int(req.MaxResults), PageToken: req.PageToken,
	})
	if err != nil {
		return nil, err
	}
	out := struct {
		Experiments   []wExperiment `json:"experiments,omitempty"`
		NextPageToken string        `json:"next_page_token,omitempty"`
	}{NextPageToken: page.NextPageToken}
	for i := range page.Experiments {
		out.Experiments = append(out.Experiments, toWireExperiment(&page.Experiments[i]))
	}
	return out, nil
}

// listExperiments is the legacy experiments/list (removed in MLflow 2.0, still called by
// older clients): experiments/search without a filter.
func (a *API) listExperiments(r *http.Request) (any, error) {
	var req searchExperimentsRequest
	if err := a.decode(r, &req); err != nil {
		return nil, err
	}
	req.Filter, req.OrderBy = "", nil
	return a.doSearchExperiments(r, req)
}

// viewType returns the ViewType an enum value of parameter param names, by name or by its
// number in MLflow's ViewType enum (ACTIVE_ONLY = 1, DELETED_ONLY = 2, ALL = 3).
func viewType(s, param string) (tracking.ViewType, error) {
	switch tracking.ViewType(s) {
	case "", tracking.ActiveOnly:
		return tracking.ActiveOnly, nil
	case tracking.DeletedOnly, tracking.AllViews:
		return tracking.ViewType(s), nil
	}
	switch s { // protobuf enum numbers
	case "1":
		return tracking.ActiveOnly, nil
	case "2":
		return tracking.DeletedOnly, nil
	case "3":
		return tracking.AllViews, nil
	}
	return "", invalidParam("Invalid value '%s' for parameter '%s': want ACTIVE_ONLY, DELETED_ONLY or ALL (or their numbers 1-3)", s, param)
}

type experimentIDRequest struct {
	ExperimentID string `json:"experiment_id"`
	NewName      string `json:"new_name"`
	Key          string `json:"key"`
	Value        string `json:"value"`
}

func (a *API) experimentRequest(r *http.Request) (experimentIDRequest, error) {
	var req experimentIDRequest
	if err := a.decode(r, &req); err != nil {
		return req, err
	}
	if req.ExperimentID == "" {
		return req, missing("experiment_id")
	}
	return req, nil
}

func (a *API) updateExperiment(r *http.Request) (any, error) {
	req, err := a.experimentRequest(r)
	if err != nil {
		return nil, err
	}
	if req.NewName == "" {
		return nil, missing("new_name")
	}
	return nil, a.svc.RenameExperiment(r.Context(), req.ExperimentID, req.NewName)
}

func (a *API) deleteExperiment(r *http.Request) (any, error) {
	req, err := a.experimentRequest(r)
	if err != nil {
		return nil, err
	}
	return nil, a.svc.SetExperimentLifecycle(r.Context(), req.ExperimentID, tracking.StageDeleted)
}

func (a *API) restoreExperiment(r *http.Request) (any, error) {
	req, err := a.experimentRequest(r)
	if err != nil {
		return nil, err
	}
	return nil, a.svc.SetExperimentLifecycle(r.Context(), req.ExperimentID, tracking.StageActive)
}

func (a *API) setExperimentTag(r *http.Request) (any, error) {
	req, err := a.experimentRequest(r)
	if err != nil {
		return nil, err
	}
	if req.Key == "" {
		return nil, missing("key")
	}
	return nil, a.svc.SetExperimentTag(r.Context(), req.ExperimentID, tracking.Tag{Key: req.Key, Value: req.Value})
}

func (a *API) deleteExperimentTag(r *http.Request) (any, error) {
	req, err := a.experimentRequest(r)
	if err != nil {
		return nil, err
	}
	if req.Key == "" {
		return nil, missing("key")
	}
	return nil, a.svc.DeleteExperimentTag(r.Context(), req.ExperimentID, req.Key)
}
