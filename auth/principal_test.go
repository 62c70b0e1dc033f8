package auth_test

import (
	"context"
	"errors"
	"io"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/weirhq/weir/auth"
	"github.com/weirhq/weir/store/sqlite"
)

// Roles allow their actions; grants add rights on the objects they name, never remove any.
func TestPrincipalCan(t *testing.T) {
	t.Parallel()
	dag := auth.Object{Kind: auth.ObjectDAG, ID: "etl", Tags: []string{"team-a"}}
	other := auth.Object{Kind: auth.ObjectDAG, ID: "train", Tags: []string{"team-b"}}
	model := auth.Object{Kind: auth.ObjectModel, ID: "iris"}
	cases := []struct {
		name string
		p    auth.Principal
		a    auth.Action
		o    auth.Object
		want bool
	}{
		{"viewer reads", auth.Principal{Role: auth.RoleViewer}, auth.ActionRead, dag, true},
		{"viewer may not operate", auth.Principal{Role: auth.RoleViewer}, auth.ActionOperate, dag, false},
		{"operator operates", auth.Principal{Role: auth.RoleOperator}, auth.ActionOperate, dag, true},
		{"operator may not log", auth.Principal{Role: auth.RoleOperator}, auth.ActionML, model, false},
		{"ml-engineer logs", auth.Principal{Role: auth.RoleMLEngineer}, auth.ActionML, model, true},
		{"ml-engineer may not operate", auth.Principal{Role: auth.RoleMLEngineer}, auth.ActionOperate, dag, false},
		{"editor both", auth.Principal{Role: auth.RoleEditor}, auth.ActionOperate, dag, true},
		{"editor not admin", auth.Principal{Role: auth.RoleEditor}, auth.ActionAdmin, auth.Object{}, false},
		{"admin all", auth.Principal{Role: auth.RoleAdmin}, auth.ActionAdmin, auth.Object{}, true},
		{"tag grant", auth.Principal{Role: auth.RoleViewer, Grants: []auth.Grant{{Role: auth.RoleOperator, Target: "dag-tag:team-a"}}}, auth.ActionOperate, dag, true},
		{"tag grant, other DAG", auth.Principal{Role: auth.RoleViewer, Grants: []auth.Grant{{Role: auth.RoleOperator, Target: "dag-tag:team-a"}}}, auth.ActionOperate, other, false},
		{"id grant", auth.Principal{Role: auth.RoleViewer, Grants: []auth.Grant{{Role: auth.RoleOperator, Target: "dag:train"}}}, auth.ActionOperate, other, true},
		{"id grant, no object", auth.Principal{Role: auth.RoleViewer, Grants: []auth.Grant{{Role: auth.RoleOperator, Target: "dag:train"}}}, auth.ActionOperate, auth.Object{}, false},
		{"model grant", auth.Principal{Role: auth.RoleViewer, Grants: []auth.Grant{{Role: auth.RoleMLEngineer, Target: "model:iris"}}}, auth.ActionML, model, true},
		{"model grant gives no operate", auth.Principal{Role: auth.RoleViewer, Grants: []auth.Grant{{Role: auth.RoleMLEngineer, Target: "model:iris"}}}, auth.ActionOperate, model, false},
		{"grant of a kind does not name another", auth.Principal{Role: auth.RoleViewer, Grants: []auth.Grant{{Role: auth.RoleAdmin, Target: "experiment:etl"}}}, auth.ActionOperate, dag, false},
	}
	for _, c := range cases {
		if got := c.p.Can(c.a, c.o); got != c.want {
			t.Errorf("%s: Can(%s, %+v) = %v, want %v", c.name, c.a, c.o, got, c.want)
		}
	}
}

// The principal travels in the context; Check refuses with ErrForbidden and passes when
// no principal is there (in-process callers).
func TestPrincipalContext(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	if _, ok := auth.PrincipalFrom(ctx); ok {
		t.Fatal("a bare context has a principal")
	}
	if err := auth.Check(ctx, auth.ActionAdmin, auth.Object{}); err != nil {
		t.Fatalf("Check without a principal: %v", err)
	}
	ctx = auth.WithPrincipal(ctx, auth.Principal{Name: "ann", Kind: auth.KindUser, Role: auth.RoleViewer})
	p, ok := auth.PrincipalFrom(ctx)
	if !ok || p.Name != "ann" || p.Kind != auth.KindUser {
		t.Fatalf("PrincipalFrom = %+v, %v", p, ok)
	}
	if err := auth.Check(ctx, auth.ActionOperate, auth.Object{Kind: auth.ObjectDAG, ID: "etl"}); !errors.Is(err, auth.ErrForbidden) {
		t.Fatalf("Check operate as viewer: %v, want ErrForbidden", err)
	}
	if err := auth.Check(ctx, auth.ActionRead, auth.Object{}); err != nil {
		t.Fatalf("Check read as viewer: %v", err)
	}
	for _, r := range auth.Roles {
		if got, err := auth.ParseRole(string(r)); err != nil || got != r {
			t.Errorf("ParseRole(%s) = %s, %v", r, got, err)
		}
	}
	if _, err := auth.ParseRole("root"); err == nil {
		t.Error("ParseRole(root): want an error")
	}
}

