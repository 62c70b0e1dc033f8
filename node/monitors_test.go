package node_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/weirhq/weir/api/client"
	"github.com/weirhq/weir/engine"
	"github.com/weirhq/weir/monitor/live"
	"github.com/weirhq/weir/node"
	"github.com/weirhq/weir/predlog"
	"github.com/weirhq/weir/store"
)

const monitorTrainDAG = `dag_id: possum_train
tasks:
  - id: train
    model.train: {data: data/possum.csv, target: taill, estimator: ridge, params: {alpha: 1}, inputs: [totlngth, hdlngth, footlgth]}
  - id: register
    upstream: [train]
    model.register: {model: "{{ outputs.train.model }}", name: possum, alias: champion}
`

const monitorRetrainDAG = `dag_id: possum_retrain
datasets: ["weir://possum/monitor"]
tasks:
  - id: retrain
    script: echo retraining
`

// receiver is a loopback webhook receiver: it answers fail 500s first, then 200s, and
// keeps the bodies and headers of the requests it accepted.
type receiver struct {
	mu       sync.Mutex
	fail     int
	attempts int
	got      [][]byte
	headers  []http.Header
	srv      *httptest.Server
}

func newReceiver(t *testing.T, fail int) *receiver {
	r := &receiver{fail: fail}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		r.attempts++
		if r.attempts <= r.fail {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		r.got, r.headers = append(r.got, b), append(r.headers, req.Header.Clone())
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) snapshot() (int, [][]byte, []http.Header) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.attempts, append([][]byte(nil), r.got...), append([]http.Header(nil), r.headers...)
}

