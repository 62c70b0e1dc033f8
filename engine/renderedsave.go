package engine

import (
	"encoding/json"
	"fmt"
	"unicode/utf8"

	"github.com/weirhq/weir/dag"
	"github.com/weirhq/weir/store"
)

// DefaultMaxTemplatedFieldLength is Config.MaxTemplatedFieldLength's default, Airflow's
// max_templated_field_length: 4096 characters.
const DefaultMaxTemplatedFieldLength = 4096

// truncatedPrefix starts a rendered field saved truncated, as Airflow's does.
const truncatedPrefix = "Truncated. You can change this behaviour in the engine's MaxTemplatedFieldLength. "

// evRendered carries the fields a try rendered when it started, for the loop to commit
// with its next batch.
type evRendered struct {
	key runKey
	ti  *store.TaskInstance
	try int
	rf  *store.RenderedFields
}

// saveRendered sends the loop the fields of a try's rendered task (Airflow's
// RenderedTaskInstanceFields, written when the try starts): masked by the engine's masker
// (which holds the secrets the templates read as they were looked up) and each capped at
// MaxTemplatedFieldLength. Called by the try's goroutine, after rendering and before the
// task runs; the loop writes them in its next batch, under the run's lease.
func (e *Engine) saveRendered(p *prepared, t *dag.Task) {
	fields, err := specFields(t)
	if err != nil {
		e.cfg.Logger.Warn("save the rendered fields", "dag_id", p.key.dagID, "run_id", p.key.runID, "task_id", t.ID, "err", err)
		return
	}
	for k, v := range fields {
		if e.cfg.Secrets != nil {
			v = e.cfg.Secrets.Masker().RedactValue(v, k)
		}
		fields[k] = capField(v, e.cfg.MaxTemplatedFieldLength)
	}
	b, err := json.Marshal(fields)
	if err != nil {
		e.cfg.Logger.Warn("save the rendered fields", "dag_id", p.key.dagID, "run_id", p.key.runID, "task_id", t.ID, "err", err)
		return
	}
	keep := max(e.cfg.KeepRenderedRuns, 0) // negative: keep every run (0 to the store)
	rf := &store.RenderedFields{DAGID: p.key.dagID, RunID: p.key.runID, TaskID: p.job.TaskID, MapIndex: p.job.MapIndex,
		TryNumber: p.try, Fields: b, RenderedAt: e.now(), KeepRuns: keep}
	_ = e.send(evRendered{key: p.key, ti: p.ti, try: p.try, rf: rf}) // an error: the engine stopped
}

// onRendered queues a try's rendered fields for the step's commit, unless the run is no
// longer executed here or the instance moved on to another try.
func (e *Engine) onRendered(ev evRendered) {
	if e.runs[ev.key] == nil || ev.ti.TryNumber != ev.try {
		return
	}
	e.batch.RenderedFields = append(e.batch.RenderedFields, ev.rf)
}

// capField returns v, or, when its text (a string as it is, anything else as JSON) is
// longer than limit characters, a string of limit characters at most saying it was
// truncated and starting with the text's beginning (Airflow's _truncate_rendered_value).
func capField(v any, limit int) any {
	text, ok := v.(string)
	if !ok {
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Sprintf("%v", v)
		}
		text = string(b)
	}
	if utf8.RuneCountInString(text) <= limit {
		return v
	}
	const suffix = "... "
	room := limit - utf8.RuneCountInString(truncatedPrefix) - len(suffix)
	if room <= 0 {
		return truncatedPrefix + suffix
	}
	n := 0
	for i := range text {
		if n == room {
			text = text[:i]
			break
		}
		n++
	}
	return truncatedPrefix + text + suffix
}
