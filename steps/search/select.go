package search

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/weirhq/weir/dag"
	"github.com/weirhq/weir/executor"
	"github.com/weirhq/weir/ml/model"
	"github.com/weirhq/weir/ml/preprocess"
	"github.com/weirhq/weir/steps/stepio"
)

// SelectSpec is the spec of a model.select task.
type SelectSpec struct {
	// Candidates are a search's scored candidates.
	Candidates any `yaml:"candidates" template:"value" required:"the search's outputs: \"{{ outputs.search }}\"" doc:"The scored candidates: a mapped search's output (\"{{ outputs.search }}\", the list of its instances' outputs) or a halving search's (its candidates)."`
	// Metric ranks the candidates; default the search's.
	Metric string `yaml:"metric" doc:"The metric to rank by (any the search computed: r2, rmse, accuracy, ...); default the search's."`
	// Mode is max or min; default the metric's.
	Mode string `yaml:"mode" doc:"max or min; default the search's mode for its metric, else the metric's (min for errors and log_loss)."`
	// Refit trains the best candidate on the data and writes the model.
	Refit bool `yaml:"refit" doc:"Train the best candidate on all of data and write the model (output key model)."`
	// Data is the refit's data set; default the one searched on.
	Data string `yaml:"data" template:"true" doc:"The data set to refit on; default the one the search used."`
}

// SelectKind is the model.select task kind: the best of a search's candidates, refitted
// with the estimators est builds when asked.
func SelectKind(deps stepio.Deps, est Estimators) executor.Registration {
	return executor.Registration{
		Def: dag.KindDef{
			Name:    "model.select",
			Doc:     "Picks the best of a search's candidates by a metric (max or min), optionally refitting it on all the data and writing the model.",
			New:     func() any { return &SelectSpec{} },
			Tracked: true,
			Validate: func(c *dag.KindCheck, spec any) {
				s := spec.(*SelectSpec)
				if s.Mode != "" && s.Mode != "max" && s.Mode != "min" {
					c.Errorf("mode", "want max or min, got %q", s.Mode)
				}
				if s.Metric != "" {
					if _, ok := metricDefs[s.Metric]; !ok {
						c.Errorf("metric", "unknown metric %q%s; valid: %s", s.Metric, dag.DidYouMean(s.Metric, metricNames("")), strings.Join(metricNames(""), ", "))
					}
				}
				if s.Data != "" && !s.Refit {
					c.Errorf("data", "data is the refit's data set: add refit: true, or drop data")
				}
			},
		},
		Run: selectRunner{deps: deps, est: est},
	}
}

type selectRunner struct {
	deps stepio.Deps
	est  Estimators
}

// Selection is the output of model.select.
type Selection struct {
	// Estimator is the best candidate's estimator; Params its complete hyperparameters.
	Estimator string         `json:"estimator"`
	Params    map[string]any `json:"params"`
	// Metric and Mode ranked the candidates; Score and ScoreStd are the best's mean and
	// standard deviation of Metric over the folds.
	Metric   string  `json:"metric"`
	Mode     string  `json:"mode"`
	Score    float64 `json:"score"`
	ScoreStd float64 `json:"score_std"`
	// Index is the best's position in the candidates; Candidates their number.
	Index      int `json:"index"`
	Candidates int `json:"candidates"`
	// RunID is the best candidate's tracking run, when it was tracked.
	RunID string `json:"run_id,omitempty"`
	// Model is the refitted model's URI (with refit).
	Model string `json:"model,omitempty"`
	// Datasets describes the refit's data set (with refit).
	Datasets map[string]*stepio.Dataset `json:"datasets,omitempty"`
}

// candidatesOf decodes a search's output: a list of candidates (a mapped search) or an
// object with a candidates list (halving).
func candidatesOf(v any) ([]*Candidate, error) {
	if obj, ok := v.(map[string]any); ok {
		list, ok := obj["candidates"]
		if !ok {
			return nil, fmt.Errorf("candidates: got an object without a candidates list: pass a search's output (\"{{ outputs.search }}\")")
		}
		v = list
	}
	if s, ok := v.(string); ok {
		return nil, fmt.Errorf("candidates: got the string %q: pass a search's output as a value (\"{{ outputs.search }}\")", s)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("candidates: %w", err)
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("candidates: want a list of a search's candidates, got %s", jsonText(v))
	}
	out := make([]*Candidate, 0, len(raw))
	for i, r := range raw {
		if string(r) == "null" {
			continue // a failed or skipped instance
		}
		var c Candidate
		if err := json.Unmarshal(r, &c); err != nil || c.Estimator == "" || c.Metrics == nil {
			return nil, fmt.Errorf("candidates[%d]: not a model.search candidate (want estimator, params, metrics): %s", i, shorten(string(r)))
		}
		out = append(out, &c)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("candidates: the search scored no candidate")
	}
	return out, nil
}

func shorten(s string) string {
	if len(s) > 120 {
		return s[:117] + "..."
	}
	return s
}

