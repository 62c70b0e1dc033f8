// Package trackingtest is the conformance suite of tracking.Store: every backend runs it
// (Run) against fresh databases, so they all behave the same.
package trackingtest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/weirhq/weir/tracking"
)

// Run runs the suite. newStore must return a tracking store on a fresh database (holding
// only the Default experiment) and close it when the test ends. Subtests run in parallel.
func Run(t *testing.T, newStore func(t *testing.T) tracking.Store) {
	t.Helper()
	setup := func(t *testing.T) (context.Context, *tracking.Service) {
		t.Helper()
		t.Parallel()
		return t.Context(), tracking.NewService(newStore(t), tracking.ServiceConfig{})
	}
	for _, g := range []struct {
		name string
		fn   func(t *testing.T, setup func(t *testing.T) (context.Context, *tracking.Service))
	}{
		{"Experiments", testExperiments},
		{"Runs", testRuns},
		{"LogBatch", testLogBatch},
		{"MetricHistory", testMetricHistory},
		{"SearchRuns", testSearchRuns},
		{"SearchRunsSyntax", testSearchRunsSyntax},
		{"Registry", testRegistry},
		{"StartRun", testStartRun},
		{"LoggedModels", testLoggedModels},
		{"Webhooks", testWebhooks},
	} {
		t.Run(g.name, func(t *testing.T) { g.fn(t, setup) })
	}
}

// get returns a function that returns v, failing the test if err is not nil.
func get[T any](v T, err error) func(t *testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func noErr(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantErr(t *testing.T, err, target error, what string) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s: got %v, want %v", what, err, target)
	}
}