// Object reads the object as the handlers do, so that a grant cannot be fooled by naming
// one object where the check looks and another where the handler does.
func TestObjectAsHandlersRead(t *testing.T) {
	t.Parallel()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "weir.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	a, err := auth.New(auth.Config{Store: st, DAGTags: func(id string) []string { return []string{"tag-of-" + id} },
		RunExperiment: func(_ context.Context, run string) (string, error) { return "exp-of-" + run, nil }})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		method, target, body string
		want                 auth.Object
	}{
		{"POST", "/api/v1/dags/etl/dagRuns", "{}", auth.Object{Kind: auth.ObjectDAG, ID: "etl", Tags: []string{"tag-of-etl"}}},
		{"POST", "/api/v1/dags/a%2Fb/dagRuns", "{}", auth.Object{Kind: auth.ObjectDAG, ID: "a/b", Tags: []string{"tag-of-a/b"}}},
		{"POST", "/api/v1/pools", "{}", auth.Object{}},
		{"POST", "/api/2.0/mlflow/registered-models/create", `{"name":"iris"}`, auth.Object{Kind: auth.ObjectModel, ID: "iris"}},
		// The body overrides the query for a POST, as mlflowapi decodes it.
		{"POST", "/api/2.0/mlflow/registered-models/create?name=iris", `{"name":"wine"}`, auth.Object{Kind: auth.ObjectModel, ID: "wine"}},
		// encoding/json matches keys case-insensitively: so does the check.
		{"POST", "/api/2.0/mlflow/registered-models/create?name=iris", `{"NAME":"wine"}`, auth.Object{Kind: auth.ObjectModel, ID: "wine"}},
		{"POST", "/api/2.0/mlflow/registered-models/create?name=iris", `{"name":null}`, auth.Object{Kind: auth.ObjectModel, ID: "iris"}},
		// A GET with a query string: its body is ignored.
		{"GET", "/api/2.0/mlflow/registered-models/get?name=iris", `{"name":"wine"}`, auth.Object{Kind: auth.ObjectModel, ID: "iris"}},
		{"POST", "/api/2.0/mlflow/experiments/delete", `{"experiment_id":7}`, auth.Object{Kind: auth.ObjectExperiment, ID: "7"}},
		{"POST", "/api/2.0/mlflow/experiments/create", `{"name":"e"}`, auth.Object{}},
		{"POST", "/api/2.0/mlflow/runs/log-metric", `{"run_uuid":"r1","key":"k"}`, auth.Object{Kind: auth.ObjectExperiment, ID: "exp-of-r1"}},
		{"POST", "/api/2.0/mlflow/runs/log-metric", `{"run_id":"r2","run_uuid":"r1"}`, auth.Object{Kind: auth.ObjectExperiment, ID: "exp-of-r2"}},
		{"POST", "/api/2.0/mlflow/runs/log-metric", `not json`, auth.Object{}},
		{"PUT", "/api/2.0/mlflow-artifacts/artifacts/3/r/artifacts/m.pkl", "x", auth.Object{Kind: auth.ObjectExperiment, ID: "3"}},
	}
	for _, c := range cases {
		r := httptest.NewRequest(c.method, c.target, strings.NewReader(c.body))
		got := a.Object(r)
		if got.Kind != c.want.Kind || got.ID != c.want.ID || strings.Join(got.Tags, ",") != strings.Join(c.want.Tags, ",") {
			t.Errorf("Object(%s %s %s) = %+v, want %+v", c.method, c.target, c.body, got, c.want)
		}
		if b, _ := io.ReadAll(r.Body); string(b) != c.body {
			t.Errorf("%s %s: the body left for the handler is %q, want %q", c.method, c.target, b, c.body)
		}
	}
}
