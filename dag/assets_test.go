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
	// task emitted events for through it; weir does not have that yet and says so.
	_, err := load(t, "schedule: [{alias: example-alias}]\ntasks: [{id: a, command: [echo]}]\n")
	if err == nil || !strings.Contains(err.Error(), "test.yaml:1:12: schedule[0]: asset aliases (Airflow's AssetAlias) are not supported yet") {
		t.Errorf("alias: err = %v", err)
	}
	_, err = load(t, "datasets: [s3://a]\nschedule: [s3://b]\ntasks: [{id: a, command: [echo]}]\n")
	if err == nil || !strings.Contains(err.Error(), "test.yaml:2:1: schedule: the DAG's assets are already given by datasets") {
		t.Errorf("err = %v", err)
	}
}
