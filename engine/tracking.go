package engine

import (
	"context"
	"encoding/json"

	"github.com/weirhq/weir/executor"
	"github.com/weirhq/weir/store"
)

// Tracker opens and closes the experiment-tracking runs of tracked tasks (track: true).
// The tracking package implements it on its store; the engine only calls it.
type Tracker interface {
	// StartTry opens the tracking run of one try, nested under the DAG run's parent run
	// (opened on first use), and returns what the task needs to log into it.
	StartTry(ctx context.Context, t TrackedTry) (*executor.Tracking, error)
	// EndTry closes a try's tracking run: ok says whether the try succeeded, skipped
	// whether it skipped itself.
	EndTry(ctx context.Context, runID string, ok, skipped bool) error
	// EndRun closes the parent tracking run of a DAG run, if one was opened.
	EndRun(ctx context.Context, dagID, runID string, state store.RunState) error
}

// TrackedTry identifies the try a tracking run records.
type TrackedTry struct {
	DAGID     string
	RunID     string
	TaskID    string
	MapIndex  int
	TryNumber int
	// Params are the run's params, logged as the tracking run's params.
	Params map[string]any
	// Args are a mapped instance's arguments, logged as params too.
	Args json.RawMessage
}

// startTracking opens the try's tracking run and wires it into the job; a failure is
// written to the task's log and the try runs untracked.
func (e *Engine) startTracking(ctx context.Context, p *prepared) string {
	job := p.job
	tr, err := e.cfg.Tracker.StartTry(ctx, TrackedTry{DAGID: job.DAGID, RunID: job.RunID, TaskID: job.TaskID,
		MapIndex: job.MapIndex, TryNumber: job.TryNumber, Params: job.Params, Args: p.ti.Args})
	if err != nil {
		e.cfg.Logger.Warn("open the tracking run", "dag_id", job.DAGID, "run_id", job.RunID, "task_id", job.TaskID, "err", err)
		if job.Log != nil {
			_, _ = job.Log.Write([]byte("[weir] tracking unavailable, the try runs untracked: " + err.Error() + "\n"))
		}
		return ""
	}
	job.Tracking = tr
	env := map[string]string{}
	for k, v := range job.Env {
		env[k] = v
	}
	for k, v := range tr.Env {
		env[k] = v
	}
	job.Env = env
	return tr.RunID
}
