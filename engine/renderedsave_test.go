package engine_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/weirhq/weir/dag"
	"github.com/weirhq/weir/engine"
	"github.com/weirhq/weir/executor"
	"github.com/weirhq/weir/secrets"
	"github.com/weirhq/weir/store"
	"github.com/weirhq/weir/store/sqlite"
)

// A try's rendered fields are saved when it starts, masked and capped, and stay as they
// were when a variable the template read changes later; on-demand rendering (the preview)
// shows the new value. Only the last KeepRenderedRuns runs of a task keep theirs.
func TestRenderedFieldsSavedAtTryStart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	home := t.TempDir()
	st, err := sqlite.Open(ctx, filepath.Join(home, "weir.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	sec, err := secrets.New(secrets.Config{Store: st, Keys: &secrets.KeySource{Home: home, Getenv: func(string) string { return "" }, Notice: &bytes.Buffer{}}})
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{"greeting": "hello", "api_password": "s3cr3t-value"} {
		if err := sec.SetVariable(ctx, &secrets.Variable{Key: k, Value: v}); err != nil {
			t.Fatal(err)
		}
	}
	const limit = 200
	eng, err := engine.New(engine.Config{Store: st, Kinds: executor.NewRegistry(nil), Home: home, Secrets: sec,
		MaxTemplatedFieldLength: limit, KeepRenderedRuns: 2})
	if err != nil {
		t.Fatal(err)
	}
	if err := eng.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer eng.Stop()
	d := &dag.DAG{ID: "rf", Source: "go:test", Tasks: []*dag.Task{
		script("say", `echo "{{ var.value.greeting }} {{ var.value.api_password }}"`),
		script("long", `echo {{ var.value.greeting }} `+strings.Repeat("é", 300)),
		script("plain", `echo plain`),
	}}
	run := func(id string, at time.Time) {
		t.Helper()
		wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
		defer cancel()
		r, err := eng.Trigger(wctx, d, engine.TriggerOptions{RunID: id, LogicalDate: at})
		if err != nil {
			t.Fatal(err)
		}
		final, err := eng.Wait(wctx, r.DAGID, r.RunID)
		if err != nil || final.State != store.RunSuccess {
			t.Fatalf("run %s: %v, %v", id, final, err)
		}
	}
	saved := func(runID, task string) map[string]any {
		t.Helper()
		rf, err := st.GetRenderedFields(ctx, "rf", runID, task, -1, 0)
		if err != nil {
			t.Fatalf("saved fields of %s in %s: %v", task, runID, err)
		}
		var m map[string]any
		if err := json.Unmarshal(rf.Fields, &m); err != nil || rf.TryNumber != 1 || rf.RenderedAt.IsZero() {
			t.Fatalf("saved fields of %s in %s: %+v (%v)", task, runID, rf, err)
		}
		return m
	}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	run("r1", t0)

	if s := saved("r1", "say")["script"]; s != `echo "hello ***"` {
		t.Errorf("say's saved script %q, want the variable's value then and the secret masked", s)
	}
	long, _ := saved("r1", "long")["script"].(string)
	if !strings.HasPrefix(long, "Truncated. ") || !strings.Contains(long, "echo hello éé") || utf8.RuneCountInString(long) > limit || !utf8.ValidString(long) {
		t.Errorf("long's saved script (%d characters) %q, want it truncated to %d", utf8.RuneCountInString(long), long, limit)
	}
	if _, err := st.GetRenderedFields(ctx, "rf", "r1", "plain", -1, 0); !errorsIsNotFound(err) {
		t.Errorf("a task without templates saved fields: %v", err)
	}

	// The variable changes: what the try ran with stays; a preview renders the new value.
	if err := sec.SetVariable(ctx, &secrets.Variable{Key: "greeting", Value: "bye"}); err != nil {
		t.Fatal(err)
	}
	if s := saved("r1", "say")["script"]; s != `echo "hello ***"` {
		t.Errorf("after the variable changed, say's saved script is %q", s)
	}
	now, err := engine.RenderedFields(ctx, st, sec.Lookup(ctx), "rf", "r1", "say", -1)
	if err != nil || !strings.HasPrefix(now["script"].(string), `echo "bye `) {
		t.Errorf("on-demand rendering after the change: %v, %v", now, err)
	}

	// KeepRenderedRuns 2: the third run prunes the first's.
	run("r2", t0.Add(time.Hour))
	run("r3", t0.Add(2*time.Hour))
	if s := saved("r3", "say")["script"]; s != `echo "bye ***"` {
		t.Errorf("r3's saved script %q", s)
	}
	saved("r2", "say")
	if _, err := st.GetRenderedFields(ctx, "rf", "r1", "say", -1, 0); !errorsIsNotFound(err) {
		t.Errorf("the oldest of three runs kept its fields with KeepRenderedRuns 2: %v", err)
	}
}

func errorsIsNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }
