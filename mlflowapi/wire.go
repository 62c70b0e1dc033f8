package mlflowapi

import (
	"encoding/json"
	"math"
	"reflect"
	"strconv"
	"strings"

	"github.com/weirhq/weir/tracking"
)

// flexInt is an int64 that accepts a JSON number or a string of digits (protobuf's JSON
// mapping of int64), and is written as a number. A value that is not an integer, or is
// outside int64's range (1e19, 1e30), is refused: decode reports it with the field's name.
type flexInt int64

func (n *flexInt) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "null" || s == "" {
		return nil
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(s, 64)
		// 2^63 is exactly representable; every float below it in magnitude fits in int64.
		if ferr != nil || f != math.Trunc(f) || f >= 1<<63 || f < -(1<<63) {
			return &json.UnmarshalTypeError{Value: string(b), Type: reflect.TypeFor[int64]()}
		}
		v = int64(f)
	}
	*n = flexInt(v)
	return nil
}

// flexEnum is a protobuf enum field: its JSON value is the value's name or its number (as
// protobuf's JSON parsing accepts, and as Go clients send: "status": 3), kept as text.
type flexEnum string

func (e *flexEnum) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*e = flexEnum(s)
		return nil
	}
	var n int64
	if err := json.Unmarshal(b, &n); err != nil {
		return &json.UnmarshalTypeError{Value: string(b), Type: reflect.TypeFor[flexEnum]()}
	}
	*e = flexEnum(strconv.FormatInt(n, 10))
	return nil
}

// runStatusNumbers maps the numbers of MLflow's RunStatus enum (service.proto) to names.
var runStatusNumbers = map[string]tracking.RunStatus{
	"1": tracking.RunRunning, "2": tracking.RunScheduled, "3": tracking.RunFinished, "4": tracking.RunFailed, "5": tracking.RunKilled,
}

// runStatus returns the RunStatus an enum value names, by name or number.
func runStatus(e flexEnum) (tracking.RunStatus, error) {
	if st, ok := runStatusNumbers[string(e)]; ok {
		return st, nil
	}
	if _, err := strconv.Atoi(string(e)); err == nil {
		return "", invalidParam("Invalid value %s for parameter 'status': want RUNNING, SCHEDULED, FINISHED, FAILED or KILLED (or their numbers 1-5)", e)
	}
	return tracking.RunStatus(e), nil
}

// flexFloat is a double that accepts a JSON number or the strings "NaN", "Infinity" and
// "-Infinity" (and numbers as strings), and writes non-finite values as those strings.
type flexFloat float64

func (f *flexFloat) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	switch s {
	case "null":
		return nil
	case "NaN", "nan":
		*f = flexFloat(math.NaN())
		return nil
	case "Infinity", "inf", "Inf":
		*f = flexFloat(math.Inf(1))
		return nil
	case "-Infinity", "-inf", "-Inf":
		*f = flexFloat(math.Inf(-1))
		return nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return &json.UnmarshalTypeError{Value: string(b), Type: reflect.TypeFor[float64]()}
	}
	*f = flexFloat(v)
	return nil
}

func (f flexFloat) MarshalJSON() ([]byte, error) {
	v := float64(f)
	switch {
	case math.IsNaN(v):
		return []byte(`"NaN"`), nil
	case math.IsInf(v, 1):
		return []byte(`"Infinity"`), nil
	case math.IsInf(v, -1):
		return []byte(`"-Infinity"`), nil
	}
	return strconv.AppendFloat(nil, v, 'g', -1, 64), nil
}

// Wire types: MLflow's messages in their JSON form.

type wTag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

type wMetric struct {
	Key       string    `json:"key"`
	Value     flexFloat `json:"value"`
	Timestamp flexInt   `json:"timestamp"`
	Step      flexInt   `json:"step"`
	RunID     string    `json:"run_id,omitempty"`
}

type wExperiment struct {
	ExperimentID     string `json:"experiment_id"`
	Name             string `json:"name"`
	ArtifactLocation string `json:"artifact_location"`
	LifecycleStage   string `json:"lifecycle_stage"`
	LastUpdateTime   int64  `json:"last_update_time"`
	CreationTime     int64  `json:"creation_time"`
	Tags             []wTag `json:"tags,omitempty"`
}

type wRunInfo struct {
	RunID          string `json:"run_id"`
	RunUUID        string `json:"run_uuid"`
	RunName        string `json:"run_name"`
	ExperimentID   string `json:"experiment_id"`
	UserID         string `json:"user_id"`
	Status         string `json:"status"`
	StartTime      int64  `json:"start_time"`
	EndTime        *int64 `json:"end_time,omitempty"`
	ArtifactURI    string `json:"artifact_uri"`
	LifecycleStage string `json:"lifecycle_stage"`
}

type wRunData struct {
	Metrics []wMetric `json:"metrics,omitempty"`
	Params  []wTag    `json:"params,omitempty"`
	Tags    []wTag    `json:"tags,omitempty"`
}

type wDatasetInput struct {
	Tags    []wTag          `json:"tags,omitempty"`
	Dataset json.RawMessage `json:"dataset"`
}

type wRunInputs struct {
	DatasetInputs []wDatasetInput `json:"dataset_inputs,omitempty"`
}

// wRunOutputs is MLflow 3's RunOutputs: the logged models a run produced.
type wRunOutputs struct {
	ModelOutputs []wModelOutput `json:"model_outputs,omitempty"`
}

type wRun struct {
	Info    wRunInfo     `json:"info"`
	Data    wRunData     `json:"data"`
	Inputs  wRunInputs   `json:"inputs"`
	Outputs *wRunOutputs `json:"outputs,omitempty"`
}

