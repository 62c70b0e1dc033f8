// Package register is the model.register task kind: it registers a model version in the
// tracking registry with its lineage (data set hashes, DAG run, task, tracking run) and
// moves an alias to it, unconditionally or only when the new version beats the one the
// alias points at on the same data set (only_if_better).
package register

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/weirhq/weir/dag"
	"github.com/weirhq/weir/executor"
	"github.com/weirhq/weir/ml/model"
	"github.com/weirhq/weir/steps/evaluate"
	"github.com/weirhq/weir/steps/scoring"
	"github.com/weirhq/weir/steps/stepio"
	"github.com/weirhq/weir/tracking"
)

// Name is the kind's name.
const Name = "model.register"

// Better is the condition of only_if_better.
type Better struct {
	Metric string `yaml:"metric" doc:"The metric compared (r2, rmse, accuracy, roc_auc, ...)."`
	Mode   string `yaml:"mode" doc:"min or max: which is better; default min for errors and losses (rmse, mse, mae, mape, log_loss), max otherwise."`
	Data   string `yaml:"data" template:"true" doc:"The data set both models are scored on (the test set)."`
	Target string `yaml:"target" template:"true" doc:"The target column; default the model's."`
}

// Spec is a model.register task's fields.
type Spec struct {
	Model        string            `yaml:"model" template:"true" required:"the model to register: model.train's model output or another model reference" doc:"The model: model.train's model output, runs:/RUN_ID/model or a path."`
	Name         string            `yaml:"name" template:"true" required:"the registered model's name" doc:"The registered model's name; created if missing."`
	Alias        string            `yaml:"alias" template:"true" doc:"The alias to move to the new version (champion)."`
	OnlyIfBetter Better            `yaml:"only_if_better" doc:"Move the alias only if the new version beats the alias's current version on this data set; the version is registered either way."`
	Description  string            `yaml:"description" template:"true" doc:"The version's description."`
	Tags         map[string]string `yaml:"tags" template:"true" doc:"More tags of the version (lineage tags weir.* are set for you)."`
}

// Kind returns the model.register registration.
func Kind(deps stepio.Deps) executor.Registration {
	return executor.Registration{
		Def: dag.KindDef{
			Name:     Name,
			Doc:      "Registers a model version with its lineage and moves an alias to it, optionally only if it beats the alias's current version on the same data set.",
			New:      func() any { return &Spec{} },
			Validate: validate,
			Tracked:  true,
		},
		Run: executor.KindFunc(func(ctx context.Context, job *executor.Job) executor.Result {
			return run(ctx, deps, job)
		}),
	}
}

func validate(c *dag.KindCheck, spec any) {
	s := spec.(*Spec)
	b := s.OnlyIfBetter
	if b == (Better{}) {
		return
	}
	if s.Alias == "" {
		c.Errorf("only_if_better", "compares with the version at the alias: set alias (e.g. champion)")
	}
	if b.Metric == "" {
		c.Errorf("only_if_better.metric", "missing: the metric to compare (%s)", metricList())
	} else if !slices.Contains(evaluate.Metrics, b.Metric) {
		c.Errorf("only_if_better.metric", "unknown metric %q (%s)", b.Metric, metricList())
	}
	if b.Mode != "" && b.Mode != "min" && b.Mode != "max" {
		c.Errorf("only_if_better.mode", "want min or max, got %q", b.Mode)
	}
	if b.Data == "" {
		c.Errorf("only_if_better.data", "missing: the data set both models are scored on")
	}
}

func metricList() string {
	s := ""
	for i, m := range evaluate.Metrics {
		if i > 0 {
			s += ", "
		}
		s += m
	}
	return s
}

func fail(err error) executor.Result {
	return executor.Result{Outcome: executor.FailedNoRetry, Err: err}
}

// comparison is the outcome of only_if_better.
type comparison struct {
	Metric         string   `json:"metric"`
	Mode           string   `json:"mode"`
	New            float64  `json:"new"`
	Current        *float64 `json:"current,omitempty"`
	CurrentVersion string   `json:"current_version,omitempty"`
	Data           string   `json:"data"`
	DataHash       string   `json:"data_hash,omitempty"`

	dataset *stepio.Dataset
}

