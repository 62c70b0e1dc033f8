package search

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/weirhq/weir/executor"
	"github.com/weirhq/weir/ml/frame"
	"github.com/weirhq/weir/ml/preprocess"
	"github.com/weirhq/weir/steps/stepio"
	"github.com/weirhq/weir/tracking"
)

// SearchKind is the model.search task kind: cross-validated hyperparameter search with
// the estimators est builds (Fallback until steps/estimators is wired in).
func SearchKind(deps stepio.Deps, est Estimators) executor.Registration {
	return executor.Registration{Def: searchDef(est), Run: searchRunner{deps: deps, est: est}}
}

type searchRunner struct {
	deps stepio.Deps
	est  Estimators
}

// Candidate is the output of one scored candidate (a mapped instance's whole output, an
// item of a halving search's candidates).
type Candidate struct {
	// Estimator is the estimator's name.
	Estimator string `json:"estimator"`
	// Params are the candidate's complete hyperparameters: the shared params overlaid with
	// its own (what model.select refits with).
	Params map[string]any `json:"params"`
	// Candidate are the hyperparameters searched over.
	Candidate map[string]any `json:"candidate"`
	// Metric and Mode say how candidates are ranked; Score is the metric's mean over the
	// folds, ScoreStd its (population) standard deviation, Scores the fold scores.
	Metric   string    `json:"metric"`
	Mode     string    `json:"mode"`
	Score    float64   `json:"score"`
	ScoreStd float64   `json:"score_std"`
	Scores   []float64 `json:"scores"`
	// Metrics and MetricsStd hold every metric of the task, mean and standard deviation.
	Metrics    map[string]float64 `json:"metrics"`
	MetricsStd map[string]float64 `json:"metrics_std"`
	// Folds is the number of folds; Rows the rows cross-validated.
	Folds int `json:"folds"`
	Rows  int `json:"rows"`
	// Round is the halving round the scores come from (0 outside halving).
	Round int `json:"round,omitempty"`
	// Data, Target and Inputs are what was searched on.
	Data   string   `json:"data"`
	Target string   `json:"target"`
	Inputs []string `json:"inputs"`
	// Pipeline is the preprocessing pipeline file refitted on each fold, if any.
	Pipeline string `json:"pipeline,omitempty"`
	// RunID is the candidate's tracking run, when tracked.
	RunID string `json:"run_id,omitempty"`

	pipeline func() (*preprocess.Pipeline, error)
}

func fail(err error) executor.Result {
	return executor.Result{Outcome: executor.FailedNoRetry, Err: err}
}

func (r searchRunner) Run(ctx context.Context, job *executor.Job) executor.Result {
	s, ok := job.Task.Spec.(*SearchSpec)
	if !ok {
		return fail(fmt.Errorf("model.search: the task's spec is %T, not a search spec", job.Task.Spec))
	}
	sio, err := stepio.New(r.deps, job)
	if err != nil {
		return fail(err)
	}
	f, ds, err := sio.ReadFrame(ctx, s.Data)
	if err != nil {
		return fail(fmt.Errorf("data: %w", err))
	}
	var pipeline func() (*preprocess.Pipeline, error)
	given := s.Inputs
	if s.Pipeline != "" {
		b, err := sio.ReadFile(ctx, s.Pipeline)
		if err != nil {
			return fail(fmt.Errorf("pipeline: %w", err))
		}
		var cols []string
		if pipeline, cols, err = readPipeline(b, s.Pipeline); err != nil {
			return fail(err)
		}
		if len(given) == 0 {
			given = slices.DeleteFunc(cols, func(c string) bool { return c == s.Target })
		}
	}
	inputs, err := checkColumns(f, s.Target, given, pipeline != nil)
	if err != nil {
		return fail(err)
	}
	base, err := r.est.New(s.Estimator, s.Params)
	if err != nil {
		return fail(fmt.Errorf("estimator: %w", err))
	}
	task, err := taskOf(base)
	if err != nil {
		return fail(fmt.Errorf("estimator: %w", err))
	}
	metric, mode := s.metric(task)
	tmpl := Candidate{Estimator: s.Estimator, Metric: metric, Mode: mode, Folds: s.folds(), Data: s.Data, Target: s.Target,
		Inputs: inputs, Pipeline: s.Pipeline, pipeline: pipeline}
	logParams(ctx, sio, map[string]any{"estimator": s.Estimator, "cv": s.folds(), "metric": metric, "mode": mode, "target": s.Target})
	h, err := s.halving()
	if err != nil {
		return fail(err)
	}
	var out any
	if h != nil {
		out, err = r.halve(ctx, sio, s, h, f, tmpl)
	} else {
		out, err = r.one(ctx, sio, s, f, tmpl)
	}
	if err != nil {
		if ctx.Err() != nil {
			return executor.Result{Outcome: executor.Failed, Err: err}
		}
		return fail(err)
	}
	var obj map[string]any
	b, _ := json.Marshal(out)
	_ = json.Unmarshal(b, &obj)
	obj["datasets"] = map[string]any{"data": ds}
	b, err = json.Marshal(obj)
	if err != nil {
		return fail(err)
	}
	return executor.Result{Outcome: executor.Succeeded, Output: b}
}

