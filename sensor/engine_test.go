package sensor_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/weirhq/weir/dag"
	"github.com/weirhq/weir/engine"
	"github.com/weirhq/weir/executor"
	"github.com/weirhq/weir/sensor"
	"github.com/weirhq/weir/store"
	"github.com/weirhq/weir/store/sqlite"
)

// A reschedule-mode file sensor (its path a template) in a real engine with one slot: while it waits the slot is
// free, so another task runs; a goroutine creates the file once that task succeeded and the
// sensor was rescheduled; then the sensor succeeds (in one try) and its downstream runs.
func TestEngineRescheduleFileSensor(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	home := t.TempDir()
	st, err := sqlite.Open(ctx, filepath.Join(home, "weir.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	dir := t.TempDir()
	var target string // dir/<ds>.csv, known once the run's logical date is
	var targetSet atomic.Bool

	funcs := executor.NewFuncs()
	var afterSawFile atomic.Bool
	_ = funcs.Register("after", func(context.Context, json.RawMessage) (json.RawMessage, error) {
		if targetSet.Load() {
			_, err := os.Stat(target)
			afterSawFile.Store(err == nil)
		}
		return nil, nil
	})
	_ = funcs.Register("other", func(context.Context, json.RawMessage) (json.RawMessage, error) { return nil, nil })
	rescheduled := make(chan struct{}, 64)
	otherDone := make(chan struct{}, 1)
	eng, err := engine.New(engine.Config{Store: st, Kinds: executor.NewRegistry(funcs), Home: home, Parallelism: 1,
		OnEvent: func(ev engine.Event) {
			switch {
			case ev.TaskID == "wait" && ev.State == store.TIUpForReschedule:
				select {
				case rescheduled <- struct{}{}:
				default:
				}
			case ev.TaskID == "other" && ev.State == store.TISuccess:
				otherDone <- struct{}{}
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	sensor.Register(eng.Kinds(), sensor.Deps{Store: st})
	if err := eng.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer eng.Stop()

	d := &dag.DAG{ID: "sensed", Source: "go:test", Tasks: []*dag.Task{
		{ID: "wait", Kind: dag.KindSensor, Sensor: &dag.SensorSpec{Type: dag.SensorFile, Path: filepath.Join(dir, "{{ ds }}.csv"),
			Mode: dag.SensorReschedule, PokeInterval: dag.Duration(20 * time.Millisecond), Timeout: dag.Duration(time.Minute)}},
		{ID: "other", Kind: dag.KindGo, Go: &dag.GoSpec{Func: "other"}},
		{ID: "after", Kind: dag.KindGo, Go: &dag.GoSpec{Func: "after"}, Upstream: []string{"wait"}},
	}}
	if err := dag.Validate(d, dag.LoadOptions{}); err != nil {
		t.Fatal(err)
	}
	run, err := eng.Trigger(ctx, d, engine.TriggerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	target = filepath.Join(dir, run.LogicalDate.Format("2006-01-02")+".csv")
	targetSet.Store(true)
	created := make(chan error, 1)
	go func() {
		select {
		case <-otherDone:
		case <-ctx.Done():
			created <- ctx.Err()
			return
		}
		select {
		case <-rescheduled:
		case <-ctx.Done():
			created <- ctx.Err()
			return
		}
		created <- os.WriteFile(target, []byte("a\n"), 0o644)
	}()
	final, err := eng.Wait(ctx, run.DAGID, run.RunID)
	if err != nil {
		t.Fatal(err)
	}
	if err := <-created; err != nil {
		t.Fatal(err)
	}
	tis, err := st.ListTaskInstances(ctx, store.ListTIParams{DAGID: run.DAGID, RunID: run.RunID})
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]*store.TaskInstance{}
	for _, ti := range tis {
		byID[ti.TaskID] = ti
	}
	if final.State != store.RunSuccess {
		for _, ti := range tis {
			t.Logf("%s %s %s", ti.TaskID, ti.State, ti.Error)
		}
		t.Fatalf("run %s, want success", final.State)
	}
	w := byID["wait"]
	if w.State != store.TISuccess || w.TryNumber != 1 {
		t.Errorf("wait: %s, try %d; want success in try 1 (reschedules do not count)", w.State, w.TryNumber)
	}
	if want := `{"paths":[` + mustJSON(target) + `]}`; string(w.Output) != want {
		t.Errorf("wait output %s, want %s", w.Output, want)
	}
	if byID["after"].State != store.TISuccess || !afterSawFile.Load() {
		t.Errorf("after: %s, saw the file %v", byID["after"].State, afterSawFile.Load())
	}
	logPath, err := engine.LogPath(home, run.DAGID, run.RunID, "wait", -1, 1)
	if err != nil {
		t.Fatal(err)
	}
	log, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(log)), "\n")
	if len(lines) < 2 || !strings.HasPrefix(lines[0], "poke 1: "+target+" not found; next in 20ms") ||
		!strings.HasSuffix(lines[len(lines)-1], target+" found (1)") {
		t.Errorf("log:\n%s", log)
	}
}
