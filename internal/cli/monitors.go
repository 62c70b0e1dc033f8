package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/weirhq/weir/api/client"
	"github.com/weirhq/weir/monitor/live"
	"github.com/weirhq/weir/steps/stepio"
	"github.com/weirhq/weir/store"
	"github.com/weirhq/weir/store/sqlite"
	"github.com/weirhq/weir/tracking"
)

// monitorOps are the monitor operations, on the local store or through a server.
type monitorOps interface {
	list(ctx context.Context) ([]client.Monitor, error)
	get(ctx context.Context, name string) (client.Monitor, error)
	put(ctx context.Context, name string, body client.MonitorBody) (client.Monitor, error)
	del(ctx context.Context, name string) error
	results(ctx context.Context, name string, limit int) ([]client.MonitorResult, error)
	run(ctx context.Context, name string) (client.MonitorResult, error)
	plot(ctx context.Context, name, plot string) ([]byte, error)
}

// monitors returns the monitor operations and a function releasing them.
func (a *app) monitors(ctx context.Context) (monitorOps, func(), error) {
	c, remote, err := a.remote()
	if err != nil {
		return nil, nil, err
	}
	if remote {
		return remoteMonitors{c}, func() {}, nil
	}
	st, err := a.openStore(ctx)
	if err != nil {
		return nil, nil, err
	}
	return localMonitors{a: a, st: st}, func() { st.Close() }, nil
}

func monitorJSON(m *store.Monitor) client.Monitor {
	out := client.Monitor{Name: m.Name, Endpoint: m.Endpoint, Spec: m.Spec, CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt,
		LastRunAt: tp(m.LastRunAt), Drifting: m.Drifting, LastFiredAt: tp(m.LastFiredAt)}
	if spec, err := live.ParseSpec(m.Spec); err == nil {
		if b, err := json.Marshal(spec.Redacted()); err == nil {
			out.Spec = b
		}
	}
	return out
}

func monitorResultJSON(r *store.MonitorResult) client.MonitorResult {
	return client.MonitorResult{ID: r.ID, Monitor: r.Monitor, Time: r.Time, Drift: r.Drift, Fired: r.Fired, Result: r.Result}
}

type localMonitors struct {
	a  *app
	st *sqlite.Store
}

func (l localMonitors) list(ctx context.Context) ([]client.Monitor, error) {
	ms, err := l.st.ListMonitors(ctx)
	if err != nil {
		return nil, err
	}
	out := []client.Monitor{}
	for _, m := range ms {
		out = append(out, monitorJSON(m))
	}
	return out, nil
}

func (l localMonitors) get(ctx context.Context, name string) (client.Monitor, error) {
	m, err := l.st.GetMonitor(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return client.Monitor{}, fmt.Errorf("no monitor %q (see weir monitors list)", name)
	}
	if err != nil {
		return client.Monitor{}, err
	}
	return monitorJSON(m), nil
}

func (l localMonitors) put(ctx context.Context, name string, body client.MonitorBody) (client.Monitor, error) {
	spec, err := live.ParseSpec(body.Spec)
	if err != nil {
		return client.Monitor{}, err
	}
	raw, err := json.Marshal(spec)
	if err != nil {
		return client.Monitor{}, err
	}
	m := &store.Monitor{Name: name, Endpoint: body.Endpoint, Spec: raw}
	if _, err := l.st.GetDeployment(ctx, body.Endpoint); errors.Is(err, store.ErrNotFound) {
		fmt.Fprintf(l.a.errOut, "warning: no deployment %q yet: the monitor judges nothing until it exists (weir deploy %s --model REF)\n", body.Endpoint, body.Endpoint)
	}
	if err := l.st.PutMonitor(ctx, m); err != nil {
		return client.Monitor{}, err
	}
	return monitorJSON(m), nil
}

func (l localMonitors) del(ctx context.Context, name string) error {
	err := l.st.DeleteMonitor(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("no monitor %q (see weir monitors list)", name)
	}
	return err
}

func (l localMonitors) results(ctx context.Context, name string, limit int) ([]client.MonitorResult, error) {
	if _, err := l.get(ctx, name); err != nil {
		return nil, err
	}
	rs, err := l.st.ListMonitorResults(ctx, store.MonitorResultFilter{Monitor: name, Limit: limit})
	if err != nil {
		return nil, err
	}
	out := make([]client.MonitorResult, 0, len(rs))
	for _, r := range rs {
		out = append(out, monitorResultJSON(r))
	}
	return out, nil
}

