package api_test

import (
	"context"
	"net/url"
	"strconv"
	"testing"

	"github.com/weirhq/weir/api/client"
)

func TestDatasetEvents(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := context.Background()
	const uri = "s3://bucket/data.csv"
	var ev client.DatasetEvent
	e.json("POST", "/datasets/events", `{"dataset_uri":"`+uri+`","extra":{"rows":10}}`, 200, &ev)
	if ev.ID == 0 || ev.DatasetURI != uri || string(ev.Extra) != `{"rows":10}` || ev.SourceDAGID != nil || ev.SourceMapIndex != -1 || ev.Timestamp.IsZero() {
		t.Errorf("event %+v", ev)
	}
	if n := e.events.Load(); n != 1 {
		t.Errorf("OnDatasetEvent called %d times", n)
	}
	// Queued for the DAG scheduled on the dataset.
	queued, err := e.st.ListQueuedEvents(ctx, "consumer")
	if err != nil || len(queued) != 1 || queued[0].Event.ID != ev.ID {
		t.Errorf("queued for consumer: %v, %v", queued, err)
	}
	second, err := e.c.CreateDatasetEvent(ctx, "file:///tmp/other", nil)
	if err != nil || second.ID <= ev.ID || string(second.Extra) != "null" {
		t.Fatalf("second event %+v, %v", second, err)
	}

	var c client.DatasetEventCollection
	e.json("GET", "/datasets/events", "", 200, &c)
	if c.TotalEntries != 2 || c.DatasetEvents[0].ID != second.ID {
		t.Errorf("events, newest first: %+v", c)
	}
	for q, want := range map[string]int{
		"?dataset_uri=" + url.QueryEscape(uri):      1,
		"?after_id=" + strconv.FormatInt(ev.ID, 10): 1,
		"?limit=1":                                  2,
		"?source_dag_id=producer":                   0,
		"?source_run_id=x&source_task_id=y":         0,
		"?source_map_index=-1":                      2,
		"?source_map_index=0&dataset_uri=file:/tmp": 0,
	} {
		e.json("GET", "/datasets/events"+q, "", 200, &c)
		if c.TotalEntries != want {
			t.Errorf("%s: %d events, want %d", q, c.TotalEntries, want)
		}
	}

	// A task with an outlet records an event too.
	e.trigger("producer", "p1")
	evs, err := e.c.ListDatasetEvents(ctx, client.ListEventsOptions{SourceDAGID: "producer"})
	if err != nil || evs.TotalEntries != 1 || *evs.DatasetEvents[0].SourceTaskID != "export" {
		t.Errorf("producer's events: %+v, %v", evs, err)
	}

	e.problem("POST", "/datasets/events", `{"dataset_uri":"a b"}`, 400, client.CodeInvalidField, "dataset_uri")
	e.problem("POST", "/datasets/events", `{"dataset_uri":""}`, 400, client.CodeInvalidField, "dataset_uri")
	e.problem("POST", "/datasets/events", `{"extra":{}}`, 400, client.CodeInvalidField, "dataset_uri")
	e.problem("POST", "/datasets/events", `{"dataset_uri":"x","extra":[1]}`, 400, client.CodeInvalidField, "extra")
}

func TestDatasets(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := context.Background()
	const uri = "s3://bucket/data.csv"
	for _, u := range []string{uri, "file:///tmp/other"} {
		if _, err := e.c.CreateDatasetEvent(ctx, u, nil); err != nil {
			t.Fatal(err)
		}
	}
	var c client.DatasetCollection
	e.json("GET", "/datasets", "", 200, &c)
	if c.TotalEntries != 2 || c.Datasets[0].URI != "file:///tmp/other" {
		t.Fatalf("%+v", c)
	}
	ds := c.Datasets[1]
	if ds.URI != uri || len(ds.ConsumingDAGs) != 1 || ds.ConsumingDAGs[0].DAGID != "consumer" ||
		len(ds.ProducingTasks) != 1 || ds.ProducingTasks[0] != (client.TaskReference{DAGID: "producer", TaskID: "export"}) ||
		ds.CreatedAt == nil || ds.UpdatedAt == nil {
		t.Errorf("dataset %+v", ds)
	}
	e.json("GET", "/datasets?uri_pattern=s3&limit=1", "", 200, &c)
	if c.TotalEntries != 1 || c.Datasets[0].URI != uri {
		t.Errorf("uri_pattern: %+v", c)
	}
	var one client.Dataset
	e.json("GET", "/datasets/"+url.PathEscape(uri), "", 200, &one)
	if one.URI != uri || len(one.ConsumingDAGs) != 1 {
		t.Errorf("GET dataset %+v", one)
	}
	got, err := e.c.GetDataset(ctx, uri)
	if err != nil || got.URI != uri {
		t.Errorf("client GetDataset: %+v, %v", got, err)
	}
	all, err := e.c.ListDatasets(ctx, client.ListOptions{Limit: 5})
	if err != nil || all.TotalEntries != 2 {
		t.Errorf("client ListDatasets: %+v, %v", all, err)
	}
	e.problem("GET", "/datasets/"+url.PathEscape("s3://nope"), "", 404, client.CodeNotFound, "")
}