func testExperiments(t *testing.T, setup func(t *testing.T) (context.Context, *tracking.Service)) {
	ctx, s := setup(t)
	def := get(s.GetExperiment(ctx, tracking.DefaultExperimentID))(t)
	if def.Name != "Default" || def.ArtifactLocation != "mlflow-artifacts:/0" || def.LifecycleStage != tracking.StageActive {
		t.Errorf("Default experiment: %+v", def)
	}
	id := get(s.CreateExperiment(ctx, tracking.CreateExperimentParams{Name: "e1", Tags: []tracking.Tag{{Key: "team", Value: "ml"}}}))(t)
	e := get(s.GetExperimentByName(ctx, "e1"))(t)
	if e.ID != id || e.ArtifactLocation != "mlflow-artifacts:/"+id || len(e.Tags) != 1 || e.CreationTime == 0 {
		t.Errorf("created experiment: %+v", e)
	}
	_, err := s.CreateExperiment(ctx, tracking.CreateExperimentParams{Name: "e1"})
	wantErr(t, err, tracking.ErrAlreadyExists, "duplicate name")
	_, err = s.CreateExperiment(ctx, tracking.CreateExperimentParams{Name: ""})
	wantErr(t, err, tracking.ErrInvalid, "empty name")
	_, err = s.GetExperiment(ctx, "999")
	wantErr(t, err, tracking.ErrNotFound, "missing experiment")
	_, err = s.GetExperimentByName(ctx, "nope")
	wantErr(t, err, tracking.ErrNotFound, "missing name")

	noErr(t, s.RenameExperiment(ctx, id, "e2"))
	noErr(t, s.SetExperimentTag(ctx, id, tracking.Tag{Key: "team", Value: "data"}))
	noErr(t, s.SetExperimentTag(ctx, id, tracking.Tag{Key: "x", Value: "1"}))
	noErr(t, s.DeleteExperimentTag(ctx, id, "x"))
	wantErr(t, s.DeleteExperimentTag(ctx, id, "x"), tracking.ErrNotFound, "delete missing tag")
	e = get(s.GetExperiment(ctx, id))(t)
	if e.Name != "e2" || len(e.Tags) != 1 || e.Tags[0].Value != "data" {
		t.Errorf("renamed and tagged: %+v", e)
	}

	// Deleting an experiment deletes its runs; restoring it restores them.
	run := get(s.CreateRun(ctx, tracking.CreateRunParams{ExperimentID: id}))(t)
	noErr(t, s.SetExperimentLifecycle(ctx, id, tracking.StageDeleted))
	if r := get(s.GetRun(ctx, run.Info.RunID))(t); r.Info.LifecycleStage != tracking.StageDeleted {
		t.Errorf("run of deleted experiment is %s", r.Info.LifecycleStage)
	}
	_, err = s.CreateRun(ctx, tracking.CreateRunParams{ExperimentID: id})
	wantErr(t, err, tracking.ErrInvalid, "run in deleted experiment")
	page := get(s.SearchExperiments(ctx, tracking.SearchExperimentsParams{}))(t)
	if len(page.Experiments) != 1 || page.Experiments[0].ID != "0" {
		t.Errorf("active experiments: %+v", page.Experiments)
	}
	page = get(s.SearchExperiments(ctx, tracking.SearchExperimentsParams{ViewType: tracking.DeletedOnly}))(t)
	if len(page.Experiments) != 1 || page.Experiments[0].ID != id {
		t.Errorf("deleted experiments: %+v", page.Experiments)
	}
	noErr(t, s.SetExperimentLifecycle(ctx, id, tracking.StageActive))
	if r := get(s.GetRun(ctx, run.Info.RunID))(t); r.Info.LifecycleStage != tracking.StageActive {
		t.Errorf("run of restored experiment is %s", r.Info.LifecycleStage)
	}
	wantErr(t, s.SetExperimentLifecycle(ctx, "0", tracking.StageDeleted), tracking.ErrInvalid, "delete Default")

	// A deleted experiment keeps its name: renaming it is refused until it is restored.
	noErr(t, s.SetExperimentLifecycle(ctx, id, tracking.StageDeleted))
	wantErr(t, s.RenameExperiment(ctx, id, "e3"), tracking.ErrInvalidState, "rename deleted experiment")
	wantErr(t, s.RenameExperiment(ctx, "424242", "e3"), tracking.ErrNotFound, "rename missing experiment")
	if e := get(s.GetExperiment(ctx, id))(t); e.Name != "e2" {
		t.Errorf("a refused rename renamed the experiment to %q", e.Name)
	}
	noErr(t, s.SetExperimentLifecycle(ctx, id, tracking.StageActive))

	// Search: filter, order, pages.
	for i := range 5 {
		get(s.CreateExperiment(ctx, tracking.CreateExperimentParams{Name: fmt.Sprintf("s%d", i), Time: int64(1000 + i)}))(t)
	}
	page = get(s.SearchExperiments(ctx, tracking.SearchExperimentsParams{Filter: "name LIKE 's%'", OrderBy: []string{"name DESC"}, MaxResults: 2}))(t)
	if len(page.Experiments) != 2 || page.Experiments[0].Name != "s4" || page.NextPageToken == "" {
		t.Fatalf("page 1: %+v", page)
	}
	var names []string
	for tok := page.NextPageToken; tok != ""; {
		p := get(s.SearchExperiments(ctx, tracking.SearchExperimentsParams{Filter: "name LIKE 's%'", OrderBy: []string{"name DESC"}, MaxResults: 2, PageToken: tok}))(t)
		for _, e := range p.Experiments {
			names = append(names, e.Name)
		}
		tok = p.NextPageToken
	}
	if strings.Join(names, ",") != "s2,s1,s0" {
		t.Errorf("later pages: %v", names)
	}
	page = get(s.SearchExperiments(ctx, tracking.SearchExperimentsParams{Filter: "tags.team = 'data'"}))(t)
	if len(page.Experiments) != 1 || page.Experiments[0].ID != id {
		t.Errorf("tag filter: %+v", page.Experiments)
	}
}

