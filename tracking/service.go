package tracking

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ServiceConfig configures a Service. The zero value is valid.
type ServiceConfig struct {
	// Now returns the current time, for run start and end times and creation times given
	// as 0. Default time.Now.
	Now func() time.Time
}

// Service is the tracking API weir's parts call (the MLflow REST handlers, the engine, the
// CLI): a Store whose writes are checked against MLflow's validation limits, plus the
// get-or-create and run-lifecycle helpers the engine needs. Methods not overridden here are
// the Store's, unchanged. It is safe for concurrent use.
type Service struct {
	Store
	now func() time.Time
}

// NewService returns a Service on st.
func NewService(st Store, cfg ServiceConfig) *Service {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Service{Store: st, now: cfg.Now}
}

// NowMillis returns the service clock's time in Unix milliseconds.
func (s *Service) NowMillis() int64 { return s.now().UnixMilli() }

// CreateExperiment validates the name and tags and creates the experiment.
func (s *Service) CreateExperiment(ctx context.Context, p CreateExperimentParams) (string, error) {
	if err := ValidateExperimentName(p.Name); err != nil {
		return "", err
	}
	for _, t := range p.Tags {
		if err := ValidateTag(t); err != nil {
			return "", err
		}
	}
	if p.Time == 0 {
		p.Time = s.NowMillis()
	}
	return s.Store.CreateExperiment(ctx, p)
}

// EnsureExperiment returns the experiment named name, creating it if missing (a concurrent
// creator wins harmlessly). A deleted experiment of that name is ErrInvalid, as MLflow's
// set_experiment: restore it first.
func (s *Service) EnsureExperiment(ctx context.Context, name string) (*Experiment, error) {
	for range 2 {
		e, err := s.GetExperimentByName(ctx, name)
		if err == nil {
			if e.LifecycleStage == StageDeleted {
				return nil, invalid("experiment %q is deleted; restore it or use another name", name)
			}
			return e, nil
		}
		if !errors.Is(err, ErrNotFound) {
			return nil, err
		}
		id, err := s.CreateExperiment(ctx, CreateExperimentParams{Name: name})
		if errors.Is(err, ErrAlreadyExists) {
			continue
		}
		if err != nil {
			return nil, err
		}
		return s.GetExperiment(ctx, id)
	}
	return nil, fmt.Errorf("experiment %q: created and deleted concurrently", name)
}

// RenameExperiment validates the new name and renames the experiment.
func (s *Service) RenameExperiment(ctx context.Context, id, newName string) error {
	if err := ValidateExperimentName(newName); err != nil {
		return err
	}
	return s.Store.RenameExperiment(ctx, id, newName)
}

// SetExperimentTag validates the tag and sets it.
func (s *Service) SetExperimentTag(ctx context.Context, id string, tag Tag) error {
	if err := ValidateTag(tag); err != nil {
		return err
	}
	return s.Store.SetExperimentTag(ctx, id, tag)
}

// CreateRun validates the tags, takes the run name from tag mlflow.runName when not given
// or generates one (adjective-noun-number, as MLflow), records the user as tag mlflow.user,
// and creates the run, started now unless StartTime is set.
func (s *Service) CreateRun(ctx context.Context, p CreateRunParams) (*Run, error) {
	for _, t := range p.Tags {
		if err := ValidateTag(t); err != nil {
			return nil, err
		}
		if t.Key == TagRunName && p.RunName == "" {
			p.RunName = t.Value
		}
	}
	if p.RunName == "" {
		p.RunName = GenerateRunName()
	}
	if p.StartTime == 0 {
		p.StartTime = s.NowMillis()
	}
	if p.UserID != "" && !slices.ContainsFunc(p.Tags, func(t Tag) bool { return t.Key == TagUser }) {
		p.Tags = append(p.Tags, Tag{Key: TagUser, Value: p.UserID})
	}
	return s.Store.CreateRun(ctx, p)
}

// TaskRef identifies the try of a DAG task instance a tracking run records.
type TaskRef struct {
	DAGID    string
	DAGRunID string
	TaskID   string
	// MapIndex is the instance's map index; -1 for an unmapped task.
	MapIndex  int
	TryNumber int
}

