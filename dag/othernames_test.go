package dag

import (
	"strings"
	"testing"
)

// TestAirflowNamesGetHints: a file written with Airflow's names (BashOperator's
// bash_command, providers/standard/operators/bash.py; default_args and dagrun_timeout of
// DAG, sdk/definitions/dag.py; the cron presets of airflow/utils/dates.py cron_presets,
// "@daily") or with depends_on is told weir's name; a YAML syntax error says what to fix.
func TestAirflowNamesGetHints(t *testing.T) {
	t.Parallel()
	_, err := load(t, `schedule: "@dialy"
default_args: {retries: 1}
tasks:
  - id: a
    bash_command: echo hi
  - id: b
    command: [echo]
    depends_on: [a]
`)
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{
		`test.yaml:1:11: schedule: schedule "@dialy": unknown preset (did you mean "@daily"?); valid: @once`,
		`test.yaml:2:1: dag: unknown field "default_args": weir calls it "defaults" (see docs/dag-yaml.md)`,
		`test.yaml:5:5: task: unknown field "bash_command": weir calls it "script" (see docs/dag-yaml.md)`,
		`test.yaml:8:5: task: unknown field "depends_on": weir calls it "upstream" (see docs/dag-yaml.md)`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in\n%v", want, err)
		}
	}

	for src, want := range map[string]string{
		"tasks:\n  - id: a\n    command: [echo\n  - id: b\n": `test.yaml:4:3: yaml: ',' or ']' must be specified: a list in [ ] is not closed: add the "]"`,
		"tasks:\n  - id: a\n\tcommand: [echo]\n":             "test.yaml:3:1: yaml: found character '\t' that cannot start any token: YAML indents with spaces: replace the tab with spaces",
		"tasks:\n  - id: a\n    command: echo: hi\n":         `quote the value ("echo: hi")`,
		"tasks:\n  - id: a\n    script: \"echo hi\n":         `a "…" string is not closed: add the closing "`,
		"tasks:\n  - id: a\n   command: [echo]\n":            "the indentation is off",
		"tasks:\n  - id: a\n    script: @foo\n":              `quote it ("@daily")`,
		"dag_id: x\ndag_id: y\ntasks: []\n":                  "a key is given twice in one mapping",
	} {
		_, err := load(t, src)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err = %v, want %q", src, err, want)
		}
	}
}
