package node_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/weirhq/weir/engine"
	"github.com/weirhq/weir/store"
)

// Asset aliases as Airflow 3 has them (task-sdk airflow/sdk/definitions/asset/__init__.py
// AssetAlias; example_dags/example_asset_alias.py): a task declares {alias: NAME} in its
// outlets and adds assets through it at run time (here: "outlet_events" in its output, as
// outlet_events[AssetAlias(NAME)].add(Asset(URI), extra=...)); each added asset gets an
// event, and a DAG scheduled on the alias is triggered by it, then by every event of the
// assets the alias resolved to — a resolution the store keeps across restarts. Before
// anything was added through it, the alias resolves to nothing and triggers nothing.
const aliasProducer = `
dag_id: alias_producer
tasks:
  - id: produce
    outlets: [{alias: example-alias}]
    script: |
      echo '{"outlet_events": {"example-alias": [{"uri": "s3://bucket/my-task", "extra": {"rows": 7}}]}}' > "$WEIR_OUTPUT"
`

const aliasConsumer = `
dag_id: alias_consumer
schedule: [{alias: example-alias}]
tasks:
  - id: use
    script: echo "$WEIR_TRIGGERING_DATASET_EVENTS" > "$WEIR_OUTPUT"
`

const assetConsumer = `
dag_id: asset_consumer
schedule: [s3://bucket/my-task]
tasks: [{id: use, command: [true]}]
`

func TestAssetAliasResolvesAndTriggers(t *testing.T) {
	t.Parallel()
	e := setup(t, map[string]string{"p.yaml": aliasProducer, "c.yaml": aliasConsumer, "a.yaml": assetConsumer})
	ctx := context.Background()
	emit := func(uri string) {
		t.Helper()
		if err := e.st.AddDatasetEvent(ctx, &store.DatasetEvent{URI: uri, Timestamp: time.Now(), Consumers: e.srv.Registry().Consumers(uri)}); err != nil {
			t.Fatal(err)
		}
		e.srv.Scheduler().Wake()
	}

	// Unresolved: an event of the asset triggers its direct consumer only.
	emit("s3://bucket/my-task")
	e.eventually("asset_consumer runs on the asset's event", func() bool { return len(e.runs("asset_consumer")) == 1 })
	e.srv.Scheduler().Tick(ctx)
	if n := len(e.runs("alias_consumer")); n != 0 {
		t.Fatalf("alias_consumer ran %d times while its alias resolved to nothing", n)
	}

	// The producer adds the asset through the alias: both consumers run.
	d, ok := e.srv.Registry().DAG("alias_producer")
	if !ok {
		t.Fatal("alias_producer not loaded")
	}
	r, err := e.srv.Engine().Trigger(ctx, d, engine.TriggerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if st, err := e.srv.Engine().Wait(ctx, r.DAGID, r.RunID); err != nil || st.State != store.RunSuccess {
		t.Fatalf("producer run: %v, %v", st, err)
	}
	e.eventually("alias_consumer runs on the event added through the alias", func() bool {
		runs := e.runs("alias_consumer")
		return len(runs) == 1 && runs[0].State == store.RunSuccess
	})
	e.eventually("asset_consumer runs again", func() bool { return len(e.runs("asset_consumer")) == 2 })
	runs := e.runs("alias_consumer")
	ti, err := e.st.GetTaskInstance(ctx, "alias_consumer", runs[0].RunID, "use", -1)
	if err != nil {
		t.Fatal(err)
	}
	var evs []struct {
		URI          string
		Extra        struct{ Rows int }
		SourceTaskID string `json:"source_task_id"`
	}
	if err := json.Unmarshal(ti.Output, &evs); err != nil || len(evs) != 1 || evs[0].URI != "s3://bucket/my-task" || evs[0].Extra.Rows != 7 || evs[0].SourceTaskID != "produce" {
		t.Fatalf("alias_consumer was triggered by %s (%v), want the event of s3://bucket/my-task with its extra", ti.Output, err)
	}
	links, err := e.st.ListAssetAliases(ctx)
	if err != nil || len(links) != 1 || links[0].Alias != "example-alias" || links[0].URI != "s3://bucket/my-task" {
		t.Fatalf("store alias links %+v (%v), want example-alias → s3://bucket/my-task", links, err)
	}

	// The API lists the DAG scheduled on the alias among the asset's consumers.
	resp, err := http.Get("http://" + e.srv.Addr() + "/api/v1/datasets/" + url.PathEscape("s3://bucket/my-task"))
	if err != nil {
		t.Fatal(err)
	}
	var ds struct {
		Consuming []struct {
			DAGID string `json:"dag_id"`
		} `json:"consuming_dags"`
	}
	err = json.NewDecoder(resp.Body).Decode(&ds)
	resp.Body.Close()
	if err != nil || len(ds.Consuming) != 2 || ds.Consuming[0].DAGID != "alias_consumer" || ds.Consuming[1].DAGID != "asset_consumer" {
		t.Fatalf("GET the dataset: consumers %+v (%v), want alias_consumer and asset_consumer", ds.Consuming, err)
	}

	// Resolved, and still after a restart: any event of the asset triggers alias_consumer.
	e.srv.Stop()
	e.start()
	if c := e.srv.Registry().Consumers("s3://bucket/my-task"); !slices.Contains(c, "alias_consumer") {
		t.Fatalf("after a restart the asset's consumers are %v, want alias_consumer among them", c)
	}
	emit("s3://bucket/my-task")
	e.eventually("alias_consumer runs on a plain event of the resolved asset", func() bool { return len(e.runs("alias_consumer")) == 2 })
}
