package weir_test

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/weirhq/weir"
)

type addIn struct {
	A int `json:"a"`
	B int `json:"b"`
}

type addOut struct {
	Sum int `json:"sum"`
}

func TestRegisterTypedFunctions(t *testing.T) {
	t.Parallel()
	app := weir.New()
	weir.Register(app, "add", func(_ context.Context, in addIn) (addOut, error) { return addOut{in.A + in.B}, nil })
	weir.Register(app, "nothing", func(context.Context, struct{}) (*addOut, error) { return nil, nil })
	fn, ok := app.Funcs().Lookup("add")
	if !ok {
		t.Fatal("add not registered")
	}
	out, err := fn(context.Background(), json.RawMessage(`{"a": 2, "b": 3}`))
	if err != nil || string(out) != `{"sum":5}` {
		t.Errorf("add: %s %v", out, err)
	}
	_, err = fn(context.Background(), json.RawMessage(`{"a": 2, "c": 3}`))
	if err == nil || !strings.Contains(err.Error(), `unknown field "c"`) || !strings.Contains(err.Error(), "weir_test.addIn") {
		t.Errorf("unknown field: %v", err)
	}
	nothing, _ := app.Funcs().Lookup("nothing")
	if out, err := nothing(context.Background(), nil); err != nil || out != nil {
		t.Errorf("nil output: %s %v", out, err)
	}
}

func TestAppRunsAGoDAG(t *testing.T) {
	t.Parallel()
	app := weir.New()
	weir.Register(app, "add", func(_ context.Context, in addIn) (addOut, error) { return addOut{in.A + in.B}, nil })
	weir.Register(app, "add", func(_ context.Context, in addIn) (addOut, error) { return addOut{}, nil })
	home := t.TempDir()
	var errOut bytes.Buffer
	app.Stderr = &errOut
	if code := app.Execute(context.Background(), []string{"dags", "list", "--home", home}); code != 1 || !strings.Contains(errOut.String(), `"add" is registered twice`) {
		t.Errorf("a duplicate registration should make the app fail, got exit %d", code)
	}

	app = weir.New()
	weir.Register(app, "add", func(_ context.Context, in addIn) (addOut, error) { return addOut{in.A + in.B}, nil })
	app.AddDAG(&weir.DAG{ID: "sum", Tasks: []*weir.Task{
		{ID: "first", Go: &weir.GoSpec{Func: "add", Args: map[string]any{"a": 1, "b": 2}}},
		{ID: "second", Upstream: []string{"first"}, Go: &weir.GoSpec{Func: "add", Args: map[string]any{"a": "{{ outputs.first.sum }}", "b": 10}}},
	}})
	app.Stdout = &bytes.Buffer{}
	code := app.Execute(context.Background(), []string{"run", "sum", "--quiet", "--home", home, "--dags", filepath.Join(home, "none")})
	if code != 0 {
		t.Fatalf("run exit %d", code)
	}
	// Read the result back through the CLI's JSON listing.
	var buf bytes.Buffer
	app.Stdout = &buf
	code = app.Execute(context.Background(), []string{"runs", "list", "--home", home, "-o", "json"})
	if code != 0 || !strings.Contains(buf.String(), `"state": "success"`) {
		t.Errorf("runs list: %d %s", code, buf.String())
	}
}
