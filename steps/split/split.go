// Package split is the data.split task kind: a seeded train/test split of a data set,
// optionally stratified by a class column, and optionally k folds for cross-validation,
// each written to the artifact store as a data set whose URI is in the task's output.
//
// # Which rows
//
// The rows come from package ml/preprocess (TrainTestSplit, StratifiedSplit, KFold and
// StratifiedKFold), shuffled with the seed by Go's PCG generator: the same data and seed
// give the same rows on every machine and every run, but not the rows scikit-learn's
// train_test_split picks (its generator is NumPy's Mersenne Twister, and it rounds the test
// size up where this rounds it to nearest). Every subset keeps the rows in their original
// order. Folds with shuffle: false are exactly scikit-learn's KFold(n_splits=k) without
// shuffling: contiguous folds, the first n mod k one row longer.
//
// # Folds
//
// With folds: k, the training set (all the rows when test_size is 0) is split into k folds;
// fold i's test part is the i-th k-th of it and its train part the rest, so the test set
// stays held out of cross-validation.
package split

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/weirhq/weir/dag"
	"github.com/weirhq/weir/executor"
	"github.com/weirhq/weir/ml/frame"
	"github.com/weirhq/weir/ml/preprocess"
	"github.com/weirhq/weir/steps/stepio"
)

// DefaultTestSize is the share of rows in the test set when test_size is not set.
const DefaultTestSize = 0.25

// Spec is the YAML of a data.split task.
type Spec struct {
	// Data is the data set split.
	Data string `yaml:"data" template:"true" required:"the data set to split: a path relative to the DAG file, a URL, or an upstream step's URI such as {{ outputs.check.data }}" doc:"The data set to split: a CSV, JSON-lines or Parquet path (relative to the DAG file), a URL, or a URI from an upstream step's output."`
	// Target is the label column; it must exist and have no missing values.
	Target string `yaml:"target" doc:"The label column: checked to exist without missing values, and passed on as the output's target."`
	// TestSize is the share of rows in the test set; nil means DefaultTestSize, 0 no test
	// set.
	TestSize *float64 `yaml:"test_size" doc:"Share of rows in the test set, rounded to the nearest row (default 0.25); 0 makes no test set (then folds split every row)."`
	// Stratify is a column whose class proportions every subset keeps.
	Stratify string `yaml:"stratify" doc:"A class column whose proportions the train and test sets and every fold keep (each class needs 2 rows or more)."`
	// Seed seeds the shuffling.
	Seed int `yaml:"seed" doc:"The shuffling seed (default 0): the same data and seed give the same rows."`
	// Folds is k for k-fold splits of the training set; 0 means none.
	Folds int `yaml:"folds" doc:"Also split the training set into this many folds (2 or more) for cross-validation; 0: none."`
	// Shuffle shuffles rows before splitting; nil means true.
	Shuffle *bool `yaml:"shuffle" doc:"Shuffle before splitting (default true); false takes the last rows as the test set and contiguous folds (scikit-learn's KFold without shuffle)."`
	// Format is the written files' format: parquet (default) or csv.
	Format string `yaml:"format" doc:"The format of the written sets: parquet (default) or csv (for tasks that read CSV, such as Python scripts without pyarrow)."`
}

