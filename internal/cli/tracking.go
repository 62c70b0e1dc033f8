package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/weirhq/weir/api/client"
	"github.com/weirhq/weir/store"
	"github.com/weirhq/weir/tracking"
)

// trackingAPI is what the tracking commands call: the local store's tracking.Service, or
// a server's MLflow API (client.Tracking) with --server. Both return the same values, so
// one function prints each command's output whichever answered.
type trackingAPI interface {
	SearchExperiments(ctx context.Context, p tracking.SearchExperimentsParams) (*tracking.ExperimentPage, error)
	GetExperimentByName(ctx context.Context, name string) (*tracking.Experiment, error)
	GetRun(ctx context.Context, runID string) (*tracking.Run, error)
	SearchRuns(ctx context.Context, p tracking.SearchRunsParams) (*tracking.RunPage, error)
	CompareRuns(ctx context.Context, runIDs []string) (*tracking.Comparison, error)
	SearchRegisteredModels(ctx context.Context, p tracking.SearchRegistryParams) (*tracking.RegisteredModelPage, error)
	SearchModelVersions(ctx context.Context, p tracking.SearchRegistryParams) (*tracking.ModelVersionPage, error)
	GetRegisteredModel(ctx context.Context, name string) (*tracking.RegisteredModel, error)
	GetModelVersion(ctx context.Context, name, version string) (*tracking.ModelVersion, error)
	GetModelVersionByAlias(ctx context.Context, name, alias string) (*tracking.ModelVersion, error)
	SetRegisteredModelAlias(ctx context.Context, name, alias, version string) error
	DeleteRegisteredModelAlias(ctx context.Context, name, alias string) error
}

var (
	_ trackingAPI = (*tracking.Service)(nil)
	_ trackingAPI = (*client.Tracking)(nil)
)

// trackingSvc returns the tracking API: the server's with --server, else the local store's.
func (a *app) trackingSvc(ctx context.Context) (trackingAPI, func(), error) {
	if c, ok, err := a.remote(); ok {
		if err != nil {
			return nil, nil, err
		}
		return c.Tracking(), func() {}, nil
	}
	st, err := a.openStore(ctx)
	if err != nil {
		return nil, nil, err
	}
	return tracking.NewService(st.Tracking(), tracking.ServiceConfig{}), func() { st.Close() }, nil
}

// withTracking wraps a tracking command: it checks --output (when the command has one),
// opens the tracking API and closes it afterwards.
func (a *app) withTracking(output *string, fn func(cmd *cobra.Command, args []string, svc trackingAPI) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		if output != nil {
			if err := checkOutput(*output); err != nil {
				return err
			}
		}
		svc, done, err := a.trackingSvc(cmd.Context())
		if err != nil {
			return err
		}
		defer done()
		return fn(cmd, args, svc)
	}
}

func msTime(ms int64) string {
	if ms == 0 {
		return "-"
	}
	return fmtTime(time.UnixMilli(ms))
}

func msDur(start, end int64) string {
	if start == 0 || end == 0 {
		return "-"
	}
	return roundDur(time.Duration(end-start) * time.Millisecond)
}

func fmtFloat(f float64) string { return strconv.FormatFloat(f, 'g', 6, 64) }

func (a *app) experimentsCmd() *cobra.Command {
	c := &cobra.Command{Use: "experiments", Short: "Inspect experiments (MLflow's model; one per tracked DAG)"}
	var output string
	list := &cobra.Command{
		Use: "list", Short: "List experiments", Args: cobra.NoArgs,
		RunE: a.withTracking(&output, func(cmd *cobra.Command, _ []string, svc trackingAPI) error {
			page, err := svc.SearchExperiments(cmd.Context(), tracking.SearchExperimentsParams{MaxResults: 1000})
			if err != nil {
				return err
			}
			if output == "json" {
				return writeJSON(a.out, page.Experiments)
			}
			var rows [][]string
			for _, e := range page.Experiments {
				rows = append(rows, []string{e.ID, e.Name, e.ArtifactLocation, msTime(e.CreationTime)})
			}
			a.table([]string{"ID", "NAME", "ARTIFACTS", "CREATED"}, rows)
			return nil
		}),
	}
	a.addOutputFlag(list, &output)
	c.AddCommand(list)
	return c
}