// Tags returns the tags that tie a run to the task try: weir.dag_id, weir.run_id,
// weir.task_id, weir.try_number, and weir.map_index for a mapped instance. A TaskRef with
// no TaskID (a DAG run's parent run) gets only the first two.
func (r TaskRef) Tags() []Tag {
	tags := []Tag{{TagDAGID, r.DAGID}, {TagDAGRunID, r.DAGRunID}}
	if r.TaskID == "" {
		return tags
	}
	tags = append(tags, Tag{TagTaskID, r.TaskID}, Tag{TagTryNumber, strconv.Itoa(r.TryNumber)})
	if r.MapIndex >= 0 {
		tags = append(tags, Tag{TagMapIndex, strconv.Itoa(r.MapIndex)})
	}
	return tags
}

// StartRunParams describes a run the engine opens.
type StartRunParams struct {
	// Experiment is the experiment's name; it is created if missing.
	Experiment string
	// RunName defaults to "<task_id>" (or "<dag_id>/<run_id>" for a parent run), with the
	// map index in brackets for a mapped instance.
	RunName string
	// ParentRunID is the parent run, empty for none.
	ParentRunID string
	// Task is the task try (or, with no TaskID, the DAG run) the run records.
	Task TaskRef
	// Params are logged with the run (e.g. the task's rendered arguments).
	Params []Param
	// Tags are set in addition to Task's.
	Tags []Tag
}

// StartRun opens a run for a DAG run or a task try: it ensures the experiment, creates the
// run tagged with the task's identity (TaskRef.Tags) under ParentRunID, and logs Params.
func (s *Service) StartRun(ctx context.Context, p StartRunParams) (*Run, error) {
	e, err := s.EnsureExperiment(ctx, p.Experiment)
	if err != nil {
		return nil, err
	}
	name := p.RunName
	if name == "" {
		if p.Task.TaskID == "" {
			name = p.Task.DAGID + "/" + p.Task.DAGRunID
		} else {
			name = p.Task.TaskID
			if p.Task.MapIndex >= 0 {
				name += "[" + strconv.Itoa(p.Task.MapIndex) + "]"
			}
		}
	}
	run, err := s.CreateRun(ctx, CreateRunParams{
		ExperimentID: e.ID,
		RunName:      name,
		ParentRunID:  p.ParentRunID,
		Tags:         append(p.Task.Tags(), p.Tags...),
	})
	if err != nil {
		return nil, err
	}
	for i := 0; i < len(p.Params); i += MaxBatchParams {
		batch := p.Params[i:min(i+MaxBatchParams, len(p.Params))]
		if err := s.LogBatch(ctx, LogBatchParams{RunID: run.Info.RunID, Params: batch}); err != nil {
			return nil, err
		}
	}
	if len(p.Params) > 0 {
		return s.GetRun(ctx, run.Info.RunID)
	}
	return run, nil
}

// EndRun sets a run's final status and its end time to now.
func (s *Service) EndRun(ctx context.Context, runID string, status RunStatus) (*RunInfo, error) {
	if !status.Terminal() {
		return nil, invalid("run status %q is not final (FINISHED, FAILED, KILLED)", status)
	}
	end := s.NowMillis()
	return s.UpdateRun(ctx, UpdateRunParams{RunID: runID, Status: &status, EndTime: &end})
}

// UpdateRun validates the status and updates the run.
func (s *Service) UpdateRun(ctx context.Context, p UpdateRunParams) (*RunInfo, error) {
	if p.Status != nil && !p.Status.Valid() {
		return nil, invalid("invalid run status %q", *p.Status)
	}
	return s.Store.UpdateRun(ctx, p)
}

// LogBatch validates the batch (ValidateLogBatch) and logs it.
func (s *Service) LogBatch(ctx context.Context, p LogBatchParams) error {
	if err := ValidateLogBatch(p); err != nil {
		return err
	}
	return s.Store.LogBatch(ctx, p)
}

// LogParams logs params of a run, in batches of MaxBatchParams.
func (s *Service) LogParams(ctx context.Context, runID string, params ...Param) error {
	for i := 0; i < len(params); i += MaxBatchParams {
		if err := s.LogBatch(ctx, LogBatchParams{RunID: runID, Params: params[i:min(i+MaxBatchParams, len(params))]}); err != nil {
			return err
		}
	}
	return nil
}

// LogMetrics logs metric points of a run, in batches of MaxBatchMetrics; a zero Timestamp
// is now.
func (s *Service) LogMetrics(ctx context.Context, runID string, metrics ...Metric) error {
	now := s.NowMillis()
	ms := slices.Clone(metrics)
	for i := range ms {
		if ms[i].Timestamp == 0 {
			ms[i].Timestamp = now
		}
	}
	for i := 0; i < len(ms); i += MaxBatchMetrics {
		if err := s.LogBatch(ctx, LogBatchParams{RunID: runID, Metrics: ms[i:min(i+MaxBatchMetrics, len(ms))]}); err != nil {
			return err
		}
	}
	return nil
}

