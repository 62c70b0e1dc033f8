package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/weirhq/weir/api/client"
	"github.com/weirhq/weir/executor"
	"github.com/weirhq/weir/serve"
	"github.com/weirhq/weir/steps/stepio"
	"github.com/weirhq/weir/store"
	"github.com/weirhq/weir/store/sqlite"
	"github.com/weirhq/weir/tracking"
)

// deploymentJSON is one deployment of `weir deployments list -o json` and `weir deploy`.
type deploymentJSON = client.Deployment

func deploymentOf(d *store.Deployment) deploymentJSON {
	return client.Deployment{Name: d.Name, Model: d.Model, Canary: d.Canary, CanaryWeight: d.CanaryWeight,
		Shadow: d.Shadow, Description: d.Description, CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt}
}

func (a *app) deployCmd() *cobra.Command {
	var model, canary, shadow, description, output string
	var weight int
	c := &cobra.Command{
		Use:   "deploy NAME --model REF [--canary REF --weight 10 | --shadow REF]",
		Short: "Serve a model at an endpoint (create or replace a deployment)",
		Long: `Deploy binds the endpoint NAME to a model reference: models:/NAME@ALIAS (followed as the
alias moves), models:/NAME/VERSION, runs:/RUN_ID/PATH or a model file. A running weir server
picks the deployment up within a second and answers at

  POST /serve/NAME/invocations      (MLflow's scoring protocol)
  POST /v2/models/NAME/infer        (Open Inference Protocol)

--canary sends --weight percent of the requests to a second reference; --shadow sends every
request to a second reference too, recording its answers without returning them. Promote a
challenger by moving the alias (or deploying again without --canary).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			if model == "" {
				return errors.New("--model is required: the reference to serve, such as models:/NAME@champion")
			}
			if cmd.Flags().Changed("weight") && canary == "" {
				return errors.New("--weight needs --canary: the reference that takes that share of the traffic")
			}
			if canary == "" {
				weight = 0
			}
			d := &store.Deployment{Name: args[0], Model: model, Canary: canary, CanaryWeight: weight, Shadow: shadow,
				Description: description}
			if err := d.Check(); err != nil {
				return err
			}
			out, err := a.putDeployment(cmd.Context(), d)
			if err != nil {
				return err
			}
			if output == "json" {
				return writeJSON(a.out, out)
			}
			fmt.Fprintf(a.out, "deployed %s: %s\n", out.Name, describeDeployment(out))
			fmt.Fprintf(a.out, "  POST /serve/%s/invocations   POST /v2/models/%s/infer\n", out.Name, out.Name)
			return nil
		},
	}
	c.Flags().StringVar(&model, "model", "", "the model reference answering requests (models:/NAME@ALIAS, models:/NAME/VERSION, runs:/…, a file)")
	c.Flags().StringVar(&canary, "canary", "", "a second reference answering --weight percent of the requests")
	c.Flags().IntVar(&weight, "weight", 10, "the canary's share of the requests, in percent")
	c.Flags().StringVar(&shadow, "shadow", "", "a reference that sees every request; its answers are recorded, not returned")
	c.Flags().StringVar(&description, "description", "", "free text")
	c.MarkFlagsMutuallyExclusive("canary", "shadow")
	a.addOutputFlag(c, &output)
	return c
}

func describeDeployment(d deploymentJSON) string {
	s := d.Model
	if d.Canary != "" {
		s += fmt.Sprintf(" (%d%%), canary %s (%d%%)", 100-d.CanaryWeight, d.Canary, d.CanaryWeight)
	}
	if d.Shadow != "" {
		s += ", shadow " + d.Shadow
	}
	return s
}

func (a *app) putDeployment(ctx context.Context, d *store.Deployment) (deploymentJSON, error) {
	c, remote, err := a.remote()
	if err != nil {
		return deploymentJSON{}, err
	}
	if remote {
		out, err := c.PutDeployment(ctx, d.Name, client.DeploymentBody{Model: d.Model, Canary: d.Canary,
			CanaryWeight: d.CanaryWeight, Shadow: d.Shadow, Description: d.Description})
		if err != nil {
			return deploymentJSON{}, err
		}
		return *out, nil
	}
	st, err := a.openStore(ctx)
	if err != nil {
		return deploymentJSON{}, err
	}
	defer st.Close()
	a.checkModelRefs(ctx, st, d)
	if err := st.PutDeployment(ctx, d); err != nil {
		return deploymentJSON{}, err
	}
	a.auditLocal(ctx, st, "deployment.put", "deployment", d.Name, map[string]any{"model": d.Model, "canary": d.Canary, "shadow": d.Shadow}, nil)
	return deploymentOf(d), nil
}

// checkModelRefs loads every reference of a deployment as the server will (as the
// model.deploy step does) and warns, on stderr, of one that names no model yet: the
// deployment is still written (deploying models:/NAME@champion before the first training is
// legitimate), but its endpoint answers 503 until the model exists.
func (a *app) checkModelRefs(ctx context.Context, st *sqlite.Store, d *store.Deployment) {
	root := filepath.Join(a.home, "artifacts")
	art, err := tracking.OpenArtifactStore(ctx, root, 0)
	if err != nil {
		return
	}
	defer art.Close()
	wd, _ := os.Getwd()
	o, err := stepio.New(stepio.Deps{Artifacts: art, ArtifactRoot: root, Store: st,
		Tracking: tracking.NewService(st.Tracking(), tracking.ServiceConfig{})}, &executor.Job{Dir: wd, MapIndex: -1})
	if err != nil {
		return
	}
	for _, f := range []struct{ flag, ref string }{{"--model", d.Model}, {"--canary", d.Canary}, {"--shadow", d.Shadow}} {
		if f.ref == "" {
			continue
		}
		if _, err := serve.CheckModel(ctx, o, f.ref); err != nil {
			fmt.Fprintf(a.errOut, "warning: %s %s does not load now: %v\n  the endpoint answers 503 until it does (list models with `weir models list`)\n", f.flag, f.ref, err)
		}
	}
}

func (a *app) deploymentsCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "deployments",
		Short: "List and delete model serving deployments (see weir deploy)",
	}
	var output string
	list := &cobra.Command{
		Use:   "list",
		Short: "List deployments, by name",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			ds, err := a.listDeployments(cmd.Context())
			if err != nil {
				return err
			}
			if output == "json" {
				return writeJSON(a.out, ds)
			}
			rows := make([][]string, 0, len(ds))
			for _, d := range ds {
				canary := "-"
				if d.Canary != "" {
					canary = d.Canary + " " + strconv.Itoa(d.CanaryWeight) + "%"
				}
				shadow := d.Shadow
				if shadow == "" {
					shadow = "-"
				}
				rows = append(rows, []string{d.Name, d.Model, canary, shadow, fmtTime(d.UpdatedAt)})
			}
			a.table([]string{"NAME", "MODEL", "CANARY", "SHADOW", "UPDATED"}, rows)
			return nil
		},
	}
	a.addOutputFlag(list, &output)
	del := &cobra.Command{
		Use:   "delete NAME",
		Short: "Delete a deployment: its endpoint stops answering within a second",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			c, remote, err := a.remote()
			if err != nil {
				return err
			}
			if remote {
				err = c.DeleteDeployment(ctx, args[0])
			} else {
				st, oerr := a.openStore(ctx)
				if oerr != nil {
					return oerr
				}
				defer st.Close()
				err = st.DeleteDeployment(ctx, args[0])
				if err == nil {
					a.auditLocal(ctx, st, "deployment.delete", "deployment", args[0], nil, nil)
				}
				if errors.Is(err, store.ErrNotFound) {
					err = fmt.Errorf("no deployment %q (see weir deployments list)", args[0])
				}
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(a.out, "deleted deployment %s\n", args[0])
			return nil
		},
	}
	c.AddCommand(list, del, a.compareCmd())
	return c
}

func (a *app) listDeployments(ctx context.Context) ([]deploymentJSON, error) {
	c, remote, err := a.remote()
	if err != nil {
		return nil, err
	}
	out := []deploymentJSON{}
	if remote {
		for offset := 0; ; {
			page, err := c.ListDeployments(ctx, client.ListOptions{Limit: 100, Offset: offset})
			if err != nil {
				return nil, err
			}
			out = append(out, page.Deployments...)
			offset += len(page.Deployments)
			if len(page.Deployments) == 0 || offset >= page.TotalEntries {
				return out, nil
			}
		}
	}
	st, err := a.openStore(ctx)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	ds, err := st.ListDeployments(ctx)
	if err != nil {
		return nil, err
	}
	for _, d := range ds {
		out = append(out, deploymentOf(d))
	}
	return out, nil
}