func (r selectRunner) Run(ctx context.Context, job *executor.Job) executor.Result {
	s, ok := job.Task.Spec.(*SelectSpec)
	if !ok {
		return fail(fmt.Errorf("model.select: the task's spec is %T, not a select spec", job.Task.Spec))
	}
	sio, err := stepio.New(r.deps, job)
	if err != nil {
		return fail(err)
	}
	cands, err := candidatesOf(s.Candidates)
	if err != nil {
		return fail(err)
	}
	metric, mode := s.Metric, s.Mode
	if metric == "" {
		metric = cands[0].Metric
	}
	if mode == "" {
		if metric == cands[0].Metric && cands[0].Mode != "" {
			mode = cands[0].Mode
		} else {
			mode = metricDefs[metric].mode
		}
	}
	score := func(c *Candidate) (float64, bool) {
		v, ok := c.Metrics[metric]
		return v, ok
	}
	best := -1
	for i, c := range cands {
		v, ok := score(c)
		if !ok {
			var have []string
			for k := range c.Metrics {
				have = append(have, k)
			}
			sort.Strings(have)
			return fail(fmt.Errorf("metric: candidate %d (%s) has no %s score; it has %s", i, jsonText(c.Candidate), metric, strings.Join(have, ", ")))
		}
		if best < 0 {
			best = i
			continue
		}
		if b, _ := score(cands[best]); better(v, b, mode) {
			best = i
		}
	}
	c := cands[best]
	v, _ := score(c)
	if math.IsNaN(v) {
		return fail(fmt.Errorf("metric: every candidate's %s score is NaN", metric))
	}
	sel := &Selection{Estimator: c.Estimator, Params: c.Params, Metric: metric, Mode: mode, Score: v,
		ScoreStd: c.MetricsStd[metric], Index: best, Candidates: len(cands), RunID: c.RunID}
	writeRanking(job, cands, metric, mode, best)
	params := map[string]any{"estimator": c.Estimator, "metric": metric, "mode": mode}
	for k, pv := range c.Params {
		params["best."+k] = pv
	}
	logParams(ctx, sio, params)
	if err := sio.LogMetrics(ctx, map[string]float64{"best_" + metric: v, "best_" + metric + "_std": sel.ScoreStd}); err != nil {
		return fail(fmt.Errorf("log metrics: %w", err))
	}
	if s.Refit {
		if err := r.refit(ctx, sio, s, c, sel); err != nil {
			if ctx.Err() != nil {
				return executor.Result{Outcome: executor.Failed, Err: err}
			}
			return fail(err)
		}
	}
	b, err := json.Marshal(sel)
	if err != nil {
		return fail(err)
	}
	return executor.Result{Outcome: executor.Succeeded, Output: b}
}

// refit trains the best candidate on all of the data and writes the model.
func (r selectRunner) refit(ctx context.Context, sio *stepio.IO, s *SelectSpec, c *Candidate, sel *Selection) error {
	data := s.Data
	if data == "" {
		data = c.Data
	}
	f, ds, err := sio.ReadFrame(ctx, data)
	if err != nil {
		return fmt.Errorf("data: %w", err)
	}
	var pre *preprocess.Pipeline
	if c.Pipeline != "" {
		b, err := sio.ReadFile(ctx, c.Pipeline)
		if err != nil {
			return fmt.Errorf("pipeline: %w", err)
		}
		newPipeline, _, err := readPipeline(b, c.Pipeline)
		if err != nil {
			return err
		}
		if pre, err = newPipeline(); err != nil {
			return err
		}
	}
	if _, err := checkColumns(f, c.Target, c.Inputs, pre != nil); err != nil {
		return err
	}
	est, err := r.est.New(c.Estimator, c.Params)
	if err != nil {
		return fmt.Errorf("estimator: %w", err)
	}
	m, err := model.Train(f, model.Config{Target: c.Target, Inputs: c.Inputs, Estimator: est, Params: c.Params, Preprocess: pre})
	if err != nil {
		return fmt.Errorf("refit: %w", err)
	}
	m.Metadata.Metrics = map[string]float64{"cv_" + sel.Metric: sel.Score, "cv_" + sel.Metric + "_std": sel.ScoreStd}
	var buf bytes.Buffer
	if err := m.Save(&buf); err != nil {
		return fmt.Errorf("save the model: %w", err)
	}
	uri, err := sio.WriteFile(ctx, "model.json", buf.Bytes())
	if err != nil {
		return err
	}
	if _, err := sio.LogArtifact(ctx, "model/model.json", buf.Bytes()); err != nil {
		return err
	}
	sel.Model, sel.Datasets = uri, map[string]*stepio.Dataset{"data": ds}
	fmt.Fprintf(sio.Job().Log, "refitted %s on %d rows: %s\n", c.Estimator, f.NumRows(), uri)
	return nil
}

// writeRanking writes the candidates, best first, to the task's log.
func writeRanking(job *executor.Job, cs []*Candidate, metric, mode string, best int) {
	if job.Log == nil {
		return
	}
	order := make([]int, len(cs))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool {
		return better(cs[order[a]].Metrics[metric], cs[order[b]].Metrics[metric], mode)
	})
	tw := tabwriter.NewWriter(job.Log, 2, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "rank\tcandidate\t%s (%s)\tstd\n", metric, mode)
	for rank, i := range order {
		mark := ""
		if i == best {
			mark = "  <- best"
		}
		fmt.Fprintf(tw, "%d\t%s\t%.6g\t%.6g%s\n", rank+1, jsonText(cs[i].Candidate), cs[i].Metrics[metric], cs[i].MetricsStd[metric], mark)
	}
	_ = tw.Flush()
}
