package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/weirhq/weir/api/client"
	"github.com/weirhq/weir/monitor/live"
	"github.com/weirhq/weir/store"
)

// MonitorRunner evaluates live monitors on request (the server's monitor/live.Runner).
type MonitorRunner interface {
	// Evaluate runs one monitor now and returns its stored result.
	Evaluate(ctx context.Context, name string) (*store.MonitorResult, error)
	// Forget drops a deleted monitor's metrics.
	Forget(name string)
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func monitorObject(m *store.Monitor) client.Monitor {
	out := client.Monitor{Name: m.Name, Endpoint: m.Endpoint, Spec: m.Spec, CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt,
		LastRunAt: timePtr(m.LastRunAt), Drifting: m.Drifting, LastFiredAt: timePtr(m.LastFiredAt)}
	if spec, err := live.ParseSpec(m.Spec); err == nil {
		if b, err := json.Marshal(spec.Redacted()); err == nil {
			out.Spec = b
		}
	}
	if len(out.Spec) == 0 {
		out.Spec = json.RawMessage(`{}`)
	}
	return out
}

func monitorResultObject(r *store.MonitorResult) client.MonitorResult {
	out := client.MonitorResult{ID: r.ID, Monitor: r.Monitor, Time: r.Time, Drift: r.Drift, Fired: r.Fired, Result: r.Result}
	if len(out.Result) == 0 {
		out.Result = json.RawMessage(`null`)
	}
	return out
}

func (a *API) listMonitors(w http.ResponseWriter, r *http.Request) error {
	limit, offset, err := query(r.URL.Query()).page()
	if err != nil {
		return err
	}
	ms, err := a.cfg.Store.ListMonitors(r.Context())
	if err != nil {
		return err
	}
	out := client.MonitorCollection{Monitors: []client.Monitor{}, TotalEntries: len(ms)}
	for _, m := range paginate(ms, limit, offset) {
		out.Monitors = append(out.Monitors, monitorObject(m))
	}
	return writeJSON(w, http.StatusOK, out)
}

func (a *API) monitor(ctx context.Context, name string) (*store.Monitor, error) {
	m, err := a.cfg.Store.GetMonitor(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("no monitor %q: create it with PUT /api/v1/monitors/%s or weir monitors create", name, name)
	}
	return m, err
}

func (a *API) getMonitor(w http.ResponseWriter, r *http.Request) error {
	m, err := a.monitor(r.Context(), r.PathValue("monitor_name"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, monitorObject(m))
}

func (a *API) putMonitor(w http.ResponseWriter, r *http.Request) error {
	var body client.MonitorBody
	if err := decodeBody(r, &body, true); err != nil {
		return err
	}
	name := r.PathValue("monitor_name")
	if body.Endpoint == "" {
		return badField("endpoint", "required: the deployment to watch")
	}
	spec, err := live.ParseSpec(body.Spec)
	if err != nil {
		return badField("spec", "%v", strings.TrimPrefix(err.Error(), "monitor spec: "))
	}
	if spec.Secret == "***" { // the redacted secret read back: keep the stored one
		spec.Secret = ""
		if old, err := a.cfg.Store.GetMonitor(r.Context(), name); err == nil {
			if o, err := live.ParseSpec(old.Spec); err == nil {
				spec.Secret = o.Secret
			}
		}
	}
	raw, err := json.Marshal(spec)
	if err != nil {
		return err
	}
	m := &store.Monitor{Name: name, Endpoint: body.Endpoint, Spec: raw}
	if err := m.Check(); err != nil {
		return badField("monitor_name", "%v", err)
	}
	if err := a.cfg.Store.PutMonitor(r.Context(), m); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, monitorObject(m))
}

func (a *API) deleteMonitor(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("monitor_name")
	err := a.cfg.Store.DeleteMonitor(r.Context(), name)
	if errors.Is(err, store.ErrNotFound) {
		return notFound("no monitor %q", name)
	}
	if err != nil {
		return err
	}
	if a.cfg.Monitors != nil {
		a.cfg.Monitors.Forget(name)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) listMonitorResults(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("monitor_name")
	if _, err := a.monitor(r.Context(), name); err != nil {
		return err
	}
	limit, err := query(r.URL.Query()).int("limit", 100, 1)
	if err != nil {
		return err
	}
	rs, err := a.cfg.Store.ListMonitorResults(r.Context(), store.MonitorResultFilter{Monitor: name, Limit: min(limit, 10000)})
	if err != nil {
		return err
	}
	out := client.MonitorResultCollection{Results: []client.MonitorResult{}}
	for _, res := range rs {
		out.Results = append(out.Results, monitorResultObject(res))
	}
	return writeJSON(w, http.StatusOK, out)
}

func (a *API) runMonitor(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("monitor_name")
	if a.cfg.Monitors == nil {
		return &apiError{status: http.StatusServiceUnavailable, code: client.CodeInternal,
			msg: "this server runs no monitors: run the monitor with weir monitors run " + name + " against the store instead"}
	}
	if _, err := a.monitor(r.Context(), name); err != nil {
		return err
	}
	res, err := a.cfg.Monitors.Evaluate(r.Context(), name)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, monitorResultObject(res))
}

func (a *API) getMonitorPlot(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("monitor_name")
	plot, ok := strings.CutSuffix(r.PathValue("plot"), ".png")
	if !ok {
		return badField("plot", "want history.png or FEATURE.png, got %q", r.PathValue("plot"))
	}
	if _, err := a.monitor(r.Context(), name); err != nil {
		return err
	}
	b, err := live.Plot(r.Context(), a.cfg.Store, name, plot)
	if errors.Is(err, live.ErrNoPlot) {
		return notFound("%v", err)
	}
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "no-store")
	_, err = w.Write(b)
	return err
}