func (a *app) mlrunsCmd() *cobra.Command {
	c := &cobra.Command{Use: "mlruns", Short: "Inspect tracking runs: params, metrics, tags"}
	var output, filter, orderBy string
	var limit int
	list := &cobra.Command{
		Use: "list EXPERIMENT", Short: "List an experiment's tracking runs with their metrics (MLflow filter syntax with --filter)",
		Example: `  weir mlruns list tracked_training --filter "metrics.r2 > 0.9" --order-by "metrics.r2 DESC"`,
		Args:    cobra.ExactArgs(1),
		RunE: a.withTracking(&output, func(cmd *cobra.Command, args []string, svc trackingAPI) error {
			ctx := cmd.Context()
			exp, err := svc.GetExperimentByName(ctx, args[0])
			if err != nil {
				return fmt.Errorf("experiment %q: %w (see `weir experiments list`)", args[0], err)
			}
			p := tracking.SearchRunsParams{ExperimentIDs: []string{exp.ID}, Filter: filter, MaxResults: limit}
			if orderBy != "" {
				p.OrderBy = []string{orderBy}
			}
			page, err := svc.SearchRuns(ctx, p)
			if err != nil {
				return err
			}
			if output == "json" {
				return writeJSON(a.out, page.Runs)
			}
			var rows [][]string
			for _, r := range page.Runs {
				var ms []string
				for _, m := range r.Metrics {
					ms = append(ms, m.Key+"="+fmtFloat(m.Value))
				}
				task, _ := r.Tag(tracking.TagTaskID)
				dagRun, _ := r.Tag(tracking.TagDAGRunID)
				rows = append(rows, []string{r.Info.RunID, r.Info.RunName, string(r.Info.Status), dagRun, task,
					msDur(r.Info.StartTime, r.Info.EndTime), oneLine(strings.Join(ms, " "), 60)})
			}
			a.table([]string{"RUN ID", "NAME", "STATUS", "DAG RUN", "TASK", "DURATION", "METRICS"}, rows)
			return nil
		}),
	}
	list.Flags().StringVar(&filter, "filter", "", "MLflow search filter, e.g. \"params.alpha = '1' AND metrics.r2 > 0.9\"")
	list.Flags().StringVar(&orderBy, "order-by", "", "order, e.g. \"metrics.r2 DESC\"")
	list.Flags().IntVar(&limit, "limit", 100, "at most this many runs")
	a.addOutputFlag(list, &output)

	var showOutput string
	show := &cobra.Command{
		Use: "show RUN_ID", Short: "Show a tracking run: params, latest metrics, tags", Args: cobra.ExactArgs(1),
		RunE: a.withTracking(&showOutput, func(cmd *cobra.Command, args []string, svc trackingAPI) error {
			r, err := svc.GetRun(cmd.Context(), args[0])
			if err != nil {
				return fmt.Errorf("tracking run %q: %w", args[0], err)
			}
			if showOutput == "json" {
				return writeJSON(a.out, r)
			}
			if !a.noHeader {
				fmt.Fprintf(a.out, "run %s (%s) — %s, experiment %s, started %s, took %s\nartifacts: %s\n\n", r.Info.RunID, r.Info.RunName,
					r.Info.Status, r.Info.ExperimentID, msTime(r.Info.StartTime), msDur(r.Info.StartTime, r.Info.EndTime), r.Info.ArtifactURI)
			}
			var rows [][]string
			for _, p := range r.Params {
				rows = append(rows, []string{"param", p.Key, p.Value})
			}
			for _, m := range r.Metrics {
				rows = append(rows, []string{"metric", m.Key, fmt.Sprintf("%s (step %d)", fmtFloat(m.Value), m.Step)})
			}
			for _, t := range r.Tags {
				rows = append(rows, []string{"tag", t.Key, oneLine(t.Value, 80)})
			}
			a.table([]string{"", "KEY", "VALUE"}, rows)
			return nil
		}),
	}
	a.addOutputFlag(show, &showOutput)

	var cmpOutput string
	compare := &cobra.Command{
		Use: "compare RUN_ID RUN_ID...", Short: "Compare tracking runs side by side: a row per param and metric", Args: cobra.MinimumNArgs(2),
		RunE: a.withTracking(&cmpOutput, func(cmd *cobra.Command, args []string, svc trackingAPI) error {
			cmp, err := svc.CompareRuns(cmd.Context(), args)
			if err != nil {
				return err
			}
			if cmpOutput == "json" {
				return writeJSON(a.out, cmp)
			}
			header := []string{""}
			for _, r := range cmp.Runs {
				header = append(header, r.Info.RunName+" ("+r.Info.RunID[:8]+")")
			}
			var rows [][]string
			for _, k := range cmp.ParamKeys {
				row := []string{"params." + k}
				for _, r := range cmp.Runs {
					v := "-"
					for _, p := range r.Params {
						if p.Key == k {
							v = p.Value
						}
					}
					row = append(row, v)
				}
				rows = append(rows, row)
			}
			for _, k := range cmp.MetricKeys {
				row := []string{"metrics." + k}
				for _, r := range cmp.Runs {
					v := "-"
					for _, m := range r.Metrics {
						if m.Key == k {
							v = fmtFloat(m.Value)
						}
					}
					row = append(row, v)
				}
				rows = append(rows, row)
			}
			a.table(header, rows)
			return nil
		}),
	}
	a.addOutputFlag(compare, &cmpOutput)
	c.AddCommand(list, show, compare)
	return c
}

