package cli

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/weirhq/weir/api/client"
	"github.com/weirhq/weir/node"
	"github.com/weirhq/weir/server"
	"github.com/weirhq/weir/store"
)

// newLogger returns the structured logger of long-running commands.
func newLogger(format, level string, w *os.File) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: use debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: use text or json", format)
}

func (a *app) serverCmd() *cobra.Command {
	var addr, logFormat, logLevel string
	var allowedHosts, trustedOrigins []string
	var parallelism int
	var grace time.Duration
	var noCache, requireAuth, privateWebhooks bool
	var oidc oidcFlags
	pausedAtCreation, pausedErr := envBool("WEIR_DAGS_PAUSED_AT_CREATION", true)
	c := &cobra.Command{
		Use:   "server",
		Short: "Run the scheduler, the executor and the HTTP API in one process",
		Long: `weir server schedules DAGs (cron, intervals, datasets), executes their runs, watches the
DAG folder for new, changed and removed files, and serves the REST API (/api/v1, specified in
/api/v1/openapi.json) and Prometheus metrics (/metrics).

Authentication: once 'weir tokens create' made a token or 'weir users create' a user (or with
--auth), every request but GET /metrics and /api/v1/health needs a credential (Bearer, Basic
with a token or a user's password, a session cookie; --oidc-* adds OIDC login); tracked
command tasks get their own. Without it the server listens on loopback only. See
docs/security.md.

SIGTERM or Ctrl-C stops it softly: no new work starts, running tasks get the grace period to
finish, then are stopped and run again at the next start. Killing it (even kill -9) loses
nothing: the next start resumes every run.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if err := a.localOnly(cmd); err != nil {
				return err
			}
			if pausedErr != nil && !cmd.Flags().Changed("dags-paused-at-creation") {
				return pausedErr
			}
			log, err := newLogger(logFormat, logLevel, os.Stderr)
			if err != nil {
				return err
			}
			st, err := a.openStore(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			cfg := a.nodeConfig(st, node.ModeServer)
			cfg.Addr, cfg.Parallelism, cfg.Logger, cfg.GracePeriod = addr, parallelism, log, grace
			cfg.AllowedHosts, cfg.TrustedOrigins = allowedHosts, trustedOrigins
			cfg.NoCache, cfg.Auth = noCache, requireAuth
			cfg.DAGsPausedAtCreation = pausedAtCreation
			cfg.Monitors.AllowPrivateWebhooks = privateWebhooks
			if cfg.OIDC, err = oidc.config(); err != nil {
				return err
			}
			srv, err := node.New(cfg)
			if err != nil {
				return err
			}
			if err := srv.Start(context.WithoutCancel(ctx)); err != nil {
				return err
			}
			fmt.Fprintf(a.out, "weir server listening on http://%s (DAGs from %s, store %s)\n", srv.Addr(), a.dagsDir, a.home)
			<-ctx.Done()
			fmt.Fprintf(a.out, "stopping: running tasks have %s to finish\n", grace)
			srv.Stop()
			return nil
		},
	}
	c.Flags().StringVar(&addr, "addr", envOr("WEIR_ADDR", "127.0.0.1:8080"), "HTTP listen address ($WEIR_ADDR)")
	c.Flags().IntVar(&parallelism, "parallelism", 32, "how many tasks may run at once")
	c.Flags().BoolVar(&noCache, "no-cache", false, "run tasks with cache: true even when a cached result matches (their results replace it)")
	c.Flags().StringSliceVar(&allowedHosts, "allowed-hosts", envList("WEIR_ALLOWED_HOSTS"),
		"host names this server answers to besides localhost, 127.0.0.1, ::1 and the --addr host ($WEIR_ALLOWED_HOSTS, comma-separated); refuses others (DNS rebinding)")
	c.Flags().StringSliceVar(&trustedOrigins, "trusted-origins", envList("WEIR_TRUSTED_ORIGINS"),
		"origins (scheme://host[:port]) allowed to send state-changing cross-origin requests ($WEIR_TRUSTED_ORIGINS)")
	c.Flags().BoolVar(&requireAuth, "auth", false,
		"require a credential on every request but GET /metrics and /api/v1/health (on by itself once a token or user exists; required to listen on a non-loopback address)")
	addOIDCFlags(c, &oidc)
	c.Flags().BoolVar(&privateWebhooks, "monitor-webhooks-private", false, "let monitors' webhooks reach loopback, private and link-local addresses (refused by default)")
	c.Flags().DurationVar(&grace, "grace-period", 30*time.Second, "how long running tasks may finish after SIGTERM")
	c.Flags().BoolVar(&pausedAtCreation, "dags-paused-at-creation", pausedAtCreation,
		"record a DAG seen for the first time as paused, as Airflow's dags_are_paused_at_creation (default true, Airflow's); 'weir dags unpause DAG' schedules it ($WEIR_DAGS_PAUSED_AT_CREATION)")
	c.Flags().StringVar(&logFormat, "log-format", "text", "log format: text or json")
	c.Flags().StringVar(&logLevel, "log-level", "info", "log level: debug, info, warn or error")
	return c
}

func (a *app) backfillCmd() *cobra.Command {
	var from, to string
	c := &cobra.Command{
		Use:   "backfill DAG --from DATE --to DATE",
		Short: "Run a DAG for every data interval of its schedule starting between two dates",
		Long: `Create and run, in the foreground, one run per data interval of the DAG's schedule whose
start lies between --from and --to (inclusive), at most max_active_runs at a time, with a
progress bar. Intervals that already have a backfill run are skipped.`,
		Example: `  weir backfill daily_features --from 2026-01-01 --to 2026-01-31`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			start, err := parseDate(from, "--from")
			if err != nil {
				return err
			}
			end, err := parseDate(to, "--to")
			if err != nil {
				return err
			}
			if end.Before(start) {
				return fmt.Errorf("--to %s is before --from %s", to, from)
			}
			if c, ok, err := a.remote(); ok {
				if err != nil {
					return err
				}
				return a.remoteBackfill(ctx, c, args[0], start, end)
			}
			d, err := a.findDAG(args[0])
			if err != nil {
				return err
			}
			st, err := a.openStore(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			n, err := node.New(a.nodeConfig(st, node.ModeBackfill))
			if err != nil {
				return err
			}
			if err := n.Start(context.WithoutCancel(ctx)); err != nil {
				return err
			}
			defer n.Stop()
			eng := n.Engine()
			var bar *progressbar.ProgressBar
			failed := 0
			err = server.Backfill(ctx, eng, d, start, end, func(done, total int, run *store.DAGRun) {
				if bar == nil {
					bar = progressbar.NewOptions(total, progressbar.OptionSetWriter(a.errOut),
						progressbar.OptionSetDescription("backfill "+d.ID), progressbar.OptionShowCount(),
						progressbar.OptionSetPredictTime(true))
				}
				_ = bar.Set(done)
				if run != nil && run.State == store.RunFailed {
					failed++
				}
			})
			if bar != nil {
				_ = bar.Finish()
				fmt.Fprintln(a.errOut)
			}
			a.auditLocal(ctx, st, "dag.backfill", "dag", d.ID, map[string]any{"start_date": start, "end_date": end}, err)
			if err != nil {
				return err
			}
			runs, _ := st.ListRuns(ctx, store.ListRunsParams{DAGID: d.ID, Limit: 100000})
			return a.printBackfill(runs, start, end, failed)
		},
	}
	c.Flags().StringVar(&from, "from", "", "first logical date (2026-01-01 or RFC 3339)")
	c.Flags().StringVar(&to, "to", "", "last logical date")
	_ = c.MarkFlagRequired("from")
	_ = c.MarkFlagRequired("to")
	return c
}

// printBackfill prints the backfill runs among runs whose logical date lies between start
// and end; failed runs make exit code 1. The local and the remote backfill print through it.
func (a *app) printBackfill(runs []*store.DAGRun, start, end time.Time, failed int) error {
	var rows [][]string
	color := colors(a.out)
	for _, r := range runs {
		if r.RunType != "backfill" || r.LogicalDate.Before(start) || r.LogicalDate.After(end) {
			continue
		}
		rows = append(rows, []string{r.RunID, r.LogicalDate.UTC().Format(time.RFC3339), paint(color, string(r.State)), fmtDur(r.StartedAt, r.EndedAt)})
	}
	a.table([]string{"RUN ID", "LOGICAL DATE", "STATE", "DURATION"}, rows)
	if failed > 0 {
		fmt.Fprintf(a.out, "\n%d run(s) failed; see `weir tasks list RUN_ID`\n", failed)
		return &ExitError{Code: 1}
	}
	return nil
}

// remoteBackfill starts a backfill on the server and follows its runs with a progress bar
// until all have ended.
func (a *app) remoteBackfill(ctx context.Context, c *client.Client, dagID string, start, end time.Time) error {
	bf, err := c.Backfill(ctx, dagID, start, end)
	if err != nil {
		return err
	}
	want := map[string]bool{}
	for _, id := range bf.RunIDs {
		want[id] = true
	}
	bar := progressbar.NewOptions(len(bf.RunIDs), progressbar.OptionSetWriter(a.errOut),
		progressbar.OptionSetDescription("backfill "+dagID+" on "+a.server), progressbar.OptionShowCount(), progressbar.OptionSetPredictTime(true))
	for {
		list, err := c.ListRuns(ctx, dagID, client.ListRunsOptions{ListOptions: client.ListOptions{Limit: max(allRows, len(bf.RunIDs))}, RunTypes: []string{"backfill"}})
		if err != nil {
			return err
		}
		var runs []*store.DAGRun
		done, failed := 0, 0
		for i := range list.DAGRuns {
			r := storeRun(&list.DAGRuns[i])
			runs = append(runs, r)
			if !want[r.RunID] || r.RunType != "backfill" {
				continue
			}
			switch r.State {
			case store.RunSuccess:
				done++
			case store.RunFailed:
				done++
				failed++
			}
		}
		_ = bar.Set(done)
		if done == len(bf.RunIDs) {
			_ = bar.Finish()
			fmt.Fprintln(a.errOut)
			return a.printBackfill(runs, start, end, failed)
		}
		select {
		case <-ctx.Done():
			fmt.Fprintf(a.errOut, "\nstopped following; the backfill goes on on the server: weir runs list --dag %s --server %s\n", dagID, a.server)
			return &ExitError{Code: 130}
		case <-time.After(300 * time.Millisecond):
		}
	}
}

func parseDate(s, flag string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%s %q: write a date such as 2026-01-31 or 2026-01-31T06:00:00Z", flag, s)
}

func (a *app) pauseCmd(paused bool) *cobra.Command {
	verb := map[bool]string{true: "pause", false: "unpause"}[paused]
	return &cobra.Command{
		Use:   verb + " DAG",
		Short: strings.ToUpper(verb[:1]) + verb[1:] + " a DAG's scheduling (manual triggers still work)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if c, ok, err := a.remote(); ok {
				if err != nil {
					return err
				}
				if _, err := c.SetPaused(ctx, args[0], paused); err != nil {
					return err
				}
				fmt.Fprintf(a.out, "dag %s %sd on %s\n", args[0], verb, a.server)
				return nil
			}
			st, err := a.openStore(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			if _, err := st.GetDAG(ctx, args[0]); err != nil {
				d, ferr := a.findDAG(args[0])
				if ferr != nil {
					return ferr
				}
				if err := st.UpsertDAG(ctx, &store.DAGMeta{DAGID: d.ID, Source: d.Source, Schedule: d.Schedule, IsActive: true, IsPaused: paused}); err != nil {
					return err
				}
			}
			if err := st.SetPaused(ctx, args[0], paused); err != nil {
				return err
			}
			a.auditLocal(ctx, st, "dag.update", "dag", args[0], map[string]any{"is_paused": paused}, nil)
			fmt.Fprintf(a.out, "dag %s %sd\n", args[0], verb)
			return nil
		},
	}
}

func (a *app) datasetsCmd() *cobra.Command {
	c := &cobra.Command{Use: "datasets", Short: "Inspect datasets, their producers, consumers and events"}
	var output string
	list := &cobra.Command{
		Use: "list", Short: "List datasets with the tasks that update them and the DAGs scheduled on them", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			o, done, err := a.orchestration(cmd.Context())
			if err != nil {
				return err
			}
			defer done()
			rows, err := o.Datasets(cmd.Context())
			if err != nil {
				return err
			}
			if rows == nil {
				rows = []datasetRow{}
			}
			if output == "json" {
				return writeJSON(a.out, rows)
			}
			var out [][]string
			for _, r := range rows {
				upd := "never"
				if r.UpdatedAt != nil {
					upd = fmtTime(*r.UpdatedAt)
				}
				out = append(out, []string{r.URI, strings.Join(r.Producers, ", "), strings.Join(r.Consumers, ", "), upd})
			}
			a.table([]string{"DATASET", "PRODUCERS (DAG.TASK)", "CONSUMERS (DAGS)", "LAST UPDATE"}, out)
			return nil
		},
	}
	a.addOutputFlag(list, &output)
	var uri string
	var limit int
	var output2 string
	events := &cobra.Command{
		Use: "events", Short: "List dataset events, newest first", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(output2); err != nil {
				return err
			}
			o, done, err := a.orchestration(cmd.Context())
			if err != nil {
				return err
			}
			defer done()
			evs, err := o.DatasetEvents(cmd.Context(), store.ListEventsParams{URI: uri, Limit: limit})
			if err != nil {
				return err
			}
			if output2 == "json" {
				if evs == nil {
					evs = []*store.DatasetEvent{}
				}
				return writeJSON(a.out, evs)
			}
			var rows [][]string
			for _, e := range evs {
				src := "api"
				if e.SourceDAGID != "" {
					src = e.SourceDAGID + "/" + e.SourceRunID + "/" + e.SourceTaskID
				}
				rows = append(rows, []string{fmt.Sprint(e.ID), e.URI, fmtTime(e.Timestamp), src, oneLine(string(e.Extra), 50)})
			}
			a.table([]string{"ID", "DATASET", "TIME", "SOURCE", "EXTRA"}, rows)
			return nil
		},
	}
	events.Flags().StringVar(&uri, "uri", "", "only events of this dataset")
	events.Flags().IntVar(&limit, "limit", 50, "at most this many events")
	a.addOutputFlag(events, &output2)
	c.AddCommand(list, events)
	return c
}

// envList splits a comma-separated environment variable; nil when unset.
// envBool reads a boolean environment variable (1, t, true, 0, f, false…), def when unset.
func envBool(name string, def bool) (bool, error) {
	v := os.Getenv(name)
	if v == "" {
		return def, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return def, fmt.Errorf("$%s=%q: want true or false", name, v)
	}
	return b, nil
}

func envList(name string) []string {
	v := os.Getenv(name)
	if v == "" {
		return nil
	}
	return strings.Split(v, ",")
}
