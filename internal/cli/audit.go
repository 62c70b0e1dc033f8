package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/weirhq/weir/api"
	"github.com/weirhq/weir/api/client"
	"github.com/weirhq/weir/audit"
	"github.com/weirhq/weir/store"
)

// auditCmd is `weir audit list|export|verify`.
func (a *app) auditCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "audit",
		Short: "Read, export and verify the audit log (who did what, hash-chained)",
		Long: `The audit log records every state-changing request to a weir server (the actor, the
action, its target, the outcome; never request bodies, only their field names and
identifiers) and the local commands that write the store. Each entry's hash covers the one
before it, so "weir audit verify" finds an edited or deleted entry. With --server the
server's log is read (admins only when it authenticates).`,
	}
	var output, actor, action, since, until string
	var limit int
	filter := func() (client.AuditFilter, error) {
		f := client.AuditFilter{Actor: actor, Action: action, Limit: limit}
		for _, t := range []struct {
			name, v string
			p       *time.Time
		}{{"--since", since, &f.Since}, {"--until", until, &f.Until}} {
			if t.v == "" {
				continue
			}
			v, err := parseWhen(t.v)
			if err != nil {
				return f, fmt.Errorf("%s: %w", t.name, err)
			}
			*t.p = v
		}
		return f, nil
	}
	list := &cobra.Command{
		Use:   "list [--actor NAME] [--action ACTION] [--since TIME] [--until TIME] [--limit N]",
		Short: "List entries, oldest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			f, err := filter()
			if err != nil {
				return err
			}
			var rows [][]string
			var all []client.AuditEntry
			err = a.eachAudit(cmd.Context(), f, func(e client.AuditEntry) error {
				all = append(all, e)
				rows = append(rows, []string{fmt.Sprint(e.ID), fmtTime(e.Time), e.Actor, e.ActorKind, e.Action,
					e.TargetType, e.TargetID, e.Outcome})
				return nil
			})
			if err != nil {
				return err
			}
			if output == "json" {
				if all == nil {
					all = []client.AuditEntry{}
				}
				return writeJSON(a.out, all)
			}
			a.table([]string{"ID", "TIME", "ACTOR", "KIND", "ACTION", "TARGET TYPE", "TARGET", "OUTCOME"}, rows)
			return nil
		},
	}
	a.addOutputFlag(list, &output)
	for _, cmd := range []*cobra.Command{list} {
		cmd.Flags().StringVar(&actor, "actor", "", "only this actor's entries")
		cmd.Flags().StringVar(&action, "action", "", "only this action (a prefix when it ends in *: dag_run.*)")
		cmd.Flags().StringVar(&since, "since", "", "from this time (RFC 3339 or YYYY-MM-DD)")
		cmd.Flags().StringVar(&until, "until", "", "before this time (RFC 3339 or YYYY-MM-DD)")
		cmd.Flags().IntVar(&limit, "limit", 0, "at most this many entries (0: all)")
	}
	var jsonl bool
	export := &cobra.Command{
		Use:   "export --jsonl",
		Short: "Write every entry as JSON lines (with its hashes, so the export can be verified)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !jsonl {
				return errors.New("give --jsonl (the one export format): weir audit export --jsonl > audit.jsonl")
			}
			enc := json.NewEncoder(a.out)
			return a.eachAudit(cmd.Context(), client.AuditFilter{}, func(e client.AuditEntry) error { return enc.Encode(e) })
		},
	}
	export.Flags().BoolVar(&jsonl, "jsonl", false, "one JSON object per line")
	verify := &cobra.Command{
		Use:   "verify",
		Short: "Check the hash chain; name the first entry that was edited or follows a deleted one",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			var lister audit.Lister
			if c, ok, err := a.remote(); ok {
				if err != nil {
					return err
				}
				lister = remoteAudit{c}
			} else {
				st, err := a.openStore(ctx)
				if err != nil {
					return err
				}
				defer st.Close()
				lister = st
			}
			n, err := audit.Verify(ctx, lister)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.out, "audit log intact: %d entries\n", n)
			return nil
		},
	}
	c.AddCommand(list, export, verify)
	return c
}

// parseWhen reads a time: RFC 3339, or a date (midnight UTC).
func parseWhen(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q: want RFC 3339 (2026-01-02T15:04:05Z) or a date (2026-01-02)", s)
	}
	return t, nil
}

// auditPage is how many entries a listing reads at a time.
const auditPage = 1000

// eachAudit calls fn with every entry matching f, oldest first, from the server or the
// local store.
func (a *app) eachAudit(ctx context.Context, f client.AuditFilter, fn func(client.AuditEntry) error) error {
	var lister audit.Lister
	if c, ok, err := a.remote(); ok {
		if err != nil {
			return err
		}
		lister = remoteAudit{c}
	} else {
		st, err := a.openStore(ctx)
		if err != nil {
			return err
		}
		defer st.Close()
		lister = st
	}
	sf := store.AuditFilter{Actor: f.Actor, Action: f.Action, Since: f.Since, Until: f.Until, AfterID: f.AfterID}
	left := f.Limit
	for {
		sf.Limit = auditPage
		if f.Limit > 0 {
			sf.Limit = min(auditPage, left)
		}
		page, err := lister.ListAudit(ctx, sf)
		if err != nil {
			return err
		}
		for _, e := range page {
			if err := fn(api.AuditObject(e)); err != nil {
				return err
			}
			sf.AfterID = e.ID
		}
		left -= len(page)
		if len(page) < sf.Limit || (f.Limit > 0 && left <= 0) {
			return nil
		}
	}
}

// remoteAudit reads a server's audit log as audit.Verify and eachAudit want it.
type remoteAudit struct{ c *client.Client }

func (r remoteAudit) ListAudit(ctx context.Context, f store.AuditFilter) ([]*store.AuditEntry, error) {
	page, err := r.c.ListAudit(ctx, client.AuditFilter{Actor: f.Actor, Action: f.Action, Since: f.Since, Until: f.Until,
		AfterID: f.AfterID, Limit: f.Limit})
	if err != nil {
		return nil, err
	}
	out := make([]*store.AuditEntry, 0, len(page.Entries))
	for _, e := range page.Entries {
		out = append(out, &store.AuditEntry{ID: e.ID, Time: e.Time, Actor: e.Actor, ActorKind: e.ActorKind, Action: e.Action,
			TargetType: e.TargetType, TargetID: e.TargetID, Details: e.Details, RequestID: e.RequestID,
			RemoteAddr: e.RemoteAddr, Outcome: e.Outcome, PrevHash: e.PrevHash, Hash: e.Hash})
	}
	return out, nil
}

// auditLocal records in the audit log an action this command did on the local store (the
// OS user acting; actionErr not nil records a failure). st nil opens the store. With
// --server it does nothing: the server records what it is asked. A failure to record is a
// warning: the action is done.
func (a *app) auditLocal(ctx context.Context, st store.AuditStore, action, targetType, targetID string, details map[string]any, actionErr error) {
	if a.server != "" {
		return
	}
	if st == nil {
		s, err := a.openStore(ctx)
		if err != nil {
			fmt.Fprintf(a.errOut, "warning: audit log: %v\n", err)
			return
		}
		defer s.Close()
		st = s
	}
	if err := audit.Local(context.WithoutCancel(ctx), st, action, targetType, targetID, details, actionErr); err != nil {
		fmt.Fprintf(a.errOut, "warning: %v\n", err)
	}
}
