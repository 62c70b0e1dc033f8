package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/weirhq/weir/api/client"
	"github.com/weirhq/weir/predlog"
)

// TestPredictions logs predictions through a real predlog.Writer into the API's store,
// then lists, reads and labels them over HTTP.
func TestPredictions(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := context.Background()
	w, err := predlog.New(predlog.Config{Store: e.st})
	if err != nil {
		t.Fatal(err)
	}
	base := time.Date(2026, 12, 2, 4, 0, 0, 0, time.UTC)
	for i := range 5 {
		ep := "iris"
		if i%2 == 1 {
			ep = "wine"
		}
		w.Record(predlog.Prediction{ID: fmt.Sprintf("p%d", i), Endpoint: ep, ModelName: ep, ModelVersion: "1",
			Inputs: json.RawMessage(`{"x":[1]}`), Output: json.RawMessage(`[1]`), LatencyMicros: 10, Time: base.Add(time.Duration(i) * time.Second)})
	}
	w.Stop() // flushes

	var c client.PredictionCollection
	e.json("GET", "/predictions?endpoint=iris&limit=2", "", 200, &c)
	if c.TotalEntries != 2 || c.Predictions[0].PredictionID != "p4" || c.Predictions[1].PredictionID != "p2" {
		t.Fatalf("list iris limit 2 = %+v, want p4, p2", c)
	}
	e.json("GET", "/predictions?since=2026-12-02T04:00:01Z&until=2026-12-02T04:00:03Z", "", 200, &c)
	if c.TotalEntries != 2 || c.Predictions[0].PredictionID != "p2" || c.Predictions[1].PredictionID != "p1" {
		t.Fatalf("list by time = %+v, want p2, p1", c)
	}
	var p client.Prediction
	e.json("GET", "/predictions/p3", "", 200, &p)
	if p.Endpoint != "wine" || string(p.Output) != "[1]" || p.LatencyMicros != 10 || string(p.Label) != "null" || p.LabelledAt != nil {
		t.Fatalf("get p3 = %+v", p)
	}
	e.problem("GET", "/predictions/nope", "", 404, client.CodeNotFound, "")

	e.json("POST", "/predictions/p3/feedback", `{"label": "merlot"}`, 200, &p)
	if string(p.Label) != `"merlot"` || p.LabelledAt == nil {
		t.Fatalf("labelled p3 = %+v", p)
	}
	e.problem("POST", "/predictions/nope/feedback", `{"label": 1}`, 404, client.CodeNotFound, "")
	e.problem("POST", "/predictions/p3/feedback", `{}`, 400, client.CodeInvalidField, "label")
	e.problem("POST", "/predictions/p3/feedback", `{"label": null}`, 400, client.CodeInvalidField, "label")
	e.problem("POST", "/predictions/p3/feedback", `{"label": 1, "extra": 2}`, 400, client.CodeUnknownField, "extra")
	e.problem("GET", "/predictions?limit=0", "", 400, client.CodeInvalidField, "limit")
	e.problem("GET", "/predictions?labelled=maybe", "", 400, client.CodeInvalidField, "labelled")

	// Through the client.
	got, err := e.c.PostFeedback(ctx, "p1", json.RawMessage(`{"class": 2}`))
	if err != nil || got.PredictionID != "p1" {
		t.Fatalf("PostFeedback = %+v, %v", got, err)
	}
	list, err := e.c.ListPredictions(ctx, client.PredictionFilter{Labelled: true})
	if err != nil || list.TotalEntries != 2 || list.Predictions[0].PredictionID != "p3" || list.Predictions[1].PredictionID != "p1" {
		t.Fatalf("ListPredictions(labelled) = %+v, %v; want p3, p1", list, err)
	}
	if g, err := e.c.GetPrediction(ctx, "p1"); err != nil || string(g.Label) != `{"class":2}` && string(g.Label) != `{"class": 2}` {
		t.Fatalf("GetPrediction(p1) = %+v, %v", g, err)
	}
}