// score cross-validates one candidate on f.
func (r searchRunner) score(ctx context.Context, s *SearchSpec, f *frame.Frame, tmpl Candidate, cand map[string]any) (*Candidate, error) {
	params := merged(s.Params, cand)
	folds, err := makeFolds(f, s.Target, s.folds(), s.Shuffle, s.Stratify, uint64(s.Seed))
	if err != nil {
		return nil, err
	}
	res, err := crossValidate(ctx, f, cvConfig{target: s.Target, inputs: tmpl.Inputs, folds: folds, metric: tmpl.Metric, pipeline: tmpl.pipeline},
		func() (any, error) { return r.est.New(s.Estimator, params) })
	if err != nil {
		return nil, fmt.Errorf("candidate %s: %w", jsonText(cand), err)
	}
	c := tmpl
	c.Params, c.Candidate = params, cand
	if c.Candidate == nil {
		c.Candidate = map[string]any{}
	}
	c.Score, c.ScoreStd, c.Scores = res.mean[tmpl.Metric], res.std[tmpl.Metric], res.scores[tmpl.Metric]
	c.Metrics, c.MetricsStd, c.Rows = res.mean, res.std, f.NumRows()
	return &c, nil
}

// cvMetrics are a candidate's tracking metrics: <metric>_mean and <metric>_std of every
// metric computed.
func cvMetrics(c *Candidate) map[string]float64 {
	out := map[string]float64{}
	for k, v := range c.Metrics {
		out[k+"_mean"] = v
		out[k+"_std"] = c.MetricsStd[k]
	}
	return out
}

// one scores the instance's candidate (a mapped instance of a grid or random search).
func (r searchRunner) one(ctx context.Context, sio *stepio.IO, s *SearchSpec, f *frame.Frame, tmpl Candidate) (*Candidate, error) {
	c, err := r.score(ctx, s, f, tmpl, s.Candidate)
	if err != nil {
		return nil, err
	}
	if sio.Tracked() {
		c.RunID = sio.Job().Tracking.RunID
		shared := map[string]any{}
		for k, v := range s.Params {
			shared[k] = v
		}
		logParams(ctx, sio, shared)
		if err := sio.LogMetrics(ctx, cvMetrics(c)); err != nil {
			return nil, fmt.Errorf("log metrics: %w", err)
		}
	}
	writeTable(sio.Job().Log, []*Candidate{c}, true)
	return c, nil
}

// HalvingOutput is the output of a successive-halving search.
type HalvingOutput struct {
	// Candidates are the candidates of the last round, scored on the most rows: what
	// model.select picks from.
	Candidates []*Candidate `json:"candidates"`
	// Best is the best candidate of the last round.
	Best *Candidate `json:"best"`
	// Rounds describe each round.
	Rounds []HalvingRound `json:"rounds"`
	// History holds every candidate's scores of every round.
	History []*Candidate `json:"history"`
	// Metric and Mode say how candidates were ranked.
	Metric string `json:"metric"`
	Mode   string `json:"mode"`
}

// HalvingRound is one round of successive halving.
type HalvingRound struct {
	Round      int `json:"round"`
	Rows       int `json:"rows"`
	Candidates int `json:"candidates"`
	Kept       int `json:"kept"`
}

