package engine

import (
	"github.com/weirhq/weir/store"
)

// evWakeTask asks for the next poke of a waiting instance now.
type evWakeTask struct {
	key      runKey
	taskID   string
	mapIndex int
}

// WakeTask makes a task instance of a run active in this engine that waits in
// up_for_reschedule (a sensor, an approval) poke again now instead of at its next poke
// time: an approval just answered goes on at once. It does nothing for an instance that is
// not waiting here, and does not block (a wake is dropped when the engine's queue is full); the poke interval stays the correctness fallback
// (another process's engine, say).
func (e *Engine) WakeTask(dagID, runID, taskID string, mapIndex int) {
	select {
	case e.events <- evWakeTask{key: runKey{dagID, runID}, taskID: taskID, mapIndex: mapIndex}:
	default: // the queue is full: the instance pokes at its time
	}
}

func (e *Engine) wakeTask(ev evWakeTask) {
	rs := e.runs[ev.key]
	if rs == nil {
		return
	}
	n := rs.nodes[ev.taskID]
	if n == nil {
		return
	}
	now := e.now()
	for _, ti := range n.tis {
		if ti.MapIndex == ev.mapIndex && ti.State == store.TIUpForReschedule {
			if _, ok := e.retrying[ti]; ok && ti.NextTryAt.After(now) {
				ti.NextTryAt = now
			}
		}
	}
}