func (a *app) modelsCmd() *cobra.Command {
	c := &cobra.Command{Use: "models", Short: "Inspect the model registry: models, versions, aliases"}
	var output string
	list := &cobra.Command{
		Use: "list", Short: "List registered models", Args: cobra.NoArgs,
		RunE: a.withTracking(&output, func(cmd *cobra.Command, _ []string, svc trackingAPI) error {
			page, err := svc.SearchRegisteredModels(cmd.Context(), tracking.SearchRegistryParams{MaxResults: 1000})
			if err != nil {
				return err
			}
			if output == "json" {
				return writeJSON(a.out, page.RegisteredModels)
			}
			var rows [][]string
			for _, m := range page.RegisteredModels {
				var aliases []string
				for _, al := range m.Aliases {
					aliases = append(aliases, al.Alias+"→v"+al.Version)
				}
				latest := "-"
				for _, v := range m.LatestVersions {
					latest = "v" + v.Version
				}
				rows = append(rows, []string{m.Name, latest, strings.Join(aliases, " "), msTime(m.LastUpdatedTime), m.Description})
			}
			a.table([]string{"MODEL", "LATEST", "ALIASES", "UPDATED", "DESCRIPTION"}, rows)
			return nil
		}),
	}
	a.addOutputFlag(list, &output)
	var vOutput string
	versions := &cobra.Command{
		Use: "versions MODEL", Short: "List a model's versions with their runs and aliases", Args: cobra.ExactArgs(1),
		RunE: a.withTracking(&vOutput, func(cmd *cobra.Command, args []string, svc trackingAPI) error {
			ctx := cmd.Context()
			page, err := svc.SearchModelVersions(ctx, tracking.SearchRegistryParams{Filter: "name = " + tracking.QuoteString(args[0]), MaxResults: 1000})
			if err != nil {
				return err
			}
			if vOutput == "json" {
				return writeJSON(a.out, page.ModelVersions)
			}
			aliases := map[string][]string{}
			if m, err := svc.GetRegisteredModel(ctx, args[0]); err == nil {
				for _, al := range m.Aliases {
					aliases[al.Version] = append(aliases[al.Version], al.Alias)
				}
			}
			var rows [][]string
			for _, v := range page.ModelVersions {
				rows = append(rows, []string{"v" + v.Version, v.CurrentStage, strings.Join(aliases[v.Version], " "), v.RunID, msTime(v.CreationTime), oneLine(v.Source, 60)})
			}
			a.table([]string{"VERSION", "STAGE", "ALIASES", "RUN", "CREATED", "SOURCE"}, rows)
			return nil
		}),
	}
	a.addOutputFlag(versions, &vOutput)
	alias := &cobra.Command{Use: "alias", Short: "Set or delete a model alias (champion, challenger…)"}
	aliasSet := &cobra.Command{
		Use: "set MODEL ALIAS VERSION", Short: "Point an alias at a version", Args: cobra.ExactArgs(3),
		RunE: a.withTracking(nil, func(cmd *cobra.Command, args []string, svc trackingAPI) error {
			v := strings.TrimPrefix(args[2], "v")
			if err := svc.SetRegisteredModelAlias(cmd.Context(), args[0], args[1], v); err != nil {
				return err
			}
			a.auditLocal(cmd.Context(), nil, "mlflow.registered-models.alias", "registered_model", args[0]+"@"+args[1], map[string]any{"version": v}, nil)
			fmt.Fprintf(a.out, "%s@%s → version %s\n", args[0], args[1], v)
			return nil
		}),
	}
	aliasDel := &cobra.Command{
		Use: "delete MODEL ALIAS", Short: "Delete an alias", Args: cobra.ExactArgs(2),
		RunE: a.withTracking(nil, func(cmd *cobra.Command, args []string, svc trackingAPI) error {
			if err := svc.DeleteRegisteredModelAlias(cmd.Context(), args[0], args[1]); err != nil {
				return err
			}
			a.auditLocal(cmd.Context(), nil, "mlflow.registered-models.alias.delete", "registered_model", args[0]+"@"+args[1], nil, nil)
			fmt.Fprintf(a.out, "%s@%s deleted\n", args[0], args[1])
			return nil
		}),
	}
	alias.AddCommand(aliasSet, aliasDel)
	c.AddCommand(list, versions, alias)
	return c
}

