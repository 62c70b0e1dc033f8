package approval

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/weirhq/weir/audit"
	"github.com/weirhq/weir/auth"
	"github.com/weirhq/weir/dag"
	"github.com/weirhq/weir/executor"
	"github.com/weirhq/weir/store"
)

// Name is the kind's name.
const Name = "approval"

// The options of an approval gate (Airflow's ApprovalOperator.APPROVE and REJECT).
const (
	Approve = "Approve"
	Reject  = "Reject"
)

// DefaultPokeInterval is how often a waiting approval reads its row when nobody wakes it.
const DefaultPokeInterval = 5 * time.Second

// DefaultRole is the least role that may answer.
const DefaultRole = "operator"

// Spec is an approval task's fields (Airflow's HITLOperator arguments).
type Spec struct {
	Subject        string            `yaml:"subject" template:"true" required:"the question shown to the people asked" doc:"The headline shown to the people asked."`
	Body           string            `yaml:"body" template:"true" doc:"The details they need to decide (Markdown)."`
	Options        []string          `yaml:"options" doc:"The answers to choose from (default Approve, Reject)."`
	Defaults       []string          `yaml:"defaults,single" doc:"The options taken when the timeout passes unanswered; without them the task then fails."`
	Multiple       bool              `yaml:"multiple" doc:"Allow choosing more than one option."`
	Params         map[string]any    `yaml:"params" doc:"Values the answerer may fill in, name: default; they appear in the output's params_input."`
	Timeout        dag.Duration      `yaml:"timeout" doc:"How long to wait for an answer (Airflow's execution_timeout); default: until answered."`
	AssignedUsers  []string          `yaml:"assigned_users,single" doc:"When set, only these users (or token names) may answer."`
	Role           string            `yaml:"role" doc:"The role that may answer (or any role with its rights): operator (default), ml-engineer, editor or admin."`
	FailOnReject   bool              `yaml:"fail_on_reject" doc:"Fail the task on Reject instead of skipping its direct downstream tasks."`
	Branch         bool              `yaml:"branch" doc:"Follow the chosen options as the downstream task IDs to run, skipping the others (Airflow's HITLBranchOperator)."`
	OptionsMapping map[string]string `yaml:"options_mapping" doc:"With branch: the task or group ID each option follows (default: the option itself)."`
	PokeInterval   dag.Duration      `yaml:"poke_interval" doc:"How often the waiting task checks for an answer (default 5s); an answer through the server wakes it at once."`
}

// options returns the spec's options, the defaults filled in.
func (s *Spec) options() []string {
	if len(s.Options) == 0 {
		return []string{Approve, Reject}
	}
	return s.Options
}

// roleNeeds maps the roles a task may ask for to the actions (package auth) an answerer's
// role must allow: operator needs operate rights, ml-engineer ML rights, editor both,
// admin admin rights. ml_engineer is accepted for ml-engineer.
var roleNeeds = map[string][]auth.Action{
	"operator":    {auth.ActionOperate},
	"ml-engineer": {auth.ActionML},
	"ml_engineer": {auth.ActionML},
	"editor":      {auth.ActionOperate, auth.ActionML},
	"admin":       {auth.ActionAdmin},
}

func validate(c *dag.KindCheck, spec any) {
	s := spec.(*Spec)
	opts := s.options()
	seen := map[string]bool{}
	for _, o := range opts {
		if o == "" {
			c.Errorf("options", "an option is empty")
		}
		if seen[o] {
			c.Errorf("options", "option %q appears twice", o)
		}
		seen[o] = true
	}
	for _, d := range s.Defaults {
		if !seen[d] {
			c.Errorf("defaults", "default %q is not one of the options (%s)", d, strings.Join(opts, ", "))
		}
	}
	if !s.Multiple && len(s.Defaults) > 1 {
		c.Errorf("defaults", "%d defaults without multiple: true; give one", len(s.Defaults))
	}
	if _, ok := roleNeeds[s.Role]; s.Role != "" && !ok {
		c.Errorf("role", "unknown role %q: want operator, ml-engineer, editor or admin", s.Role)
	}
	if s.Timeout < 0 {
		c.Errorf("timeout", "must not be negative")
	}
	if s.PokeInterval < 0 {
		c.Errorf("poke_interval", "must not be negative")
	}
	for k := range s.OptionsMapping {
		if !seen[k] {
			c.Errorf("options_mapping", "key %q is not one of the options (%s)", k, strings.Join(opts, ", "))
		}
	}
	if len(s.OptionsMapping) > 0 && !s.Branch {
		c.Errorf("options_mapping", "applies with branch: true only")
	}
	if s.Branch && s.FailOnReject {
		c.Errorf("fail_on_reject", "does not apply with branch: true (every option is a branch)")
	}
}

