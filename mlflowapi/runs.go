package mlflowapi

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"

	"github.com/weirhq/weir/tracking"
)

func isNotFound(err error) bool { return errors.Is(err, tracking.ErrNotFound) }

// runRequest is the union of the run endpoints' parameters.
type runRequest struct {
	RunID     string     `json:"run_id"`
	RunUUID   string     `json:"run_uuid"`
	Key       string     `json:"key"`
	Value     *flexValue `json:"value"`
	Timestamp *flexInt   `json:"timestamp"`
	Step      flexInt    `json:"step"`
	Status    flexEnum   `json:"status"`
	EndTime   *flexInt   `json:"end_time"`
	RunName   *string    `json:"run_name"`
	Metrics   []wMetric  `json:"metrics"`
	Params    []wTag     `json:"params"`
	Tags      []wTag     `json:"tags"`
	ModelJSON string     `json:"model_json"`
	Datasets  []struct {
		Tags    []wTag          `json:"tags"`
		Dataset json.RawMessage `json:"dataset"`
	} `json:"datasets"`
}

// flexValue is the "value" of log-metric (a number) or log-parameter and set-tag (a
// string): it keeps the JSON text and reads it either way.
type flexValue struct {
	raw json.RawMessage
	str string // the value from a query string
}

func (v *flexValue) UnmarshalJSON(b []byte) error {
	v.raw = append(json.RawMessage(nil), b...)
	return nil
}

func (v *flexValue) String() string {
	if v.raw == nil {
		return v.str
	}
	var s string
	if json.Unmarshal(v.raw, &s) == nil {
		return s
	}
	return string(v.raw)
}

func (v *flexValue) Float() (float64, error) {
	var f flexFloat
	if v.raw == nil {
		v.raw = json.RawMessage(`"` + v.str + `"`)
	}
	err := f.UnmarshalJSON(v.raw)
	return float64(f), err
}

// decodeRun decodes a run request and checks it names a run (run_id or the deprecated
// run_uuid).
func (a *API) decodeRun(r *http.Request) (*runRequest, error) {
	var req runRequest
	if err := a.decode(r, &req); err != nil {
		return nil, err
	}
	if v := r.URL.Query().Get("value"); v != "" && req.Value == nil {
		req.Value = &flexValue{str: v}
	}
	if req.RunID == "" {
		req.RunID = req.RunUUID
	}
	if req.RunID == "" {
		return nil, missing("run_id")
	}
	return &req, nil
}

func (a *API) createRun(r *http.Request) (any, error) {
	var req struct {
		ExperimentID string  `json:"experiment_id"`
		UserID       string  `json:"user_id"`
		RunName      string  `json:"run_name"`
		StartTime    flexInt `json:"start_time"`
		Tags         []wTag  `json:"tags"`
	}
	if err := a.decode(r, &req); err != nil {
		return nil, err
	}
	if req.ExperimentID == "" {
		req.ExperimentID = tracking.DefaultExperimentID
	}
	tags := fromWireTags(req.Tags)
	user := req.UserID
	if i := slices.IndexFunc(tags, func(t tracking.Tag) bool { return t.Key == tracking.TagUser }); user == "" && i >= 0 {
		user = tags[i].Value
	}
	run, err := a.svc.CreateRun(r.Context(), tracking.CreateRunParams{
		ExperimentID: req.ExperimentID, RunName: req.RunName, UserID: user, StartTime: int64(req.StartTime), Tags: tags,
	})
	if err != nil {
		return nil, notFoundMsg(err, "No Experiment with id=%s exists", req.ExperimentID)
	}
	return map[string]any{"run": toWireRun(run)}, nil
}

func runNotFound(err error, id string) error {
	return notFoundMsg(err, "Run with id=%s not found", id)
}

func (a *API) getRun(r *http.Request) (any, error) {
	req, err := a.decodeRun(r)
	if err != nil {
		return nil, err
	}
	run, err := a.svc.GetRun(r.Context(), req.RunID)
	if err != nil {
		return nil, runNotFound(err, req.RunID)
	}
	return map[string]any{"run": toWireRun(run)}, nil
}

