package dag

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/parser"
)

// SecretLookup gives templates Airflow's variables and connections at render time (never at
// load time): {{ var.value.KEY }}, {{ var.json.KEY.field }}, {{ conn.ID.host }} and the
// other fields of ConnectionFields. Package secrets implements it (environment first, then
// the store) and registers every value it returns with the task's secret masker.
type SecretLookup interface {
	// Variable returns the value of the variable key, or an error naming it when there is
	// none.
	Variable(key string) (string, error)
	// Connection returns the template fields of the connection id (see ConnectionFields),
	// or an error naming it when there is none.
	Connection(id string) (map[string]any, error)
}

// ConnectionFields are the names a template may read of a connection, as Airflow's
// Connection object has them: {{ conn.ID.host }}, {{ conn.ID.extra_dejson.region }},
// {{ conn.ID.get_uri() }}.
var ConnectionFields = []string{"conn_id", "conn_type", "description", "extra", "extra_dejson", "get_uri", "host", "login", "password", "port", "schema"}

// secretsKey is the key of vars holding the SecretLookup; no expression can name it.
const secretsKey = "\x00secrets"

// secretRefs are the variables and connections an expression reads.
type secretRefs struct {
	values, jsons, conns []string
}

// refsCache caches secretRefs by expression source.
var refsCache sync.Map

// secretRefsOf returns what an expression reads of var and conn (constant names only: the
// validator refuses others).
func secretRefsOf(src string) *secretRefs {
	if r, ok := refsCache.Load(src); ok {
		return r.(*secretRefs)
	}
	r := &secretRefs{}
	if tree, err := parser.Parse(src); err == nil {
		c := &refCollector{inner: map[ast.Node]bool{}, locals: map[string]bool{}}
		ast.Walk(&tree.Node, c)
		for _, m := range c.members {
			root, props := memberChain(m)
			if root == nil || c.locals[root.Value] {
				continue
			}
			switch {
			case root.Value == "var" && len(props) >= 2 && props[0] == "value":
				r.values = append(r.values, props[1])
			case root.Value == "var" && len(props) >= 2 && props[0] == "json":
				r.jsons = append(r.jsons, props[1])
			case root.Value == "conn" && len(props) >= 1:
				r.conns = append(r.conns, props[0])
			}
		}
	}
	v, _ := refsCache.LoadOrStore(src, r)
	return v.(*secretRefs)
}

// resolveSecrets looks up what expression src reads of var and conn and adds it to vars
// (whose "var" and "conn" maps are the render's own), once per name.
func resolveSecrets(src string, vars map[string]any) error {
	if !strings.Contains(src, "var") && !strings.Contains(src, "conn") {
		return nil
	}
	refs := secretRefsOf(src)
	if len(refs.values)+len(refs.jsons)+len(refs.conns) == 0 {
		return nil
	}
	l, _ := vars[secretsKey].(SecretLookup)
	if l == nil {
		return fmt.Errorf("{{ %s }}: variables and connections are not available here (they are read when a task runs)", src)
	}
	v, _ := vars["var"].(map[string]any)
	values, _ := v["value"].(map[string]any)
	jsons, _ := v["json"].(map[string]any)
	conns, _ := vars["conn"].(map[string]any)
	if values == nil || jsons == nil || conns == nil {
		return nil
	}
	for _, k := range refs.values {
		if _, ok := values[k]; ok {
			continue
		}
		s, err := l.Variable(k)
		if err != nil {
			return fmt.Errorf("{{ %s }}: %w", src, err)
		}
		values[k] = s
	}
	for _, k := range refs.jsons {
		if _, ok := jsons[k]; ok {
			continue
		}
		s, err := l.Variable(k)
		if err != nil {
			return fmt.Errorf("{{ %s }}: %w", src, err)
		}
		var x any
		if err := json.Unmarshal([]byte(s), &x); err != nil {
			return fmt.Errorf("{{ %s }}: variable %s is not JSON (%v): read it with var.value.%s", src, k, err, k)
		}
		jsons[k] = x
	}
	for _, id := range refs.conns {
		if _, ok := conns[id]; ok {
			continue
		}
		c, err := l.Connection(id)
		if err != nil {
			return fmt.Errorf("{{ %s }}: %w", src, err)
		}
		conns[id] = c
	}
	return nil
}