// Deps are what the kind needs.
type Deps struct {
	// Store keeps the approval rows and the audit log. Required to run (tasks fail without
	// retry without it).
	Store store.Store
	// Clock returns the current time. Default time.Now.
	Clock func() time.Time
}

// Kind returns the approval kind's registration.
func Kind(deps Deps) executor.Registration {
	if deps.Clock == nil {
		deps.Clock = time.Now
	}
	return executor.Registration{
		Def: dag.KindDef{
			Name:     Name,
			Doc:      "Waits, without holding a worker slot, for a person with the right role to choose an option (Approve or Reject by default), with a comment; the choice is the task's output (Airflow's human-in-the-loop operators).",
			New:      func() any { return &Spec{} },
			Validate: validate,
			Repokes:  true,
		},
		Run: executor.KindFunc(func(ctx context.Context, job *executor.Job) executor.Result {
			return run(ctx, deps, job)
		}),
	}
}

// Output is an approval task's output.
type Output struct {
	// ChosenOptions are the options chosen.
	ChosenOptions []string `json:"chosen_options"`
	// ParamsInput are the params, as filled in (their defaults otherwise).
	ParamsInput map[string]any `json:"params_input"`
	// Comment is the answerer's comment.
	Comment string `json:"comment"`
	// RespondedBy names who answered ("weir" for a timeout's defaults).
	RespondedBy string `json:"responded_by"`
	// RespondedAt is when.
	RespondedAt time.Time `json:"responded_at"`
	// TimedOut is true when the defaults were taken at the timeout.
	TimedOut bool `json:"timed_out"`
}

func fail(format string, args ...any) executor.Result {
	return executor.Result{Outcome: executor.FailedNoRetry, Err: fmt.Errorf("approval: "+format, args...)}
}

func run(ctx context.Context, deps Deps, job *executor.Job) executor.Result {
	s, ok := job.Task.Spec.(*Spec)
	if !ok {
		return fail("task %s: spec is %T", job.TaskID, job.Task.Spec)
	}
	if deps.Store == nil {
		return fail("task %s: this node has no store to keep the approval request in", job.TaskID)
	}
	log := job.Log
	if log == nil {
		log = io.Discard
	}
	now := deps.Clock()
	interval := s.PokeInterval.D()
	if interval <= 0 {
		interval = DefaultPokeInterval
	}
	var a *store.Approval
	if job.Rescheduled {
		var err error
		a, err = deps.Store.GetApproval(ctx, job.DAGID, job.RunID, job.TaskID, job.MapIndex)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return executor.Result{Outcome: executor.Failed, Err: fmt.Errorf("approval: read the request: %w", err)}
		}
	}
	if a == nil { // the try's first start: ask
		var err error
		if a, err = ask(ctx, deps, job, s, now); err != nil {
			return executor.Result{Outcome: executor.Failed, Err: err}
		}
		fmt.Fprintf(log, "asked: %s (options: %s); answer with `weir approvals approve|reject %s %s %s`%s\n",
			a.Subject, strings.Join(a.Options, ", "), job.DAGID, job.RunID, job.TaskID, mapArg(job.MapIndex))
	}
	if a.State == store.ApprovalPending && !a.TimeoutAt.IsZero() && !now.Before(a.TimeoutAt) {
		if len(a.Defaults) == 0 {
			return fail("no answer within the timeout (%s) and no defaults to take", s.Timeout.D())
		}
		got, err := deps.Store.RespondApproval(ctx, job.DAGID, job.RunID, job.TaskID, job.MapIndex, store.ApprovalResponse{
			State: store.ApprovalTimedOut, ChosenOptions: a.Defaults, ParamsInput: defaultParams(a.Params),
			RespondedBy: "weir", RespondedByKind: audit.KindSystem, RespondedAt: now})
		switch {
		case errors.Is(err, store.ErrConflict): // answered just now: take the answer
			got, err = deps.Store.GetApproval(ctx, job.DAGID, job.RunID, job.TaskID, job.MapIndex)
		case err == nil:
			_ = audit.Append(ctx, deps.Store, &store.AuditEntry{Time: now, Actor: "weir", ActorKind: audit.KindSystem,
				Action: "approval.timeout", TargetType: "approval", TargetID: Key(job.DAGID, job.RunID, job.TaskID, job.MapIndex),
				Details: audit.Details(map[string]any{"chosen_options": a.Defaults})})
		}
		if err != nil {
			return executor.Result{Outcome: executor.Failed, Err: fmt.Errorf("approval: take the defaults: %w", err)}
		}
		a = got
	}
	if a.State == store.ApprovalPending {
		next := now.Add(interval)
		if !a.TimeoutAt.IsZero() && a.TimeoutAt.Before(next) {
			next = a.TimeoutAt
		}
		return executor.Result{Outcome: executor.Rescheduled, RescheduleAt: next}
	}
	return outcome(log, s, a)
}

