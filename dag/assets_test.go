package dag

import (
	"strings"
	"testing"
)

// TestAirflow3AssetsVocabulary follows Airflow 3, where datasets are assets
// (airflow/sdk/definitions/asset/__init__.py: Asset, AssetAll, AssetAny) and a DAG is
// scheduled on them with schedule=[Asset(...)] or an asset expression
// (authoring-and-scheduling/asset-scheduling.rst): assets: is datasets:, and schedule: takes
// a list of URIs (all of them) or {any: [...]} / {all: [...]} beside a cron string.
func TestAirflow3AssetsVocabulary(t *testing.T) {
	t.Parallel()
	for src, want := range map[string]string{
		"schedule: [s3://a, s3://b]\n":             "(s3://a & s3://b)",
		"schedule: {any: [s3://a, s3://b]}\n":      "(s3://a | s3://b)",
		"assets: s3://a\n":                         "s3://a",
		"assets: {all: [s3://a, {any: [x, y]}]}\n": "(s3://a & (x | y))",
		"datasets: [s3://a]\nschedule: '@daily'\n": "(s3://a)",
	} {
		d, err := load(t, src+"tasks: [{id: a, command: [echo]}]\n")
		if err != nil {
			t.Errorf("%q: %v", src, err)
			continue
		}
		if got := d.Datasets.String(); got != want {
			t.Errorf("%q: condition %s, want %s", src, got, want)
		}
	}
	// AssetAlias (sdk/definitions/asset/__init__.py) resolves at run time to the assets a
	// task emitted events for through it: {alias: NAME} in a condition and in outlets.
	d, err := load(t, "schedule: {any: [{alias: example-alias}, s3://a]}\ntasks: [{id: a, command: [echo], outlets: [s3://b, {alias: x}, {alias: x}]}]\n")
	if err != nil {
		t.Fatalf("alias: %v", err)
	}
	if got := d.Datasets.String(); got != "(alias(example-alias) | s3://a)" {
		t.Errorf("alias condition %s", got)
	}
	if got := d.Datasets.Resolve(map[string][]string{"example-alias": {"s3://c", "s3://d"}}).String(); got != "((s3://c | s3://d) | s3://a)" {
		t.Errorf("resolved condition %s", got)
	}
	if d.Datasets.Eval(map[string]bool{"s3://c": true}) || !d.Datasets.Resolve(map[string][]string{"example-alias": {"s3://c"}}).Eval(map[string]bool{"s3://c": true}) {
		t.Errorf("an unresolved alias must not hold, a resolved one must")
	}
	if tk := d.Tasks[0]; len(tk.Outlets) != 1 || tk.Outlets[0] != "s3://b" || len(tk.OutletAliases) != 1 || tk.OutletAliases[0] != "x" {
		t.Errorf("outlets %v, aliases %v", tk.Outlets, tk.OutletAliases)
	}
	for src, want := range map[string]string{
		"schedule: [{alias: ''}]\ntasks: [{id: a, command: [echo]}]\n": "test.yaml:1:20: schedule[0].alias: empty asset alias name",
		"tasks: [{id: a, command: [echo], outlets: [{name: x}]}]\n":    "outlets[0]: want a dataset URI or {alias: NAME}",
	} {
		if _, err := load(t, src); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err = %v, want %q", src, err, want)
		}
	}
	_, err = load(t, "datasets: [s3://a]\nschedule: [s3://b]\ntasks: [{id: a, command: [echo]}]\n")
	if err == nil || !strings.Contains(err.Error(), "test.yaml:2:1: schedule: the DAG's assets are already given by datasets") {
		t.Errorf("err = %v", err)
	}
}