// halvingPlan returns the rows of the first round and the number of rounds, as
// scikit-learn's HalvingGridSearchCV with min_resources="exhaust": enough rounds to cut
// the candidates to one (1 + ⌊log_factor n⌋), as many as the rows allow, the first on
// rows/factor^(rounds-1) rows but at least 2·folds (·classes).
func halvingPlan(n, rows, folds, classes int, h *halving) (minRows, rounds int) {
	need := 1
	for p := h.factor; p <= n; p *= h.factor {
		need++
	}
	smallest := 2 * folds
	if classes > 0 {
		smallest *= classes
	}
	minRows = h.minRows
	if minRows == 0 {
		minRows = rows / int(math.Pow(float64(h.factor), float64(need-1)))
		minRows = max(minRows, smallest)
	}
	minRows = min(minRows, rows)
	possible := 1
	for r := minRows * h.factor; r <= rows; r *= h.factor {
		possible++
	}
	return minRows, min(need, possible)
}

// halve runs successive halving: each round scores the remaining candidates on
// minRows·factor^round rows (a prefix of one seeded shuffle of the rows) and keeps the
// best ⌈n/factor⌉. Each candidate gets its own tracking run under the try's, its scores
// logged with the round as the step.
func (r searchRunner) halve(ctx context.Context, sio *stepio.IO, s *SearchSpec, h *halving, f *frame.Frame, tmpl Candidate) (*HalvingOutput, error) {
	cands, err := s.candidates()
	if err != nil {
		return nil, err
	}
	classes := 0
	if tmpl.Metric != "" && metricDefs[tmpl.Metric].task == "classification" {
		col, _ := f.Column(s.Target)
		seen := map[string]bool{}
		for i := 0; i < col.Len(); i++ {
			seen[col.Format(i)] = true
		}
		classes = len(seen)
	}
	minRows, rounds := halvingPlan(len(cands), f.NumRows(), s.folds(), classes, h)
	order := rand.New(rand.NewPCG(h.seed, 0x4a1f)).Perm(f.NumRows())
	runs := make([]string, len(cands))
	failed := true
	defer func() { r.endRuns(runs, failed) }()
	alive := make([]int, len(cands))
	for i := range alive {
		alive[i] = i
	}
	out := &HalvingOutput{Metric: tmpl.Metric, Mode: tmpl.Mode}
	var last []*Candidate
	for round := 0; round < rounds; round++ {
		rows := min(minRows*int(math.Pow(float64(h.factor), float64(round))), f.NumRows())
		sub := f
		if rows < f.NumRows() {
			idx := append([]int(nil), order[:rows]...)
			sort.Ints(idx)
			if sub, err = f.Take(idx); err != nil {
				return nil, err
			}
		}
		fmt.Fprintf(sio.Job().Log, "round %d: %d candidates on %d rows\n", round, len(alive), rows)
		scored := make([]*Candidate, 0, len(alive))
		for _, i := range alive {
			c, err := r.score(ctx, s, sub, tmpl, cands[i])
			if err != nil {
				return nil, fmt.Errorf("round %d: %w", round, err)
			}
			c.Round = round
			if c.RunID, err = r.logCandidate(ctx, sio, runs, i, c); err != nil {
				return nil, err
			}
			scored = append(scored, c)
			out.History = append(out.History, c)
		}
		writeTable(sio.Job().Log, scored, false)
		rank := make([]int, len(scored))
		for k := range rank {
			rank[k] = k
		}
		sort.SliceStable(rank, func(a, b int) bool { return better(scored[rank[a]].Score, scored[rank[b]].Score, tmpl.Mode) })
		keep := (len(alive) + h.factor - 1) / h.factor
		out.Rounds = append(out.Rounds, HalvingRound{Round: round, Rows: rows, Candidates: len(alive), Kept: keep})
		last = scored
		next := make([]int, 0, keep)
		for _, k := range rank[:keep] {
			next = append(next, alive[k])
		}
		sort.Ints(next)
		alive = next
	}
	out.Candidates, failed = last, false
	for _, c := range last {
		if out.Best == nil || better(c.Score, out.Best.Score, tmpl.Mode) {
			out.Best = c
		}
	}
	if out.Best != nil {
		_ = sio.LogMetrics(ctx, map[string]float64{"best_" + tmpl.Metric: out.Best.Score})
		fmt.Fprintf(sio.Job().Log, "best: %s %s = %.6g\n", jsonText(out.Best.Candidate), tmpl.Metric, out.Best.Score)
	}
	return out, nil
}

