// Package predict is the model.predict task kind: batch scoring of a data set (CSV,
// Parquet or JSON lines) by a model reference — models:/NAME@ALIAS, models:/NAME/VERSION,
// runs:/RUN_ID/model, or a URI — writing the predictions as a data set. A CSV data set is
// scored as a stream, batch by batch, into CSV predictions, so its size is not bounded by
// memory.
package predict

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"

	"github.com/weirhq/weir/dag"
	"github.com/weirhq/weir/executor"
	"github.com/weirhq/weir/ml/frame"
	"github.com/weirhq/weir/ml/model"
	"github.com/weirhq/weir/steps/scoring"
	"github.com/weirhq/weir/steps/stepio"
)

// Name is the kind's name.
const Name = "model.predict"

// Spec is a model.predict task's fields.
type Spec struct {
	Model     string   `yaml:"model" template:"true" required:"the model: a URI from model.train, models:/NAME@ALIAS, models:/NAME/VERSION or runs:/RUN/model" doc:"The model: model.train's model output, models:/NAME@ALIAS, models:/NAME/VERSION, runs:/RUN_ID/model or a path."`
	Data      string   `yaml:"data" template:"true" required:"the data set to score" doc:"The data set to score: a URI, a path relative to the DAG file or a blob URL; CSV, JSON lines or Parquet."`
	Output    string   `yaml:"output" doc:"The predictions data set's name (default predictions)."`
	Keep      []string `yaml:"keep,single" template:"true" doc:"The columns of the data set copied beside the predictions (default all, unless predictions_only)."`
	Only      bool     `yaml:"predictions_only" doc:"Write only the prediction columns (and the keep columns, if given)."`
	Column    string   `yaml:"column" doc:"The prediction column's name (default prediction; cluster for clustering models)."`
	Format    string   `yaml:"format" doc:"The predictions' format: csv or parquet; default csv for a CSV data set (scored as a stream, batch by batch), parquet otherwise."`
	BatchSize int      `yaml:"batch_size" doc:"Rows per batch when streaming a CSV data set (default 10000)."`
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

// Kind returns the model.predict registration.
func Kind(deps stepio.Deps) executor.Registration {
	return executor.Registration{
		Def: dag.KindDef{
			Name: Name,
			Doc:  "Scores a data set with a model (models:/NAME@ALIAS, models:/NAME/VERSION, runs:/RUN_ID/model or a URI) and writes the predictions as a data set.",
			New:  func() any { return &Spec{} },
			Validate: func(c *dag.KindCheck, spec any) {
				s := spec.(*Spec)
				if s.Output != "" && !nameRE.MatchString(s.Output) {
					c.Errorf("output", "a data set name of letters, digits, _, . and -, got %q", s.Output)
				}
				if s.Format != "" && s.Format != "csv" && s.Format != "parquet" {
					c.Errorf("format", "want csv or parquet, got %q", s.Format)
				}
				if s.BatchSize < 0 {
					c.Errorf("batch_size", "want a positive number of rows, got %d", s.BatchSize)
				}
			},
			Tracked:  true,
			CPUBound: true,
		},
		Run: executor.KindFunc(func(ctx context.Context, job *executor.Job) executor.Result {
			return run(ctx, deps, job)
		}),
	}
}

func fail(err error) executor.Result {
	return executor.Result{Outcome: executor.FailedNoRetry, Err: err}
}

func run(ctx context.Context, deps stepio.Deps, job *executor.Job) executor.Result {
	s, ok := job.Task.Spec.(*Spec)
	if !ok {
		return fail(fmt.Errorf("model.predict: spec is %T", job.Task.Spec))
	}
	o, err := stepio.New(deps, job)
	if err != nil {
		return fail(err)
	}
	m, src, err := o.ReadModel(ctx, s.Model)
	if err != nil {
		return fail(err)
	}
	output := s.Output
	if output == "" {
		output = "predictions"
	}
	var (
		ds, written *stepio.Dataset
		head        *frame.Frame
		n           int
		name        string
	)
	inFormat, _ := frame.FormatOf(s.Data)
	streamed := inFormat == frame.CSV && s.Format != "parquet"
	var st *stepio.Stream
	if streamed {
		st, err = o.OpenStream(ctx, s.Data)
		if errors.Is(err, stepio.ErrNotStreamable) {
			streamed = false
		} else if err != nil {
			return fail(err)
		}
	}
	if streamed {
		defer st.Close()
		written, head, n, name, err = stream(ctx, o, m, s, st, output)
		if err != nil {
			var ie inputError
			if errors.As(err, &ie) {
				return fail(fmt.Errorf("score %s with %s: %w", s.Data, s.Model, ie.error))
			}
			return executor.Result{Outcome: executor.Failed, Err: err}
		}
		ds = &stepio.Dataset{URI: s.Data, Format: "csv", Rows: n, Hash: st.Hash()}
		for _, c := range head.Schema() {
			ds.Columns = append(ds.Columns, stepio.Column{Name: c.Name, Type: c.Type.String()})
		}
	} else {
		var data *frame.Frame
		data, ds, err = o.ReadFrame(ctx, s.Data)
		if err != nil {
			return fail(err)
		}
		out, err := score(m, s, data, 0)
		if err != nil {
			return fail(fmt.Errorf("score %s with %s: %w", s.Data, s.Model, err))
		}
		n, head, name = data.NumRows(), out, predictionColumn(m, s)
		if s.Format == "csv" {
			written, err = o.WriteStream(ctx, output, "csv", func(w io.Writer) (int, []stepio.Column, error) {
				return out.NumRows(), columnsOf(out), frame.WriteCSV(w, out)
			})
		} else {
			written, err = o.WriteFrame(ctx, output, out)
		}
		if err != nil {
			return executor.Result{Outcome: executor.Failed, Err: err}
		}
	}
	if err := o.LogParams(ctx, map[string]any{"model": s.Model, "model_uri": src.URI, "data": s.Data, "rows": n}); err != nil {
		return executor.Result{Outcome: executor.Failed, Err: err}
	}
	if err := o.LogMetrics(ctx, map[string]float64{"rows": float64(n)}); err != nil {
		return executor.Result{Outcome: executor.Failed, Err: err}
	}
	if job.Log != nil {
		how := "in one batch"
		if streamed {
			how = fmt.Sprintf("streamed in batches of %d rows", batchSize(s))
		}
		fmt.Fprintf(job.Log, "model.predict: scored %d rows of %s (%s) with %s (%s %s, %s)\npredictions: %s\n",
			n, s.Data, how, s.Model, m.Task, m.Kind, src.URI, written.URI)
		if head != nil {
			fmt.Fprintln(job.Log, head.Head(5).String())
		}
	}
	b, err := json.Marshal(map[string]any{
		"predictions": written.URI, "rows": n, "column": name, "task": m.Task, "model": src, "streamed": streamed,
		"datasets": map[string]any{"data": ds, "predictions": written},
	})
	if err != nil {
		return fail(err)
	}
	return executor.Result{Outcome: executor.Succeeded, Output: b}
}

func batchSize(s *Spec) int {
	if s.BatchSize > 0 {
		return s.BatchSize
	}
	return 10000
}

// inputError marks a problem of the data, not of the store.
type inputError struct{ error }

func (e inputError) Unwrap() error { return e.error }

// stream scores a CSV data set batch by batch and writes the predictions as CSV, holding
// one batch in memory. It returns the written data set, the first batch's output, the
// rows scored and the prediction column.
func stream(ctx context.Context, o *stepio.IO, m *model.Model, s *Spec, st *stepio.Stream, output string) (*stepio.Dataset, *frame.Frame, int, string, error) {
	// Read the model's inputs as the model takes them, so a bad value anywhere in the
	// stream is named with its row; columns the header lacks are reported by score.
	br := bufio.NewReader(st)
	first, _ := br.ReadString('\n')
	header, _ := csv.NewReader(strings.NewReader(first)).Read()
	opts := frame.CSVOptions{Schema: map[string]frame.Type{}}
	for _, in := range m.Signature.Inputs {
		if in.Type != frame.Bool && in.Type != frame.Time && slices.Contains(header, in.Name) {
			opts.Schema[in.Name] = in.Type
		}
	}
	r, err := frame.NewCSVReader(io.MultiReader(strings.NewReader(first), br), opts)
	if err != nil {
		return nil, nil, 0, "", inputError{err}
	}
	var head *frame.Frame
	rows := 0
	written, err := o.WriteStream(ctx, output, "csv", func(w io.Writer) (int, []stepio.Column, error) {
		var cols []stepio.Column
		for {
			if err := ctx.Err(); err != nil {
				return rows, cols, err
			}
			chunk, err := r.Read(batchSize(s))
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return rows, cols, inputError{err}
			}
			out, err := score(m, s, chunk, rows)
			if err != nil {
				return rows, cols, inputError{err}
			}
			var buf bytes.Buffer
			if err := frame.WriteCSV(&buf, out); err != nil {
				return rows, cols, err
			}
			b := buf.Bytes()
			if head == nil {
				head, cols = out, columnsOf(out)
			} else if i := bytes.IndexByte(b, '\n'); i >= 0 {
				b = b[i+1:] // the header once
			}
			if _, err := w.Write(b); err != nil {
				return rows, cols, err
			}
			rows += chunk.NumRows()
		}
		if head == nil { // no rows: the header alone
			out, err := score(m, s, emptyLike(r.Schema()), 0)
			if err != nil {
				return 0, nil, inputError{err}
			}
			head, cols = out, columnsOf(out)
			return 0, cols, frame.WriteCSV(w, out)
		}
		return rows, cols, nil
	})
	if err != nil {
		return nil, nil, 0, "", err
	}
	return written, head, rows, predictionColumn(m, s), nil
}