func testRuns(t *testing.T, setup func(t *testing.T) (context.Context, *tracking.Service)) {
	ctx, s := setup(t)
	parent := get(s.CreateRun(ctx, tracking.CreateRunParams{ExperimentID: "0", RunName: "parent", StartTime: 1000}))(t)
	if parent.Info.Status != tracking.RunRunning || parent.Info.StartTime != 1000 || parent.Info.RunName != "parent" ||
		parent.Info.ArtifactURI != "mlflow-artifacts:/0/"+parent.Info.RunID+"/artifacts" || len(parent.Info.RunID) != 32 {
		t.Errorf("created run: %+v", parent.Info)
	}
	if v, _ := parent.Tag(tracking.TagRunName); v != "parent" {
		t.Errorf("mlflow.runName = %q", v)
	}
	child := get(s.CreateRun(ctx, tracking.CreateRunParams{ExperimentID: "0", ParentRunID: parent.Info.RunID, UserID: "ann"}))(t)
	if v, _ := child.Tag(tracking.TagParentRunID); v != parent.Info.RunID {
		t.Errorf("parent tag = %q", v)
	}
	if child.Info.RunName == "" || child.Info.UserID != "ann" {
		t.Errorf("child: %+v", child.Info)
	}
	_, err := s.CreateRun(ctx, tracking.CreateRunParams{ExperimentID: "0", ParentRunID: "nope"})
	wantErr(t, err, tracking.ErrNotFound, "missing parent")
	_, err = s.CreateRun(ctx, tracking.CreateRunParams{ExperimentID: "42"})
	wantErr(t, err, tracking.ErrNotFound, "missing experiment")
	_, err = s.GetRun(ctx, "nope")
	wantErr(t, err, tracking.ErrNotFound, "missing run")

	info := get(s.EndRun(ctx, child.Info.RunID, tracking.RunFailed))(t)
	if info.Status != tracking.RunFailed || info.EndTime == 0 {
		t.Errorf("ended: %+v", info)
	}
	name := "renamed"
	info = get(s.UpdateRun(ctx, tracking.UpdateRunParams{RunID: child.Info.RunID, RunName: &name}))(t)
	if info.RunName != "renamed" || info.Status != tracking.RunFailed {
		t.Errorf("renamed: %+v", info)
	}
	// Setting mlflow.runName renames too.
	noErr(t, s.SetTags(ctx, child.Info.RunID, tracking.Tag{Key: tracking.TagRunName, Value: "by-tag"}))
	if r := get(s.GetRun(ctx, child.Info.RunID))(t); r.Info.RunName != "by-tag" {
		t.Errorf("run name after tag: %q", r.Info.RunName)
	}
	noErr(t, s.SetRunLifecycle(ctx, child.Info.RunID, tracking.StageDeleted))
	wantErr(t, s.LogParams(ctx, child.Info.RunID, tracking.Param{Key: "a", Value: "1"}), tracking.ErrInvalid, "log to deleted run")
	noErr(t, s.SetRunLifecycle(ctx, child.Info.RunID, tracking.StageActive))
	noErr(t, s.SetTags(ctx, child.Info.RunID, tracking.Tag{Key: "t", Value: "v"}))
	noErr(t, s.DeleteRunTag(ctx, child.Info.RunID, "t"))
	wantErr(t, s.DeleteRunTag(ctx, child.Info.RunID, "t"), tracking.ErrNotFound, "delete missing run tag")

	noErr(t, s.LogInputs(ctx, child.Info.RunID, []tracking.DatasetInput{{
		Tags: []tracking.Tag{{Key: "mlflow.data.context", Value: "train"}}, Dataset: []byte(`{"name":"iris","digest":"abc"}`),
	}}))
	r := get(s.GetRun(ctx, child.Info.RunID))(t)
	if len(r.Inputs) != 1 || r.Inputs[0].Tags[0].Value != "train" || !strings.Contains(string(r.Inputs[0].Dataset), "iris") {
		t.Errorf("inputs: %+v", r.Inputs)
	}
}