// SetTags sets tags of a run.
func (s *Service) SetTags(ctx context.Context, runID string, tags ...Tag) error {
	for i := 0; i < len(tags); i += MaxBatchTags {
		if err := s.LogBatch(ctx, LogBatchParams{RunID: runID, Tags: tags[i:min(i+MaxBatchTags, len(tags))]}); err != nil {
			return err
		}
	}
	return nil
}

// CreateRegisteredModel validates the name and tags and creates the model.
func (s *Service) CreateRegisteredModel(ctx context.Context, p CreateRegisteredModelParams) (*RegisteredModel, error) {
	if err := ValidateModelName(p.Name); err != nil {
		return nil, err
	}
	for _, t := range p.Tags {
		if err := ValidateRegistryTag(t); err != nil {
			return nil, err
		}
	}
	if p.Time == 0 {
		p.Time = s.NowMillis()
	}
	return s.Store.CreateRegisteredModel(ctx, p)
}

// RenameRegisteredModel validates the new name and renames the model.
func (s *Service) RenameRegisteredModel(ctx context.Context, name, newName string) (*RegisteredModel, error) {
	if err := ValidateModelName(newName); err != nil {
		return nil, err
	}
	return s.Store.RenameRegisteredModel(ctx, name, newName)
}

// SetRegisteredModelTag validates the tag and sets it.
func (s *Service) SetRegisteredModelTag(ctx context.Context, name string, tag Tag) error {
	if err := ValidateRegistryTag(tag); err != nil {
		return err
	}
	return s.Store.SetRegisteredModelTag(ctx, name, tag)
}

// SetRegisteredModelAlias validates the alias and sets it.
func (s *Service) SetRegisteredModelAlias(ctx context.Context, name, alias, version string) error {
	if err := ValidateAlias(alias); err != nil {
		return err
	}
	return s.Store.SetRegisteredModelAlias(ctx, name, alias, version)
}

// GetModelVersionByAlias returns the version an alias points at. The reserved alias
// "latest" (in any case) names the model's newest version, whatever its stage, as MLflow
// 3.3 and later resolve it (models:/NAME@latest); ErrNotFound if the model has no version.
func (s *Service) GetModelVersionByAlias(ctx context.Context, name, alias string) (*ModelVersion, error) {
	if !strings.EqualFold(alias, "latest") {
		return s.Store.GetModelVersionByAlias(ctx, name, alias)
	}
	latest, err := s.GetLatestVersions(ctx, name, nil)
	if err != nil {
		return nil, err
	}
	newest, newestN := "", int64(-1)
	for _, v := range latest {
		if n, err := strconv.ParseInt(v.Version, 10, 64); err == nil && n > newestN {
			newest, newestN = v.Version, n
		}
	}
	if newest == "" {
		return nil, fmt.Errorf("registered model %q has no versions, so alias %q names none: %w", name, alias, ErrNotFound)
	}
	return s.Store.GetModelVersion(ctx, name, newest)
}

// CreateModelVersion validates the tags and creates the version.
func (s *Service) CreateModelVersion(ctx context.Context, p CreateModelVersionParams) (*ModelVersion, error) {
	if p.Source == "" {
		return nil, invalid("missing value for required parameter 'source'")
	}
	for _, t := range p.Tags {
		if err := ValidateRegistryTag(t); err != nil {
			return nil, err
		}
	}
	if p.Time == 0 {
		p.Time = s.NowMillis()
	}
	return s.Store.CreateModelVersion(ctx, p)
}

// SetModelVersionTag validates the tag and sets it.
func (s *Service) SetModelVersionTag(ctx context.Context, name, version string, tag Tag) error {
	if err := ValidateRegistryTag(tag); err != nil {
		return err
	}
	return s.Store.SetModelVersionTag(ctx, name, version, tag)
}