// run evaluates the monitor in this process, as the server would: the dataset event it
// may emit is queued for the DAGs of the DAG folder scheduled on it.
func (l localMonitors) run(ctx context.Context, name string) (client.MonitorResult, error) {
	if _, err := l.get(ctx, name); err != nil {
		return client.MonitorResult{}, err
	}
	root := filepath.Join(l.a.home, "artifacts")
	art, err := tracking.OpenArtifactStore(ctx, root, 0)
	if err != nil {
		return client.MonitorResult{}, err
	}
	defer art.Close()
	dags, _ := l.a.loadDAGs()
	consumers := func(uri string) []string {
		var out []string
		for _, d := range dags {
			for _, u := range d.Datasets.URIs() {
				if u == uri {
					out = append(out, d.ID)
				}
			}
		}
		return out
	}
	r, err := live.New(live.Config{Store: l.st, Consumers: consumers,
		Models: stepio.Deps{Artifacts: art, ArtifactRoot: root, Store: l.st, Tracking: tracking.NewService(l.st.Tracking(), tracking.ServiceConfig{})}})
	if err != nil {
		return client.MonitorResult{}, err
	}
	sr, err := r.Evaluate(ctx, name)
	if err != nil {
		return client.MonitorResult{}, err
	}
	return monitorResultJSON(sr), nil
}

func (l localMonitors) plot(ctx context.Context, name, plot string) ([]byte, error) {
	return live.Plot(ctx, l.st, name, plot)
}

type remoteMonitors struct{ c *client.Client }

func (r remoteMonitors) list(ctx context.Context) ([]client.Monitor, error) {
	out := []client.Monitor{}
	for offset := 0; ; {
		page, err := r.c.ListMonitors(ctx, client.ListOptions{Limit: 100, Offset: offset})
		if err != nil {
			return nil, err
		}
		out = append(out, page.Monitors...)
		offset += len(page.Monitors)
		if len(page.Monitors) == 0 || offset >= page.TotalEntries {
			return out, nil
		}
	}
}

func (r remoteMonitors) get(ctx context.Context, name string) (client.Monitor, error) {
	m, err := r.c.GetMonitor(ctx, name)
	if err != nil {
		return client.Monitor{}, err
	}
	return *m, nil
}

func (r remoteMonitors) put(ctx context.Context, name string, body client.MonitorBody) (client.Monitor, error) {
	m, err := r.c.PutMonitor(ctx, name, body)
	if err != nil {
		return client.Monitor{}, err
	}
	return *m, nil
}

func (r remoteMonitors) del(ctx context.Context, name string) error {
	return r.c.DeleteMonitor(ctx, name)
}

func (r remoteMonitors) results(ctx context.Context, name string, limit int) ([]client.MonitorResult, error) {
	rs, err := r.c.ListMonitorResults(ctx, name, limit)
	if err != nil {
		return nil, err
	}
	return rs.Results, nil
}

func (r remoteMonitors) run(ctx context.Context, name string) (client.MonitorResult, error) {
	res, err := r.c.RunMonitor(ctx, name)
	if err != nil {
		return client.MonitorResult{}, err
	}
	return *res, nil
}

func (r remoteMonitors) plot(ctx context.Context, name, plot string) ([]byte, error) {
	return r.c.MonitorPlot(ctx, name, plot)
}

func (a *app) monitorsCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "monitors",
		Short: "Live monitors of deployments: data drift, prediction drift and performance of served traffic",
		Long: `A monitor watches a deployment's logged predictions: every --interval the server
compares the latest window of inputs with the reference statistics the model saved at
training time (per feature, with Evidently's default tests), the predictions with the window
before, and — once labels are posted with weir feedback — the model's metric with its
training value. On a transition into drift it POSTs to its webhooks and emits a dataset
event (which starts the DAGs scheduled on the dataset: a retraining DAG).`,
	}
	c.AddCommand(a.monitorsCreateCmd(), a.monitorsListCmd(), a.monitorsShowCmd(), a.monitorsRunCmd(), a.monitorsDeleteCmd())
	return c
}