// possumRows reads the possum data: the inputs the monitor's model takes and the target.
func possumRows(t *testing.T) (rows []map[string]float64) {
	t.Helper()
	f, err := os.Open("../examples/dags/data/possum.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	idx := map[string]int{}
	for i, h := range recs[0] {
		idx[h] = i
	}
	for _, rec := range recs[1:] {
		row := map[string]float64{}
		for _, c := range []string{"totlngth", "hdlngth", "footlgth", "taill"} {
			v, err := strconv.ParseFloat(rec[idx[c]], 64)
			if err != nil {
				t.Fatalf("possum.csv %s %q: %v", c, rec[idx[c]], err)
			}
			row[c] = v
		}
		rows = append(rows, row)
	}
	return rows
}

func waitFor(t *testing.T, what string, timeout time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// The closed loop on a real server: a deployed model's predictions are logged; a monitor
// judges them against the model's training reference; shifted inputs make it fire once
// (a signed webhook, a flaky webhook retried, a dataset event that queues the retraining
// DAG); labels posted as feedback give the performance against the training metrics; the
// results reach /metrics, the plots and the API.
func TestLiveMonitorFiresOnShiftedTraffic(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	home := t.TempDir()
	dags := filepath.Join(home, "dags")
	if err := os.MkdirAll(filepath.Join(dags, "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile("../examples/dags/data/possum.csv")
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{"data/possum.csv": data, "train.yaml": []byte(monitorTrainDAG), "retrain.yaml": []byte(monitorRetrainDAG)} {
		if err := os.WriteFile(filepath.Join(dags, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	st := openStore(t, home)
	n, err := node.New(node.Config{Mode: node.ModeServer, Store: st, Tracking: st.Tracking(), Home: home, DAGsDir: dags,
		Addr: "127.0.0.1:0", GracePeriod: time.Second, ServePollInterval: 50 * time.Millisecond, TickInterval: 100 * time.Millisecond,
		PredictionLog: predlog.Config{FlushInterval: 20 * time.Millisecond},
		Monitors:      live.Config{Tick: 50 * time.Millisecond, AllowPrivateWebhooks: true, WebhookBackoff: 10 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer n.Stop()
	d, ok := n.Registry().DAG("possum_train")
	if !ok {
		t.Fatal("possum_train not loaded")
	}
	run, err := n.Engine().Trigger(ctx, d, engine.TriggerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if final, err := n.Engine().Wait(ctx, run.DAGID, run.RunID); err != nil || final.State != store.RunSuccess {
		t.Fatalf("possum_train: %v %v", final, err)
	}
	if err := st.PutDeployment(ctx, &store.Deployment{Name: "possum", Model: "models:/possum@champion"}); err != nil {
		t.Fatal(err)
	}
	c, err := client.New("http://"+n.Addr(), nil)
	if err != nil {
		t.Fatal(err)
	}
	good, flaky := newReceiver(t, 0), newReceiver(t, 2)
	spec := fmt.Sprintf(`{"rows": 100, "min_rows": 50, "interval": "1h", "webhooks": [%q, %q], "secret": "s3cret",
		"dataset": "weir://possum/monitor", "min_labels": 10}`, good.srv.URL, flaky.srv.URL)
	m, err := c.PutMonitor(ctx, "possum-drift", client.MonitorBody{Endpoint: "possum", Spec: json.RawMessage(spec)})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(m.Spec), `"secret":"***"`) || !strings.Contains(string(m.Spec), `"drift_share":0.5`) {
		t.Fatalf("stored spec %s: want the secret hidden and the defaults filled in", m.Spec)
	}
	// The server's schedule evaluates a new monitor at once: no traffic yet, not judged.
	var first *live.Result
	waitFor(t, "the scheduled first evaluation", 10*time.Second, func() bool {
		rs, err := c.ListMonitorResults(ctx, "possum-drift", 1)
		if err != nil || len(rs.Results) == 0 {
			return false
		}
		first = new(live.Result)
		return json.Unmarshal(rs.Results[0].Result, first) == nil
	})
	if first.Judged || first.Rows != 0 || first.Drift || !strings.Contains(first.Note, "min_rows") {
		t.Fatalf("first evaluation %+v: want not judged, 0 rows", first)
	}

	rows := possumRows(t)
	predict := func(row map[string]float64, shift float64) string {
		body := fmt.Sprintf(`{"dataframe_split": {"columns": ["totlngth", "hdlngth", "footlgth"], "data": [[%g, %g, %g]]}}`,
			row["totlngth"]+shift, row["hdlngth"]+shift, row["footlgth"]+shift)
		for deadline := time.Now().Add(20 * time.Second); ; {
			resp, err := http.Post("http://"+n.Addr()+"/serve/possum/invocations", "application/json", strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return resp.Header.Get("X-Weir-Prediction-Id")
			}
			if time.Now().After(deadline) {
				t.Fatalf("the deployment never answered: %d", resp.StatusCode)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	logged := func(want int) {
		waitFor(t, fmt.Sprintf("%d logged predictions", want), 10*time.Second, func() bool {
			ps, err := st.ListPredictions(ctx, store.PredictionFilter{Endpoint: "possum", Limit: 1000})
			return err == nil && len(ps) >= want
		})
	}
	runNow := func() (*client.MonitorResult, *live.Result) {
		t.Helper()
		sr, err := c.RunMonitor(ctx, "possum-drift")
		if err != nil {
			t.Fatal(err)
		}
		var res live.Result
		if err := json.Unmarshal(sr.Result, &res); err != nil {
			t.Fatal(err)
		}
		return sr, &res
	}

	// Traffic like the training data: judged, no drift, nothing fired.
	for _, row := range rows[:60] {
		predict(row, 0)
	}
	logged(60)
	sr, res := runNow()
	if !res.Judged || res.Rows != 60 || res.Drift || sr.Fired || res.Data == nil || len(res.Data.Features) != 3 {
		t.Fatalf("baseline result %+v (data %+v): want 60 rows judged, 3 features, no drift", res, res.Data)
	}
	if res.Model != "possum" || res.Version != "1" {
		t.Fatalf("baseline read model %s version %s, want possum 1", res.Model, res.Version)
	}

	// Shifted traffic: data drift; the monitor fires once.
	var shiftedIDs []string
	for _, row := range rows[100:200] {
		shiftedIDs = append(shiftedIDs, predict(row, 25))
	}
	logged(160)
	sr, res = runNow()
	if !res.Judged || res.Rows != 100 || !res.Drift || !sr.Fired || !res.Fired || res.Data.Drifted != 3 {
		t.Fatalf("shifted result %+v (data %+v): want 100 rows, 3 drifted features, fired", res, res.Data)
	}
	for _, f := range res.Data.Features {
		if f.Test != "ks" || f.Score >= 0.05 || !f.Drift {
			t.Errorf("feature %s: %s %g drift %v; want ks p < 0.05 drift (the reference has ≤ 1000 rows)", f.Column, f.Test, f.Score, f.Drift)
		}
	}
	if res.Prediction == nil || res.Prediction.Reference != "previous window" || res.Prediction.Feature == nil || !res.Prediction.Feature.Drift {
		t.Errorf("prediction drift %+v: want drift against the previous window", res.Prediction)
	}
	if len(res.Actions) != 3 {
		t.Fatalf("actions %+v: want 2 webhooks and a dataset event", res.Actions)
	}
	if a := res.Actions[0]; !a.OK || a.Attempts != 1 || a.Status != 200 {
		t.Errorf("good webhook %+v: want delivered at the first attempt", a)
	}
	if a := res.Actions[1]; !a.OK || a.Attempts != 3 {
		t.Errorf("flaky webhook %+v: want delivered at the third attempt", a)
	}
	if a := res.Actions[2]; a.Kind != "dataset" || !a.OK || a.EventID == 0 {
		t.Errorf("dataset action %+v", a)
	}
	attempts, got, headers := good.snapshot()
	if attempts != 1 || len(got) != 1 {
		t.Fatalf("good receiver: %d attempts, %d accepted", attempts, len(got))
	}
	var alert live.Alert
	if err := json.Unmarshal(got[0], &alert); err != nil || alert.Monitor != "possum-drift" || len(alert.Drifted) != 3 || alert.Event != live.AlertEvent {
		t.Fatalf("webhook body %s: %v", got[0], err)
	}
	h := headers[0]
	if want := live.Signature("s3cret", h.Get("X-Weir-Delivery"), h.Get("X-Weir-Timestamp"), got[0]); h.Get("X-Weir-Signature") != want {
		t.Fatalf("X-Weir-Signature %q, want %q", h.Get("X-Weir-Signature"), want)
	}
	if attempts, got, _ := flaky.snapshot(); attempts != 3 || len(got) != 1 {
		t.Fatalf("flaky receiver: %d attempts, %d accepted; want 3 and 1", attempts, len(got))
	}
	// The dataset event queues the retraining DAG, which runs.
	evs, err := st.ListDatasetEvents(ctx, store.ListEventsParams{URI: "weir://possum/monitor"})
	if err != nil || len(evs) != 1 {
		t.Fatalf("dataset events %v, %v; want one", evs, err)
	}
	waitFor(t, "the retraining DAG's run", 20*time.Second, func() bool {
		runs, err := st.ListRuns(ctx, store.ListRunsParams{DAGID: "possum_retrain"})
		return err == nil && len(runs) == 1
	})

	// Still drifting: no second firing.
	sr, res = runNow()
	if !res.Drift || sr.Fired || len(res.Actions) != 0 {
		t.Fatalf("second drifting result: drift %v fired %v actions %v; want drift, not fired again", res.Drift, sr.Fired, res.Actions)
	}
	if attempts, _, _ := good.snapshot(); attempts != 1 {
		t.Fatalf("good receiver called %d times, want once", attempts)
	}

	// Labels arrive: the ridge model is far off on shifted inputs.
	for i, id := range shiftedIDs[:20] {
		body := fmt.Sprintf(`{"label": %g}`, rows[100+i]["taill"])
		resp, err := http.Post("http://"+n.Addr()+"/api/v1/predictions/"+id+"/feedback", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("feedback %s: %d", id, resp.StatusCode)
		}
	}
	_, res = runNow()
	p := res.Performance
	if p == nil || p.Labelled != 20 || p.Metric != "rmse" || p.Training == nil || !p.Degraded || p.Value <= *p.Training {
		t.Fatalf("performance %+v: want rmse on 20 labelled rows, worse than at training, degraded", p)
	}

	// Prometheus.
	resp, err := http.Get("http://" + n.Addr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	text, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`weir_monitor_feature_drift_score{feature="totlngth",monitor="possum-drift",stattest="ks"}`,
		`weir_monitor_feature_drifted{feature="hdlngth",monitor="possum-drift"} 1`,
		`weir_monitor_drift_share{monitor="possum-drift"} 1`,
		`weir_monitor_dataset_drift{monitor="possum-drift"} 1`,
		`weir_monitor_last_run_timestamp_seconds{monitor="possum-drift"}`,
		`weir_monitor_performance{metric="rmse",monitor="possum-drift"}`,
	} {
		if !bytes.Contains(text, []byte(want)) {
			t.Errorf("/metrics lacks %s", want)
		}
	}

	// Plots.
	for _, name := range []string{"totlngth", "history", "prediction"} {
		b, err := c.MonitorPlot(ctx, "possum-drift", name)
		if err != nil {
			t.Fatalf("plot %s: %v", name, err)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil || img.Bounds().Dx() < 100 {
			t.Fatalf("plot %s is not a PNG: %v", name, err)
		}
	}
	if _, err := c.MonitorPlot(ctx, "possum-drift", "nosuch"); !client.IsCode(err, client.CodeNotFound) {
		t.Fatalf("plot of an unknown feature: %v, want a 404", err)
	}
	list, err := c.ListMonitors(ctx, client.ListOptions{})
	if err != nil || list.TotalEntries != 1 || !list.Monitors[0].Drifting || list.Monitors[0].LastFiredAt == nil {
		t.Fatalf("ListMonitors = %+v, %v", list, err)
	}
	all, err := c.ListMonitorResults(ctx, "possum-drift", 0)
	if err != nil || len(all.Results) != 5 {
		t.Fatalf("results: %v, %v; want 5", all, err)
	}
}
