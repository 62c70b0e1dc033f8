package cli

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/weirhq/weir/api"
	"github.com/weirhq/weir/api/client"
	"github.com/weirhq/weir/approval"
	"github.com/weirhq/weir/audit"
	"github.com/weirhq/weir/store"
)

// approvalsCmd is `weir approvals list|show|approve|reject`.
func (a *app) approvalsCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "approvals",
		Short: "List and answer the requests of approval tasks (human in the loop)",
		Long: `An approval task waits, without holding a worker slot, until a person answers its
request with one of its options (Approve or Reject by default) and a comment; the answer is
the task's output. With --server the answer goes through the server's API (it needs the
role the task asks for, operator by default) and the task goes on at once; on the local
store it is written directly, as the OS user, and a running weir picks it up at its next
poke (5 s by default).`,
	}
	var output, state, dagID, runID string
	list := &cobra.Command{
		Use:   "list [--state pending|responded|timed_out|all]",
		Short: "List approval requests (the pending ones by default), oldest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			if state == "all" {
				state = ""
			}
			list, err := a.listApprovals(cmd.Context(), client.ListApprovalsOptions{State: state, DAGID: dagID, RunID: runID, Limit: 10000})
			if err != nil {
				return err
			}
			if output == "json" {
				return writeJSON(a.out, list)
			}
			var rows [][]string
			for _, ap := range list {
				mi := "-"
				if ap.MapIndex >= 0 {
					mi = strconv.Itoa(ap.MapIndex)
				}
				rows = append(rows, []string{ap.DAGID, ap.DAGRunID, ap.TaskID, mi, ap.State, ap.Subject,
					strings.Join(ap.Options, "|"), strings.Join(ap.ChosenOptions, ","), ap.RespondedBy, fmtTime(ap.CreatedAt)})
			}
			a.table([]string{"DAG", "RUN", "TASK", "MAP", "STATE", "SUBJECT", "OPTIONS", "CHOSEN", "BY", "ASKED"}, rows)
			return nil
		},
	}
	list.Flags().StringVar(&state, "state", "pending", "pending, responded, timed_out or all")
	list.Flags().StringVar(&dagID, "dag", "", "only this DAG's requests")
	list.Flags().StringVar(&runID, "run", "", "only this run's requests")
	a.addOutputFlag(list, &output)

	show := &cobra.Command{
		Use:   "show DAG_ID RUN_ID TASK_ID [MAP_INDEX]",
		Short: "Show one approval request and its answer",
		Args:  cobra.RangeArgs(3, 4),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			mi, err := mapIndexArg(args)
			if err != nil {
				return err
			}
			ap, err := a.getApproval(cmd.Context(), args[0], args[1], args[2], mi)
			if err != nil {
				return err
			}
			if output == "json" {
				return writeJSON(a.out, ap)
			}
			rows := [][]string{{"task", approval.Key(ap.DAGID, ap.DAGRunID, ap.TaskID, ap.MapIndex)}, {"subject", ap.Subject},
				{"body", ap.Body}, {"options", strings.Join(ap.Options, ", ")}, {"defaults", strings.Join(ap.Defaults, ", ")},
				{"multiple", strconv.FormatBool(ap.Multiple)}, {"role", ap.AssignedRole}, {"assigned", strings.Join(ap.AssignedUsers, ", ")},
				{"asked", fmtTime(ap.CreatedAt)}, {"times out", fmtTime(timeOr(ap.TimeoutAt))}, {"state", ap.State},
				{"chosen", strings.Join(ap.ChosenOptions, ", ")}, {"comment", ap.Comment}, {"by", ap.RespondedBy},
				{"answered", fmtTime(timeOr(ap.RespondedAt))}}
			table(a.out, nil, rows)
			return nil
		},
	}
	a.addOutputFlag(show, &output)

	answer := func(verb string) *cobra.Command {
		var options []string
		var comment string
		var params []string
		c := &cobra.Command{
			Use:   verb + " DAG_ID RUN_ID TASK_ID [MAP_INDEX] [--comment TEXT]",
			Short: map[string]string{"approve": "Answer a pending request with Approve (or --option)", "reject": "Answer a pending request with Reject"}[verb],
			Args:  cobra.RangeArgs(3, 4),
			RunE: func(cmd *cobra.Command, args []string) error {
				mi, err := mapIndexArg(args)
				if err != nil {
					return err
				}
				ans := client.ApprovalAnswer{ChosenOptions: options, Comment: comment}
				if verb == "reject" {
					ans.ChosenOptions = []string{approval.Reject}
				} else if len(ans.ChosenOptions) == 0 {
					ans.ChosenOptions = []string{approval.Approve}
				}
				if len(params) > 0 {
					kv, err := parseKV(params)
					if err != nil {
						return fmt.Errorf("--param: %w", err)
					}
					ans.ParamsInput = kv
				}
				ap, err := a.respondApproval(cmd.Context(), args[0], args[1], args[2], mi, ans)
				if err != nil {
					return err
				}
				fmt.Fprintf(a.out, "%s: %s by %s\n", approval.Key(ap.DAGID, ap.DAGRunID, ap.TaskID, ap.MapIndex),
					strings.Join(ap.ChosenOptions, ", "), ap.RespondedBy)
				return nil
			},
		}
		if verb == "approve" {
			c.Flags().StringSliceVar(&options, "option", nil, "the option(s) to choose, when not Approve (repeat for several)")
		}
		c.Flags().StringVar(&comment, "comment", "", "why: kept with the answer and in the audit log")
		c.Flags().StringArrayVar(&params, "param", nil, "fill in a param the request offers, KEY=VALUE (repeatable)")
		return c
	}
	c.AddCommand(list, show, answer("approve"), answer("reject"))
	return c
}