func (a *app) lineageCmd() *cobra.Command {
	var output string
	c := &cobra.Command{
		Use:   "lineage models:/NAME/VERSION",
		Short: "Print the chain from a model version back to its data: tracking run, task try, DAG run, datasets",
		Example: `  weir lineage models:/weir-example-model/1
  weir lineage models:/weir-example-model@champion`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			ctx := cmd.Context()
			ref, ok := strings.CutPrefix(args[0], "models:/")
			if !ok {
				return fmt.Errorf("%q: write models:/NAME/VERSION or models:/NAME@ALIAS", args[0])
			}
			svc, done, err := a.trackingSvc(ctx)
			if err != nil {
				return err
			}
			defer done()
			var mv *tracking.ModelVersion
			if name, al, isAlias := strings.Cut(ref, "@"); isAlias {
				mv, err = svc.GetModelVersionByAlias(ctx, name, al)
			} else if name, ver, ok := strings.Cut(ref, "/"); ok {
				mv, err = svc.GetModelVersion(ctx, name, ver)
			} else {
				return fmt.Errorf("%q: write models:/NAME/VERSION or models:/NAME@ALIAS", args[0])
			}
			if err != nil {
				return err
			}
			l := lineage{Model: mv.Name, Version: mv.Version, Source: mv.Source, TrackingRun: mv.RunID}
			if mv.RunID != "" {
				if r, err := svc.GetRun(ctx, mv.RunID); err == nil {
					l.DAGID, _ = r.Tag(tracking.TagDAGID)
					l.DAGRunID, _ = r.Tag(tracking.TagDAGRunID)
					l.TaskID, _ = r.Tag(tracking.TagTaskID)
					l.Try, _ = r.Tag(tracking.TagTryNumber)
					for _, m := range r.Metrics {
						l.Metrics = append(l.Metrics, m.Key+"="+fmtFloat(m.Value))
					}
					for _, in := range r.Inputs {
						l.Data = append(l.Data, describeInput(in))
					}
				}
			}
			if l.DAGID != "" {
				o, done, err := a.orchestration(ctx)
				if err == nil {
					defer done()
					if run, err := o.Run(ctx, l.DAGID, l.DAGRunID); err == nil {
						l.RunType, l.RunState = run.RunType, string(run.State)
						evs, _ := store.DecodeTriggerEvents(run.TriggerEvents)
						for _, e := range evs {
							l.Consumed = append(l.Consumed, fmt.Sprintf("%s (from %s/%s)", e.URI, orAPI(e.SourceDAGID), e.SourceRunID))
						}
					}
					if evs, err := o.DatasetEvents(ctx, store.ListEventsParams{SourceDAGID: l.DAGID, Limit: 1000}); err == nil {
						for _, e := range evs {
							if e.SourceRunID == l.DAGRunID {
								l.Produced = append(l.Produced, e.URI+" (by "+e.SourceTaskID+")")
							}
						}
					}
				}
			}
			if output == "json" {
				return writeJSON(a.out, l)
			}
			fmt.Fprintf(a.out, "model %s version %s\n  files      %s\n", l.Model, l.Version, l.Source)
			if l.TrackingRun == "" {
				fmt.Fprintln(a.out, "  (no tracking run recorded: registered without a run)")
				return nil
			}
			fmt.Fprintf(a.out, "  ← tracking run %s  %s\n", l.TrackingRun, strings.Join(l.Metrics, " "))
			for _, d := range l.Data {
				fmt.Fprintf(a.out, "  ← data %s\n", d)
			}
			if l.DAGID == "" {
				fmt.Fprintln(a.out, "  (the run was not made by a weir task)")
				return nil
			}
			fmt.Fprintf(a.out, "  ← task %s, try %s\n  ← DAG run %s of %s (%s, %s)\n", l.TaskID, l.Try, l.DAGRunID, l.DAGID, l.RunType, l.RunState)
			for _, c := range l.Consumed {
				fmt.Fprintf(a.out, "  ← triggered by dataset %s\n", c)
			}
			for _, p := range l.Produced {
				fmt.Fprintf(a.out, "  → the run updated dataset %s\n", p)
			}
			return nil
		},
	}
	a.addOutputFlag(c, &output)
	return c
}