func run(ctx context.Context, deps stepio.Deps, job *executor.Job) executor.Result {
	s, ok := job.Task.Spec.(*Spec)
	if !ok {
		return fail(fmt.Errorf("model.register: spec is %T", job.Task.Spec))
	}
	o, err := stepio.New(deps, job)
	if err != nil {
		return fail(err)
	}
	svc := deps.Tracking
	if svc == nil {
		return fail(errors.New("model.register needs the tracking registry, and this node has no tracking store"))
	}
	m, src, err := o.ReadModel(ctx, s.Model)
	if err != nil {
		return fail(err)
	}
	move := s.Alias != ""
	reason := "no alias given"
	if move {
		reason = fmt.Sprintf("alias %s moved unconditionally (no only_if_better)", s.Alias)
	}
	var cmp *comparison
	var evalHash string
	if b := s.OnlyIfBetter; b != (Better{}) && s.Alias != "" {
		cmp, reason, move, err = compare(ctx, o, svc, s, m)
		if err != nil {
			return fail(err)
		}
		evalHash = cmp.DataHash
	}
	tags := []tracking.Tag{
		{Key: "weir.dag_id", Value: job.DAGID}, {Key: "weir.run_id", Value: job.RunID}, {Key: "weir.task_id", Value: job.TaskID},
		{Key: "weir.model_uri", Value: src.URI}, {Key: "weir.model_kind", Value: m.Kind}, {Key: "weir.model_task", Value: m.Task},
		{Key: "weir.train_data_fingerprint", Value: m.Metadata.DataFingerprint},
		{Key: "weir.train_rows", Value: strconv.Itoa(m.Metadata.Rows)},
	}
	if h, ok := m.Metadata.Params["data_hash"].(string); ok && h != "" {
		tags = append(tags, tracking.Tag{Key: "weir.train_data_hash", Value: h})
	}
	if d, ok := m.Metadata.Params["data"].(string); ok && d != "" {
		tags = append(tags, tracking.Tag{Key: "weir.train_data", Value: d})
	}
	if evalHash != "" {
		tags = append(tags, tracking.Tag{Key: "weir.eval_data_hash", Value: evalHash})
	}
	runID := src.RunID
	if runID == "" {
		// A model file trained by a tracked model.train names its tracking run: the
		// version belongs to the run that trained it (its params, metrics and data), as
		// MLflow's versions belong to the run that logged the model.
		if id, ok := m.Metadata.Params["tracking_run_id"].(string); ok && id != "" {
			if _, err := svc.GetRun(ctx, id); err == nil {
				runID = id
			}
		}
	}
	if job.Tracking != nil {
		tags = append(tags, tracking.Tag{Key: "weir.tracking_run_id", Value: job.Tracking.RunID})
		if runID == "" {
			runID = job.Tracking.RunID
		}
	}
	keys := make([]string, 0, len(s.Tags))
	for k := range s.Tags {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		tags = append(tags, tracking.Tag{Key: k, Value: s.Tags[k]})
	}
	alias := ""
	if move {
		alias = s.Alias
	}
	mv, err := svc.RegisterModelVersion(ctx, tracking.CreateModelVersionParams{
		Name: s.Name, Source: src.URI, RunID: runID, Description: s.Description, Tags: tags}, alias)
	if err != nil {
		o.Audit(ctx, "model.register", "registered_model", s.Name, map[string]any{"source": src.URI, "alias": alias}, err)
		return fail(fmt.Errorf("register model %q: %w", s.Name, err))
	}
	o.Audit(ctx, "model.register", "model_version", s.Name+"/"+mv.Version, map[string]any{"source": src.URI, "run_id": runID}, nil)
	if alias != "" {
		o.Audit(ctx, "model.alias", "registered_model", s.Name+"@"+alias, map[string]any{"version": mv.Version, "reason": reason}, nil)
	}
	params := map[string]any{"registered_model": s.Name, "version": mv.Version, "alias": s.Alias, "alias_moved": move}
	if err := o.LogParams(ctx, params); err != nil {
		return executor.Result{Outcome: executor.Failed, Err: err}
	}
	if cmp != nil {
		mets := map[string]float64{"new_" + cmp.Metric: cmp.New}
		if cmp.Current != nil {
			mets["current_"+cmp.Metric] = *cmp.Current
		}
		if err := o.LogMetrics(ctx, mets); err != nil {
			return executor.Result{Outcome: executor.Failed, Err: err}
		}
	}
	if job.Log != nil {
		fmt.Fprintf(job.Log, "model.register: %s version %s (source %s)\n", s.Name, mv.Version, src.URI)
		if s.Alias != "" {
			fmt.Fprintf(job.Log, "alias %s moved: %v: %s\n", s.Alias, move, reason)
		}
	}
	out := map[string]any{"name": s.Name, "version": mv.Version, "alias": s.Alias, "alias_moved": move, "reason": reason,
		"source": src.URI, "uri": "models:/" + s.Name + "/" + mv.Version, "run_id": runID}
	if cmp != nil {
		out["comparison"] = cmp
		out["datasets"] = map[string]any{"data": cmp.dataset}
	}
	b, err := json.Marshal(out)
	if err != nil {
		return fail(err)
	}
	return executor.Result{Outcome: executor.Succeeded, Output: b}
}

