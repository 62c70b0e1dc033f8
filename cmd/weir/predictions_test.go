package main_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/weirhq/weir/predlog"
	"github.com/weirhq/weir/store/sqlite"
)

// TestPredictionCommands logs predictions with a real predlog.Writer into a home's store,
// then lists and labels them through the real binary.
func TestPredictionCommands(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(home, "weir.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	w, err := predlog.New(predlog.Config{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	base := time.Date(2026, 12, 2, 4, 0, 0, 0, time.UTC)
	w.Record(predlog.Prediction{ID: "pred-a", Endpoint: "iris", ModelName: "iris", ModelVersion: "2", Output: json.RawMessage(`[0]`), LatencyMicros: 1500, Time: base})
	w.Record(predlog.Prediction{ID: "pred-b", Endpoint: "wine", ModelName: "wine", ModelVersion: "1", Output: json.RawMessage(`[1]`), Time: base.Add(time.Second), Shadow: true})
	w.Stop()
	st.Close()

	r := weir(t, home, nil, "predictions", "list")
	if r.code != 0 || !strings.Contains(r.stdout, "pred-a") || !strings.Contains(r.stdout, "pred-b") || !strings.Contains(r.stdout, "wine/1 (shadow)") ||
		!strings.Contains(r.stdout, "1.50") {
		t.Fatalf("predictions list: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	r = weir(t, home, nil, "predictions", "list", "--endpoint", "iris")
	if r.code != 0 || !strings.Contains(r.stdout, "pred-a") || strings.Contains(r.stdout, "pred-b") {
		t.Fatalf("predictions list --endpoint iris: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}

	if r = weir(t, home, nil, "feedback", "pred-a", "setosa"); r.code != 0 || !strings.Contains(r.stdout, `labelled "setosa"`) {
		t.Fatalf("feedback: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if r = weir(t, home, nil, "feedback", "pred-b", "2"); r.code != 0 {
		t.Fatalf("feedback: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if r = weir(t, home, nil, "feedback", "missing", "1"); r.code == 0 || !strings.Contains(r.stderr, `no prediction "missing"`) {
		t.Fatalf("feedback of a missing prediction: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	r = weir(t, home, nil, "predictions", "list", "--labelled", "-o", "json")
	var rows []struct {
		ID    string          `json:"prediction_id"`
		Label json.RawMessage `json:"label"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &rows); err != nil {
		t.Fatalf("predictions list -o json: %v\n%s\n%s", err, r.stdout, r.stderr)
	}
	if len(rows) != 2 || rows[0].ID != "pred-b" || string(rows[0].Label) != "2" || rows[1].ID != "pred-a" || string(rows[1].Label) != `"setosa"` {
		t.Fatalf("labelled predictions = %+v", rows)
	}
}
