package node_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/weirhq/weir/predlog"
	"github.com/weirhq/weir/store"
)

// A server node runs a prediction log: what is recorded into it is committed by Stop, its
// counters are served at /metrics, and the predictions are served by the REST API.
func TestServerPredictionLog(t *testing.T) {
	t.Parallel()
	e := setup(t, nil)
	pl := e.srv.PredictionLog()
	if pl == nil {
		t.Fatal("PredictionLog() of a server node is nil")
	}
	pl.Record(predlog.Prediction{ID: "p1", Endpoint: "iris", ModelName: "iris", ModelVersion: "1", Output: json.RawMessage(`[2]`)})
	base := "http://" + e.srv.Addr()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), "weir_predictions_recorded_total 1") || !strings.Contains(string(body), "weir_predictions_dropped_total 0") {
		t.Fatalf("/metrics lacks the prediction log's counters:\n%s", body)
	}
	e.srv.Stop()
	p, err := e.st.GetPrediction(context.Background(), "p1")
	if err != nil {
		t.Fatalf("after Stop, GetPrediction(p1): %v", err)
	}
	if p.Endpoint != "iris" || string(p.Output) != "[2]" {
		t.Fatalf("prediction p1 = %+v", p)
	}
	ps, err := e.st.ListPredictions(context.Background(), store.PredictionFilter{Endpoint: "iris"})
	if err != nil || len(ps) != 1 {
		t.Fatalf("ListPredictions = %d, %v; want 1", len(ps), err)
	}
}
