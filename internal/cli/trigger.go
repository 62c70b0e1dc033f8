package cli

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/weirhq/weir/api/client"
	"github.com/weirhq/weir/engine"
	"github.com/weirhq/weir/node"
)

// triggerCmd is `weir dags trigger`: Airflow's `airflow dags trigger`, which queues a run
// for the scheduler and returns, where `weir run` runs it in the foreground.
func (a *app) triggerCmd() *cobra.Command {
	var (
		confJSON string
		params   []string
		runID    string
	)
	c := &cobra.Command{
		Use:   "trigger DAG [--conf JSON] [--param k=v]...",
		Short: "Queue a run of a DAG for the server and return (Airflow's dags trigger); weir run runs one in the foreground",
		Long: `Create a run of the DAG and return at once, printing its run id. With --server (or
$WEIR_SERVER) the server creates and runs it; without, the run is queued in the local store
and the 'weir server' working on that store starts it. A paused DAG's triggered runs run too
(Airflow keeps them queued until the DAG is unpaused). Params are checked now: a bad value
creates nothing.`,
		Example: `  weir dags trigger train_model --param epochs=20
  weir dags trigger train_model --conf '{"epochs": 20}' --server http://127.0.0.1:8080`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			conf, kv, err := triggerInputs(confJSON, params)
			if err != nil {
				return err
			}
			if c, ok, err := a.remote(); ok {
				if err != nil {
					return err
				}
				// The server coerces the --param strings with the DAG's schema, as Trigger does here.
				run, err := c.Trigger(ctx, args[0], client.TriggerRequest{DAGRunID: runID, Conf: conf, Params: kv})
				if err != nil {
					return err
				}
				fmt.Fprintf(a.out, "queued run %s of %s on %s\n", run.DAGRunID, args[0], a.server)
				return nil
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
			n, err := node.New(a.nodeConfig(st, node.ModeRun))
			if err != nil {
				return err
			}
			run, err := n.Engine().Trigger(ctx, d, engine.TriggerOptions{RunID: runID, Conf: conf, Params: kv, Queue: true})
			if err != nil {
				return err
			}
			a.auditLocal(ctx, st, "dag_run.trigger", "dag_run", run.DAGID+"/"+run.RunID, nil, nil)
			fmt.Fprintf(a.out, "queued run %s of %s: the weir server working on %s starts it (weir runs list --dag %s)\n", run.RunID, d.ID, a.home, d.ID)
			return nil
		},
	}
	c.Flags().StringVar(&confJSON, "conf", "", "run configuration, a JSON object; keys naming params set them")
	c.Flags().StringArrayVarP(&params, "param", "p", nil, "set a param: name=value (repeatable)")
	c.Flags().StringVar(&runID, "run-id", "", "run id (default manual__<time>)")
	return c
}

// triggerInputs reads --conf (a JSON object) and --param name=value flags.
func triggerInputs(confJSON string, params []string) (map[string]any, map[string]any, error) {
	var conf map[string]any
	if confJSON != "" {
		if err := json.Unmarshal([]byte(confJSON), &conf); err != nil {
			return nil, nil, fmt.Errorf("--conf: not a JSON object: %v (example: --conf '{\"epochs\": 20}')", err)
		}
	}
	var kv map[string]any
	for _, p := range params {
		k, v, ok := strings.Cut(p, "=")
		if !ok || k == "" {
			return nil, nil, fmt.Errorf("--param %q: use --param name=value", p)
		}
		if kv == nil {
			kv = map[string]any{}
		}
		kv[k] = v
	}
	return conf, kv, nil
}
