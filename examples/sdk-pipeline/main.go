// Command sdk-pipeline defines a DAG of Go tasks with weir's SDK and gets weir's whole
// command line in its own binary:
//
//	go run ./examples/sdk-pipeline run sdk_pipeline
//	go run ./examples/sdk-pipeline dags show sdk_pipeline
//
// Each task is a typed Go function; weir passes its args (templates rendered) as the input
// struct and stores its return value as the task's JSON output.
package main

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/weirhq/weir"
)

// LoadIn are the load task's args.
type LoadIn struct {
	Rows int    `json:"rows"`
	Seed uint64 `json:"seed"`
}

// Dataset is a small in-memory data set: y ≈ slope·x + intercept.
type Dataset struct {
	X []float64 `json:"x"`
	Y []float64 `json:"y"`
}

// Fit is a fitted line.
type Fit struct {
	Slope     float64 `json:"slope"`
	Intercept float64 `json:"intercept"`
}

// ScoreIn are the evaluate task's args.
type ScoreIn struct {
	Data Dataset `json:"data"`
	Fit  Fit     `json:"fit"`
}

// Score is the model's quality.
type Score struct {
	RMSE float64 `json:"rmse"`
	R2   float64 `json:"r2"`
}

func load(_ context.Context, in LoadIn) (Dataset, error) {
	rng := rand.New(rand.NewPCG(in.Seed, 0))
	var d Dataset
	for i := 0; i < in.Rows; i++ {
		x := rng.Float64() * 10
		d.X = append(d.X, x)
		d.Y = append(d.Y, 2.5*x+1+rng.NormFloat64()*0.3)
	}
	return d, nil
}

func train(ctx context.Context, d Dataset) (Fit, error) {
	if len(d.X) < 2 {
		return Fit{}, weir.FailNow(fmt.Errorf("need at least 2 rows, got %d", len(d.X)))
	}
	var sx, sy, sxx, sxy float64
	for i := range d.X {
		sx, sy, sxx, sxy = sx+d.X[i], sy+d.Y[i], sxx+d.X[i]*d.X[i], sxy+d.X[i]*d.Y[i]
	}
	n := float64(len(d.X))
	slope := (n*sxy - sx*sy) / (n*sxx - sx*sx)
	fit := Fit{Slope: slope, Intercept: (sy - slope*sx) / n}
	if info := weir.Info(ctx); info != nil {
		fmt.Fprintf(info.Log, "try %d: fitted %+v on %d rows\n", info.TryNumber, fit, len(d.X))
	}
	return fit, nil
}

func evaluate(_ context.Context, in ScoreIn) (Score, error) {
	var mean, ssRes, ssTot float64
	for _, y := range in.Data.Y {
		mean += y
	}
	mean /= float64(len(in.Data.Y))
	for i, x := range in.Data.X {
		p := in.Fit.Slope*x + in.Fit.Intercept
		ssRes += (in.Data.Y[i] - p) * (in.Data.Y[i] - p)
		ssTot += (in.Data.Y[i] - mean) * (in.Data.Y[i] - mean)
	}
	return Score{RMSE: math.Sqrt(ssRes / float64(len(in.Data.X))), R2: 1 - ssRes/ssTot}, nil
}

func gate(_ context.Context, s Score) (map[string]any, error) {
	if s.R2 < 0.9 {
		return nil, weir.Skip(fmt.Sprintf("R² %.3f below 0.9", s.R2))
	}
	return map[string]any{"approved": true, "r2": s.R2}, nil
}

func main() {
	app := weir.New()
	weir.Register(app, "load", load)
	weir.Register(app, "train", train)
	weir.Register(app, "evaluate", evaluate)
	weir.Register(app, "gate", gate)
	retries := 2
	app.AddDAG(&weir.DAG{
		ID:          "sdk_pipeline",
		Description: "Go tasks through the SDK: load → train → evaluate → gate",
		Params: map[string]weir.Param{
			"rows": {Schema: map[string]any{"type": "integer", "default": 200, "minimum": 2}},
		},
		Defaults: weir.TaskOptions{Retries: &retries},
		Tasks: []*weir.Task{
			{ID: "load", Go: &weir.GoSpec{Func: "load", Args: map[string]any{"rows": "{{ params.rows }}", "seed": 7}}},
			{ID: "train", Upstream: []string{"load"}, Go: &weir.GoSpec{Func: "train", Args: "{{ outputs.load }}"}},
			{ID: "evaluate", Upstream: []string{"load", "train"}, Go: &weir.GoSpec{Func: "evaluate",
				Args: map[string]any{"data": "{{ outputs.load }}", "fit": "{{ outputs.train }}"}}},
			{ID: "gate", Upstream: []string{"evaluate"}, Go: &weir.GoSpec{Func: "gate", Args: "{{ outputs.evaluate }}"}},
		},
	})
	app.Main()
}