func testLogBatch(t *testing.T, setup func(t *testing.T) (context.Context, *tracking.Service)) {
	ctx, s := setup(t)
	run := get(s.CreateRun(ctx, tracking.CreateRunParams{ExperimentID: "0"}))(t)
	id := run.Info.RunID
	noErr(t, s.LogBatch(ctx, tracking.LogBatchParams{RunID: id,
		Metrics: []tracking.Metric{{Key: "loss", Value: 0.5, Timestamp: 10, Step: 1}, {Key: "loss", Value: 0.3, Timestamp: 20, Step: 2}, {Key: "nan", Value: math.NaN(), Timestamp: 1}, {Key: "inf", Value: math.Inf(1), Timestamp: 1}},
		Params:  []tracking.Param{{Key: "lr", Value: "0.1"}, {Key: "depth", Value: "3"}},
		Tags:    []tracking.Tag{{Key: "t", Value: "a"}},
	}))
	// An older point does not replace the latest.
	noErr(t, s.LogMetrics(ctx, id, tracking.Metric{Key: "loss", Value: 9, Timestamp: 5, Step: 0}))
	// Same param value again is fine; another value is not, and the batch is atomic.
	noErr(t, s.LogParams(ctx, id, tracking.Param{Key: "lr", Value: "0.1"}))
	err := s.LogBatch(ctx, tracking.LogBatchParams{RunID: id, Params: []tracking.Param{{Key: "lr", Value: "0.2"}}, Tags: []tracking.Tag{{Key: "t", Value: "b"}}})
	wantErr(t, err, tracking.ErrInvalid, "changed param")
	r := get(s.GetRun(ctx, id))(t)
	if len(r.Params) != 2 || r.Params[0].Key != "depth" || r.Params[1].Value != "0.1" {
		t.Errorf("params: %+v", r.Params)
	}
	if v, _ := r.Tag("t"); v != "a" {
		t.Errorf("tag t = %q after a failed batch", v)
	}
	got := map[string]tracking.Metric{}
	for _, m := range r.Metrics {
		got[m.Key] = m
	}
	if m := got["loss"]; m.Value != 0.3 || m.Step != 2 || m.Timestamp != 20 {
		t.Errorf("latest loss: %+v", m)
	}
	if !math.IsNaN(got["nan"].Value) || !math.IsInf(got["inf"].Value, 1) {
		t.Errorf("non-finite metrics: %+v", r.Metrics)
	}
	// MLflow's limits.
	for _, bad := range []tracking.LogBatchParams{
		{RunID: id, Params: []tracking.Param{{Key: "long", Value: strings.Repeat("x", 6001)}}},
		{RunID: id, Tags: []tracking.Tag{{Key: "long", Value: strings.Repeat("x", 5001)}}},
		{RunID: id, Params: []tracking.Param{{Key: strings.Repeat("k", 251), Value: "1"}}},
		{RunID: id, Params: []tracking.Param{{Key: "../etc", Value: "1"}}},
		{RunID: id, Params: []tracking.Param{{Key: "a;b", Value: "1"}}},
		{RunID: id, Metrics: make([]tracking.Metric, 1001)},
		{RunID: id, Params: make([]tracking.Param, 101)},
	} {
		wantErr(t, s.LogBatch(ctx, bad), tracking.ErrInvalid, "limit")
	}
	wantErr(t, s.LogBatch(ctx, tracking.LogBatchParams{RunID: "nope", Tags: []tracking.Tag{{Key: "a", Value: "b"}}}), tracking.ErrNotFound, "missing run")
}