func (a *app) monitorsCreateCmd() *cobra.Command {
	var s live.Spec
	var endpoint, output, span, interval, cooldown string
	var thresholds []string
	c := &cobra.Command{
		Use:   "create NAME --endpoint DEPLOYMENT [flags]",
		Short: "Create or replace a monitor of a deployment",
		Example: `  weir monitors create possum-drift --endpoint possum --rows 500 --interval 1m \
    --webhook https://hooks.example.com/drift --secret "$SECRET" --dataset weir://possum/drift`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			if endpoint == "" {
				return errors.New("--endpoint is required: the deployment to watch (see weir deployments list)")
			}
			for flag, p := range map[string]struct {
				v string
				d *live.Duration
			}{"--span": {span, &s.Span}, "--interval": {interval, &s.Interval}, "--cooldown": {cooldown, &s.Cooldown}} {
				if p.v == "" {
					continue
				}
				d, err := time.ParseDuration(p.v)
				if err != nil {
					return fmt.Errorf("%s %q: %v (write it as 30s, 5m or 1h)", flag, p.v, err)
				}
				*p.d = live.Duration(d)
			}
			for _, t := range thresholds {
				f, v, ok := strings.Cut(t, "=")
				x, err := strconv.ParseFloat(v, 64)
				if !ok || err != nil {
					return fmt.Errorf("--feature-threshold %q: want FEATURE=NUMBER", t)
				}
				if s.Thresholds == nil {
					s.Thresholds = map[string]float64{}
				}
				s.Thresholds[f] = x
			}
			if err := s.Normalize(); err != nil {
				return err
			}
			raw, err := json.Marshal(s)
			if err != nil {
				return err
			}
			ops, done, err := a.monitors(cmd.Context())
			if err != nil {
				return err
			}
			defer done()
			m, err := ops.put(cmd.Context(), args[0], client.MonitorBody{Endpoint: endpoint, Spec: raw})
			if err != nil {
				return err
			}
			if output == "json" {
				return writeJSON(a.out, m)
			}
			fmt.Fprintf(a.out, "monitor %s watches endpoint %s: %s, every %s\n", m.Name, m.Endpoint, windowText(s), time.Duration(s.Interval))
			fmt.Fprintf(a.out, "  evaluate now: weir monitors run %s    results: weir monitors show %s\n", m.Name, m.Name)
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&endpoint, "endpoint", "", "the deployment to watch")
	f.IntVar(&s.Rows, "rows", 0, "the window: the latest N input rows of the primary model version (default 1000 without --span)")
	f.StringVar(&span, "span", "", "the window's time bound, such as 1h")
	f.StringVar(&interval, "interval", "", "how often the server evaluates the monitor (default 1m)")
	f.StringVar(&s.Method, "method", "auto", "auto (Evidently's defaults) or a test for every feature: ks, wasserstein, psi, jensenshannon, chisquare, z")
	f.Float64Var(&s.Threshold, "threshold", 0, "the test's threshold for every feature (default the test's own: 0.05 for p-values, 0.1 for distances)")
	f.StringArrayVar(&thresholds, "feature-threshold", nil, "a feature's threshold, FEATURE=NUMBER (repeatable)")
	f.StringSliceVar(&s.Features, "features", nil, "the features to check (default every model input)")
	f.Float64Var(&s.DriftShare, "drift-share", 0, "share of drifted features at which the data set drifts (default 0.5)")
	f.IntVar(&s.MinRows, "min-rows", 0, "rows below which nothing is judged (default 30)")
	f.StringVar(&s.Metric, "metric", "", "performance metric once labels arrive (default rmse or accuracy)")
	f.Float64Var(&s.MaxDegradation, "max-degradation", 0, "allowed relative worsening of the metric against training (default 0.1)")
	f.IntVar(&s.MinLabels, "min-labels", 0, "labelled rows below which performance is not judged (default 10)")
	f.StringArrayVar(&s.Webhooks, "webhook", nil, "a URL POSTed a JSON alert when the monitor fires (repeatable)")
	f.StringVar(&s.Secret, "secret", "", "signs webhook deliveries (X-Weir-Signature, HMAC-SHA256)")
	f.StringVar(&s.Dataset, "dataset", "", "a dataset URI to emit an event to when the monitor fires (starts the DAGs scheduled on it)")
	f.StringVar(&cooldown, "cooldown", "", "least time between two firings (default 10m)")
	a.addOutputFlag(c, &output)
	return c
}

func windowText(s live.Spec) string {
	var parts []string
	if s.Rows > 0 {
		parts = append(parts, fmt.Sprintf("last %d rows", s.Rows))
	}
	if s.Span > 0 {
		parts = append(parts, "within "+time.Duration(s.Span).String())
	}
	return strings.Join(parts, " ")
}

