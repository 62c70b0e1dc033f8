package api_test

import (
	"context"
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/weirhq/weir/api"
)

// TestSpecValid validates openapi.yaml (OpenAPI 3.0: every $ref resolves, schemas and
// parameters are well formed) and checks weir's own rules: unique operation IDs, every path
// parameter declared, a success answer and JSON errors for every operation.
func TestSpecValid(t *testing.T) {
	t.Parallel()
	doc, err := loadSpec()
	if err != nil {
		t.Fatalf("openapi.yaml: %v", err)
	}
	ids := map[string]string{}
	wildcard := regexp.MustCompile(`\{([^}]+)\}`)
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			name := method + " " + path
			if op.OperationID == "" {
				t.Errorf("%s: no operationId", name)
			} else if prev, dup := ids[op.OperationID]; dup {
				t.Errorf("%s: operationId %s is also %s's", name, op.OperationID, prev)
			}
			ids[op.OperationID] = name
			if op.Summary == "" {
				t.Errorf("%s: no summary", name)
			}
			declared := map[string]bool{}
			for _, p := range append(item.Parameters, op.Parameters...) {
				if p.Value.In == openapi3.ParameterInPath {
					declared[p.Value.Name] = true
				}
			}
			for _, m := range wildcard.FindAllStringSubmatch(path, -1) {
				if !declared[m[1]] {
					t.Errorf("%s: path parameter %s not declared", name, m[1])
				}
			}
			success := false
			for code, resp := range op.Responses.Map() {
				if strings.HasPrefix(code, "2") {
					success = true
					continue
				}
				if code == "304" {
					continue // Not Modified has no body
				}
				if resp.Value.Content.Get("application/problem+json") == nil {
					t.Errorf("%s: answer %s is not a problem+json error", name, code)
				}
			}
			if !success {
				t.Errorf("%s: no 2xx answer", name)
			}
			if op.RequestBody != nil || len(op.Parameters) > 0 || declared["map_index"] || declared["task_try_number"] {
				if op.Responses.Value("400") == nil {
					t.Errorf("%s: takes input but has no 400 answer", name)
				}
			}
			if len(declared) > 0 && path != "/dags/{dag_id}/dagRuns" && op.Responses.Value("404") == nil {
				t.Errorf("%s: has path parameters but no 404 answer", name)
			}
		}
	}
	// Request bodies reject unknown fields, as the handlers do.
	for name, s := range doc.Components.Schemas {
		if strings.HasSuffix(name, "Body") || slices.Contains([]string{"DAGPatch", "TriggerDAGRun", "UpdateDAGRunState",
			"ClearDAGRun", "UpdateTaskInstance", "ClearTaskInstances", "CreateDatasetEvent"}, name) {
			if ap := s.Value.AdditionalProperties.Has; ap == nil || *ap {
				t.Errorf("schema %s: a request body must have additionalProperties: false", name)
			}
		}
	}
}

// TestRoutesMatchSpec: the API serves exactly the operations of the spec.
func TestRoutesMatchSpec(t *testing.T) {
	t.Parallel()
	e := setup(t)
	_ = e
	a, err := api.New(api.Config{Store: e.st, Engine: e.eng, DAGs: e.dags})
	if err != nil {
		t.Fatal(err)
	}
	served := a.Routes()
	slices.Sort(served)
	spec := specOperations(t)
	for _, op := range spec {
		if !slices.Contains(served, op) {
			t.Errorf("the spec has %s, the API does not serve it", op)
		}
	}
	for _, op := range served {
		if !slices.Contains(spec, op) {
			t.Errorf("the API serves %s, the spec does not have it", op)
		}
	}
}

// TestOpenAPIServed: GET /openapi.json is the spec, as JSON, and a valid OpenAPI document.
func TestOpenAPIServed(t *testing.T) {
	t.Parallel()
	e := setup(t)
	a := e.do("GET", "/openapi.json", "")
	if a.status != 200 || a.header.Get("Content-Type") != "application/json" {
		t.Fatalf("status %d, Content-Type %q", a.status, a.header.Get("Content-Type"))
	}
	doc, err := openapi3.NewLoader().LoadFromData(a.body)
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got, want := len(doc.Paths.Map()), len(specDoc.Paths.Map()); got != want {
		t.Errorf("%d paths served, the spec has %d", got, want)
	}
	var raw map[string]any
	if err := json.Unmarshal(a.body, &raw); err != nil || raw["openapi"] != "3.0.3" {
		t.Errorf("openapi field %v (%v)", raw["openapi"], err)
	}
}

// TestConfigValidate: New refuses a config without its required parts.
func TestConfigValidate(t *testing.T) {
	t.Parallel()
	e := setup(t)
	for name, cfg := range map[string]api.Config{
		"no store":  {Engine: e.eng, DAGs: e.dags},
		"no engine": {Store: e.st, DAGs: e.dags},
		"no dags":   {Store: e.st, Engine: e.eng},
	} {
		if _, err := api.New(cfg); err == nil || !strings.Contains(err.Error(), "required") {
			t.Errorf("%s: err %v", name, err)
		}
	}
}
