// Package deploy is the model.deploy task kind: it creates or replaces a serving
// deployment (store.Deployment) — an endpoint bound to a model reference, with an optional
// canary share or shadow — after checking that every reference loads. A weir server picks
// the deployment up within a second (package serve).
package deploy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/weirhq/weir/dag"
	"github.com/weirhq/weir/executor"
	"github.com/weirhq/weir/serve"
	"github.com/weirhq/weir/steps/stepio"
	"github.com/weirhq/weir/store"
)

// Name is the kind's name.
const Name = "model.deploy"

// Spec is a model.deploy task's fields.
type Spec struct {
	Endpoint    string `yaml:"endpoint" template:"true" required:"the endpoint's name (served at /serve/NAME/invocations)" doc:"The endpoint's name: /serve/NAME/invocations, /v2/models/NAME/infer."`
	Model       string `yaml:"model" template:"true" required:"the model reference to serve, such as models:/NAME@champion" doc:"The reference answering requests: models:/NAME@ALIAS (followed as the alias moves), models:/NAME/VERSION, runs:/RUN_ID/model or a model file."`
	Canary      string `yaml:"canary" template:"true" doc:"A second reference answering weight percent of the requests (the challenger of a canary phase)."`
	Weight      int    `yaml:"weight" doc:"The canary's share of the requests, in percent (default 10 with a canary)."`
	Shadow      string `yaml:"shadow" template:"true" doc:"A reference that sees every request; its answers are recorded, not returned."`
	Description string `yaml:"description" template:"true" doc:"Free text."`
}

// Kind returns the model.deploy registration. deps.Store is where the deployment is
// written; the references are read through deps (tracking registry, artifact store).
func Kind(deps stepio.Deps) executor.Registration {
	return executor.Registration{
		Def: dag.KindDef{
			Name:     Name,
			Doc:      "Creates or replaces a serving deployment: an endpoint bound to a model reference, with an optional canary share or shadow; every reference is loaded first.",
			New:      func() any { return &Spec{} },
			Validate: validate,
		},
		Run: executor.KindFunc(func(ctx context.Context, job *executor.Job) executor.Result {
			return run(ctx, deps, job)
		}),
	}
}

func validate(c *dag.KindCheck, spec any) {
	s := spec.(*Spec)
	if s.Weight < 0 || s.Weight > 100 {
		c.Errorf("weight", "want a percentage from 0 to 100, got %d", s.Weight)
	}
	if s.Weight != 0 && s.Canary == "" {
		c.Errorf("weight", "needs canary: the reference that takes that share of the requests")
	}
}

func fail(err error) executor.Result {
	return executor.Result{Outcome: executor.FailedNoRetry, Err: fmt.Errorf("model.deploy: %w", err)}
}

// Output is a model.deploy task's output.
type Output struct {
	// Endpoint is the deployment's name.
	Endpoint string `json:"endpoint"`
	// Model, Canary and Shadow are the references as stored; Weight is the canary's share.
	Model  string `json:"model"`
	Canary string `json:"canary,omitempty"`
	Weight int    `json:"weight,omitempty"`
	Shadow string `json:"shadow,omitempty"`
	// Versions maps each reference to the registered model version it names now ("" for
	// a model outside the registry).
	Versions map[string]string `json:"versions"`
	// Invocations is the path of the endpoint's MLflow scoring route.
	Invocations string `json:"invocations"`
}

func run(ctx context.Context, deps stepio.Deps, job *executor.Job) executor.Result {
	s, ok := job.Task.Spec.(*Spec)
	if !ok {
		return fail(fmt.Errorf("spec is %T", job.Task.Spec))
	}
	if deps.Store == nil {
		return fail(errors.New("this node has no store to write deployments to"))
	}
	d := &store.Deployment{Name: s.Endpoint, Model: s.Model, Canary: s.Canary, CanaryWeight: s.Weight, Shadow: s.Shadow,
		Description: s.Description}
	if d.Canary != "" && d.CanaryWeight == 0 {
		d.CanaryWeight = 10
	}
	if err := d.Check(); err != nil {
		return fail(err)
	}
	o, err := stepio.New(deps, job)
	if err != nil {
		return fail(err)
	}
	out := Output{Endpoint: d.Name, Model: d.Model, Canary: d.Canary, Weight: d.CanaryWeight, Shadow: d.Shadow,
		Versions: map[string]string{}, Invocations: "/serve/" + d.Name + "/invocations"}
	for _, ref := range []string{d.Model, d.Canary, d.Shadow} {
		if ref == "" {
			continue
		}
		src, err := serve.CheckModel(ctx, o, ref)
		if err != nil {
			return fail(fmt.Errorf("endpoint %s: the server could not load %s: %w", d.Name, ref, err))
		}
		out.Versions[ref] = src.Version
	}
	err = deps.Store.PutDeployment(ctx, d)
	o.Audit(ctx, "deployment.put", "deployment", d.Name, map[string]any{"model": d.Model, "canary": d.Canary,
		"canary_weight": d.CanaryWeight, "shadow": d.Shadow, "versions": out.Versions}, err)
	if err != nil {
		return executor.Result{Outcome: executor.Failed, Err: fmt.Errorf("model.deploy: endpoint %s: %w", d.Name, err)}
	}
	b, err := json.Marshal(out)
	if err != nil {
		return fail(err)
	}
	return executor.Result{Outcome: executor.Succeeded, Output: b}
}