func (a *app) monitorsListCmd() *cobra.Command {
	var output string
	c := &cobra.Command{
		Use:   "list",
		Short: "List monitors, by name",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			ops, done, err := a.monitors(cmd.Context())
			if err != nil {
				return err
			}
			defer done()
			ms, err := ops.list(cmd.Context())
			if err != nil {
				return err
			}
			if output == "json" {
				return writeJSON(a.out, ms)
			}
			rows := make([][]string, 0, len(ms))
			for _, m := range ms {
				var s live.Spec
				_ = json.Unmarshal(m.Spec, &s)
				state := "ok"
				if m.Drifting {
					state = "DRIFT"
				}
				if m.LastRunAt == nil {
					state = "-"
				}
				rows = append(rows, []string{m.Name, m.Endpoint, windowText(s), time.Duration(s.Interval).String(), state,
					fmtTime(timeOr(m.LastRunAt)), fmtTime(timeOr(m.LastFiredAt))})
			}
			a.table([]string{"NAME", "ENDPOINT", "WINDOW", "INTERVAL", "STATE", "LAST RUN", "LAST FIRED"}, rows)
			return nil
		},
	}
	a.addOutputFlag(c, &output)
	return c
}

func (a *app) monitorsShowCmd() *cobra.Command {
	var output, plots string
	var history int
	c := &cobra.Command{
		Use:   "show NAME",
		Short: "Show a monitor's latest result per feature, and its history",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			ctx := cmd.Context()
			ops, done, err := a.monitors(ctx)
			if err != nil {
				return err
			}
			defer done()
			m, err := ops.get(ctx, args[0])
			if err != nil {
				return err
			}
			rs, err := ops.results(ctx, args[0], history)
			if err != nil {
				return err
			}
			if output == "json" {
				return writeJSON(a.out, map[string]any{"monitor": m, "results": rs})
			}
			fmt.Fprintf(a.out, "monitor %s: endpoint %s\n  spec %s\n", m.Name, m.Endpoint, m.Spec)
			if len(rs) == 0 {
				fmt.Fprintf(a.out, "no result yet: the server evaluates it every interval; evaluate now with weir monitors run %s\n", m.Name)
				return nil
			}
			res, err := decodeResult(rs[0])
			if err != nil {
				return err
			}
			fmt.Fprintln(a.out)
			a.printResult(res)
			fmt.Fprintf(a.out, "\nhistory (newest first):\n")
			rows := make([][]string, 0, len(rs))
			for _, r := range rs {
				res, err := decodeResult(r)
				if err != nil {
					return err
				}
				share := "-"
				if res.Data != nil {
					share = fmt.Sprintf("%.2f", res.Data.Share)
				}
				rows = append(rows, []string{fmtTime(r.Time), strconv.Itoa(res.Rows), share, pick(r.Drift, "DRIFT", "no"), pick(r.Fired, "fired", "-"), firstOf(res.Reasons, res.Note, res.Error)})
			}
			table(a.out, []string{"TIME", "ROWS", "SHARE", "DRIFT", "ACTIONS", "NOTE"}, rows)
			if plots != "" {
				return a.writeMonitorPlots(ctx, ops, m.Name, res, plots)
			}
			return nil
		},
	}
	c.Flags().IntVar(&history, "history", 20, "how many results to list")
	c.Flags().StringVar(&plots, "plots", "", "write the plots (each feature's distributions, the history) as PNG files to this folder")
	a.addOutputFlag(c, &output)
	return c
}

var plotName = regexp.MustCompile(`[^A-Za-z0-9_.-]`)

func (a *app) writeMonitorPlots(ctx context.Context, ops monitorOps, name string, res *live.Result, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	names := []string{"history"}
	if res.Data != nil {
		for _, f := range res.Data.Features {
			names = append(names, f.Column)
		}
	}
	if res.Prediction != nil && res.Prediction.Feature != nil {
		names = append(names, "prediction")
	}
	for _, p := range names {
		b, err := ops.plot(ctx, name, p)
		if err != nil {
			return fmt.Errorf("plot %s: %w", p, err)
		}
		path := filepath.Join(dir, plotName.ReplaceAllString(p, "_")+".png")
		if err := os.WriteFile(path, b, 0o644); err != nil {
			return err
		}
		fmt.Fprintf(a.out, "wrote %s\n", path)
	}
	return nil
}

func (a *app) monitorsRunCmd() *cobra.Command {
	var output string
	c := &cobra.Command{
		Use:   "run NAME",
		Short: "Evaluate a monitor now (firing its actions on a transition into drift) and print the result",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			ops, done, err := a.monitors(cmd.Context())
			if err != nil {
				return err
			}
			defer done()
			r, err := ops.run(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if output == "json" {
				return writeJSON(a.out, r)
			}
			res, err := decodeResult(r)
			if err != nil {
				return err
			}
			a.printResult(res)
			return nil
		},
	}
	a.addOutputFlag(c, &output)
	return c
}