// compare scores the new model and the alias's current version on only_if_better's data
// set and says whether the alias should move, and why.
func compare(ctx context.Context, o *stepio.IO, svc *tracking.Service, s *Spec, m *model.Model) (*comparison, string, bool, error) {
	b := s.OnlyIfBetter
	mode := b.Mode
	if mode == "" {
		mode = "max"
		if scoring.Lower(b.Metric) {
			mode = "min"
		}
	}
	data, ds, err := o.ReadFrame(ctx, b.Data)
	if err != nil {
		return nil, "", false, fmt.Errorf("only_if_better.data: %w", err)
	}
	cmp := &comparison{Metric: b.Metric, Mode: mode, Data: b.Data, DataHash: ds.Hash, dataset: ds}
	score := func(which string, mm *model.Model) (float64, error) {
		if mm.Task == model.Clustering {
			return 0, fmt.Errorf("the %s model is a clustering model: only_if_better compares regression or classification metrics", which)
		}
		res, err := scoring.Score(mm, data, b.Target)
		if err != nil {
			return 0, fmt.Errorf("only_if_better: score the %s model on %s: %w", which, b.Data, err)
		}
		v, ok := res.Metrics[b.Metric]
		if !ok || math.IsNaN(v) {
			return 0, fmt.Errorf("only_if_better: metric %s is not defined for the %s %s model on %s", b.Metric, which, mm.Task, b.Data)
		}
		return v, nil
	}
	if cmp.New, err = score("new", m); err != nil {
		return nil, "", false, err
	}
	cur, err := svc.GetModelVersionByAlias(ctx, s.Name, s.Alias)
	if errors.Is(err, tracking.ErrNotFound) {
		return cmp, fmt.Sprintf("no version of %s has alias %s yet: the first one takes it (%s %.6g)", s.Name, s.Alias, b.Metric, cmp.New), true, nil
	}
	if err != nil {
		return nil, "", false, fmt.Errorf("only_if_better: alias %s of %s: %w", s.Alias, s.Name, err)
	}
	cmp.CurrentVersion = cur.Version
	champ, _, err := o.ReadModel(ctx, "models:/"+s.Name+"/"+cur.Version)
	if err != nil {
		return nil, "", false, fmt.Errorf("only_if_better: the current %s: %w", s.Alias, err)
	}
	cv, err := score(fmt.Sprintf("current %s (version %s)", s.Alias, cur.Version), champ)
	if err != nil {
		return nil, "", false, err
	}
	cmp.Current = &cv
	if scoring.Better(cmp.New, cv, mode) {
		return cmp, fmt.Sprintf("%s %.6g beats the current %s (version %s) %.6g on %s (%s is better)", b.Metric, cmp.New, s.Alias, cur.Version, cv, b.Data, mode), true, nil
	}
	return cmp, fmt.Sprintf("%s %.6g does not beat the current %s (version %s) %.6g on %s (%s is better): %s stays", b.Metric, cmp.New, s.Alias, cur.Version, cv, b.Data, mode, s.Alias), false, nil
}
