package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/weirhq/weir/store"
)

// prediction returns a prediction with every field but the label set.
func prediction(id, endpoint, version string, when time.Time) *store.Prediction {
	return &store.Prediction{
		ID: id, Endpoint: endpoint, ModelName: "iris", ModelVersion: version,
		Inputs:        json.RawMessage(`{"columns":["a","b"],"data":[[1.5,"x"]]}`),
		Output:        json.RawMessage(`{"predictions":[0.25]}`),
		LatencyMicros: 1234, Time: when, Shadow: version == "2",
	}
}

func testPredictions(t *testing.T, setup setupFunc) {
	predIDs := func(ps []*store.Prediction) []string {
		out := make([]string, len(ps))
		for i, p := range ps {
			out[i] = p.ID
		}
		return out
	}
	list := func(ctx context.Context, t *testing.T, s store.Store, f store.PredictionFilter) []string {
		t.Helper()
		ps, err := s.ListPredictions(ctx, f)
		if err != nil {
			t.Fatalf("ListPredictions(%+v): %v", f, err)
		}
		return predIDs(ps)
	}
	insert := func(ctx context.Context, t *testing.T, s store.Store, ps ...*store.Prediction) {
		t.Helper()
		if err := s.InsertPredictions(ctx, ps); err != nil {
			t.Fatalf("InsertPredictions: %v", err)
		}
	}

	t.Run("RoundTrip", func(t *testing.T) {
		ctx, s := setup(t)
		full := prediction("p1", "iris", "2", at(0))
		minimal := &store.Prediction{ID: "p2", Endpoint: "iris", Time: at(time.Second)}
		insert(ctx, t, s, full, minimal)
		for _, want := range []*store.Prediction{full, minimal} {
			got, err := s.GetPrediction(ctx, want.ID)
			if err != nil {
				t.Fatalf("GetPrediction(%s): %v", want.ID, err)
			}
			checkStruct(t, "prediction "+want.ID, got, want)
		}
		_, err := s.GetPrediction(ctx, "missing")
		wantErrIs(t, "GetPrediction of a missing id", err, store.ErrNotFound)
	})

	t.Run("DuplicateIDWritesNothing", func(t *testing.T) {
		ctx, s := setup(t)
		insert(ctx, t, s, prediction("dup", "iris", "1", at(0)))
		err := s.InsertPredictions(ctx, []*store.Prediction{prediction("new", "iris", "1", at(time.Second)), prediction("dup", "iris", "1", at(0))})
		wantErrIs(t, "InsertPredictions with a taken id", err, store.ErrAlreadyExists)
		_, err = s.GetPrediction(ctx, "new")
		wantErrIs(t, "GetPrediction of a prediction of a failed batch", err, store.ErrNotFound)
	})

	t.Run("Invalid", func(t *testing.T) {
		ctx, s := setup(t)
		for name, p := range map[string]*store.Prediction{
			"no id":       {Endpoint: "e", Time: at(0)},
			"no endpoint": {ID: "x", Time: at(0)},
			"no time":     {ID: "x", Endpoint: "e"},
		} {
			if err := s.InsertPredictions(ctx, []*store.Prediction{p}); err == nil {
				t.Errorf("InsertPredictions of a prediction with %s succeeded, want an error", name)
			}
		}
	})

	t.Run("ManyRows", func(t *testing.T) {
		ctx, s := setup(t)
		// More than one multi-row statement and a remainder.
		var ps []*store.Prediction
		const n = 300
		for i := range n {
			ps = append(ps, prediction(fmt.Sprintf("p%03d", i), "iris", "1", at(time.Duration(i)*time.Millisecond)))
		}
		insert(ctx, t, s, ps...)
		got, err := s.ListPredictions(ctx, store.PredictionFilter{Limit: 1000})
		if err != nil {
			t.Fatalf("ListPredictions: %v", err)
		}
		if len(got) != n {
			t.Fatalf("ListPredictions returned %d predictions, want %d", len(got), n)
		}
		for i, g := range got {
			checkStruct(t, "prediction "+g.ID, g, ps[n-1-i])
		}
	})

	t.Run("ListFilters", func(t *testing.T) {
		ctx, s := setup(t)
		insert(ctx, t, s,
			prediction("a1", "a", "1", at(1*time.Second)),
			prediction("a2", "a", "2", at(2*time.Second)),
			prediction("b3", "b", "1", at(3*time.Second)),
			prediction("a4", "a", "1", at(4*time.Second)),
			prediction("a4b", "a", "1", at(4*time.Second)),
		)
		for _, c := range []struct {
			name string
			f    store.PredictionFilter
			want []string
		}{
			{"all, newest first, ties by id descending", store.PredictionFilter{}, []string{"a4b", "a4", "b3", "a2", "a1"}},
			{"endpoint", store.PredictionFilter{Endpoint: "a"}, []string{"a4b", "a4", "a2", "a1"}},
			{"version", store.PredictionFilter{ModelName: "iris", ModelVersion: "1"}, []string{"a4b", "a4", "b3", "a1"}},
			{"other model", store.PredictionFilter{ModelName: "wine"}, []string{}},
			{"since inclusive", store.PredictionFilter{Since: at(3 * time.Second)}, []string{"a4b", "a4", "b3"}},
			{"until exclusive", store.PredictionFilter{Until: at(3 * time.Second)}, []string{"a2", "a1"}},
			{"range and endpoint", store.PredictionFilter{Endpoint: "a", Since: at(2 * time.Second), Until: at(4 * time.Second)}, []string{"a2"}},
			{"limit", store.PredictionFilter{Limit: 2}, []string{"a4b", "a4"}},
			{"labelled, none yet", store.PredictionFilter{Labelled: true}, []string{}},
		} {
			got := list(ctx, t, s, c.f)
			if fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Errorf("%s: ListPredictions = %v, want %v", c.name, got, c.want)
			}
		}
	})

	t.Run("Label", func(t *testing.T) {
		ctx, s := setup(t)
		p := prediction("p1", "iris", "1", at(0))
		insert(ctx, t, s, p, prediction("p2", "iris", "1", at(time.Second)))
		if err := s.SetPredictionLabel(ctx, "p1", json.RawMessage(`"setosa"`), at(time.Hour)); err != nil {
			t.Fatalf("SetPredictionLabel: %v", err)
		}
		p.Label, p.LabelledAt = json.RawMessage(`"setosa"`), at(time.Hour)
		got, err := s.GetPrediction(ctx, "p1")
		if err != nil {
			t.Fatalf("GetPrediction: %v", err)
		}
		checkStruct(t, "labelled prediction", got, p)
		// A second label replaces the first.
		if err := s.SetPredictionLabel(ctx, "p1", json.RawMessage(`1.5`), at(2*time.Hour)); err != nil {
			t.Fatalf("SetPredictionLabel again: %v", err)
		}
		p.Label, p.LabelledAt = json.RawMessage(`1.5`), at(2*time.Hour)
		got, _ = s.GetPrediction(ctx, "p1")
		checkStruct(t, "relabelled prediction", got, p)
		if got := list(ctx, t, s, store.PredictionFilter{Labelled: true}); fmt.Sprint(got) != "[p1]" {
			t.Errorf("labelled predictions = %v, want [p1]", got)
		}
		wantErrIs(t, "SetPredictionLabel of a missing id",
			s.SetPredictionLabel(ctx, "missing", json.RawMessage(`1`), at(0)), store.ErrNotFound)
		if err := s.SetPredictionLabel(ctx, "p2", json.RawMessage(`{bad`), at(0)); err == nil {
			t.Error("SetPredictionLabel with invalid JSON succeeded, want an error")
		}
	})

	t.Run("ConcurrentBatches", func(t *testing.T) {
		ctx, s := setup(t)
		const writers, batches, size = 4, 5, 40
		var wg sync.WaitGroup
		errs := make(chan error, writers*batches)
		for w := range writers {
			wg.Go(func() {
				for b := range batches {
					var ps []*store.Prediction
					for i := range size {
						ps = append(ps, prediction(fmt.Sprintf("w%d-b%d-%d", w, b, i), "iris", "1", at(time.Duration(i))))
					}
					errs <- s.InsertPredictions(ctx, ps)
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("InsertPredictions: %v", err)
			}
		}
		if got := list(ctx, t, s, store.PredictionFilter{Limit: 10000}); len(got) != writers*batches*size {
			t.Fatalf("ListPredictions returned %d predictions, want %d", len(got), writers*batches*size)
		}
	})
}
