package api

import (
	"errors"
	"net/http"

	"github.com/weirhq/weir/api/client"
	"github.com/weirhq/weir/predlog"
	"github.com/weirhq/weir/store"
)

func deploymentObject(d *store.Deployment) client.Deployment {
	return client.Deployment{Name: d.Name, Model: d.Model, Canary: d.Canary, CanaryWeight: d.CanaryWeight,
		Shadow: d.Shadow, Description: d.Description, CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt}
}

func (a *API) listDeployments(w http.ResponseWriter, r *http.Request) error {
	limit, offset, err := query(r.URL.Query()).page()
	if err != nil {
		return err
	}
	ds, err := a.cfg.Store.ListDeployments(r.Context())
	if err != nil {
		return err
	}
	out := client.DeploymentCollection{Deployments: []client.Deployment{}, TotalEntries: len(ds)}
	for _, d := range paginate(ds, limit, offset) {
		out.Deployments = append(out.Deployments, deploymentObject(d))
	}
	return writeJSON(w, http.StatusOK, out)
}

func (a *API) getDeployment(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("deployment_name")
	d, err := a.cfg.Store.GetDeployment(r.Context(), name)
	if errors.Is(err, store.ErrNotFound) {
		return notFound("no deployment %q: create it with PUT /api/v1/deployments/%s or weir deploy", name, name)
	}
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, deploymentObject(d))
}

func (a *API) putDeployment(w http.ResponseWriter, r *http.Request) error {
	var body client.DeploymentBody
	if err := decodeBody(r, &body, true); err != nil {
		return err
	}
	d := &store.Deployment{Name: r.PathValue("deployment_name"), Model: body.Model, Canary: body.Canary,
		CanaryWeight: body.CanaryWeight, Shadow: body.Shadow, Description: body.Description}
	switch {
	case body.Model == "":
		return badField("model", "required: a model reference such as models:/NAME@champion")
	case body.CanaryWeight < 0 || body.CanaryWeight > 100:
		return badField("canary_weight", "want a percentage from 0 to 100, got %d", body.CanaryWeight)
	case body.CanaryWeight > 0 && body.Canary == "":
		return badField("canary", "required with a canary_weight: the canary's model reference")
	}
	if err := d.Check(); err != nil {
		return badField("deployment_name", "%v", err)
	}
	if err := a.cfg.Store.PutDeployment(r.Context(), d); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, deploymentObject(d))
}

func (a *API) deleteDeployment(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("deployment_name")
	err := a.cfg.Store.DeleteDeployment(r.Context(), name)
	if errors.Is(err, store.ErrNotFound) {
		return notFound("no deployment %q", name)
	}
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) compareDeployment(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("deployment_name")
	since, err := query(r.URL.Query()).time("since")
	if err != nil {
		return err
	}
	if _, err := a.cfg.Store.GetDeployment(r.Context(), name); errors.Is(err, store.ErrNotFound) {
		return notFound("no deployment %q (see GET /api/v1/deployments)", name)
	} else if err != nil {
		return err
	}
	vs, err := predlog.Compare(r.Context(), a.cfg.Store, name, since)
	if err != nil {
		return err
	}
	out := client.DeploymentComparison{Deployment: name, Versions: []client.VersionStats{}}
	for _, v := range vs {
		out.Versions = append(out.Versions, client.VersionStats(v))
	}
	return writeJSON(w, http.StatusOK, out)
}