func testMetricHistory(t *testing.T, setup func(t *testing.T) (context.Context, *tracking.Service)) {
	ctx, s := setup(t)
	run := get(s.CreateRun(ctx, tracking.CreateRunParams{ExperimentID: "0"}))(t)
	var ms []tracking.Metric
	for i := range 25 {
		ms = append(ms, tracking.Metric{Key: "m", Value: float64(i), Timestamp: int64(100 + i), Step: int64(24 - i)})
	}
	noErr(t, s.LogMetrics(ctx, run.Info.RunID, ms...))
	noErr(t, s.LogMetrics(ctx, run.Info.RunID, ms[0])) // an identical point is kept once
	all := get(s.GetMetricHistory(ctx, tracking.GetMetricHistoryParams{RunID: run.Info.RunID, Key: "m"}))(t)
	if len(all.Metrics) != 25 || all.Metrics[0].Step != 0 || all.Metrics[24].Step != 24 || all.NextPageToken != "" {
		t.Fatalf("history: %d points, first %+v", len(all.Metrics), all.Metrics[0])
	}
	var paged []tracking.Metric
	tok := ""
	for {
		p := get(s.GetMetricHistory(ctx, tracking.GetMetricHistoryParams{RunID: run.Info.RunID, Key: "m", MaxResults: 10, PageToken: tok}))(t)
		paged = append(paged, p.Metrics...)
		if tok = p.NextPageToken; tok == "" {
			break
		}
	}
	if len(paged) != 25 || paged[24] != all.Metrics[24] {
		t.Errorf("paged history: %d points", len(paged))
	}
	none := get(s.GetMetricHistory(ctx, tracking.GetMetricHistoryParams{RunID: run.Info.RunID, Key: "other"}))(t)
	if len(none.Metrics) != 0 {
		t.Errorf("unknown key: %+v", none.Metrics)
	}
	_, err := s.GetMetricHistory(ctx, tracking.GetMetricHistoryParams{RunID: "nope", Key: "m"})
	wantErr(t, err, tracking.ErrNotFound, "missing run")

	// Many runs at once: the same points as run by run, in the same order; points logged
	// one call at a time (which may still sit in a store's append log) included, once.
	other := get(s.CreateRun(ctx, tracking.CreateRunParams{ExperimentID: "0"}))(t)
	empty := get(s.CreateRun(ctx, tracking.CreateRunParams{ExperimentID: "0"}))(t)
	for i := range 7 {
		noErr(t, s.LogMetrics(ctx, other.Info.RunID, tracking.Metric{Key: "m", Value: float64(i * i), Timestamp: int64(i), Step: int64(6 - i)}))
	}
	noErr(t, s.LogMetrics(ctx, other.Info.RunID, tracking.Metric{Key: "m", Value: 9, Timestamp: 3, Step: 3})) // a duplicate
	noErr(t, s.LogMetrics(ctx, other.Info.RunID, tracking.Metric{Key: "m", Value: math.NaN(), Timestamp: 9, Step: 9}))
	ids := []string{run.Info.RunID, other.Info.RunID, empty.Info.RunID}
	bulk := get(s.MetricHistories(ctx, ids, "m"))(t)
	for _, id := range ids {
		one := get(s.GetMetricHistory(ctx, tracking.GetMetricHistoryParams{RunID: id, Key: "m"}))(t)
		got, ok := bulk[id]
		if !ok || len(got) != len(one.Metrics) {
			t.Fatalf("MetricHistories of run %s: %d points (present %v), GetMetricHistory %d", id, len(got), ok, len(one.Metrics))
		}
		for i := range got {
			a, b := got[i], one.Metrics[i]
			if a.Key != b.Key || a.Step != b.Step || a.Timestamp != b.Timestamp || (a.Value != b.Value && !(math.IsNaN(a.Value) && math.IsNaN(b.Value))) {
				t.Fatalf("run %s point %d: bulk %+v, one by one %+v", id, i, a, b)
			}
		}
	}
	if n := len(bulk[other.Info.RunID]); n != 8 {
		t.Errorf("run with 7 points, a duplicate and a NaN: %d points, want 8", n)
	}
	_, err = s.MetricHistories(ctx, []string{run.Info.RunID, "nope"}, "m")
	wantErr(t, err, tracking.ErrNotFound, "MetricHistories with a missing run")
}

