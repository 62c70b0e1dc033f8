// Package client is a Go client of weir's REST API (api/openapi.yaml), the one the CLI uses
// when it talks to a server (--server URL). Its types are the API's JSON objects; the server
// (package api) answers with them.
//
// Every method takes a context and returns the decoded answer, or an error: an *Error (with
// the API's machine code, message and field) for any answer that is not a 2xx, another error
// when the server could not be reached or answered something that is not the API.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Client talks to one weir server. It is safe for concurrent use.
type Client struct {
	base string // …/api/v1
	root string // the server's root URL, for the MLflow API
	hc   *http.Client
}

// New returns a client of the server at baseURL ("http://127.0.0.1:8080"; a trailing /api/v1
// is accepted). hc is the HTTP client to use; nil means http.DefaultClient.
func New(baseURL string, hc *http.Client) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	if err != nil {
		return nil, fmt.Errorf("server URL %q: %w", baseURL, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("server URL %q: want http://host:port or https://host:port", baseURL)
	}
	if hc == nil {
		hc = http.DefaultClient
	}
	base := strings.TrimSuffix(u.String(), "/api/v1")
	return &Client{base: base + "/api/v1", root: base, hc: hc}, nil
}

// IsCode reports whether err is an API error with the given code (CodeNotFound …).
func IsCode(err error, code string) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == code
}

// path joins escaped path segments.
func path(segments ...string) string {
	var b strings.Builder
	for _, s := range segments {
		b.WriteByte('/')
		b.WriteString(url.PathEscape(s))
	}
	return b.String()
}

// do sends a request and decodes a JSON answer into out (nil: discard it). body, when not
// nil, is sent as JSON.
func (c *Client) do(ctx context.Context, method, p string, q url.Values, body, out any) error {
	raw, err := c.send(ctx, method, p, q, body, "application/json")
	if err != nil || out == nil {
		return err
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("%s %s: decode the answer: %w", method, p, err)
	}
	return nil
}

