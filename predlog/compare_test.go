package predlog

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/weirhq/weir/store"
)

// TestCompareScoresEachVersionAgainstItsLabels logs predictions of two versions (and a
// shadow) in a real store, labels some, and checks the per-version figures by hand.
func TestCompareScoresEachVersionAgainstItsLabels(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	ctx := context.Background()
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	var ps []*store.Prediction
	add := func(id, version string, shadow bool, out string, lat int64, at time.Time) {
		ps = append(ps, &store.Prediction{ID: id, Endpoint: "possum", ModelName: "possum", ModelVersion: version,
			Shadow: shadow, Inputs: json.RawMessage(`{}`), Output: json.RawMessage(out), LatencyMicros: lat, Time: at})
	}
	// Version 1: predictions 10, 20, 30 (labels 12, 20, 27 → errors 2, 0, 3); one unlabelled.
	add("a1", "1", false, `{"predictions":[10]}`, 100, t0.Add(1*time.Second))
	add("a2", "1", false, `{"predictions":[20]}`, 200, t0.Add(2*time.Second))
	add("a3", "1", false, `{"predictions":[30]}`, 300, t0.Add(3*time.Second))
	add("a4", "1", false, `{"predictions":[40]}`, 400, t0.Add(4*time.Second))
	// Version 10 (sorted after 2 numerically): two rows in one request, labelled as an array.
	add("b1", "10", false, `{"predictions":[1,2]}`, 50, t0.Add(5*time.Second))
	// Version 2: a classifier; one hit, one miss; a label of the wrong length is not scored.
	add("c1", "2", false, `{"predictions":["Vic"]}`, 70, t0.Add(6*time.Second))
	add("c2", "2", false, `{"predictions":["Vic"]}`, 80, t0.Add(7*time.Second))
	add("c3", "2", false, `{"predictions":["Vic"]}`, 90, t0.Add(8*time.Second))
	// A shadow of version 1 and a prediction before the window.
	add("s1", "1", true, `{"predictions":[11]}`, 500, t0.Add(9*time.Second))
	add("old", "1", false, `{"predictions":[99]}`, 999, t0.Add(-time.Hour))
	if err := st.InsertPredictions(ctx, ps); err != nil {
		t.Fatal(err)
	}
	for id, label := range map[string]string{"a1": `12`, "a2": `20`, "a3": `27`, "b1": `[2, 4]`,
		"c1": `"Vic"`, "c2": `"other"`, "c3": `["Vic","Vic"]`, "s1": `12`, "old": `0`} {
		if err := st.SetPredictionLabel(ctx, id, json.RawMessage(label), t0.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	got, err := Compare(ctx, st, "possum", t0)
	if err != nil {
		t.Fatal(err)
	}
	f := func(p *float64) string {
		if p == nil {
			return "-"
		}
		return fmt.Sprintf("%.6f", *p)
	}
	var lines []string
	for _, v := range got {
		lines = append(lines, fmt.Sprintf("%s shadow=%v n=%d p50=%d p99=%d labelled=%d mae=%s rmse=%s acc=%s",
			v.Version, v.Shadow, v.Requests, v.LatencyP50Micros, v.LatencyP99Micros, v.Labelled, f(v.MAE), f(v.RMSE), f(v.Accuracy)))
	}
	want := []string{
		fmt.Sprintf("1 shadow=false n=4 p50=200 p99=400 labelled=3 mae=%.6f rmse=%.6f acc=-", 5.0/3, math.Sqrt(13.0/3)),
		"2 shadow=false n=3 p50=80 p99=90 labelled=2 mae=- rmse=- acc=0.500000",
		fmt.Sprintf("10 shadow=false n=1 p50=50 p99=50 labelled=2 mae=%.6f rmse=%.6f acc=-", 1.5, math.Sqrt(2.5)),
		"1 shadow=true n=1 p50=500 p99=500 labelled=1 mae=1.000000 rmse=1.000000 acc=-",
	}
	if len(lines) != len(want) {
		t.Fatalf("got %d versions:\n%q\nwant %d:\n%q", len(lines), lines, len(want), want)
	}
	for i := range want {
		if lines[i] != want[i] {
			t.Errorf("version %d:\n got %s\nwant %s", i, lines[i], want[i])
		}
	}
	if _, err := Compare(ctx, st, "../x", time.Time{}); err == nil {
		t.Error("Compare accepted the endpoint name ../x")
	}
}

// TestCompareCountsFailedRequestsPerVersion stores predictions and error counts of two
// versions, of two writers, and failures with no model chosen, and checks the per-version
// errors, rates and last messages, and that since drops the minutes before it.
func TestCompareCountsFailedRequestsPerVersion(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	ctx := context.Background()
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	var ps []*store.Prediction
	for i := range 6 {
		v := "1"
		if i >= 3 {
			v = "2"
		}
		ps = append(ps, &store.Prediction{ID: fmt.Sprint("p", i), Endpoint: "possum", ModelName: "possum", ModelVersion: v,
			Output: json.RawMessage(`{"predictions":[1]}`), LatencyMicros: 10, Time: t0.Add(5*time.Minute + 30*time.Second)})
	}
	if err := st.InsertPredictions(ctx, ps); err != nil {
		t.Fatal(err)
	}
	c := func(minute time.Duration, writer, version, class string, n int64, status int, msg string) *store.ServeErrorCount {
		m := t0.Add(minute)
		model := "possum"
		if version == "" {
			model = ""
		}
		return &store.ServeErrorCount{Endpoint: "possum", Minute: m, Writer: writer, ModelName: model, ModelVersion: version,
			Class: class, Count: n, LastStatus: status, LastMessage: msg, LastAt: m.Add(30 * time.Second)}
	}
	err := st.PutServeErrors(ctx, []*store.ServeErrorCount{
		c(0, "w1", "1", store.ServeError4xx, 5, 400, "old: before since"),
		c(5*time.Minute, "w1", "1", store.ServeError4xx, 2, 400, "malformed JSON"),
		c(5*time.Minute, "w2", "1", store.ServeError4xx, 1, 400, "missing column x"),
		c(6*time.Minute, "w1", "1", store.ServeError5xx, 3, 500, "model failed"),
		c(6*time.Minute, "w1", "", store.ServeError5xx, 2, 503, "not ready"),
		{Endpoint: "other", Minute: t0.Add(5 * time.Minute), Writer: "w1", ModelName: "x", ModelVersion: "1", Class: store.ServeError4xx, Count: 9, LastAt: t0},
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := Compare(ctx, st, "possum", t0.Add(5*time.Minute+10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, v := range got {
		at := "-"
		if v.LastErrorAt != nil {
			at = v.LastErrorAt.Format("15:04:05")
		}
		lines = append(lines, fmt.Sprintf("%q/%s n=%d 4xx=%d 5xx=%d rate=%.3f last=%d %q %s", v.Model, v.Version, v.Requests,
			v.Errors4xx, v.Errors5xx, v.ErrorRate, v.LastErrorStatus, v.LastError, at))
	}
	want := []string{
		`"possum"/1 n=3 4xx=3 5xx=3 rate=0.667 last=500 "model failed" 10:06:30`,
		`"possum"/2 n=3 4xx=0 5xx=0 rate=0.000 last=0 "" -`,
		`""/none n=0 4xx=0 5xx=2 rate=1.000 last=503 "not ready" 10:06:30`,
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("Compare:\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
}