func testSearchRuns(t *testing.T, setup func(t *testing.T) (context.Context, *tracking.Service)) {
	ctx, s := setup(t)
	exp := get(s.CreateExperiment(ctx, tracking.CreateExperimentParams{Name: "search"}))(t)
	ids := make([]string, 10)
	for i := range 10 {
		r := get(s.CreateRun(ctx, tracking.CreateRunParams{ExperimentID: exp, RunName: fmt.Sprintf("run-%d", i), StartTime: int64(1000 + i)}))(t)
		ids[i] = r.Info.RunID
		noErr(t, s.LogBatch(ctx, tracking.LogBatchParams{RunID: r.Info.RunID,
			Metrics: []tracking.Metric{{Key: "acc", Value: float64(i) / 10, Timestamp: 1}, {Key: "loss", Value: float64(10 - i), Timestamp: 1}},
			Params:  []tracking.Param{{Key: "lr", Value: fmt.Sprintf("0.%d", i%3)}},
			Tags:    []tracking.Tag{{Key: "kind", Value: []string{"Alpha", "beta"}[i%2]}},
		}))
	}
	noErr(t, s.SetRunLifecycle(ctx, ids[9], tracking.StageDeleted))
	get(s.EndRun(ctx, ids[8], tracking.RunFinished))(t)
	search := func(filter string, order ...string) []string {
		t.Helper()
		p, err := s.SearchRuns(ctx, tracking.SearchRunsParams{ExperimentIDs: []string{exp}, Filter: filter, OrderBy: order})
		if err != nil {
			t.Fatalf("filter %q: %v", filter, err)
		}
		var names []string
		for _, r := range p.Runs {
			names = append(names, strings.TrimPrefix(r.Info.RunName, "run-"))
		}
		return names
	}
	for _, c := range []struct {
		filter string
		order  []string
		want   string
	}{
		{"", nil, "8,7,6,5,4,3,2,1,0"},
		{"metrics.acc > 0.55", nil, "8,7,6"},
		{"metrics.acc >= 0.5 AND metrics.loss < 5", nil, "8,7,6"},
		{"params.lr = '0.1'", []string{"metrics.acc ASC"}, "1,4,7"},
		{"tags.kind LIKE 'a%'", nil, ""},
		{"tags.kind ILIKE 'a%'", []string{"attributes.start_time"}, "0,2,4,6,8"},
		{"tags.kind LIKE 'A%' AND attributes.status = 'FINISHED'", nil, "8"},
		{"attributes.run_name = 'run-3'", nil, "3"},
		{"run_name != 'run-3' AND metrics.acc <= 0.2", nil, "2,1,0"},
		{"attributes.start_time > 1005", nil, "8,7,6"},
		{"metrics.missing > 0", nil, ""},
		{"attributes.run_id IN ('" + ids[1] + "', '" + ids[2] + "')", nil, "2,1"},
		{"", []string{"metrics.loss DESC"}, "0,1,2,3,4,5,6,7,8"},
		{"", []string{"params.lr DESC", "metrics.acc DESC"}, "8,5,2,7,4,1,6,3,0"},
	} {
		if got := strings.Join(search(c.filter, c.order...), ","); got != c.want {
			t.Errorf("filter %q order %v: got %s, want %s", c.filter, c.order, got, c.want)
		}
	}
	p := get(s.SearchRuns(ctx, tracking.SearchRunsParams{ExperimentIDs: []string{exp}, ViewType: tracking.DeletedOnly}))(t)
	if len(p.Runs) != 1 || p.Runs[0].Info.RunID != ids[9] {
		t.Errorf("deleted only: %d runs", len(p.Runs))
	}
	// Pages of 4 cover the 9 active runs once each, with their data.
	var seen []string
	tok := ""
	for {
		p := get(s.SearchRuns(ctx, tracking.SearchRunsParams{ExperimentIDs: []string{exp}, MaxResults: 4, PageToken: tok}))(t)
		for _, r := range p.Runs {
			seen = append(seen, r.Info.RunID)
			if len(r.Metrics) != 2 || len(r.Params) != 1 {
				t.Errorf("run data: %+v", r)
			}
		}
		if tok = p.NextPageToken; tok == "" {
			break
		}
	}
	if len(seen) != 9 {
		t.Errorf("pages gave %d runs", len(seen))
	}
	// Ordered by a key only some runs have: those come first, the others after, across
	// pages.
	for i := range 5 {
		noErr(t, s.LogMetrics(ctx, ids[i], tracking.Metric{Key: "partial", Value: float64(i), Timestamp: 1}))
	}
	for _, size := range []int{2, 3, 4, 100} {
		var names []string
		tok := ""
		for {
			p := get(s.SearchRuns(ctx, tracking.SearchRunsParams{ExperimentIDs: []string{exp}, OrderBy: []string{"metrics.partial DESC"}, MaxResults: size, PageToken: tok}))(t)
			for _, r := range p.Runs {
				names = append(names, strings.TrimPrefix(r.Info.RunName, "run-"))
			}
			if tok = p.NextPageToken; tok == "" {
				break
			}
		}
		if got := strings.Join(names, ","); got != "4,3,2,1,0,8,7,6,5" {
			t.Errorf("pages of %d ordered by a partial key: %s", size, got)
		}
	}
	for _, bad := range []string{"metrics.acc > 'x'", "params.lr > '1'", "foo.bar = 1", "attributes.nope = 'x'", "metrics.acc > 1 OR metrics.acc < 0", "tags.t = 'unterminated"} {
		_, err := s.SearchRuns(ctx, tracking.SearchRunsParams{ExperimentIDs: []string{exp}, Filter: bad})
		wantErr(t, err, tracking.ErrInvalid, "filter "+bad)
	}
	_, err := s.SearchRuns(ctx, tracking.SearchRunsParams{ExperimentIDs: []string{exp}, PageToken: "garbage!"})
	wantErr(t, err, tracking.ErrInvalid, "bad page token")
}