// RegisterModelVersion registers a new version of the model name, creating the registered
// model if missing, and points alias at it if alias is not empty.
func (s *Service) RegisterModelVersion(ctx context.Context, p CreateModelVersionParams, alias string) (*ModelVersion, error) {
	if _, err := s.CreateRegisteredModel(ctx, CreateRegisteredModelParams{Name: p.Name}); err != nil && !errors.Is(err, ErrAlreadyExists) {
		return nil, err
	}
	mv, err := s.CreateModelVersion(ctx, p)
	if err != nil {
		return nil, err
	}
	if alias != "" {
		if err := s.SetRegisteredModelAlias(ctx, p.Name, alias, mv.Version); err != nil {
			return nil, err
		}
		return s.GetModelVersion(ctx, p.Name, mv.Version)
	}
	return mv, nil
}

// Comparison is runs side by side: the union of their param and metric keys, sorted.
type Comparison struct {
	Runs       []Run
	ParamKeys  []string
	MetricKeys []string
}

// CompareRuns returns the runs runIDs side by side.
func (s *Service) CompareRuns(ctx context.Context, runIDs []string) (*Comparison, error) {
	var runs []Run
	for _, id := range runIDs {
		r, err := s.GetRun(ctx, id)
		if err != nil {
			return nil, err
		}
		runs = append(runs, *r)
	}
	return CompareOf(runs), nil
}

// CompareOf puts runs side by side: the keys of every param and metric any of them has,
// sorted (what CompareRuns returns, for runs fetched elsewhere, e.g. from a server).
func CompareOf(runs []Run) *Comparison {
	c := &Comparison{Runs: runs}
	params, metrics := map[string]bool{}, map[string]bool{}
	for _, r := range runs {
		for _, p := range r.Params {
			params[p.Key] = true
		}
		for _, m := range r.Metrics {
			metrics[m.Key] = true
		}
	}
	for k := range params {
		c.ParamKeys = append(c.ParamKeys, k)
	}
	for k := range metrics {
		c.MetricKeys = append(c.MetricKeys, k)
	}
	slices.Sort(c.ParamKeys)
	slices.Sort(c.MetricKeys)
	return c
}

var (
	nameAdjectives = []string{"able", "bold", "brave", "bright", "calm", "clever", "crisp", "eager", "fair", "fast",
		"gentle", "glad", "grand", "keen", "kind", "lively", "lucky", "merry", "neat", "noble",
		"proud", "quick", "quiet", "rare", "sharp", "shy", "smart", "swift", "warm", "wise"}
	nameNouns = []string{"ant", "bass", "bear", "bee", "carp", "cat", "crow", "deer", "dove", "duck",
		"eel", "elk", "fox", "frog", "goat", "hawk", "hen", "lark", "lynx", "mole",
		"moth", "owl", "ram", "seal", "slug", "swan", "toad", "vole", "wasp", "wolf"}
)

// GenerateRunName returns a random run name such as "swift-owl-417", as MLflow does.
func GenerateRunName() string {
	pick := func(n int) int {
		v, err := rand.Int(rand.Reader, big.NewInt(int64(n)))
		if err != nil {
			return 0
		}
		return int(v.Int64())
	}
	return fmt.Sprintf("%s-%s-%d", nameAdjectives[pick(len(nameAdjectives))], nameNouns[pick(len(nameNouns))], pick(1000))
}

// randomHex returns n random bytes as 2n hex digits.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%x", b)
}

// NewRunID returns a new run ID: 32 random lowercase hex digits, as MLflow's.
func NewRunID() string { return randomHex(16) }

// HistoriesReader is implemented by stores that read one metric's history of many runs at
// once (what get-history-bulk-interval and chart grids ask).
type HistoriesReader interface {
	// MetricHistories returns the whole history of metric key of each run, in history
	// order (by step, then timestamp, then value); a run without points has an empty
	// slice; a run that does not exist fails the call with ErrNotFound.
	MetricHistories(ctx context.Context, runIDs []string, key string) (map[string][]Metric, error)
}

// MetricHistories returns the whole history of metric key of each run: in one read when
// the store is a HistoriesReader, else run by run through GetMetricHistory.
func (s *Service) MetricHistories(ctx context.Context, runIDs []string, key string) (map[string][]Metric, error) {
	if hr, ok := s.Store.(HistoriesReader); ok {
		return hr.MetricHistories(ctx, runIDs, key)
	}
	out := make(map[string][]Metric, len(runIDs))
	for _, id := range runIDs {
		page, err := s.Store.GetMetricHistory(ctx, GetMetricHistoryParams{RunID: id, Key: key})
		if err != nil {
			return nil, err
		}
		out[id] = page.Metrics
	}
	return out, nil
}
