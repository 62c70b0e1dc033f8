package client

import (
	"context"
	"encoding/json"
	"net/url"
	"strconv"
	"time"
)

// Monitor is a live monitor of a deployment (weir's own resource; package monitor/live).
type Monitor struct {
	Name string `json:"name"`
	// Endpoint is the deployment watched.
	Endpoint string `json:"endpoint"`
	// Spec is the monitor's definition (monitor/live.Spec) with every default filled in;
	// a webhook secret reads "***".
	Spec      json.RawMessage `json:"spec"`
	CreatedAt time.Time       `json:"created_at"`
	UpdatedAt time.Time       `json:"updated_at"`
	// LastRunAt is the latest evaluation's time, null before the first.
	LastRunAt *time.Time `json:"last_run_at"`
	// Drifting is the latest verdict.
	Drifting bool `json:"drifting"`
	// LastFiredAt is when the actions last fired, null if never.
	LastFiredAt *time.Time `json:"last_fired_at"`
}

// MonitorCollection is a page of monitors.
type MonitorCollection struct {
	Monitors     []Monitor `json:"monitors"`
	TotalEntries int       `json:"total_entries"`
}

// MonitorBody is PUT /monitors/{monitor_name}.
type MonitorBody struct {
	// Endpoint is the deployment to watch; required.
	Endpoint string `json:"endpoint"`
	// Spec is the definition (monitor/live.Spec); empty for every default. A secret of
	// "***" keeps the stored one.
	Spec json.RawMessage `json:"spec,omitempty"`
}

// MonitorResult is one evaluation of a monitor.
type MonitorResult struct {
	ID      int64     `json:"id"`
	Monitor string    `json:"monitor"`
	Time    time.Time `json:"time"`
	Drift   bool      `json:"drift"`
	Fired   bool      `json:"fired"`
	// Result is the evaluation's document (monitor/live.Result).
	Result json.RawMessage `json:"result"`
}

// MonitorResultCollection is a page of results, newest first.
type MonitorResultCollection struct {
	Results []MonitorResult `json:"results"`
}

// ListMonitors lists monitors by name.
func (c *Client) ListMonitors(ctx context.Context, o ListOptions) (*MonitorCollection, error) {
	return call[MonitorCollection](ctx, c, "GET", "/monitors", o.values(), nil)
}

// GetMonitor returns one monitor.
func (c *Client) GetMonitor(ctx context.Context, name string) (*Monitor, error) {
	return call[Monitor](ctx, c, "GET", path("monitors", name), nil, nil)
}

// PutMonitor creates or replaces a monitor.
func (c *Client) PutMonitor(ctx context.Context, name string, body MonitorBody) (*Monitor, error) {
	return call[Monitor](ctx, c, "PUT", path("monitors", name), nil, body)
}

// DeleteMonitor deletes a monitor and its results.
func (c *Client) DeleteMonitor(ctx context.Context, name string) error {
	return c.do(ctx, "DELETE", path("monitors", name), nil, nil, nil)
}

// ListMonitorResults returns a monitor's latest results, newest first (limit 0: the
// server's default, 100).
func (c *Client) ListMonitorResults(ctx context.Context, name string, limit int) (*MonitorResultCollection, error) {
	q := url.Values{}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	return call[MonitorResultCollection](ctx, c, "GET", path("monitors", name, "results"), q, nil)
}

// RunMonitor evaluates a monitor now and returns the stored result.
func (c *Client) RunMonitor(ctx context.Context, name string) (*MonitorResult, error) {
	return call[MonitorResult](ctx, c, "POST", path("monitors", name, "run"), nil, nil)
}

// MonitorPlot returns a monitor's plot as PNG: "history" or a feature's name.
func (c *Client) MonitorPlot(ctx context.Context, name, plot string) ([]byte, error) {
	return c.send(ctx, "GET", path("monitors", name, "plots", plot+".png"), nil, nil, "image/png")
}