func testRegistry(t *testing.T, setup func(t *testing.T) (context.Context, *tracking.Service)) {
	ctx, s := setup(t)
	m := get(s.CreateRegisteredModel(ctx, tracking.CreateRegisteredModelParams{Name: "iris", Description: "d", Tags: []tracking.Tag{{Key: "k", Value: "v"}}}))(t)
	if m.Name != "iris" || m.Description != "d" || len(m.Tags) != 1 {
		t.Errorf("created model: %+v", m)
	}
	_, err := s.CreateRegisteredModel(ctx, tracking.CreateRegisteredModelParams{Name: "iris"})
	wantErr(t, err, tracking.ErrAlreadyExists, "duplicate model")
	run := get(s.CreateRun(ctx, tracking.CreateRunParams{ExperimentID: "0"}))(t)
	v1 := get(s.CreateModelVersion(ctx, tracking.CreateModelVersionParams{Name: "iris", Source: "runs:/" + run.Info.RunID + "/model", RunID: run.Info.RunID}))(t)
	v2 := get(s.CreateModelVersion(ctx, tracking.CreateModelVersionParams{Name: "iris", Source: "s2", Tags: []tracking.Tag{{Key: "vt", Value: "1"}}}))(t)
	if v1.Version != "1" || v2.Version != "2" || v1.Status != tracking.VersionReady || v1.CurrentStage != tracking.StageNone || v1.RunID != run.Info.RunID {
		t.Errorf("versions: %+v %+v", v1, v2)
	}
	_, err = s.CreateModelVersion(ctx, tracking.CreateModelVersionParams{Name: "nope", Source: "s"})
	wantErr(t, err, tracking.ErrNotFound, "version of missing model")

	noErr(t, s.SetRegisteredModelAlias(ctx, "iris", "champion", "1"))
	noErr(t, s.SetRegisteredModelAlias(ctx, "iris", "champion", "2")) // moves
	wantErr(t, s.SetRegisteredModelAlias(ctx, "iris", "latest", "1"), tracking.ErrInvalid, "reserved alias")
	wantErr(t, s.SetRegisteredModelAlias(ctx, "iris", "x", "9"), tracking.ErrNotFound, "alias to missing version")
	got := get(s.GetModelVersionByAlias(ctx, "iris", "champion"))(t)
	if got.Version != "2" || len(got.Aliases) != 1 || got.Tags[0].Key != "vt" {
		t.Errorf("by alias: %+v", got)
	}
	_, err = s.GetModelVersionByAlias(ctx, "iris", "nope")
	wantErr(t, err, tracking.ErrNotFound, "missing alias")

	tv := get(s.TransitionModelVersionStage(ctx, "iris", "1", "production", false))(t)
	if tv.CurrentStage != tracking.StageProduction {
		t.Errorf("stage: %s", tv.CurrentStage)
	}
	get(s.TransitionModelVersionStage(ctx, "iris", "2", "Production", true))(t)
	if v := get(s.GetModelVersion(ctx, "iris", "1"))(t); v.CurrentStage != tracking.StageArchived {
		t.Errorf("archived existing: %s", v.CurrentStage)
	}
	latest := get(s.GetLatestVersions(ctx, "iris", []string{"Production"}))(t)
	if len(latest) != 1 || latest[0].Version != "2" {
		t.Errorf("latest production: %+v", latest)
	}
	get(s.UpdateModelVersion(ctx, "iris", "1", "first"))(t)
	noErr(t, s.SetModelVersionTag(ctx, "iris", "1", tracking.Tag{Key: "a", Value: "b"}))
	noErr(t, s.DeleteModelVersionTag(ctx, "iris", "1", "a"))
	noErr(t, s.SetRegisteredModelTag(ctx, "iris", tracking.Tag{Key: "k", Value: "w"}))
	noErr(t, s.DeleteRegisteredModelTag(ctx, "iris", "k"))

	get(s.RenameRegisteredModel(ctx, "iris", "flowers"))(t)
	m = get(s.GetRegisteredModel(ctx, "flowers"))(t)
	if len(m.LatestVersions) != 2 || len(m.Aliases) != 1 || m.Aliases[0].Version != "2" || len(m.Tags) != 0 {
		t.Errorf("renamed model: %+v", m)
	}
	_, err = s.GetRegisteredModel(ctx, "iris")
	wantErr(t, err, tracking.ErrNotFound, "old name")

	// Deleting version 2 drops its alias; numbers are not reused.
	noErr(t, s.DeleteModelVersion(ctx, "flowers", "2"))
	_, err = s.GetModelVersionByAlias(ctx, "flowers", "champion")
	wantErr(t, err, tracking.ErrNotFound, "alias of deleted version")
	v3 := get(s.CreateModelVersion(ctx, tracking.CreateModelVersionParams{Name: "flowers", Source: "s3"}))(t)
	if v3.Version != "3" {
		t.Errorf("next version after delete: %s", v3.Version)
	}

	get(s.CreateRegisteredModel(ctx, tracking.CreateRegisteredModelParams{Name: "other"}))(t)
	mp := get(s.SearchRegisteredModels(ctx, tracking.SearchRegistryParams{Filter: "name LIKE 'flo%'"}))(t)
	if len(mp.RegisteredModels) != 1 || mp.RegisteredModels[0].Name != "flowers" {
		t.Errorf("search models: %+v", mp)
	}
	vp := get(s.SearchModelVersions(ctx, tracking.SearchRegistryParams{Filter: "run_id = '" + run.Info.RunID + "'"}))(t)
	if len(vp.ModelVersions) != 1 || vp.ModelVersions[0].Version != "1" {
		t.Errorf("search versions: %+v", vp)
	}
	noErr(t, s.DeleteRegisteredModel(ctx, "flowers"))
	_, err = s.GetModelVersion(ctx, "flowers", "1")
	wantErr(t, err, tracking.ErrNotFound, "version of deleted model")
}