func mapArg(i int) string {
	if i < 0 {
		return ""
	}
	return fmt.Sprintf(" %d", i)
}

// Key formats a task instance's key: "dag/run/task", "/i" appended for a mapped instance.
func Key(dagID, runID, taskID string, mapIndex int) string {
	k := dagID + "/" + runID + "/" + taskID
	if mapIndex >= 0 {
		k += fmt.Sprintf("/%d", mapIndex)
	}
	return k
}

// ask writes the instance's request as pending.
func ask(ctx context.Context, deps Deps, job *executor.Job, s *Spec, now time.Time) (*store.Approval, error) {
	a := &store.Approval{DAGID: job.DAGID, RunID: job.RunID, TaskID: job.TaskID, MapIndex: job.MapIndex,
		Subject: s.Subject, Body: s.Body, Options: s.options(), Defaults: s.Defaults, Multiple: s.Multiple,
		AssignedUsers: s.AssignedUsers, AssignedRole: s.Role, CreatedAt: now}
	if a.AssignedRole == "" {
		a.AssignedRole = DefaultRole
	}
	if len(s.Params) > 0 {
		b, err := json.Marshal(s.Params)
		if err != nil {
			return nil, fmt.Errorf("approval: params: %w", err)
		}
		a.Params = b
	}
	if s.Timeout > 0 {
		a.TimeoutAt = now.Add(s.Timeout.D())
	}
	if err := deps.Store.PutApproval(ctx, a); err != nil {
		return nil, fmt.Errorf("approval: record the request: %w", err)
	}
	return a, nil
}

// defaultParams returns the params' defaults as the input of a timed-out answer.
func defaultParams(params json.RawMessage) json.RawMessage {
	if len(params) == 0 {
		return nil
	}
	return params
}

// outcome ends the try from the answer.
func outcome(log io.Writer, s *Spec, a *store.Approval) executor.Result {
	out := Output{ChosenOptions: a.ChosenOptions, ParamsInput: map[string]any{}, Comment: a.Comment,
		RespondedBy: a.RespondedBy, RespondedAt: a.RespondedAt, TimedOut: a.State == store.ApprovalTimedOut}
	if out.ChosenOptions == nil {
		out.ChosenOptions = []string{}
	}
	if len(a.Params) > 0 {
		_ = json.Unmarshal(a.Params, &out.ParamsInput)
	}
	if len(a.ParamsInput) > 0 {
		var in map[string]any
		if err := json.Unmarshal(a.ParamsInput, &in); err == nil {
			for k, v := range in {
				out.ParamsInput[k] = v
			}
		}
	}
	b, err := json.Marshal(out)
	if err != nil {
		return fail("encode the output: %v", err)
	}
	how := "answered by " + a.RespondedBy
	if out.TimedOut {
		how = "timed out, defaults taken"
	}
	fmt.Fprintf(log, "%s: %s", how, strings.Join(a.ChosenOptions, ", "))
	if a.Comment != "" {
		fmt.Fprintf(log, " (%q)", a.Comment)
	}
	fmt.Fprintln(log)
	res := executor.Result{Outcome: executor.Succeeded, Output: b}
	switch {
	case s.Branch:
		res.Follow = []string{}
		for _, o := range a.ChosenOptions {
			if m, ok := s.OptionsMapping[o]; ok {
				o = m
			}
			res.Follow = append(res.Follow, o)
		}
	case slices.Contains(a.ChosenOptions, Reject):
		if s.FailOnReject {
			return executor.Result{Outcome: executor.FailedNoRetry, Output: b,
				Err: fmt.Errorf("approval rejected by %s%s", a.RespondedBy, commentSuffix(a.Comment))}
		}
		fmt.Fprintln(log, "rejected: skipping the downstream tasks")
		res.Follow = []string{} // skip every direct downstream
	}
	return res
}

func commentSuffix(c string) string {
	if c == "" {
		return ""
	}
	return ": " + c
}