func (a *API) updateRun(r *http.Request) (any, error) {
	req, err := a.decodeRun(r)
	if err != nil {
		return nil, err
	}
	p := tracking.UpdateRunParams{RunID: req.RunID, RunName: req.RunName}
	if req.Status != "" {
		st, err := runStatus(req.Status)
		if err != nil {
			return nil, err
		}
		p.Status = &st
	}
	if req.EndTime != nil {
		end := int64(*req.EndTime)
		p.EndTime = &end
	}
	info, err := a.svc.UpdateRun(r.Context(), p)
	if err != nil {
		return nil, runNotFound(err, req.RunID)
	}
	return map[string]any{"run_info": toWireRunInfo(info)}, nil
}

func (a *API) deleteRun(r *http.Request) (any, error) {
	req, err := a.decodeRun(r)
	if err != nil {
		return nil, err
	}
	return nil, runNotFound(a.svc.SetRunLifecycle(r.Context(), req.RunID, tracking.StageDeleted), req.RunID)
}

func (a *API) restoreRun(r *http.Request) (any, error) {
	req, err := a.decodeRun(r)
	if err != nil {
		return nil, err
	}
	return nil, runNotFound(a.svc.SetRunLifecycle(r.Context(), req.RunID, tracking.StageActive), req.RunID)
}

func (a *API) searchRuns(r *http.Request) (any, error) {
	var req struct {
		ExperimentIDs []string `json:"experiment_ids"`
		Filter        string   `json:"filter"`
		RunViewType   flexEnum `json:"run_view_type"`
		MaxResults    *flexInt `json:"max_results"`
		OrderBy       []string `json:"order_by"`
		PageToken     string   `json:"page_token"`
	}
	if err := a.decode(r, &req); err != nil {
		return nil, err
	}
	max := tracking.DefaultSearchResults
	if req.MaxResults != nil {
		max = int(*req.MaxResults)
		if max <= 0 || max > tracking.MaxSearchResults {
			return nil, invalidParam("Invalid value %d for parameter 'max_results' supplied. It must be at most %d and greater than 0.", max, tracking.MaxSearchResults)
		}
	}
	view, err := viewType(string(req.RunViewType), "run_view_type")
	if err != nil {
		return nil, err
	}
	if len(req.ExperimentIDs) == 0 {
		return map[string]any{}, nil
	}
	page, err := a.svc.SearchRuns(r.Context(), tracking.SearchRunsParams{
		ExperimentIDs: req.ExperimentIDs, Filter: req.Filter, ViewType: view, MaxResults: max,
		OrderBy: req.OrderBy, PageToken: req.PageToken,
	})
	if err != nil {
		return nil, err
	}
	out := struct {
		Runs          []wRun `json:"runs,omitempty"`
		NextPageToken string `json:"next_page_token,omitempty"`
	}{NextPageToken: page.NextPageToken}
	for i := range page.Runs {
		out.Runs = append(out.Runs, toWireRun(&page.Runs[i]))
	}
	return out, nil
}

func (a *API) logMetric(r *http.Request) (any, error) {
	req, err := a.decodeRun(r)
	if err != nil {
		return nil, err
	}
	if req.Key == "" {
		return nil, missing("key")
	}
	if req.Value == nil {
		return nil, missing("value")
	}
	if req.Timestamp == nil {
		return nil, missing("timestamp")
	}
	v, err := req.Value.Float()
	if err != nil {
		return nil, invalidParam("Invalid value for parameter 'value': want a number")
	}
	err = a.svc.LogBatch(r.Context(), tracking.LogBatchParams{RunID: req.RunID, Metrics: []tracking.Metric{{
		Key: req.Key, Value: v, Timestamp: int64(*req.Timestamp), Step: int64(req.Step),
	}}})
	return nil, runNotFound(err, req.RunID)
}