func testStartRun(t *testing.T, setup func(t *testing.T) (context.Context, *tracking.Service)) {
	ctx, s := setup(t)
	parent := get(s.StartRun(ctx, tracking.StartRunParams{Experiment: "dag_a", Task: tracking.TaskRef{DAGID: "dag_a", DAGRunID: "manual_1", MapIndex: -1}}))(t)
	child := get(s.StartRun(ctx, tracking.StartRunParams{
		Experiment: "dag_a", ParentRunID: parent.Info.RunID,
		Task:   tracking.TaskRef{DAGID: "dag_a", DAGRunID: "manual_1", TaskID: "train", MapIndex: 2, TryNumber: 1},
		Params: []tracking.Param{{Key: "epochs", Value: "3"}},
	}))(t)
	if child.Info.ExperimentID != parent.Info.ExperimentID || child.Info.RunName != "train[2]" || len(child.Params) != 1 {
		t.Errorf("child: %+v", child)
	}
	for k, want := range map[string]string{tracking.TagDAGID: "dag_a", tracking.TagDAGRunID: "manual_1", tracking.TagTaskID: "train", tracking.TagTryNumber: "1", tracking.TagMapIndex: "2", tracking.TagParentRunID: parent.Info.RunID} {
		if v, _ := child.Tag(k); v != want {
			t.Errorf("tag %s = %q, want %q", k, v, want)
		}
	}
	get(s.EndRun(ctx, child.Info.RunID, tracking.RunFinished))(t)
	mv := get(s.RegisterModelVersion(ctx, tracking.CreateModelVersionParams{Name: "m", Source: child.Info.ArtifactURI + "/model", RunID: child.Info.RunID}, "champion"))(t)
	if mv.Version != "1" || len(mv.Aliases) != 1 {
		t.Errorf("registered: %+v", mv)
	}
	cmp := get(s.CompareRuns(ctx, []string{parent.Info.RunID, child.Info.RunID}))(t)
	if len(cmp.Runs) != 2 || strings.Join(cmp.ParamKeys, ",") != "epochs" {
		t.Errorf("compare: %+v", cmp)
	}
}