// parseKV reads KEY=VALUE pairs; a VALUE that is JSON keeps its type.
func parseKV(pairs []string) (map[string]any, error) {
	out := map[string]any{}
	for _, p := range pairs {
		k, v, ok := strings.Cut(p, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("%q: want KEY=VALUE", p)
		}
		out[k] = jsonOrString(v)
	}
	return out, nil
}

func jsonOrString(v string) any {
	if n, err := strconv.ParseFloat(v, 64); err == nil {
		return n
	}
	if b, err := strconv.ParseBool(v); err == nil {
		return b
	}
	return v
}

func mapIndexArg(args []string) (int, error) {
	if len(args) < 4 {
		return -1, nil
	}
	mi, err := strconv.Atoi(args[3])
	if err != nil || mi < 0 {
		return 0, fmt.Errorf("MAP_INDEX %q: want an integer ≥ 0", args[3])
	}
	return mi, nil
}

func (a *app) listApprovals(ctx context.Context, o client.ListApprovalsOptions) ([]client.Approval, error) {
	if c, ok, err := a.remote(); ok {
		if err != nil {
			return nil, err
		}
		l, err := c.ListApprovals(ctx, o)
		if err != nil {
			return nil, err
		}
		return l.Approvals, nil
	}
	st, err := a.openStore(ctx)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	list, err := st.ListApprovals(ctx, store.ListApprovalsParams{State: store.ApprovalState(o.State), DAGID: o.DAGID, RunID: o.RunID, Limit: o.Limit})
	if err != nil {
		return nil, err
	}
	out := []client.Approval{}
	for _, ap := range list {
		out = append(out, api.ApprovalObject(ap))
	}
	return out, nil
}

func (a *app) getApproval(ctx context.Context, dagID, runID, taskID string, mi int) (*client.Approval, error) {
	if c, ok, err := a.remote(); ok {
		if err != nil {
			return nil, err
		}
		return c.GetApproval(ctx, dagID, runID, taskID, mi)
	}
	st, err := a.openStore(ctx)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	ap, err := st.GetApproval(ctx, dagID, runID, taskID, mi)
	if err != nil {
		return nil, err
	}
	o := api.ApprovalObject(ap)
	return &o, nil
}

// respondApproval answers through the server, or on the local store as the OS user (and
// records it in the audit log).
func (a *app) respondApproval(ctx context.Context, dagID, runID, taskID string, mi int, ans client.ApprovalAnswer) (*client.Approval, error) {
	if c, ok, err := a.remote(); ok {
		if err != nil {
			return nil, err
		}
		return c.RespondApproval(ctx, dagID, runID, taskID, mi, ans)
	}
	st, err := a.openStore(ctx)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	who := approval.Responder{Name: audit.OSUser(), Kind: audit.KindLocal}
	ap, err := approval.Respond(ctx, st, dagID, runID, taskID, mi,
		approval.Answer{ChosenOptions: ans.ChosenOptions, ParamsInput: ans.ParamsInput, Comment: ans.Comment}, who, time.Now())
	details := map[string]any{"chosen_options": ans.ChosenOptions, "comment": ans.Comment}
	if aerr := audit.Local(ctx, st, "approval.respond", "approval", approval.Key(dagID, runID, taskID, mi), details, err); aerr != nil && err == nil {
		fmt.Fprintf(a.errOut, "warning: %v\n", aerr)
	}
	if err != nil {
		return nil, err
	}
	o := api.ApprovalObject(ap)
	return &o, nil
}
