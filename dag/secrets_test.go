package dag

import (
	"errors"
	"strings"
	"testing"
)

// mapLookup is a SecretLookup over maps, counting the lookups (a real implementation of
// the interface; package secrets' one is tested there and end to end in package node).
type mapLookup struct {
	vars  map[string]string
	conns map[string]map[string]any
	calls int
}

func (m *mapLookup) Variable(key string) (string, error) {
	m.calls++
	if v, ok := m.vars[key]; ok {
		return v, nil
	}
	return "", errors.New("variable " + key + " does not exist")
}

func (m *mapLookup) Connection(id string) (map[string]any, error) {
	m.calls++
	if c, ok := m.conns[id]; ok {
		return c, nil
	}
	return nil, errors.New("connection " + id + " does not exist")
}

func TestRenderVariablesAndConnections(t *testing.T) {
	t.Parallel()
	l := &mapLookup{
		vars: map[string]string{"region": "eu-west-1", "cfg": `{"bucket": {"name": "b1"}}`},
		conns: map[string]map[string]any{"wh": {"host": "db.internal", "port": 5432, "login": "etl", "password": "pw",
			"extra_dejson": map[string]any{"sslmode": "require"}, "get_uri": func() string { return "postgres://etl:pw@db.internal:5432" }}},
	}
	task := &Task{ID: "t", Kind: KindCommand, Command: &CommandSpec{
		Script: "{{ var.value.region }} {{ var.json.cfg.bucket.name }} {{ conn.wh.host }}:{{ conn.wh.port }} {{ conn.wh.extra_dejson.sslmode }}",
		Env:    map[string]string{"URI": "{{ conn.wh.get_uri() }}", "R": "{{ var.value.region }}"},
	}}
	c := renderContext()
	c.Secrets = l
	got, err := RenderTask(task, c)
	if err != nil {
		t.Fatal(err)
	}
	if want := "eu-west-1 b1 db.internal:5432 require"; got.Command.Script != want {
		t.Errorf("script = %q, want %q", got.Command.Script, want)
	}
	if got.Command.Env["URI"] != "postgres://etl:pw@db.internal:5432" || got.Command.Env["R"] != "eu-west-1" {
		t.Errorf("env = %v", got.Command.Env)
	}
	if l.calls != 3 {
		t.Errorf("%d lookups, want 3 (each name once per render)", l.calls)
	}

	// Looked up at render time: a missing one fails the render, naming it; without a
	// lookup (load time, dry runs) nothing is read.
	bad := &Task{ID: "t", Kind: KindCommand, Command: &CommandSpec{Script: "{{ var.value.nope }}"}}
	if _, err := RenderTask(bad, c); err == nil || !strings.Contains(err.Error(), "variable nope does not exist") {
		t.Errorf("a missing variable: %v", err)
	}
	if _, err := RenderTask(task, renderContext()); err == nil || !strings.Contains(err.Error(), "not available here") {
		t.Errorf("no lookup: %v", err)
	}
	notJSON := &Task{ID: "t", Kind: KindCommand, Command: &CommandSpec{Script: "{{ var.json.region }}"}}
	if _, err := RenderTask(notJSON, c); err == nil || !strings.Contains(err.Error(), "not JSON") {
		t.Errorf("var.json of a text: %v", err)
	}
}

func TestLoadChecksVariableAndConnectionReferences(t *testing.T) {
	t.Parallel()
	_, err := load(t, `
dag_id: d
tasks:
  - id: a
    script: "{{ var.value }} {{ var.text.x }} {{ conn.db.hostname }} {{ conn.db.host }} {{ var.json.cfg.k }}"
  - id: b
    env_from: ["var:x", "conn:y", "conn:y.password", "bad", "conn:y.pwd"]
    script: "true"
`)
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	for _, want := range []string{"var.value needs a variable name", "var is read as var.value.KEY", `no field "hostname"`,
		`env_from[3]`, `"bad"`, `no field "pwd"`, "NAME=conn:y.password"} {
		if !strings.Contains(msg, want) {
			t.Errorf("errors lack %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "conn.db.host ") || strings.Contains(msg, "var.json.cfg") {
		t.Errorf("a valid reference was refused:\n%s", msg)
	}
	r, err := ParseEnvRef("conn:my-db")
	if err != nil || r.Name != "AIRFLOW_CONN_MY_DB" {
		t.Errorf("ParseEnvRef(conn:my-db) = %+v, %v", r, err)
	}
}
