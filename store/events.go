package store

import (
	"encoding/json"
	"fmt"
	"sort"
	"time"
)

// TriggeringEvent is the one JSON shape of a dataset event as runs and tasks see it: the
// elements of DAGRun.TriggerEvents (and so of $WEIR_TRIGGERING_DATASET_EVENTS and the
// triggering_dataset_events template variable) and the output of a dataset sensor. The
// REST API's dataset events are a different, Airflow-compatible shape.
type TriggeringEvent struct {
	ID    int64           `json:"id"`
	URI   string          `json:"uri"`
	Extra json.RawMessage `json:"extra,omitempty"`
	// The source fields name the task instance that emitted the event; empty for events
	// posted through the API.
	SourceDAGID    string    `json:"source_dag_id,omitempty"`
	SourceRunID    string    `json:"source_run_id,omitempty"`
	SourceTaskID   string    `json:"source_task_id,omitempty"`
	SourceMapIndex int       `json:"source_map_index"`
	Timestamp      time.Time `json:"timestamp"`
}

// Triggering returns the event in the shape runs and tasks see, its timestamp in UTC.
func (e *DatasetEvent) Triggering() TriggeringEvent {
	return TriggeringEvent{ID: e.ID, URI: e.URI, Extra: e.Extra, SourceDAGID: e.SourceDAGID,
		SourceRunID: e.SourceRunID, SourceTaskID: e.SourceTaskID, SourceMapIndex: e.SourceMapIndex,
		Timestamp: e.Timestamp.UTC()}
}

// EncodeTriggerEvents returns the JSON list of events, ordered by ID, that a run they
// trigger stores in DAGRun.TriggerEvents.
func EncodeTriggerEvents(evs []*DatasetEvent) (json.RawMessage, error) {
	out := make([]TriggeringEvent, len(evs))
	for i, e := range evs {
		out[i] = e.Triggering()
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	b, err := json.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("encode the triggering dataset events: %w", err)
	}
	return b, nil
}

// DecodeTriggerEvents reads DAGRun.TriggerEvents; nil or empty gives no events.
func DecodeTriggerEvents(raw json.RawMessage) ([]TriggeringEvent, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	var out []TriggeringEvent
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, fmt.Errorf("decode the triggering dataset events: %w", err)
	}
	return out, nil
}

// TriggerEventsByURI groups DAGRun.TriggerEvents by dataset URI as generic JSON values
// (each event a map[string]any with the fields of TriggeringEvent), the value of the
// triggering_dataset_events template variable. It returns nil when there are no events or
// they cannot be decoded.
func TriggerEventsByURI(raw json.RawMessage) map[string]any {
	if len(raw) == 0 {
		return nil
	}
	var evs []map[string]any
	if json.Unmarshal(raw, &evs) != nil {
		return nil
	}
	out := map[string]any{}
	for _, ev := range evs {
		uri, _ := ev["uri"].(string)
		list, _ := out[uri].([]any)
		out[uri] = append(list, ev)
	}
	return out
}