func (a *API) logParam(r *http.Request) (any, error) {
	req, err := a.decodeRun(r)
	if err != nil {
		return nil, err
	}
	if req.Key == "" {
		return nil, missing("key")
	}
	if req.Value == nil {
		return nil, missing("value")
	}
	err = a.svc.LogBatch(r.Context(), tracking.LogBatchParams{RunID: req.RunID, Params: []tracking.Param{{Key: req.Key, Value: req.Value.String()}}})
	return nil, runNotFound(err, req.RunID)
}

func (a *API) setTag(r *http.Request) (any, error) {
	req, err := a.decodeRun(r)
	if err != nil {
		return nil, err
	}
	if req.Key == "" {
		return nil, missing("key")
	}
	value := ""
	if req.Value != nil {
		value = req.Value.String()
	}
	err = a.svc.LogBatch(r.Context(), tracking.LogBatchParams{RunID: req.RunID, Tags: []tracking.Tag{{Key: req.Key, Value: value}}})
	return nil, runNotFound(err, req.RunID)
}

func (a *API) deleteTag(r *http.Request) (any, error) {
	req, err := a.decodeRun(r)
	if err != nil {
		return nil, err
	}
	if req.Key == "" {
		return nil, missing("key")
	}
	return nil, runNotFound(a.svc.DeleteRunTag(r.Context(), req.RunID, req.Key), req.RunID)
}

func (a *API) logBatch(r *http.Request) (any, error) {
	req, err := a.decodeRun(r)
	if err != nil {
		return nil, err
	}
	p := tracking.LogBatchParams{RunID: req.RunID, Tags: fromWireTags(req.Tags)}
	for _, m := range req.Metrics {
		p.Metrics = append(p.Metrics, tracking.Metric{Key: m.Key, Value: float64(m.Value), Timestamp: int64(m.Timestamp), Step: int64(m.Step)})
	}
	for _, pr := range req.Params {
		p.Params = append(p.Params, tracking.Param(pr))
	}
	return nil, runNotFound(a.svc.LogBatch(r.Context(), p), req.RunID)
}

func (a *API) logInputs(r *http.Request) (any, error) {
	req, err := a.decodeRun(r)
	if err != nil {
		return nil, err
	}
	var ins []tracking.DatasetInput
	for _, d := range req.Datasets {
		if len(d.Dataset) == 0 {
			return nil, missing("datasets.dataset")
		}
		ins = append(ins, tracking.DatasetInput{Tags: fromWireTags(d.Tags), Dataset: d.Dataset})
	}
	return nil, runNotFound(a.svc.LogInputs(r.Context(), req.RunID, ins), req.RunID)
}

// logModel appends model_json to the run's tag mlflow.log-model.history (a JSON list), as
// MLflow's server does.
func (a *API) logModel(r *http.Request) (any, error) {
	req, err := a.decodeRun(r)
	if err != nil {
		return nil, err
	}
	if req.ModelJSON == "" {
		return nil, missing("model_json")
	}
	var model json.RawMessage
	if err := json.Unmarshal([]byte(req.ModelJSON), &model); err != nil {
		return nil, invalidParam("Malformed model info. JSON '%s' is not a valid JSON.", req.ModelJSON)
	}
	run, err := a.svc.GetRun(r.Context(), req.RunID)
	if err != nil {
		return nil, runNotFound(err, req.RunID)
	}
	var history []json.RawMessage
	if v, ok := run.Tag(tracking.TagLoggedModels); ok {
		_ = json.Unmarshal([]byte(v), &history)
	}
	history = append(history, model)
	b, _ := json.Marshal(history)
	return nil, a.svc.SetTags(r.Context(), req.RunID, tracking.Tag{Key: tracking.TagLoggedModels, Value: string(b)})
}