// Kind returns the data.split registration.
func Kind(deps stepio.Deps) executor.Registration {
	return executor.Registration{
		Def: dag.KindDef{
			Name:     "data.split",
			Doc:      "Splits a data set into seeded train and test sets (optionally stratified) and k folds, written to the artifact store.",
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
	if s.Format != "" && s.Format != "parquet" && s.Format != "csv" {
		c.Errorf("format", "%q: use parquet or csv", s.Format)
	}
	ts := s.testSize()
	if !(ts >= 0 && ts < 1) {
		c.Errorf("test_size", "must be at least 0 and less than 1 (a share of the rows), got %v", ts)
	}
	if ts == 0 && s.Folds == 0 {
		c.Errorf("test_size", "0 makes no test set: set folds to split the rows into folds instead, or a test_size such as 0.25")
	}
	if s.Folds < 0 || s.Folds == 1 {
		c.Errorf("folds", "must be 2 or more (or 0 for no folds), got %d", s.Folds)
	}
	if s.Seed < 0 {
		c.Errorf("seed", "must not be negative, got %d", s.Seed)
	}
	if s.Stratify != "" && !s.shuffle() {
		c.Errorf("stratify", "stratified splits shuffle: remove shuffle: false or stratify")
	}
}

func (s *Spec) testSize() float64 {
	if s.TestSize == nil {
		return DefaultTestSize
	}
	return *s.TestSize
}

func (s *Spec) shuffle() bool { return s.Shuffle == nil || *s.Shuffle }

// Fold is one fold's data sets in the output.
type Fold struct {
	// Train and Test are the URIs of the fold's training and validation rows.
	Train string `json:"train"`
	Test  string `json:"test"`
}

// Output is the JSON output of a data.split task.
type Output struct {
	// Train and Test are the data sets' URIs; Test is "" when test_size is 0.
	Train string `json:"train"`
	Test  string `json:"test,omitempty"`
	// Folds are the k folds of the training set, when folds is set.
	Folds []Fold `json:"folds,omitempty"`
	// Rows counts the rows of train and test.
	Rows map[string]int `json:"rows"`
	// Target is the spec's target column ("" when none).
	Target string `json:"target,omitempty"`
	// Datasets describes every data set written: train, test, fold1.train, fold1.test, ...
	Datasets map[string]*stepio.Dataset `json:"datasets"`
}

// inputError fails the try without retry: the data or the spec must change.
func inputError(format string, args ...any) executor.Result {
	return executor.Result{Outcome: executor.FailedNoRetry, Err: fmt.Errorf("data.split: "+format, args...)}
}

func run(ctx context.Context, deps stepio.Deps, job *executor.Job) executor.Result {
	s, ok := job.Task.Spec.(*Spec)
	if !ok {
		return inputError("the task's spec is %T, not a data.split spec", job.Task.Spec)
	}
	io, err := stepio.New(deps, job)
	if err != nil {
		return executor.Result{Outcome: executor.FailedNoRetry, Err: err}
	}
	f, in, err := io.ReadFrame(ctx, s.Data)
	if err != nil {
		return executor.Result{Outcome: executor.Failed, Err: fmt.Errorf("data.split: data: %w", err)}
	}
	if f.NumRows() == 0 {
		return inputError("data %s has no rows: there is nothing to split", s.Data)
	}
	if s.Target != "" {
		if r, bad := column(f, "target", s.Target); bad {
			return r
		}
	}
	var y []int
	var labels []string
	if s.Stratify != "" {
		var r executor.Result
		var bad bool
		if y, labels, r, bad = classes(f, s.Stratify); bad {
			return r
		}
	}
	seed := uint64(s.Seed)
	ts := s.testSize()
	train, test := all(f.NumRows()), []int(nil)
	if ts > 0 {
		switch {
		case y != nil:
			train, test, err = preprocess.StratifiedSplit(y, ts, seed)
		case s.shuffle():
			train, test, err = preprocess.TrainTestSplit(f.NumRows(), ts, seed)
		default:
			train, test, err = lastRows(f.NumRows(), ts)
		}
		if err != nil {
			return inputError("test_size: %v", err)
		}
	}
	out := Output{Rows: map[string]int{}, Target: s.Target, Datasets: map[string]*stepio.Dataset{}}
	write := func(name string, rows []int) (string, error) {
		sub, err := f.Take(rows)
		if err != nil {
			return "", err
		}
		ds, err := io.WriteFrameAs(ctx, name, sub, s.Format)
		if err != nil {
			return "", err
		}
		out.Datasets[strings.ReplaceAll(name, "_", ".")] = ds
		return ds.URI, nil
	}
	if out.Train, err = write("train", train); err != nil {
		return executor.Result{Outcome: executor.Failed, Err: err}
	}
	out.Rows["train"] = len(train)
	if test != nil {
		if out.Test, err = write("test", test); err != nil {
			return executor.Result{Outcome: executor.Failed, Err: err}
		}
		out.Rows["test"] = len(test)
	}
	var rows []preprocess.Fold // the folds' rows of f
	if s.Folds > 0 {
		var folds []preprocess.Fold
		if y != nil {
			folds, err = preprocess.StratifiedKFold(pick(y, train), s.Folds, seed)
		} else {
			folds, err = preprocess.KFold(len(train), s.Folds, s.shuffle(), seed)
		}
		if err != nil {
			return inputError("folds: %v of the %d training rows", err, len(train))
		}
		for i, fo := range folds {
			var fd Fold
			fo.Train, fo.Test = pick(train, fo.Train), pick(train, fo.Test)
			if fd.Train, err = write(fmt.Sprintf("fold%d_train", i+1), fo.Train); err != nil {
				return executor.Result{Outcome: executor.Failed, Err: err}
			}
			if fd.Test, err = write(fmt.Sprintf("fold%d_test", i+1), fo.Test); err != nil {
				return executor.Result{Outcome: executor.Failed, Err: err}
			}
			out.Folds = append(out.Folds, fd)
			rows = append(rows, fo)
		}
	}
	logSplit(job, s, f, in, y, labels, train, test, rows, out)

	if err := io.LogParams(ctx, map[string]any{"data": s.Data, "data_hash": in.Hash, "test_size": ts, "seed": s.Seed,
		"stratify": s.Stratify, "folds": s.Folds, "shuffle": s.shuffle()}); err != nil {
		return executor.Result{Outcome: executor.Failed, Err: err}
	}
	if err := io.LogMetrics(ctx, map[string]float64{"rows_train": float64(len(train)), "rows_test": float64(len(test))}); err != nil {
		return executor.Result{Outcome: executor.Failed, Err: err}
	}
	b, err := json.Marshal(out)
	if err != nil {
		return executor.Result{Outcome: executor.Failed, Err: err}
	}
	return executor.Result{Outcome: executor.Succeeded, Output: b}
}

// column checks that name (the spec's field) is a column of f without missing values.
func column(f *frame.Frame, field, name string) (executor.Result, bool) {
	c, err := f.Column(name)
	if err != nil {
		return inputError("%s: %v", field, err), true
	}
	if n := c.NullCount(); n > 0 {
		return inputError("%s: column %q has %d missing values of %d rows: drop or impute them first (rule not_null)", field, name, n, c.Len()), true
	}
	return executor.Result{}, false
}

// classes encodes the stratify column's labels as class indexes.
func classes(f *frame.Frame, name string) ([]int, []string, executor.Result, bool) {
	if r, bad := column(f, "stratify", name); bad {
		return nil, nil, r, true
	}
	c, _ := f.Column(name)
	var enc preprocess.LabelEncoder
	if err := enc.Fit(c); err != nil {
		return nil, nil, inputError("stratify: column %q: %v", name, err), true
	}
	y, err := enc.Encode(c)
	if err != nil {
		return nil, nil, inputError("stratify: column %q: %v", name, err), true
	}
	counts := make([]int, len(enc.Classes))
	for _, k := range y {
		counts[k]++
	}
	for k, n := range counts {
		if n < 2 {
			return nil, nil, inputError("stratify: column %q: class %q has %d row; stratifying needs at least 2 rows per class", name, enc.Classes[k], n), true
		}
	}
	return y, enc.Classes, executor.Result{}, false
}

func all(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// lastRows is the unshuffled split: the last round(ts·n) rows are the test set.
func lastRows(n int, ts float64) (train, test []int, err error) {
	nTest := int(ts*float64(n) + 0.5)
	if nTest == 0 || nTest == n {
		return nil, nil, fmt.Errorf("test size %v of %d rows leaves an empty train or test set", ts, n)
	}
	rows := all(n)
	return rows[:n-nTest], rows[n-nTest:], nil
}

// pick returns v[i] for each index i.
func pick(v, idx []int) []int {
	out := make([]int, len(idx))
	for j, i := range idx {
		out[j] = v[i]
	}
	return out
}

// logSplit writes the sizes (and class counts when stratified) to the task's log.
func logSplit(job *executor.Job, s *Spec, f *frame.Frame, in *stepio.Dataset, y []int, labels []string, train, test []int, folds []preprocess.Fold, out Output) {
	w := job.Log
	fmt.Fprintf(w, "data.split of %s: %d rows, %s; seed %d, test_size %v", s.Data, f.NumRows(), in.Hash, s.Seed, s.testSize())
	if s.Stratify != "" {
		fmt.Fprintf(w, ", stratified by %s", s.Stratify)
	}
	fmt.Fprintf(w, "\n\n%-12s %8s", "set", "rows")
	for _, l := range labels {
		fmt.Fprintf(w, " %10s", s.Stratify+"="+l)
	}
	fmt.Fprintln(w)
	row := func(name string, rows []int, uri string) {
		fmt.Fprintf(w, "%-12s %8d", name, len(rows))
		if y != nil {
			counts := make([]int, len(labels))
			for _, i := range rows {
				counts[y[i]]++
			}
			for _, n := range counts {
				fmt.Fprintf(w, " %10d", n)
			}
		}
		fmt.Fprintf(w, "  %s\n", uri)
	}
	row("train", train, out.Train)
	if test != nil {
		row("test", test, out.Test)
	}
	for i, fd := range out.Folds {
		row(fmt.Sprintf("fold%d.train", i+1), folds[i].Train, fd.Train)
		row(fmt.Sprintf("fold%d.test", i+1), folds[i].Test, fd.Test)
	}
}
