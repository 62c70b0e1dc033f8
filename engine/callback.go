package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"time"

	"github.com/weirhq/weir/dag"
	"github.com/weirhq/weir/store"
)

// CallbackEvent is the JSON document a callback receives: POSTed to a webhook, or on a
// command's stdin.
type CallbackEvent struct {
	// Event is "failure", "retry" or "success".
	Event string `json:"event"`
	// Scope is "task" or "run".
	Scope     string    `json:"scope"`
	DAGID     string    `json:"dag_id"`
	RunID     string    `json:"run_id"`
	TaskID    string    `json:"task_id,omitempty"`
	MapIndex  *int      `json:"map_index,omitempty"`
	TryNumber int       `json:"try_number,omitempty"`
	State     string    `json:"state"`
	Error     string    `json:"error,omitempty"`
	LogPath   string    `json:"log_path,omitempty"`
	NextTryAt time.Time `json:"next_try_at,omitzero"`
	Time      time.Time `json:"time"`
}

// fireTask queues a task callback, delivered after the commit.
func (e *Engine) fireTask(rs *runState, ti *store.TaskInstance, event string, cbs []dag.Callback) {
	if len(cbs) == 0 {
		return
	}
	mi := ti.MapIndex
	ev := CallbackEvent{Event: event, Scope: "task", DAGID: ti.DAGID, RunID: ti.RunID, TaskID: ti.TaskID,
		MapIndex: &mi, TryNumber: ti.TryNumber, State: ti.State.String(), Error: ti.Error,
		NextTryAt: ti.NextTryAt, Time: e.now()}
	if ti.TryNumber > 0 {
		ev.LogPath, _ = LogPath(e.cfg.Home, ti.DAGID, ti.RunID, ti.TaskID, ti.MapIndex, ti.TryNumber)
	}
	e.later(runKey{ti.DAGID, ti.RunID}, func() { e.deliver(cbs, ev) })
}

// fireRun queues a run callback, delivered after the commit.
func (e *Engine) fireRun(rs *runState, event string, cbs []dag.Callback, reason string) {
	if len(cbs) == 0 {
		return
	}
	ev := CallbackEvent{Event: event, Scope: "run", DAGID: rs.key.dagID, RunID: rs.key.runID,
		State: string(rs.run.State), Error: reason, Time: e.now()}
	e.later(rs.key, func() { e.deliver(cbs, ev) })
}

// deliver runs callbacks in the background. A failed delivery is logged, never fatal; its
// messages also go to the try's log when there is one.
func (e *Engine) deliver(cbs []dag.Callback, ev CallbackEvent) {
	body, _ := json.Marshal(ev)
	for _, cb := range cbs {
		e.callbacks.Add(1)
		go func() {
			defer e.callbacks.Done()
			ctx, cancel := context.WithTimeout(context.Background(), e.cfg.CallbackTimeout)
			defer cancel()
			var err error
			var what string
			if cb.Webhook != "" {
				what = "webhook " + cb.Webhook
				err = postWebhook(ctx, cb.Webhook, body)
			} else {
				what = fmt.Sprintf("command %q", cb.Command)
				err = runCallbackCommand(ctx, cb.Command, body, ev)
			}
			if err != nil {
				e.cfg.Logger.Warn("callback failed", "callback", what, "event", ev.Event, "dag_id", ev.DAGID, "run_id", ev.RunID, "task_id", ev.TaskID, "err", err)
				if ev.LogPath != "" {
					appendLog(ev.LogPath, fmt.Sprintf("[weir] on_%s callback %s failed: %v\n", ev.Event, what, err))
				}
			}
		}()
	}
}

// postWebhook POSTs the event, trying three times with a short backoff; a 2xx answer is a
// delivery.
func postWebhook(ctx context.Context, url string, body []byte) error {
	var last error
	for attempt := 0; attempt < 3; attempt++ {
		if attempt > 0 {
			select {
			case <-time.After(time.Duration(attempt) * 500 * time.Millisecond):
			case <-ctx.Done():
				return fmt.Errorf("%w (last error: %v)", ctx.Err(), last)
			}
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			last = err
			continue
		}
		resp.Body.Close()
		if resp.StatusCode >= 200 && resp.StatusCode < 300 {
			return nil
		}
		last = fmt.Errorf("status %s", resp.Status)
	}
	return fmt.Errorf("after 3 attempts: %w", last)
}

// runCallbackCommand runs a callback command with the event on stdin and in WEIR_EVENT_*.
func runCallbackCommand(ctx context.Context, argv []string, body []byte, ev CallbackEvent) error {
	if len(argv) == 0 {
		return fmt.Errorf("empty command")
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Stdin = bytes.NewReader(body)
	cmd.Env = append(os.Environ(),
		"WEIR_EVENT="+ev.Event, "WEIR_EVENT_SCOPE="+ev.Scope, "WEIR_DAG_ID="+ev.DAGID,
		"WEIR_RUN_ID="+ev.RunID, "WEIR_TASK_ID="+ev.TaskID, "WEIR_STATE="+ev.State,
		"WEIR_ERROR="+ev.Error)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%w: %s", err, bytes.TrimSpace(out))
	}
	if ev.LogPath != "" && len(out) > 0 {
		appendLog(ev.LogPath, fmt.Sprintf("[weir] on_%s callback output:\n%s", ev.Event, out))
	}
	return nil
}

func appendLog(path, msg string) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return
	}
	defer f.Close()
	_, _ = f.WriteString(msg)
}