func (a *API) getHistory(r *http.Request) (any, error) {
	var req struct {
		RunID      string   `json:"run_id"`
		RunUUID    string   `json:"run_uuid"`
		MetricKey  string   `json:"metric_key"`
		PageToken  string   `json:"page_token"`
		MaxResults *flexInt `json:"max_results"`
	}
	if err := a.decode(r, &req); err != nil {
		return nil, err
	}
	if req.RunID == "" {
		req.RunID = req.RunUUID
	}
	if req.RunID == "" {
		return nil, missing("run_id")
	}
	if req.MetricKey == "" {
		return nil, missing("metric_key")
	}
	p := tracking.GetMetricHistoryParams{RunID: req.RunID, Key: req.MetricKey, PageToken: req.PageToken}
	if req.MaxResults != nil {
		p.MaxResults = int(*req.MaxResults)
	}
	if hs, ok := a.svc.Store.(tracking.HistoryStreamer); ok {
		return historyStream{hs: hs, p: p}, nil
	}
	page, err := a.svc.GetMetricHistory(r.Context(), p)
	if err != nil {
		return nil, runNotFound(err, req.RunID)
	}
	return metricsResponse(page.Metrics, page.NextPageToken), nil
}

// streamer is a response written as it is produced (serve calls streamJSON): a metric
// history of a million points is sent while it is read, never held whole in memory.
type streamer interface {
	// streamJSON writes the response's JSON to w. Until it writes its first byte it may
	// still fail with an error serve answers as usual.
	streamJSON(ctx context.Context, w io.Writer) error
}

// historyStream is get-history's response from a HistoryStreamer: {"metrics": [...],
// "next_page_token": ...}, the same bytes metricsResponse writes.
type historyStream struct {
	hs tracking.HistoryStreamer
	p  tracking.GetMetricHistoryParams
}

func (h historyStream) streamJSON(ctx context.Context, w io.Writer) error {
	buf := make([]byte, 0, 64<<10)
	n := 0
	var key []byte
	next, err := h.hs.StreamMetricHistory(ctx, h.p, func(m tracking.Metric) error {
		if n == 0 {
			key, _ = json.Marshal(m.Key)
			buf = append(buf, `{"metrics":[`...)
		} else {
			buf = append(buf, ',')
		}
		n++
		buf = appendMetric(buf, key, m)
		if len(buf) >= 60<<10 {
			if _, err := w.Write(buf); err != nil {
				return err
			}
			buf = buf[:0]
		}
		return nil
	})
	if err != nil {
		return runNotFound(err, h.p.RunID)
	}
	if n == 0 {
		buf = append(buf, '{')
	} else {
		buf = append(buf, ']')
	}
	if next != "" {
		if n > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, `"next_page_token":"`...)
		buf = append(buf, next...)
		buf = append(buf, '"')
	}
	buf = append(buf, '}')
	_, err = w.Write(buf)
	return err
}

// appendMetric appends point m as MLflow's Metric JSON, key already JSON-encoded.
func appendMetric(buf, key []byte, m tracking.Metric) []byte {
	buf = append(buf, `{"key":`...)
	buf = append(buf, key...)
	buf = append(buf, `,"value":`...)
	switch v := m.Value; {
	case math.IsNaN(v):
		buf = append(buf, `"NaN"`...)
	case math.IsInf(v, 1):
		buf = append(buf, `"Infinity"`...)
	case math.IsInf(v, -1):
		buf = append(buf, `"-Infinity"`...)
	default:
		buf = strconv.AppendFloat(buf, v, 'g', -1, 64)
	}
	buf = append(buf, `,"timestamp":`...)
	buf = appendInt(buf, m.Timestamp)
	buf = append(buf, `,"step":`...)
	buf = appendInt(buf, m.Step)
	if m.RunID != "" {
		buf = append(buf, `,"run_id":"`...)
		buf = append(buf, m.RunID...)
		buf = append(buf, '"')
	}
	return append(buf, '}')
}

// metricsResponse is {"metrics": [...], "next_page_token"}, written without reflection per
// point: histories can hold millions.
func metricsResponse(ms []tracking.Metric, next string) json.Marshaler {
	return metricList{ms: ms, next: next}
}

type metricList struct {
	ms   []tracking.Metric
	next string
}