// call sends a request and returns its decoded JSON answer.
func call[T any](ctx context.Context, c *Client, method, p string, q url.Values, body any) (*T, error) {
	var out T
	if err := c.do(ctx, method, p, q, body, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// send sends a request and returns the body of a 2xx answer.
func (c *Client) send(ctx context.Context, method, p string, q url.Values, body any, accept string) ([]byte, error) {
	u := c.base + p
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("%s %s: encode the request: %w", method, p, err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", accept)
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: read the answer: %w", method, p, err)
	}
	if resp.StatusCode/100 == 2 {
		return raw, nil
	}
	e := &Error{}
	if json.Unmarshal(raw, e) != nil || e.Status == 0 {
		e = &Error{Status: resp.StatusCode, Title: http.StatusText(resp.StatusCode),
			Detail: fmt.Sprintf("%s %s: %s: %s", method, p, resp.Status, strings.TrimSpace(string(raw)))}
	}
	return nil, e
}

// ListOptions select a page of a listing. Zero values take the server's defaults (limit 100,
// offset 0).
type ListOptions struct {
	Limit, Offset int
}

func (o ListOptions) values() url.Values {
	q := url.Values{}
	if o.Limit > 0 {
		q.Set("limit", strconv.Itoa(o.Limit))
	}
	if o.Offset > 0 {
		q.Set("offset", strconv.Itoa(o.Offset))
	}
	return q
}

// Health returns the server's health report.
func (c *Client) Health(ctx context.Context) (*HealthInfo, error) {
	return call[HealthInfo](ctx, c, "GET", "/health", nil, nil)
}

// Version returns the server's version.
func (c *Client) Version(ctx context.Context) (*VersionInfo, error) {
	return call[VersionInfo](ctx, c, "GET", "/version", nil, nil)
}

// ListDAGsOptions filter ListDAGs.
type ListDAGsOptions struct {
	ListOptions
	// Tags keeps DAGs with any of these tags.
	Tags []string
	// Paused, when set, keeps only paused (true) or unpaused (false) DAGs.
	Paused *bool
	// All also lists DAGs whose files are gone.
	All bool
	// Pattern keeps DAGs whose ID contains it.
	Pattern string
}

// ListDAGs lists DAGs by ID.
func (c *Client) ListDAGs(ctx context.Context, o ListDAGsOptions) (*DAGCollection, error) {
	q := o.values()
	for _, t := range o.Tags {
		q.Add("tags", t)
	}
	if o.Paused != nil {
		q.Set("paused", strconv.FormatBool(*o.Paused))
	}
	if o.All {
		q.Set("only_active", "false")
	}
	if o.Pattern != "" {
		q.Set("dag_id_pattern", o.Pattern)
	}
	return call[DAGCollection](ctx, c, "GET", "/dags", q, nil)
}

// GetDAG returns one DAG.
func (c *Client) GetDAG(ctx context.Context, dagID string) (*DAG, error) {
	return call[DAG](ctx, c, "GET", path("dags", dagID), nil, nil)
}

// SetPaused pauses or unpauses a DAG.
func (c *Client) SetPaused(ctx context.Context, dagID string, paused bool) (*DAG, error) {
	return call[DAG](ctx, c, "PATCH", path("dags", dagID), nil, map[string]bool{"is_paused": paused})
}

// DAGSource returns the text of the file defining a DAG.
func (c *Client) DAGSource(ctx context.Context, dagID string) ([]byte, error) {
	return c.send(ctx, "GET", path("dagSources", dagID), nil, nil, "text/plain")
}

// ImportErrors lists the DAG files that failed to load.
func (c *Client) ImportErrors(ctx context.Context, o ListOptions) (*ImportErrorCollection, error) {
	return call[ImportErrorCollection](ctx, c, "GET", "/importErrors", o.values(), nil)
}

// TriggerRequest describes a run to trigger. Zero fields take the server's defaults.
type TriggerRequest struct {
	// DAGRunID names the run; default manual__<logical date>.
	DAGRunID string `json:"dag_run_id,omitempty"`
	// LogicalDate is the run's logical date; default now.
	LogicalDate *time.Time `json:"logical_date,omitempty"`
	// DataIntervalStart and DataIntervalEnd are given together; default the logical date.
	DataIntervalStart *time.Time `json:"data_interval_start,omitempty"`
	DataIntervalEnd   *time.Time `json:"data_interval_end,omitempty"`
	// Conf is the run's conf; keys naming params override them.
	Conf map[string]any `json:"conf,omitempty"`
	// Params override params by name, as `weir run --param name=value` does locally: the
	// server converts a string to the param's schema type (a number, an integer, a boolean)
	// with the DAG's schema, so "0.5" reaches a number param as 0.5.
	Params map[string]any `json:"params,omitempty"`
}

// Trigger creates a run of a DAG and starts it on the server. A param value its schema
// rejects is an *Error with code CodeInvalidParam and field "conf.NAME".
func (c *Client) Trigger(ctx context.Context, dagID string, r TriggerRequest) (*DAGRun, error) {
	return call[DAGRun](ctx, c, "POST", path("dags", dagID, "dagRuns"), nil, r)
}

// GetRun returns one run.
func (c *Client) GetRun(ctx context.Context, dagID, runID string) (*DAGRun, error) {
	return call[DAGRun](ctx, c, "GET", path("dags", dagID, "dagRuns", runID), nil, nil)
}

// ListRunsOptions filter ListRuns.
type ListRunsOptions struct {
	ListOptions
	// States keeps runs in any of these states.
	States []string
	// OrderBy is a field, "-" first for descending (default "-queued_at", newest first).
	OrderBy string
	// RunTypes keeps runs of any of these types (manual, scheduled, backfill, dataset).
	RunTypes []string
}

// ListRuns lists the runs of a DAG, or of every DAG when dagID is "".
func (c *Client) ListRuns(ctx context.Context, dagID string, o ListRunsOptions) (*DAGRunCollection, error) {
	if dagID == "" {
		dagID = "~"
	}
	q := o.values()
	for _, s := range o.States {
		q.Add("state", s)
	}
	if o.OrderBy != "" {
		q.Set("order_by", o.OrderBy)
	}
	for _, t := range o.RunTypes {
		q.Add("run_type", t)
	}
	return call[DAGRunCollection](ctx, c, "GET", path("dags", dagID, "dagRuns"), q, nil)
}

// MarkRun marks a run "success" or "failed".
func (c *Client) MarkRun(ctx context.Context, dagID, runID, state string) (*DAGRun, error) {
	return call[DAGRun](ctx, c, "PATCH", path("dags", dagID, "dagRuns", runID), nil, map[string]string{"state": state})
}

// ClearRun clears a finished run (only its failed and upstream_failed task instances with
// onlyFailed) and runs it again on the server.
func (c *Client) ClearRun(ctx context.Context, dagID, runID string, onlyFailed bool) (*DAGRun, error) {
	body := map[string]bool{"dry_run": false, "only_failed": onlyFailed}
	return call[DAGRun](ctx, c, "POST", path("dags", dagID, "dagRuns", runID, "clear"), nil, body)
}

// ListTIsOptions filter ListTaskInstances.
type ListTIsOptions struct {
	ListOptions
	// States keeps instances in any of these states ("none" for none).
	States []string
	// TaskIDs keeps instances of any of these tasks.
	TaskIDs []string
	// Pools keeps instances in any of these pools.
	Pools []string
}

// ListTaskInstances lists the task instances of a run, by task ID and map index.
func (c *Client) ListTaskInstances(ctx context.Context, dagID, runID string, o ListTIsOptions) (*TaskInstanceCollection, error) {
	q := o.values()
	for _, s := range o.States {
		q.Add("state", s)
	}
	for _, t := range o.TaskIDs {
		q.Add("task_id", t)
	}
	for _, p := range o.Pools {
		q.Add("pool", p)
	}
	return call[TaskInstanceCollection](ctx, c, "GET", path("dags", dagID, "dagRuns", runID, "taskInstances"), q, nil)
}

// tiPath is the path of a task instance; mapIndex −1 for an unmapped task.
func tiPath(dagID, runID, taskID string, mapIndex int) string {
	p := path("dags", dagID, "dagRuns", runID, "taskInstances", taskID)
	if mapIndex >= 0 {
		p += "/" + strconv.Itoa(mapIndex)
	}
	return p
}

// GetTaskInstance returns one task instance (mapIndex −1 for an unmapped task).
func (c *Client) GetTaskInstance(ctx context.Context, dagID, runID, taskID string, mapIndex int) (*TaskInstance, error) {
	return call[TaskInstance](ctx, c, "GET", tiPath(dagID, runID, taskID, mapIndex), nil, nil)
}

// ListMapped lists the instances of a mapped task, by map index.
func (c *Client) ListMapped(ctx context.Context, dagID, runID, taskID string, o ListOptions) (*TaskInstanceCollection, error) {
	return call[TaskInstanceCollection](ctx, c, "GET", path("dags", dagID, "dagRuns", runID, "taskInstances", taskID, "listMapped"), o.values(), nil)
}

// MarkTaskInstance marks a task instance "success", "failed" or "skipped" (mapIndex −1: an
// unmapped task, or every instance of a mapped one) and returns the instances marked.
func (c *Client) MarkTaskInstance(ctx context.Context, dagID, runID, taskID string, mapIndex int, state string) (*TaskInstanceCollection, error) {
	return c.MarkTaskInstances(ctx, dagID, runID, taskID, mapIndex, MarkOptions{State: state})
}

// MarkOptions describe a mark (MarkTaskInstances), as Airflow's "mark success/failed"
// dialog.
type MarkOptions struct {
	// State is the new state: "success", "failed" or "skipped". Required.
	State string `json:"new_state"`
	// DryRun only reports the instances that would change.
	DryRun bool `json:"dry_run"`
	// IncludeUpstream and IncludeDownstream also mark the task's upstream and downstream
	// tasks in the run, transitively (those not in State yet).
	IncludeUpstream   bool `json:"include_upstream"`
	IncludeDownstream bool `json:"include_downstream"`
	// IncludePast and IncludeFuture also mark them in earlier and later runs of the DAG,
	// picked by logical date and the DAG's schedule as Airflow picks them (see the API's
	// PATCH …/taskInstances/{task_id}).
	IncludePast   bool `json:"include_past"`
	IncludeFuture bool `json:"include_future"`
}

// MarkTaskInstances marks a task instance (mapIndex −1: an unmapped task, or every instance
// of a mapped one), and with o its relatives and its instances in other runs, and returns
// the instances marked (with DryRun, those that would be), across runs: each names its
// run in DAGRunID.
func (c *Client) MarkTaskInstances(ctx context.Context, dagID, runID, taskID string, mapIndex int, o MarkOptions) (*TaskInstanceCollection, error) {
	return call[TaskInstanceCollection](ctx, c, "PATCH", tiPath(dagID, runID, taskID, mapIndex), nil, o)
}

// Log returns the log of one try of a task instance (mapIndex −1 for an unmapped task).
func (c *Client) Log(ctx context.Context, dagID, runID, taskID string, mapIndex, try int) ([]byte, error) {
	q := url.Values{}
	if mapIndex >= 0 {
		q.Set("map_index", strconv.Itoa(mapIndex))
	}
	p := path("dags", dagID, "dagRuns", runID, "taskInstances", taskID, "logs", strconv.Itoa(try))
	return c.send(ctx, "GET", p, q, nil, "text/plain")
}

// LogFrom returns the log of one try from byte offset on (what it wrote since an earlier
// read of offset bytes), with an HTTP Range request: a follower of a growing log fetches
// only what is new. An offset at or past the end returns nothing. A negative offset −n
// returns the last n bytes (the whole log when shorter).
func (c *Client) LogFrom(ctx context.Context, dagID, runID, taskID string, mapIndex, try int, offset int64) ([]byte, error) {
	if offset == 0 {
		return c.Log(ctx, dagID, runID, taskID, mapIndex, try)
	}
	q := url.Values{}
	if mapIndex >= 0 {
		q.Set("map_index", strconv.Itoa(mapIndex))
	}
	u := c.base + path("dags", dagID, "dagRuns", runID, "taskInstances", taskID, "logs", strconv.Itoa(try))
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, "GET", u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "text/plain")
	if offset > 0 {
		req.Header.Set("Range", "bytes="+strconv.FormatInt(offset, 10)+"-")
	} else {
		req.Header.Set("Range", "bytes="+strconv.FormatInt(offset, 10)) // bytes=-n: the last n
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("log of try %d of %s: read the answer: %w", try, taskID, err)
	}
	switch resp.StatusCode {
	case http.StatusPartialContent:
		return raw, nil
	case http.StatusRequestedRangeNotSatisfiable:
		return nil, nil
	case http.StatusOK: // the server ignored the range (or the log is empty): the whole log
		if offset < 0 {
			return raw[max(0, int64(len(raw))+offset):], nil
		}
		if offset >= int64(len(raw)) {
			return nil, nil
		}
		return raw[offset:], nil
	}
	e := &Error{}
	if json.Unmarshal(raw, e) != nil || e.Status == 0 {
		e = &Error{Status: resp.StatusCode, Title: http.StatusText(resp.StatusCode), Detail: fmt.Sprintf("GET %s: %s", u, resp.Status)}
	}
	return nil, e
}

// ClearRequest selects the task instances ClearTaskInstances resets.
type ClearRequest struct {
	// DAGRunID is the run. Required.
	DAGRunID string `json:"dag_run_id"`
	// TaskIDs are the tasks to clear; empty means all.
	TaskIDs []string `json:"task_ids,omitempty"`
	// MapIndexes, with exactly one task, clears only those instances.
	MapIndexes []int `json:"map_indexes,omitempty"`
	// IncludeDownstream also clears what is downstream of the tasks.
	IncludeDownstream bool `json:"include_downstream"`
	// IncludeUpstream also clears what is upstream of the tasks, recursively (not with
	// MapIndexes).
	IncludeUpstream bool `json:"include_upstream"`
	// OnlyFailed clears only failed and upstream_failed instances.
	OnlyFailed bool `json:"only_failed"`
	// OnlyRunning clears only running instances (their tries are killed and run again);
	// not with OnlyFailed.
	OnlyRunning bool `json:"only_running,omitempty"`
	// IncludePast and IncludeFuture also clear the tasks in the runs of the DAG with an
	// earlier, or a later (up to now), logical date, as Airflow's clear does.
	IncludePast   bool `json:"include_past,omitempty"`
	IncludeFuture bool `json:"include_future,omitempty"`
	// DryRun only reports what would be cleared.
	DryRun bool `json:"dry_run"`
}

// ClearTaskInstances resets task instances of a run (and, with IncludePast or
// IncludeFuture, of other runs of the DAG) and runs them again on the server (unless
// DryRun): a run the server executes is cleared in its engine (running tries are killed
// and run again). It returns the instances cleared, each naming its run in DAGRunID.
func (c *Client) ClearTaskInstances(ctx context.Context, dagID string, r ClearRequest) (*TaskInstanceCollection, error) {
	return call[TaskInstanceCollection](ctx, c, "POST", path("dags", dagID, "clearTaskInstances"), nil, r)
}

// Backfill starts, on the server, one backfill run per data interval of the DAG's schedule
// starting between from and to (inclusive), at most max_active_runs at a time; intervals
// that have a backfill run already are skipped. It returns at once with the runs' IDs:
// follow them with ListRuns.
func (c *Client) Backfill(ctx context.Context, dagID string, from, to time.Time) (*Backfill, error) {
	body := map[string]string{"from_date": from.UTC().Format(time.RFC3339), "to_date": to.UTC().Format(time.RFC3339)}
	return call[Backfill](ctx, c, "POST", path("dags", dagID, "backfill"), nil, body)
}

// ListDatasets lists datasets by URI.
func (c *Client) ListDatasets(ctx context.Context, o ListOptions) (*DatasetCollection, error) {
	return call[DatasetCollection](ctx, c, "GET", "/datasets", o.values(), nil)
}

// GetDataset returns one dataset.
func (c *Client) GetDataset(ctx context.Context, uri string) (*Dataset, error) {
	return call[Dataset](ctx, c, "GET", path("datasets", uri), nil, nil)
}

// ListEventsOptions filter ListDatasetEvents.
type ListEventsOptions struct {
	ListOptions
	// DatasetURI keeps the events of one dataset.
	DatasetURI string
	// SourceDAGID keeps the events emitted by tasks of one DAG.
	SourceDAGID string
	// AfterID keeps events with a larger ID (for polling).
	AfterID int64
}

// ListDatasetEvents lists dataset events, newest first.
func (c *Client) ListDatasetEvents(ctx context.Context, o ListEventsOptions) (*DatasetEventCollection, error) {
	q := o.values()
	if o.DatasetURI != "" {
		q.Set("dataset_uri", o.DatasetURI)
	}
	if o.SourceDAGID != "" {
		q.Set("source_dag_id", o.SourceDAGID)
	}
	if o.AfterID > 0 {
		q.Set("after_id", strconv.FormatInt(o.AfterID, 10))
	}
	return call[DatasetEventCollection](ctx, c, "GET", "/datasets/events", q, nil)
}

// CreateDatasetEvent records an update of a dataset, with extra metadata (a JSON object, or
// nil); the DAGs scheduled on it then run.
func (c *Client) CreateDatasetEvent(ctx context.Context, uri string, extra map[string]any) (*DatasetEvent, error) {
	body := map[string]any{"dataset_uri": uri}
	if extra != nil {
		body["extra"] = extra
	}
	return call[DatasetEvent](ctx, c, "POST", "/datasets/events", nil, body)
}

// ListPools lists pools by name.
func (c *Client) ListPools(ctx context.Context, o ListOptions) (*PoolCollection, error) {
	return call[PoolCollection](ctx, c, "GET", "/pools", o.values(), nil)
}

// GetPool returns one pool.
func (c *Client) GetPool(ctx context.Context, name string) (*Pool, error) {
	return call[Pool](ctx, c, "GET", path("pools", name), nil, nil)
}

// CreatePool creates a pool of slots (−1: unlimited); CodeAlreadyExists if it exists.
func (c *Client) CreatePool(ctx context.Context, name string, slots int, description string) (*Pool, error) {
	body := map[string]any{"name": name, "slots": slots, "description": description}
	return call[Pool](ctx, c, "POST", "/pools", nil, body)
}

// UpdatePool changes a pool's slots and description; nil leaves one as it is.
func (c *Client) UpdatePool(ctx context.Context, name string, slots *int, description *string) (*Pool, error) {
	body := map[string]any{}
	if slots != nil {
		body["slots"] = *slots
	}
	if description != nil {
		body["description"] = *description
	}
	return call[Pool](ctx, c, "PATCH", path("pools", name), nil, body)
}

// ListDeployments lists serving deployments by name.
func (c *Client) ListDeployments(ctx context.Context, o ListOptions) (*DeploymentCollection, error) {
	return call[DeploymentCollection](ctx, c, "GET", "/deployments", o.values(), nil)
}

// GetDeployment returns one deployment.
func (c *Client) GetDeployment(ctx context.Context, name string) (*Deployment, error) {
	return call[Deployment](ctx, c, "GET", path("deployments", name), nil, nil)
}

// PutDeployment creates or replaces a deployment.
func (c *Client) PutDeployment(ctx context.Context, name string, body DeploymentBody) (*Deployment, error) {
	return call[Deployment](ctx, c, "PUT", path("deployments", name), nil, body)
}

// CompareDeployment returns the live figures of each model version behind a deployment,
// from the predictions logged since the given time (zero for all).
func (c *Client) CompareDeployment(ctx context.Context, name string, since time.Time) (*DeploymentComparison, error) {
	q := url.Values{}
	if !since.IsZero() {
		q.Set("since", since.UTC().Format(time.RFC3339Nano))
	}
	return call[DeploymentComparison](ctx, c, "GET", path("deployments", name)+"/compare", q, nil)
}

// DeleteDeployment deletes a deployment.
func (c *Client) DeleteDeployment(ctx context.Context, name string) error {
	return c.do(ctx, "DELETE", path("deployments", name), nil, nil, nil)
}

// DeletePool deletes a pool.
func (c *Client) DeletePool(ctx context.Context, name string) error {
	return c.do(ctx, "DELETE", path("pools", name), nil, nil, nil)
}

// ListPredictions returns logged predictions matching f, newest first.
func (c *Client) ListPredictions(ctx context.Context, f PredictionFilter) (*PredictionCollection, error) {
	q := url.Values{}
	for k, v := range map[string]string{"endpoint": f.Endpoint, "model_name": f.ModelName, "model_version": f.ModelVersion} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if !f.Since.IsZero() {
		q.Set("since", f.Since.Format(time.RFC3339Nano))
	}
	if !f.Until.IsZero() {
		q.Set("until", f.Until.Format(time.RFC3339Nano))
	}
	if f.Labelled {
		q.Set("labelled", "true")
	}
	if f.Limit > 0 {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	return call[PredictionCollection](ctx, c, "GET", "/predictions", q, nil)
}

// GetPrediction returns one logged prediction; CodeNotFound if it is not (yet) logged.
func (c *Client) GetPrediction(ctx context.Context, id string) (*Prediction, error) {
	return call[Prediction](ctx, c, "GET", path("predictions", id), nil, nil)
}

// PostFeedback records the label (any JSON value but null) of a prediction and returns
// the prediction labelled; CodeNotFound if it is not (yet) logged.
func (c *Client) PostFeedback(ctx context.Context, id string, label json.RawMessage) (*Prediction, error) {
	return call[Prediction](ctx, c, "POST", path("predictions", id, "feedback"), nil, map[string]any{"label": label})
}
