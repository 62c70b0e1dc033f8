package main_test

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestDeployCommands writes, lists and deletes deployments in the local store through the
// real binary, and checks the errors name what to fix.
func TestDeployCommands(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	r := weir(t, home, nil, "deploy", "iris", "--model", "models:/iris@champion", "--canary", "models:/iris@challenger", "--weight", "20")
	if r.code != 0 || !strings.Contains(r.stdout, "deployed iris: models:/iris@champion (80%), canary models:/iris@challenger (20%)") ||
		!strings.Contains(r.stdout, "/serve/iris/invocations") {
		t.Fatalf("deploy: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// Nothing is registered in this home: the deployment is written, with a warning naming
	// the reference that does not load yet.
	if !strings.Contains(r.stderr, "warning: --model models:/iris@champion does not load now") {
		t.Fatalf("no warning for a reference that names no model:\n%s", r.stderr)
	}
	if r = weir(t, home, nil, "deploy", "shadowed", "--model", "models:/m/1", "--shadow", "models:/m@challenger"); r.code != 0 {
		t.Fatalf("deploy --shadow: exit %d\n%s", r.code, r.stderr)
	}
	r = weir(t, home, nil, "deployments", "list", "-o", "json")
	var ds []struct {
		Name, Model, Canary, Shadow string
		CanaryWeight                int `json:"canary_weight"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &ds); err != nil || len(ds) != 2 || ds[0].Name != "iris" || ds[0].CanaryWeight != 20 ||
		ds[1].Shadow != "models:/m@challenger" {
		t.Fatalf("deployments list -o json: %v\n%s", err, r.stdout)
	}
	if r = weir(t, home, nil, "deployments", "list"); !strings.Contains(r.stdout, "models:/iris@challenger 20%") {
		t.Fatalf("deployments list:\n%s", r.stdout)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"deploy", "x"}, "--model is required"},
		{[]string{"deploy", "x", "--model", "m", "--weight", "5"}, "--weight needs --canary"},
		{[]string{"deploy", "x", "--model", "m", "--canary", "c", "--shadow", "s"}, "canary"},
		{[]string{"deploy", "x", "--model", "m", "--canary", "c", "--weight", "101"}, "from 0 to 100"},
		{[]string{"deploy", "a/b", "--model", "m"}, "deployment name"},
		{[]string{"deployments", "delete", "nope"}, `no deployment "nope"`},
	} {
		if r := weir(t, home, nil, c.args...); r.code == 0 || !strings.Contains(r.stderr, c.want) {
			t.Errorf("weir %s: exit %d, stderr %q, want an error containing %q", strings.Join(c.args, " "), r.code, r.stderr, c.want)
		}
	}
	if r = weir(t, home, nil, "deployments", "delete", "iris"); r.code != 0 {
		t.Fatalf("delete: %s", r.stderr)
	}
	if r = weir(t, home, nil, "deployments", "list", "-o", "json"); strings.Contains(r.stdout, "iris") {
		t.Fatalf("iris still listed after delete:\n%s", r.stdout)
	}
}
