package store_test

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/weirhq/weir/store"
)

// TestTriggerEventsShape pins the one JSON shape of triggering dataset events: what runs
// store, tasks read from $WEIR_TRIGGERING_DATASET_EVENTS and dataset sensors output.
func TestTriggerEventsShape(t *testing.T) {
	t.Parallel()
	ts := time.Date(2026, 12, 2, 3, 4, 5, 6000, time.FixedZone("x", 3600))
	evs := []*store.DatasetEvent{
		{ID: 9, URI: "s3://b/a", Timestamp: ts, Consumers: []string{"c"}},
		{ID: 3, URI: "s3://b/a", Extra: json.RawMessage(`{"rows":2}`), SourceDAGID: "p", SourceRunID: "manual__x",
			SourceTaskID: "g.w", SourceMapIndex: -1, Timestamp: ts},
		{ID: 5, URI: "file:///c", SourceMapIndex: 4, Timestamp: ts},
	}
	raw, err := store.EncodeTriggerEvents(evs)
	if err != nil {
		t.Fatal(err)
	}
	want := `[{"id":3,"uri":"s3://b/a","extra":{"rows":2},"source_dag_id":"p","source_run_id":"manual__x","source_task_id":"g.w","source_map_index":-1,"timestamp":"2026-12-02T02:04:05.000006Z"},` +
		`{"id":5,"uri":"file:///c","source_map_index":4,"timestamp":"2026-12-02T02:04:05.000006Z"},` +
		`{"id":9,"uri":"s3://b/a","source_map_index":0,"timestamp":"2026-12-02T02:04:05.000006Z"}]`
	if string(raw) != want {
		t.Fatalf("EncodeTriggerEvents =\n%s\nwant\n%s", raw, want)
	}
	back, err := store.DecodeTriggerEvents(raw)
	if err != nil || len(back) != 3 || back[0].ID != 3 || string(back[0].Extra) != `{"rows":2}` || back[0].SourceRunID != "manual__x" ||
		!reflect.DeepEqual(back[1], evs[2].Triggering()) {
		t.Fatalf("DecodeTriggerEvents = %+v, %v", back, err)
	}
	if !back[2].Timestamp.Equal(ts) || back[2].Timestamp.Location() != time.UTC {
		t.Errorf("timestamp %v, want %v in UTC", back[2].Timestamp, ts)
	}
	if _, err := store.DecodeTriggerEvents(json.RawMessage(`{`)); err == nil {
		t.Error("DecodeTriggerEvents accepted broken JSON")
	}
	if evs, err := store.DecodeTriggerEvents(nil); evs != nil || err != nil {
		t.Errorf("DecodeTriggerEvents(nil) = %v, %v", evs, err)
	}
	byURI := store.TriggerEventsByURI(raw)
	a, _ := byURI["s3://b/a"].([]any)
	c, _ := byURI["file:///c"].([]any)
	if len(byURI) != 2 || len(a) != 2 || len(c) != 1 {
		t.Fatalf("TriggerEventsByURI = %v", byURI)
	}
	if first, _ := a[0].(map[string]any); first["source_task_id"] != "g.w" || first["id"] != float64(3) {
		t.Errorf("first event of s3://b/a = %v", a[0])
	}
	if store.TriggerEventsByURI(nil) != nil || store.TriggerEventsByURI(json.RawMessage(`x`)) != nil {
		t.Error("TriggerEventsByURI of no or broken events is not nil")
	}
}
