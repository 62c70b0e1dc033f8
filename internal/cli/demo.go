package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/weirhq/weir/api/client"
	"github.com/weirhq/weir/engine"
	"github.com/weirhq/weir/internal/demo"
	"github.com/weirhq/weir/monitor/live"
	"github.com/weirhq/weir/node"
	"github.com/weirhq/weir/predlog"
	"github.com/weirhq/weir/store"
	"github.com/weirhq/weir/store/sqlite"
)

// demoEndpoint is the deployment `weir demo` creates.
const demoEndpoint = "possum"

func (a *app) demoCmd() *cobra.Command {
	var requests int
	c := &cobra.Command{
		Use:   "demo",
		Short: "Run the closed MLOps loop end to end: train, deploy, serve, drift, retrain, canary, promote",
		Long: `weir demo runs the whole loop in one process on the embedded default (SQLite and
local files; nothing to install), in a fresh temporary home unless --home is given:

  generate data → train (quality checks inside a setup/teardown pair → features → mapped
  hyperparameter search → select → train → evaluate → register champion if better) →
  deploy the champion → live traffic → drift injected → a drift check on the logged
  inputs fires → its dataset event starts the retraining DAG → the retrained model is
  deployed as a 10% canary → promoted (alias move) → the new champion is served.

It ends with a summary table and where to look next. Everything stays in the home folder.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := a.localOnly(cmd); err != nil {
				return err
			}
			if !cmd.Flags().Changed("home") {
				dir, err := os.MkdirTemp("", "weir-demo-")
				if err != nil {
					return fmt.Errorf("demo: make a temporary home: %w", err)
				}
				a.home = dir
			}
			home, err := filepath.Abs(a.home)
			if err != nil {
				return err
			}
			a.home = home
			if _, err := os.Stat(filepath.Join(home, "weir.db")); err == nil {
				return fmt.Errorf("demo: %s already holds a store; the demo needs a fresh home: omit --home (a temporary one) or name an empty folder", home)
			}
			a.dagsDir = filepath.Join(home, "dags")
			return a.runDemo(cmd.Context(), requests)
		},
	}
	c.Flags().IntVar(&requests, "requests", 200, "live requests per traffic phase")
	return c
}

// demoRun is what the demo learnt, for the summary.
type demoRun struct {
	start     time.Time
	base      string
	trainRun  string
	trainEval map[string]any
	champion  string
	clean     map[string]any
	drifted   map[string]any
	retrain   *store.DAGRun
	retrained map[string]any
	challenge string
	canary    map[string]int
	compared  []client.VersionStats // the canary analysis, per version
	kept      bool                  // the challenger lost the canary analysis
	promoted  map[string]int
	live      *live.Result // the live monitor's result after the drift
}

func (a *app) step(d *demoRun, format string, args ...any) {
	fmt.Fprintf(a.out, "[%5.1fs] %s\n", time.Since(d.start).Seconds(), fmt.Sprintf(format, args...))
}

func (a *app) runDemo(ctx context.Context, requests int) error {
	d := &demoRun{start: time.Now()}
	a.step(d, "home %s", a.home)
	if _, err := demo.WriteDAGs(a.dagsDir); err != nil {
		return err
	}
	data := filepath.Join(a.dagsDir, "data")
	train := demo.Generate(300, 1, false)
	if err := demo.WriteCSV(filepath.Join(data, "possum.csv"), train, true); err != nil {
		return err
	}
	// The recent batch, labelled after the fact: what retraining learns from.
	if err := demo.WriteCSV(filepath.Join(data, "possum_recent.csv"), demo.Generate(300, 2, true), true); err != nil {
		return err
	}
	a.step(d, "generated data: %s (300 possums) and the drifted, labelled recent batch", filepath.Join(data, "possum.csv"))

	st, err := a.openStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	cfg := a.nodeConfig(st, node.ModeServer)
	cfg.Addr = "127.0.0.1:0"
	cfg.TickInterval = 100 * time.Millisecond
	cfg.ServePollInterval = 100 * time.Millisecond
	cfg.ServeSeed = 2 // the canary split, like the data, is seeded: every run promotes the same way
	cfg.ScanInterval = time.Hour
	cfg.PredictionLog.FlushInterval = 20 * time.Millisecond
	cfg.GracePeriod = 5 * time.Second
	n, err := node.New(cfg)
	if err != nil {
		return err
	}
	if err := n.Start(context.WithoutCancel(ctx)); err != nil {
		return err
	}
	defer n.Stop()
	d.base = "http://" + n.Addr()
	a.step(d, "weir server node listening on %s (scheduler, REST API, MLflow API, serving)", d.base)

	// 1. Train.
	run, err := a.demoRunDAG(ctx, n, st, d, "demo_train", nil)
	if err != nil {
		return err
	}
	d.trainRun = run.RunID
	d.trainEval, _ = taskOutput(ctx, st, "demo_train", run.RunID, "evaluate")
	reg, _ := taskOutput(ctx, st, "demo_train", run.RunID, "register")
	mv, err := st.Tracking().GetModelVersionByAlias(ctx, "possum", "champion")
	if err != nil {
		return fmt.Errorf("demo: no champion after training (register said %v): %w", reg, err)
	}
	d.champion = mv.Version
	a.step(d, "registered possum version %s as champion (%s): %v", mv.Version, metricLine(d.trainEval), reg["reason"])

	// 2. Deploy and serve.
	if err := st.PutDeployment(ctx, &store.Deployment{Name: demoEndpoint, Model: "models:/possum@champion",
		Description: "weir demo"}); err != nil {
		return err
	}
	if err := waitServed(ctx, d.base, func(v string) bool { return v == d.champion }, 1); err != nil {
		return err
	}
	a.step(d, "deployed models:/possum@champion at %s/serve/%s/invocations", d.base, demoEndpoint)
	if err := createDemoMonitor(ctx, n, st, requests); err != nil {
		return err
	}
	sent := 0
	clean, err := sendTraffic(ctx, d.base, demo.Generate(requests, 7, false))
	if err != nil {
		return err
	}
	sent += requests
	a.step(d, "live traffic: %d requests answered by %s", requests, versionsLine(clean))
	cleanCSV := filepath.Join(data, "live_clean.csv")
	if err := exportInputs(ctx, st, sent, requests, cleanCSV); err != nil {
		return err
	}
	if run, err = a.demoRunDAG(ctx, n, st, d, "demo_drift_check", map[string]any{"data": cleanCSV}); err != nil {
		return err
	}
	d.clean, _ = taskOutput(ctx, st, "demo_drift_check", run.RunID, "check")
	a.step(d, "drift check on the logged inputs: %s", driftLine(d.clean))

	// 3. Drift.
	drifted, err := sendTraffic(ctx, d.base, demo.Generate(requests, 4, true))
	if err != nil {
		return err
	}
	sent += requests
	a.step(d, "drift injected: %d requests of longer possums, answered by %s", requests, versionsLine(drifted))
	driftCSV := filepath.Join(data, "live_drifted.csv")
	if err := exportInputs(ctx, st, sent, requests, driftCSV); err != nil {
		return err
	}
	if run, err = a.demoRunDAG(ctx, n, st, d, "demo_drift_check", map[string]any{"data": driftCSV}); err != nil {
		return err
	}
	d.drifted, _ = taskOutput(ctx, st, "demo_drift_check", run.RunID, "check")
	a.step(d, "drift check on the logged inputs: %s", driftLine(d.drifted))
	if d.live, err = evaluateDemoMonitor(ctx, n); err != nil {
		a.step(d, "live monitor %s: %v", demoMonitor, err)
	} else {
		a.step(d, "live monitor %s: %s", demoMonitor, liveLine(d.live))
	}
	if d.drifted["drift"] != true {
		return fmt.Errorf("demo: the drifted traffic did not drift: %v", d.drifted)
	}

	// 4. The dataset event starts the retraining DAG in the server's scheduler.
	a.step(d, "dataset event weir://demo/possum/drift: waiting for the scheduler to start demo_retrain")
	retrain, err := waitDatasetRun(ctx, st, "demo_retrain")
	if err != nil {
		return err
	}
	d.retrain = retrain
	if retrain.State != store.RunSuccess {
		return fmt.Errorf("demo: demo_retrain run %s %s; see weir tasks demo_retrain %s --home %s", retrain.RunID, retrain.State, retrain.RunID, a.home)
	}
	d.retrained, _ = taskOutput(ctx, st, "demo_retrain", retrain.RunID, "evaluate")
	ch, err := st.Tracking().GetModelVersionByAlias(ctx, "possum", "challenger")
	if err != nil {
		return fmt.Errorf("demo: no challenger after retraining: %w", err)
	}
	d.challenge = ch.Version
	a.step(d, "demo_retrain (%s, triggered by the dataset event) registered version %s as challenger (%s)",
		retrain.RunID, ch.Version, metricLine(d.retrained))

	// 5. Canary, then promotion.
	if err := st.PutDeployment(ctx, &store.Deployment{Name: demoEndpoint, Model: "models:/possum@champion",
		Canary: "models:/possum@challenger", CanaryWeight: 10, Description: "weir demo: canary phase"}); err != nil {
		return err
	}
	if err := waitServed(ctx, d.base, func(v string) bool { return v == d.challenge }, 1); err != nil {
		return err
	}
	canaryStart := time.Now()
	if d.canary, err = sendLabelled(ctx, d.base, demo.Generate(requests, 5, true)); err != nil {
		return err
	}
	a.step(d, "canary: challenger (v%s) at 10%%: %s; labels posted as feedback", d.challenge, versionsLine(d.canary))
	cmp, err := predlog.Compare(ctx, st, demoEndpoint, canaryStart)
	if err != nil {
		return err
	}
	for _, v := range cmp {
		vs := client.VersionStats(v)
		d.compared = append(d.compared, vs)
		failed := ""
		if n := v.Errors4xx + v.Errors5xx; n > 0 {
			failed = fmt.Sprintf(", %d failed (last: %s)", n, v.LastError)
		}
		if v.Model == "" && v.Version == predlog.VersionNone {
			a.step(d, "canary analysis: %d requests failed before a model was chosen (last: %s)", v.Errors4xx+v.Errors5xx, v.LastError)
			continue
		}
		a.step(d, "canary analysis: v%s answered %d, RMSE %s on %d labels, p99 %s%s", v.Version, v.Requests,
			fmtRMSE(vs.RMSE), v.Labelled, time.Duration(v.LatencyP99Micros)*time.Microsecond, failed)
	}
	champ, chall := rmseOf(d.compared, d.champion), rmseOf(d.compared, d.challenge)
	if chall == nil || champ == nil || *chall > *champ {
		d.kept = true
		a.step(d, "canary analysis: the challenger is not better on live labels (RMSE %s vs %s): champion kept",
			fmtRMSE(chall), fmtRMSE(champ))
		if err := st.PutDeployment(ctx, &store.Deployment{Name: demoEndpoint, Model: "models:/possum@champion",
			Description: "weir demo: canary rejected"}); err != nil {
			return err
		}
		a.demoSummary(d)
		return nil
	}
	if err := st.Tracking().SetRegisteredModelAlias(ctx, "possum", "champion", d.challenge); err != nil {
		return err
	}
	if err := st.PutDeployment(ctx, &store.Deployment{Name: demoEndpoint, Model: "models:/possum@champion",
		Description: "weir demo: promoted"}); err != nil {
		return err
	}
	if err := waitServed(ctx, d.base, func(v string) bool { return v == d.challenge }, 50); err != nil {
		return err
	}
	if d.promoted, err = sendTraffic(ctx, d.base, demo.Generate(requests, 6, true)); err != nil {
		return err
	}
	a.step(d, "promoted: alias champion moved to v%s; %s", d.challenge, versionsLine(d.promoted))
	a.demoSummary(d)
	return nil
}

// demoRunDAG triggers a DAG on the node and waits for it, printing its tasks' transitions.
func (a *app) demoRunDAG(ctx context.Context, n *node.Node, st *sqlite.Store, d *demoRun, id string, params map[string]any) (*store.DAGRun, error) {
	g, ok := n.Registry().DAG(id)
	if !ok {
		return nil, fmt.Errorf("demo: DAG %s did not load: %v", id, n.Registry().Errors())
	}
	run, err := n.Engine().Trigger(ctx, g, engine.TriggerOptions{Params: params})
	if err != nil {
		return nil, err
	}
	final, err := n.Engine().Wait(ctx, run.DAGID, run.RunID)
	if err != nil {
		return nil, err
	}
	tis, _ := st.ListTaskInstances(ctx, store.ListTIParams{DAGID: id, RunID: run.RunID})
	var states []string
	var errs []string
	for _, ti := range tis {
		states = append(states, taskLabel(ti)+" "+string(ti.State))
		if ti.Error != "" {
			errs = append(errs, ti.TaskID+": "+ti.Error)
		}
	}
	sort.Strings(states)
	a.step(d, "%s %s: %s", id, final.State, strings.Join(states, ", "))
	if final.State != store.RunSuccess {
		return nil, fmt.Errorf("demo: %s run %s %s: %s", id, run.RunID, final.State, strings.Join(errs, "; "))
	}
	return final, nil
}

func taskOutput(ctx context.Context, st store.Store, dagID, runID, task string) (map[string]any, error) {
	ti, err := st.GetTaskInstance(ctx, dagID, runID, task, -1)
	if err != nil {
		return nil, err
	}
	var out map[string]any
	if err := json.Unmarshal(ti.Output, &out); err != nil {
		return nil, fmt.Errorf("demo: output of %s.%s: %w", dagID, task, err)
	}
	return out, nil
}

func metricLine(eval map[string]any) string {
	m, _ := eval["metrics"].(map[string]any)
	return fmt.Sprintf("rmse %.3f, r2 %.3f on %v rows", num(m["rmse"]), num(m["r2"]), eval["rows"])
}

func num(v any) float64 {
	f, _ := v.(float64)
	return f
}

func driftLine(check map[string]any) string {
	feats, _ := check["features"].(map[string]any)
	var drifted []string
	for name, f := range feats {
		if fm, _ := f.(map[string]any); fm["drift"] == true {
			drifted = append(drifted, fmt.Sprintf("%s (%v p=%.2g)", name, fm["stattest"], num(fm["score"])))
		}
	}
	sort.Strings(drifted)
	verdict := "no dataset drift"
	if check["drift"] == true {
		verdict = "DATASET DRIFT"
	}
	if len(drifted) == 0 {
		drifted = []string{"none"}
	}
	return fmt.Sprintf("%s, share %.2f of %d features; drifted: %s", verdict, num(check["share"]), len(feats), strings.Join(drifted, ", "))
}

func versionsLine(seen map[string]int) string {
	var vs []string
	for v := range seen {
		vs = append(vs, v)
	}
	sort.Strings(vs)
	var parts []string
	for _, v := range vs {
		parts = append(parts, fmt.Sprintf("v%s×%d", v, seen[v]))
	}
	return strings.Join(parts, " ")
}

// predict sends one row to the endpoint and returns the model version that answered.
func predict(ctx context.Context, base string, row demo.Row) (string, error) {
	v, _, err := predictID(ctx, base, row)
	return v, err
}

// predictID sends one row to the endpoint and returns the model version that answered and
// the prediction's ID (what feedback is posted under).
func predictID(ctx context.Context, base string, row demo.Row) (version, id string, err error) {
	body, _ := json.Marshal(map[string]any{"dataframe_records": []any{row.Record()}})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/serve/"+demoEndpoint+"/invocations", bytes.NewReader(body))
	if err != nil {
		return "", "", err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return "", "", fmt.Errorf("demo: prediction: %s: %s", resp.Status, b)
	}
	return resp.Header.Get("X-Weir-Model-Version"), resp.Header.Get("X-Weir-Prediction-Id"), nil
}

// sendTraffic sends every row as one request and counts the model versions that answered.
func sendTraffic(ctx context.Context, base string, rows []demo.Row) (map[string]int, error) {
	seen := map[string]int{}
	for _, r := range rows {
		v, err := predict(ctx, base, r)
		if err != nil {
			return seen, err
		}
		seen[v]++
	}
	return seen, nil
}

// sendLabelled sends every row as one request, then posts each row's tail length as the
// label of its prediction (as a client does once the truth is known), and counts the model
// versions that answered.
func sendLabelled(ctx context.Context, base string, rows []demo.Row) (map[string]int, error) {
	seen := map[string]int{}
	ids := make([]string, len(rows))
	for i, r := range rows {
		v, id, err := predictID(ctx, base, r)
		if err != nil {
			return seen, err
		}
		seen[v]++
		ids[i] = id
	}
	for i, id := range ids {
		if err := postLabel(ctx, base, id, rows[i].TailL); err != nil {
			return seen, err
		}
	}
	return seen, nil
}

// postLabel posts a label for a prediction, retrying while the prediction log has not
// flushed it yet (404).
func postLabel(ctx context.Context, base, id string, label float64) error {
	body, _ := json.Marshal(map[string]any{"label": label})
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1/predictions/"+id+"/feedback", bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		switch {
		case resp.StatusCode == http.StatusOK:
			return nil
		case resp.StatusCode == http.StatusNotFound && attempt < 100:
			time.Sleep(20 * time.Millisecond)
		default:
			return fmt.Errorf("demo: feedback for prediction %s: %s: %s", id, resp.Status, b)
		}
	}
}

// rmseOf returns the served (not shadow) version's live RMSE, nil if it has none.
func rmseOf(vs []client.VersionStats, version string) *float64 {
	for _, v := range vs {
		if v.Version == version && !v.Shadow {
			return v.RMSE
		}
	}
	return nil
}

func fmtRMSE(p *float64) string {
	if p == nil {
		return "n/a"
	}
	return fmt.Sprintf("%.3f", *p)
}

// waitServed waits until the endpoint answers in a row consecutive times with a version ok
// accepts (more than once when another version may still answer some requests, as the
// champion of a canary phase does until the server sees its alias move).
func waitServed(ctx context.Context, base string, ok func(string) bool, consecutive int) error {
	row := demo.Generate(1, 99, false)[0]
	deadline := time.Now().Add(15 * time.Second)
	var last string
	var lastErr error
	streak := 0
	for time.Now().Before(deadline) {
		v, err := predict(ctx, base, row)
		if err == nil && ok(v) {
			if streak++; streak >= consecutive {
				return nil
			}
			continue
		}
		streak = 0
		last, lastErr = v, err
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("demo: the endpoint %s did not serve the expected version in 15s (last version %q, error %v)", demoEndpoint, last, lastErr)
}

// exportInputs waits until the prediction log holds total predictions and writes the inputs
// of the newest window of them to path as CSV.
func exportInputs(ctx context.Context, st store.Store, total, window int, path string) error {
	deadline := time.Now().Add(15 * time.Second)
	var preds []*store.Prediction
	for {
		var err error
		preds, err = st.ListPredictions(ctx, store.PredictionFilter{Endpoint: demoEndpoint, Limit: total + 100})
		if err != nil {
			return err
		}
		if len(preds) >= total {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("demo: the prediction log holds %d predictions after 15s, want %d", len(preds), total)
		}
		time.Sleep(20 * time.Millisecond)
	}
	var cols []string
	var b strings.Builder
	rows := 0
	for _, p := range preds {
		if p.Shadow || rows == window {
			continue
		}
		var in struct {
			Columns []string `json:"columns"`
			Data    [][]any  `json:"data"`
		}
		if err := json.Unmarshal(p.Inputs, &in); err != nil {
			return fmt.Errorf("demo: inputs of prediction %s: %w", p.ID, err)
		}
		if cols == nil {
			cols = in.Columns
			b.WriteString(strings.Join(cols, ",") + "\n")
		}
		for _, r := range in.Data {
			cells := make([]string, len(r))
			for i, c := range r {
				cells[i] = fmt.Sprint(c)
			}
			b.WriteString(strings.Join(cells, ",") + "\n")
			rows++
		}
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

// waitDatasetRun waits for the scheduler to start a run of dagID and for it to end.
func waitDatasetRun(ctx context.Context, st store.Store, dagID string) (*store.DAGRun, error) {
	deadline := time.Now().Add(45 * time.Second)
	for time.Now().Before(deadline) {
		runs, err := st.ListRuns(ctx, store.ListRunsParams{DAGID: dagID, Limit: 1})
		if err != nil {
			return nil, err
		}
		// The scheduler stores the run queued before the engine takes it up, so the store,
		// not Engine.Wait, says when it has ended.
		if len(runs) == 1 && (runs[0].State == store.RunSuccess || runs[0].State == store.RunFailed) {
			return runs[0], nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return nil, fmt.Errorf("demo: no run of %s ended within 45s of the dataset event", dagID)
}

// demoSummary prints the table and where to look next.
func (a *app) demoSummary(d *demoRun) {
	w := a.out
	fmt.Fprintf(w, "\nweir demo finished in %.1fs\n\n", time.Since(d.start).Seconds())
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "STEP\tWHAT\tRESULT")
	fmt.Fprintf(tw, "train\tdemo_train %s\tpossum v%s champion: %s\n", d.trainRun, d.champion, metricLine(d.trainEval))
	fmt.Fprintf(tw, "deploy\tendpoint %s → models:/possum@champion\tserved v%s\n", demoEndpoint, d.champion)
	fmt.Fprintf(tw, "monitor\tlive inputs before drift\t%s\n", driftLine(d.clean))
	fmt.Fprintf(tw, "drift\tlive inputs after injection\t%s\n", driftLine(d.drifted))
	fmt.Fprintf(tw, "live\tmonitor %s on endpoint %s\t%s\n", demoMonitor, demoEndpoint, liveLine(d.live))
	fmt.Fprintf(tw, "retrain\tdemo_retrain %s (%s, caused by drift)\tpossum v%s challenger: %s\n", d.retrain.RunID, d.retrain.RunType, d.challenge, metricLine(d.retrained))
	fmt.Fprintf(tw, "canary\tchallenger v%s at 10%%\t%s\n", d.challenge, versionsLine(d.canary))
	fmt.Fprintf(tw, "compare\tlive RMSE on labelled canary traffic\tv%s %s, v%s %s\n", d.champion,
		fmtRMSE(rmseOf(d.compared, d.champion)), d.challenge, fmtRMSE(rmseOf(d.compared, d.challenge)))
	if d.kept {
		fmt.Fprintf(tw, "promote\tnot promoted: the challenger lost the canary\tchampion stays v%s\n", d.champion)
	} else {
		fmt.Fprintf(tw, "promote\tchampion → v%s (alias move)\tserved %s\n", d.challenge, versionsLine(d.promoted))
	}
	tw.Flush()
	fmt.Fprintf(w, "\nEverything stays in %s. Look next:\n", a.home)
	h := "--home " + a.home
	for _, l := range [][2]string{
		{"weir runs list " + h, "the DAG runs: demo_train, demo_drift_check ×2, demo_retrain"},
		{"weir models versions possum " + h, "versions 1 and 2, aliases champion and challenger"},
		{"weir deployments list " + h, "the endpoint and the model it serves"},
		{"weir predictions list " + h, "the prediction log (inputs, output, version, latency)"},
		{"weir deployments compare " + demoEndpoint + " " + h, "the canary analysis: each version's live RMSE on the labels posted"},
		{"weir datasets events " + h, "the drift event that started demo_retrain"},
		{"weir monitors show " + demoMonitor + " --plots " + filepath.Join(a.home, "monitor-plots") + " " + h, "the live monitor's results per feature, its history and plots"},
		{"weir server --dags " + a.dagsDir + " " + h, "serve it again: the web UI at http://127.0.0.1:8080/ (runs, models, lineage, drift), the REST API at /api/v1, metrics at /metrics"},
		{"curl -d '{\"dataframe_records\": [{\"totlngth\": 90, \"footlgth\": 70, \"hdlngth\": 94, \"age\": 3, \"Pop\": \"Vic\", \"sex\": \"f\"}]}' -H 'Content-Type: application/json' http://127.0.0.1:8080/serve/" + demoEndpoint + "/invocations", "then ask it for a prediction"},
	} {
		fmt.Fprintf(w, "  %s\n      # %s\n", l[0], l[1])
	}
	if r, _ := d.drifted["report"].(string); r != "" {
		fmt.Fprintf(w, "  drift report: %s\n", r)
	}
	if dir := newestDir(filepath.Join(a.home, "artifacts", "*", "*", "artifacts", "plots", "drift_totlngth.png")); dir != "" {
		fmt.Fprintf(w, "  drift plots (reference vs current, per feature): %s\n", dir)
	}
	if dir := newestDir(filepath.Join(a.home, "artifacts", "*", "*", "artifacts", "plots", "residuals.png")); dir != "" {
		fmt.Fprintf(w, "  evaluation plots: %s\n", dir)
	}
}

// newestDir returns the folder of the newest file matching pattern, "" if none.
func newestDir(pattern string) string {
	matches, _ := filepath.Glob(pattern)
	var best string
	var bestTime time.Time
	for _, m := range matches {
		if fi, err := os.Stat(m); err == nil && fi.ModTime().After(bestTime) {
			best, bestTime = m, fi.ModTime()
		}
	}
	if best == "" {
		return ""
	}
	return filepath.Dir(best)
}