// lineage is the chain `weir lineage` prints.
type lineage struct {
	Model       string   `json:"model"`
	Version     string   `json:"version"`
	Source      string   `json:"source"`
	TrackingRun string   `json:"tracking_run_id"`
	Metrics     []string `json:"metrics,omitempty"`
	Data        []string `json:"data,omitempty"`
	DAGID       string   `json:"dag_id,omitempty"`
	DAGRunID    string   `json:"dag_run_id,omitempty"`
	TaskID      string   `json:"task_id,omitempty"`
	Try         string   `json:"try_number,omitempty"`
	RunType     string   `json:"run_type,omitempty"`
	RunState    string   `json:"run_state,omitempty"`
	Consumed    []string `json:"datasets_consumed,omitempty"`
	Produced    []string `json:"datasets_produced,omitempty"`
}

// describeInput writes a run's dataset input (MLflow's log-inputs) as "NAME (CONTEXT,
// digest D, N rows) from SOURCE".
func describeInput(in tracking.DatasetInput) string {
	var ds struct{ Name, Digest, Source, Profile string }
	_ = json.Unmarshal(in.Dataset, &ds)
	var src struct{ URI string }
	if json.Unmarshal([]byte(ds.Source), &src) != nil || src.URI == "" {
		src.URI = ds.Source
	}
	var prof struct {
		Rows *int `json:"num_rows"`
	}
	_ = json.Unmarshal([]byte(ds.Profile), &prof)
	var facts []string
	for _, t := range in.Tags {
		if t.Key == "mlflow.data.context" {
			facts = append(facts, t.Value)
		}
	}
	if ds.Digest != "" {
		facts = append(facts, "digest "+ds.Digest)
	}
	if prof.Rows != nil {
		facts = append(facts, fmt.Sprintf("%d rows", *prof.Rows))
	}
	out := ds.Name
	if len(facts) > 0 {
		out += " (" + strings.Join(facts, ", ") + ")"
	}
	if src.URI != "" {
		out += " from " + src.URI
	}
	return out
}

func orAPI(s string) string {
	if s == "" {
		return "the API"
	}
	return s
}