func (l metricList) MarshalJSON() ([]byte, error) {
	buf := make([]byte, 0, 64+len(l.ms)*(72+len(l.firstKey())))
	buf = append(buf, '{')
	if len(l.ms) > 0 {
		buf = append(buf, `"metrics":[`...)
		var key []byte
		lastKey := "\x00"
		for i, m := range l.ms {
			if i > 0 {
				buf = append(buf, ',')
			}
			if m.Key != lastKey {
				key, _ = json.Marshal(m.Key)
				lastKey = m.Key
			}
			buf = appendMetric(buf, key, m)
		}
		buf = append(buf, ']')
	}
	if l.next != "" {
		if len(l.ms) > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, `"next_page_token":"`...)
		buf = append(buf, l.next...)
		buf = append(buf, '"')
	}
	buf = append(buf, '}')
	return buf, nil
}

func (l metricList) firstKey() string {
	if len(l.ms) == 0 {
		return ""
	}
	return l.ms[0].Key
}

func (a *API) getHistoryBulkInterval(r *http.Request) (any, error) {
	var req struct {
		RunIDs     []string `json:"run_ids"`
		MetricKey  string   `json:"metric_key"`
		StartStep  *flexInt `json:"start_step"`
		EndStep    *flexInt `json:"end_step"`
		MaxResults *flexInt `json:"max_results"`
	}
	if err := a.decode(r, &req); err != nil {
		return nil, err
	}
	if len(req.RunIDs) == 0 {
		return nil, missing("run_ids")
	}
	if len(req.RunIDs) > 100 {
		return nil, invalidParam("GetMetricHistoryBulkInterval request must specify at most 100 run_ids. Received %d run_ids.", len(req.RunIDs))
	}
	if req.MetricKey == "" {
		return nil, missing("metric_key")
	}
	if (req.StartStep == nil) != (req.EndStep == nil) {
		return nil, invalidParam("If either start step or end step are specified, both must be specified.")
	}
	max := 1000
	if req.MaxResults != nil {
		max = int(*req.MaxResults)
		if max <= 0 || max > 1000 {
			return nil, invalidParam("max_results must be between 1 and 1000, got %d", max)
		}
	}
	// All the runs' histories in one read (the store's HistoriesReader); a missing run is
	// looked for one by one to name it in the error.
	hists, err := a.svc.MetricHistories(r.Context(), req.RunIDs, req.MetricKey)
	if err != nil {
		for _, id := range req.RunIDs {
			if _, err := a.svc.GetRun(r.Context(), id); err != nil {
				return nil, runNotFound(err, id)
			}
		}
		return nil, err
	}
	var out []tracking.Metric
	for _, id := range req.RunIDs {
		ms := hists[id]
		if req.StartStep != nil {
			lo, hi := int64(*req.StartStep), int64(*req.EndStep)
			ms = slices.DeleteFunc(ms, func(m tracking.Metric) bool { return m.Step < lo || m.Step > hi })
		}
		for _, m := range sampleSteps(ms, max) {
			m.RunID = id
			out = append(out, m)
		}
	}
	return metricsResponse(out, ""), nil
}

// sampleSteps keeps the points of at most max distinct steps of ms (sorted by step),
// evenly spaced and always including the first and last step, as MLflow's bulk-interval
// sampling.
func sampleSteps(ms []tracking.Metric, max int) []tracking.Metric {
	var steps []int64
	for i, m := range ms {
		if i == 0 || m.Step != ms[i-1].Step {
			steps = append(steps, m.Step)
		}
	}
	if len(steps) <= max {
		return ms
	}
	keep := make(map[int64]bool, max)
	for i := range max {
		keep[steps[i*(len(steps)-1)/(max-1)]] = true
	}
	return slices.DeleteFunc(slices.Clone(ms), func(m tracking.Metric) bool { return !keep[m.Step] })
}

func appendInt(b []byte, n int64) []byte { return strconv.AppendInt(b, n, 10) }