// logCandidate logs a halving candidate's round into its own tracking run (opened on its
// first round, nested under the try's run) and returns the run's ID ("" untracked).
func (r searchRunner) logCandidate(ctx context.Context, sio *stepio.IO, runs []string, i int, c *Candidate) (string, error) {
	if !sio.Tracked() {
		return "", nil
	}
	job, svc := sio.Job(), r.deps.Tracking
	if runs[i] == "" {
		var params []tracking.Param
		for _, k := range sortedKeys(c.Params) {
			params = append(params, tracking.Param{Key: k, Value: paramText(c.Params[k])})
		}
		run, err := svc.StartRun(ctx, tracking.StartRunParams{Experiment: job.DAGID, ParentRunID: job.Tracking.RunID,
			RunName: job.TaskID + " candidate " + strconv.Itoa(i),
			Task:    tracking.TaskRef{DAGID: job.DAGID, DAGRunID: job.RunID, TaskID: job.TaskID, MapIndex: job.MapIndex, TryNumber: job.TryNumber},
			Params:  params, Tags: []tracking.Tag{{Key: "weir.candidate", Value: strconv.Itoa(i)}}})
		if err != nil {
			return "", fmt.Errorf("open the tracking run of candidate %d: %w", i, err)
		}
		runs[i] = run.Info.RunID
	}
	now := svc.NowMillis()
	var ms []tracking.Metric
	for k, v := range cvMetrics(c) {
		ms = append(ms, tracking.Metric{Key: k, Value: v, Timestamp: now, Step: int64(c.Round)})
	}
	ms = append(ms, tracking.Metric{Key: "rows", Value: float64(c.Rows), Timestamp: now, Step: int64(c.Round)})
	if err := svc.LogMetrics(ctx, runs[i], ms...); err != nil {
		return "", fmt.Errorf("log the metrics of candidate %d: %w", i, err)
	}
	return runs[i], nil
}

// endRuns closes the candidates' tracking runs (even when the try's context is done).
func (r searchRunner) endRuns(runs []string, failed bool) {
	status := tracking.RunFinished
	if failed {
		status = tracking.RunFailed
	}
	for _, id := range runs {
		if id != "" {
			_, _ = r.deps.Tracking.EndRun(context.Background(), id, status)
		}
	}
}

// logParams logs params to the try's tracking run; a failure (a DAG param of the same
// name with another value, which MLflow refuses to overwrite) is a warning in the log.
func logParams(ctx context.Context, sio *stepio.IO, params map[string]any) {
	if err := sio.LogParams(ctx, params); err != nil && sio.Job().Log != nil {
		fmt.Fprintf(sio.Job().Log, "[weir] warning: params not logged to tracking: %v\n", err)
	}
}

// paramText writes a param value as MLflow keeps it (as the engine's tracker does).
func paramText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return jsonText(v)
}

// writeTable writes candidates' scores as a table to the task's log.
func writeTable(w io.Writer, cs []*Candidate, folds bool) {
	if w == nil || len(cs) == 0 {
		return
	}
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	metric := cs[0].Metric
	head := "candidate\trows\t" + metric + " mean\tstd"
	if folds {
		head += "\tfolds"
	}
	fmt.Fprintln(tw, head)
	for _, c := range cs {
		line := fmt.Sprintf("%s\t%d\t%.6g\t%.6g", jsonText(c.Candidate), c.Rows, c.Score, c.ScoreStd)
		if folds {
			var fs []string
			for _, v := range c.Scores {
				fs = append(fs, strconv.FormatFloat(v, 'g', 6, 64))
			}
			line += "\t" + strings.Join(fs, " ")
		}
		fmt.Fprintln(tw, line)
	}
	_ = tw.Flush()
}