func (a *app) monitorsDeleteCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "delete NAME",
		Short: "Delete a monitor and its results",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ops, done, err := a.monitors(cmd.Context())
			if err != nil {
				return err
			}
			defer done()
			if err := ops.del(cmd.Context(), args[0]); err != nil {
				return err
			}
			fmt.Fprintf(a.out, "deleted monitor %s\n", args[0])
			return nil
		},
	}
}

func decodeResult(r client.MonitorResult) (*live.Result, error) {
	var res live.Result
	if err := json.Unmarshal(r.Result, &res); err != nil {
		return nil, fmt.Errorf("monitor %s: result %d: %w", r.Monitor, r.ID, err)
	}
	return &res, nil
}

func pick(b bool, yes, no string) string {
	if b {
		return yes
	}
	return no
}

func firstOf(reasons []string, more ...string) string {
	if len(reasons) > 0 {
		return strings.Join(reasons, "; ")
	}
	for _, s := range more {
		if s != "" {
			return s
		}
	}
	return ""
}

// printResult prints one evaluation: the window, the per-feature table, prediction drift,
// performance and the actions.
func (a *app) printResult(res *live.Result) {
	w := a.out
	model := res.Model
	if res.Version != "" {
		model += " version " + res.Version
	}
	fmt.Fprintf(w, "%s: monitor %s, endpoint %s, model %s\n", fmtTime(res.Time), res.Monitor, res.Endpoint, model)
	if res.Error != "" {
		fmt.Fprintf(w, "error: %s\n", res.Error)
		return
	}
	fmt.Fprintf(w, "window: %d rows from %d predictions (%s to %s)\n", res.Rows, res.Predictions, fmtTime(res.From), fmtTime(res.To))
	if !res.Judged {
		fmt.Fprintf(w, "not judged: %s\n", res.Note)
		return
	}
	if d := res.Data; d != nil {
		rows := make([][]string, 0, len(d.Features))
		for _, f := range d.Features {
			rows = append(rows, []string{f.Column, f.Type, string(f.Test), fmt.Sprintf("%.6g", f.Score), fmt.Sprintf("%g", f.Threshold), pick(f.Drift, "DRIFT", "no")})
		}
		table(w, []string{"FEATURE", "TYPE", "STATTEST", "SCORE", "THRESHOLD", "DRIFT"}, rows)
		fmt.Fprintf(w, "data: %d of %d features drifted (share %.2f, threshold %.2f): %s\n", d.Drifted, len(d.Features), d.Share, d.DriftShare, pick(d.Drift, "DATA SET DRIFT", "no data set drift"))
	}
	if p := res.Prediction; p != nil {
		if f := p.Feature; f != nil {
			fmt.Fprintf(w, "predictions vs %s: %s %.6g (threshold %g): %s%s\n", p.Reference, f.Test, f.Score, f.Threshold, pick(f.Drift, "DRIFT", "no drift"), pick(p.Counts, "", " (reported, not judged)"))
		} else {
			fmt.Fprintf(w, "predictions: %s\n", p.Note)
		}
	}
	if p := res.Performance; p != nil {
		switch {
		case p.Training != nil:
			fmt.Fprintf(w, "performance on %d labelled rows: %s %.6g vs %.6g at training (%+.1f%%, %.0f%% allowed): %s\n", p.Labelled, p.Metric, p.Value, *p.Training, 100*p.Degradation, 100*p.Allowed, pick(p.Degraded, "DEGRADED", "ok"))
		default:
			fmt.Fprintf(w, "performance on %d labelled rows: %s %.6g (%s)\n", p.Labelled, p.Metric, p.Value, p.Note)
		}
	}
	fmt.Fprintf(w, "verdict: %s\n", pick(res.Drift, "DRIFT — "+strings.Join(res.Reasons, "; "), "no drift"))
	for _, act := range res.Actions {
		status := "delivered"
		if !act.OK {
			status = "FAILED: " + act.Error
		}
		if act.Kind == "webhook" {
			fmt.Fprintf(w, "  webhook %s: %s (%d attempts)\n", act.Target, status, act.Attempts)
		} else {
			fmt.Fprintf(w, "  dataset event %s: %s (event %d)\n", act.Target, status, act.EventID)
		}
	}
}