// secretProblems checks an expression's reads of var and conn: var.value.KEY,
// var.json.KEY… and conn.ID.FIELD with constant names.
func secretProblems(c *refCollector) []problem {
	var out []problem
	for _, m := range c.members {
		if c.inner[m] {
			continue
		}
		root, props := memberChain(m)
		if root == nil || c.locals[root.Value] {
			continue
		}
		at := root.Location().From
		switch root.Value {
		case "var":
			if len(props) == 0 || (props[0] != "value" && props[0] != "json") {
				out = append(out, problem{at, `var is read as var.value.KEY (the text) or var.json.KEY (parsed JSON)`})
			} else if len(props) < 2 {
				out = append(out, problem{at, fmt.Sprintf("var.%s needs a variable name written out: var.%s.KEY (names are looked up when the task runs)", props[0], props[0])})
			}
		case "conn":
			if len(props) == 0 {
				out = append(out, problem{at, "conn needs a connection ID written out: conn.ID.host, or conn['my-id'].host"})
			} else if len(props) >= 2 && !contains(ConnectionFields, props[1]) {
				out = append(out, problem{at, fmt.Sprintf("conn.%s.%s: a connection has no field %q%s; fields: %s", props[0], props[1], props[1],
					DidYouMean(props[1], ConnectionFields), strings.Join(ConnectionFields, ", "))})
			}
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// EnvRef is one entry of a command task's env_from: a variable or a connection (or one of
// its fields) put in the task's environment when it runs.
type EnvRef struct {
	// Name is the environment variable set. Default: AIRFLOW_VAR_<KEY> for a variable,
	// AIRFLOW_CONN_<ID> for a connection (upper case), as Airflow's environment secrets
	// backend reads them, so Airflow hooks in the task find them.
	Name string
	// Kind is "var" or "conn"; ID the variable's key or the connection's ID.
	Kind, ID string
	// Field is the connection's field (host, login, password, port, schema, extra,
	// conn_type), "" for its URI.
	Field string
}

var (
	envFromRe = regexp.MustCompile(`^(?:([A-Za-z_][A-Za-z0-9_]*)=)?(var|conn):(.+)$`)
	// EnvFromFields are the connection fields env_from may name (conn:ID.FIELD).
	EnvFromFields = []string{"conn_type", "extra", "host", "login", "password", "port", "schema", "uri"}
)

// ParseEnvRef parses an env_from entry: "var:KEY", "conn:ID", "conn:ID.FIELD", each
// optionally prefixed with "NAME=" to choose the environment variable.
func ParseEnvRef(s string) (EnvRef, error) {
	m := envFromRe.FindStringSubmatch(s)
	if m == nil {
		return EnvRef{}, fmt.Errorf("env_from entry %q: want var:KEY, conn:ID or conn:ID.FIELD, optionally NAME= before (NAME=var:KEY)", s)
	}
	r := EnvRef{Name: m[1], Kind: m[2], ID: m[3]}
	if r.Kind == "conn" {
		if id, f, ok := strings.Cut(r.ID, "."); ok {
			if !contains(EnvFromFields, f) {
				return EnvRef{}, fmt.Errorf("env_from entry %q: a connection has no field %q%s; fields: %s", s, f, DidYouMean(f, EnvFromFields), strings.Join(EnvFromFields, ", "))
			}
			r.ID, r.Field = id, f
			if f == "uri" {
				r.Field = ""
			}
		}
	}
	if r.ID == "" {
		return EnvRef{}, fmt.Errorf("env_from entry %q: empty name after %s:", s, r.Kind)
	}
	if r.Name == "" {
		if r.Field != "" {
			return EnvRef{}, fmt.Errorf("env_from entry %q: name the environment variable of a single field: NAME=%s", s, s)
		}
		prefix := "AIRFLOW_VAR_"
		if r.Kind == "conn" {
			prefix = "AIRFLOW_CONN_"
		}
		r.Name = prefix + strings.ToUpper(envSafe(r.ID))
	}
	return r, nil
}

// envSafe replaces what an environment variable name cannot hold with "_".
func envSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return '_'
	}, s)
}