func emptyLike(schema frame.Schema) *frame.Frame {
	var cols []*frame.Column
	for _, f := range schema {
		switch f.Type {
		case frame.Float:
			cols = append(cols, frame.NewFloat(f.Name, nil, nil))
		case frame.Int:
			cols = append(cols, frame.NewInt(f.Name, nil, nil))
		case frame.Bool:
			cols = append(cols, frame.NewBool(f.Name, nil, nil))
		default:
			cols = append(cols, frame.NewString(f.Name, nil, nil))
		}
	}
	f, _ := frame.New(cols...)
	return f
}

func columnsOf(f *frame.Frame) []stepio.Column {
	var out []stepio.Column
	for _, c := range f.Schema() {
		out = append(out, stepio.Column{Name: c.Name, Type: c.Type.String()})
	}
	return out
}

func predictionColumn(m *model.Model, s *Spec) string {
	switch {
	case s.Column != "":
		return s.Column
	case m.Task == model.Clustering:
		return "cluster"
	}
	return "prediction"
}

// score predicts the rows of data (which start at row offset+1 of the data set) and
// returns the output frame: the kept columns, then the predictions.
func score(m *model.Model, s *Spec, data *frame.Frame, offset int) (*frame.Frame, error) {
	shift := func(err error) error {
		var ve *frame.ValueError
		if errors.As(err, &ve) && offset > 0 {
			c := *ve
			c.Row += offset
			c.Line = 0
			return &c
		}
		var ie *scoring.InputError
		if errors.As(err, &ie) && ie.Row > 0 && offset > 0 {
			c := *ie
			c.Row += offset
			return &c
		}
		return err
	}
	if err := scoring.CheckModelInputs(m, data); err != nil {
		return nil, shift(err)
	}
	pred, err := m.Predict(data)
	if err != nil {
		return nil, shift(err)
	}
	keep := s.Keep
	if len(keep) == 0 && !s.Only {
		keep = data.Names()
	}
	var cols []*frame.Column
	for _, k := range keep {
		c, err := data.Column(k)
		if err != nil {
			return nil, fmt.Errorf("keep: column %q is not in the data set", k)
		}
		cols = append(cols, c)
	}
	name := predictionColumn(m, s)
	n := data.NumRows()
	switch m.Task {
	case model.Regression:
		cols = append(cols, frame.NewFloat(name, orEmpty(pred.Values, n), nil))
	case model.Classification:
		labels := pred.Labels
		if labels == nil {
			labels = make([]string, n)
		}
		cols = append(cols, frame.NewString(name, labels, nil))
		for k, class := range m.Signature.Classes {
			p := make([]float64, n)
			for i := range p {
				if i < len(pred.Probabilities) {
					p[i] = pred.Probabilities[i][k]
				}
			}
			cols = append(cols, frame.NewFloat("proba_"+class, p, nil))
		}
	case model.Clustering:
		v := make([]int64, n)
		for i := range v {
			if i < len(pred.Clusters) {
				v[i] = int64(pred.Clusters[i])
			}
		}
		cols = append(cols, frame.NewInt(name, v, nil))
	}
	out, err := frame.New(cols...)
	if err != nil {
		return nil, fmt.Errorf("predictions: %w (a kept column may be named like a prediction column: set column)", err)
	}
	return out, nil
}

func orEmpty(v []float64, n int) []float64 {
	if v == nil {
		return make([]float64, n)
	}
	return v
}