type wAlias struct {
	Alias   string `json:"alias"`
	Version string `json:"version"`
}

type wModel struct {
	Name                 string          `json:"name"`
	CreationTimestamp    int64           `json:"creation_timestamp"`
	LastUpdatedTimestamp int64           `json:"last_updated_timestamp"`
	Description          string          `json:"description,omitempty"`
	LatestVersions       []wModelVersion `json:"latest_versions,omitempty"`
	Tags                 []wTag          `json:"tags,omitempty"`
	Aliases              []wAlias        `json:"aliases,omitempty"`
}

type wModelVersion struct {
	Name                 string   `json:"name"`
	Version              string   `json:"version"`
	CreationTimestamp    int64    `json:"creation_timestamp"`
	LastUpdatedTimestamp int64    `json:"last_updated_timestamp"`
	UserID               string   `json:"user_id,omitempty"`
	CurrentStage         string   `json:"current_stage"`
	Description          string   `json:"description,omitempty"`
	Source               string   `json:"source"`
	RunID                string   `json:"run_id,omitempty"`
	Status               string   `json:"status"`
	StatusMessage        string   `json:"status_message,omitempty"`
	Tags                 []wTag   `json:"tags,omitempty"`
	RunLink              string   `json:"run_link,omitempty"`
	Aliases              []string `json:"aliases,omitempty"`
	// ModelID is the MLflow 3 logged model the version was made of, when known.
	ModelID string `json:"model_id,omitempty"`
}

type wFileInfo struct {
	Path     string `json:"path"`
	IsDir    bool   `json:"is_dir"`
	FileSize *int64 `json:"file_size,omitempty"`
}

func toWireTags(ts []tracking.Tag) []wTag {
	if len(ts) == 0 {
		return nil
	}
	out := make([]wTag, len(ts))
	for i, t := range ts {
		out[i] = wTag(t)
	}
	return out
}

func fromWireTags(ts []wTag) []tracking.Tag {
	out := make([]tracking.Tag, len(ts))
	for i, t := range ts {
		out[i] = tracking.Tag(t)
	}
	return out
}

func toWireExperiment(e *tracking.Experiment) wExperiment {
	return wExperiment{
		ExperimentID: e.ID, Name: e.Name, ArtifactLocation: e.ArtifactLocation, LifecycleStage: e.LifecycleStage,
		LastUpdateTime: e.LastUpdateTime, CreationTime: e.CreationTime, Tags: toWireTags(e.Tags),
	}
}

func toWireRunInfo(i *tracking.RunInfo) wRunInfo {
	w := wRunInfo{
		RunID: i.RunID, RunUUID: i.RunID, RunName: i.RunName, ExperimentID: i.ExperimentID, UserID: i.UserID,
		Status: string(i.Status), StartTime: i.StartTime, ArtifactURI: i.ArtifactURI, LifecycleStage: i.LifecycleStage,
	}
	if i.EndTime != 0 {
		end := i.EndTime
		w.EndTime = &end
	}
	return w
}

func toWireRun(r *tracking.Run) wRun {
	w := wRun{Info: toWireRunInfo(&r.Info), Data: wRunData{Tags: toWireTags(r.Tags)}}
	for _, m := range r.Metrics {
		w.Data.Metrics = append(w.Data.Metrics, toWireMetric(m))
	}
	for _, p := range r.Params {
		w.Data.Params = append(w.Data.Params, wTag(p))
	}
	for _, in := range r.Inputs {
		w.Inputs.DatasetInputs = append(w.Inputs.DatasetInputs, wDatasetInput{Tags: toWireTags(in.Tags), Dataset: in.Dataset})
	}
	if len(r.Outputs) > 0 {
		w.Outputs = &wRunOutputs{}
		for _, o := range r.Outputs {
			w.Outputs.ModelOutputs = append(w.Outputs.ModelOutputs, wModelOutput{ModelID: o.ModelID, Step: flexInt(o.Step)})
		}
	}
	return w
}

func toWireMetric(m tracking.Metric) wMetric {
	return wMetric{Key: m.Key, Value: flexFloat(m.Value), Timestamp: flexInt(m.Timestamp), Step: flexInt(m.Step), RunID: m.RunID}
}

func toWireModel(m *tracking.RegisteredModel) wModel {
	w := wModel{
		Name: m.Name, CreationTimestamp: m.CreationTime, LastUpdatedTimestamp: m.LastUpdatedTime,
		Description: m.Description, Tags: toWireTags(m.Tags),
	}
	for _, v := range m.LatestVersions {
		w.LatestVersions = append(w.LatestVersions, toWireVersion(&v))
	}
	for _, a := range m.Aliases {
		w.Aliases = append(w.Aliases, wAlias(a))
	}
	return w
}

func toWireVersion(v *tracking.ModelVersion) wModelVersion {
	return wModelVersion{
		Name: v.Name, Version: v.Version, CreationTimestamp: v.CreationTime, LastUpdatedTimestamp: v.LastUpdatedTime,
		UserID: v.UserID, CurrentStage: v.CurrentStage, Description: v.Description, Source: v.Source, RunID: v.RunID,
		Status: v.Status, StatusMessage: v.StatusMessage, Tags: toWireTags(v.Tags), RunLink: v.RunLink, Aliases: v.Aliases,
		ModelID: modelIDOfSource(v.Source),
	}
}

// modelIDOfSource returns the logged model a version's source "models:/m-…" names, or "".
func modelIDOfSource(source string) string {
	if id, ok := strings.CutPrefix(source, "models:/"); ok && strings.HasPrefix(id, "m-") && !strings.Contains(id, "/") {
		return id
	}
	return ""
}
