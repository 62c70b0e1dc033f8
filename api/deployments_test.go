package api_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/weirhq/weir/api/client"
	"github.com/weirhq/weir/store"
)

func TestDeployments(t *testing.T) {
	t.Parallel()
	e := setup(t)
	var d client.Deployment
	e.json("PUT", "/deployments/iris", `{"model":"models:/iris@champion","canary":"models:/iris@challenger","canary_weight":10}`, 200, &d)
	if d.Name != "iris" || d.Model != "models:/iris@champion" || d.CanaryWeight != 10 || d.CreatedAt.IsZero() {
		t.Errorf("put %+v", d)
	}
	e.json("PUT", "/deployments/iris", `{"model":"models:/iris@challenger","shadow":"models:/iris/1"}`, 200, &d)
	if d.Model != "models:/iris@challenger" || d.Canary != "" || d.Shadow != "models:/iris/1" {
		t.Errorf("replaced %+v", d)
	}
	e.json("GET", "/deployments/iris", "", 200, &d)
	if d.Shadow != "models:/iris/1" {
		t.Errorf("get %+v", d)
	}
	var c client.DeploymentCollection
	e.json("GET", "/deployments", "", 200, &c)
	if c.TotalEntries != 1 || len(c.Deployments) != 1 || c.Deployments[0].Name != "iris" {
		t.Errorf("list %+v", c)
	}
	e.problem("PUT", "/deployments/iris", `{}`, 400, client.CodeInvalidField, "model")
	e.problem("PUT", "/deployments/iris", `{"model":"m","canary_weight":10}`, 400, client.CodeInvalidField, "canary")
	e.problem("PUT", "/deployments/iris", `{"model":"m","canary":"c","canary_weight":200}`, 400, client.CodeInvalidField, "canary_weight")
	e.problem("PUT", "/deployments/iris", `{"model":"m","weight":2}`, 400, client.CodeUnknownField, "weight")
	// compare: the live figures per version, from the prediction log and its labels.
	ctx := context.Background()
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	if err := e.st.InsertPredictions(ctx, []*store.Prediction{
		{ID: "p1", Endpoint: "iris", ModelName: "iris", ModelVersion: "1", Output: json.RawMessage(`{"predictions":["setosa"]}`), LatencyMicros: 10, Time: t0},
		{ID: "p2", Endpoint: "iris", ModelName: "iris", ModelVersion: "2", Output: json.RawMessage(`{"predictions":["setosa"]}`), LatencyMicros: 20, Time: t0.Add(time.Second)},
		{ID: "p3", Endpoint: "iris", ModelName: "iris", ModelVersion: "2", Output: json.RawMessage(`{"predictions":["virginica"]}`), LatencyMicros: 30, Time: t0.Add(2 * time.Second)},
	}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"p1", "p2", "p3"} {
		if err := e.st.SetPredictionLabel(ctx, id, json.RawMessage(`"setosa"`), t0.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	var cmp client.DeploymentComparison
	e.json("GET", "/deployments/iris/compare", "", 200, &cmp)
	if len(cmp.Versions) != 2 || cmp.Versions[0].Version != "1" || *cmp.Versions[0].Accuracy != 1 ||
		cmp.Versions[1].Requests != 2 || *cmp.Versions[1].Accuracy != 0.5 || cmp.Versions[1].LatencyP99Micros != 30 {
		t.Errorf("compare %+v", cmp)
	}
	e.json("GET", "/deployments/iris/compare?since=2026-12-01T10:00:01Z", "", 200, &cmp)
	if len(cmp.Versions) != 1 || cmp.Versions[0].Version != "2" {
		t.Errorf("compare since %+v", cmp)
	}
	e.problem("GET", "/deployments/iris/compare?since=yesterday", "", 400, client.CodeInvalidField, "since")
	e.problem("GET", "/deployments/nope/compare", "", 404, client.CodeNotFound, "")
	e.do("DELETE", "/deployments/iris", "")
	e.problem("GET", "/deployments/iris", "", 404, client.CodeNotFound, "")
	e.problem("DELETE", "/deployments/iris", "", 404, client.CodeNotFound, "")
}
