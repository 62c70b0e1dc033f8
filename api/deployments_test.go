package api_test

import (
	"testing"

	"github.com/weirhq/weir/api/client"
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
	e.do("DELETE", "/deployments/iris", "")
	e.problem("GET", "/deployments/iris", "", 404, client.CodeNotFound, "")
	e.problem("DELETE", "/deployments/iris", "", 404, client.CodeNotFound, "")
}
