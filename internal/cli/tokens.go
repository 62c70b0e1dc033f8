package cli

import (
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/weirhq/weir/api/client"
	"github.com/weirhq/weir/auth"
	"github.com/weirhq/weir/store"
)

// tokensCmd is `weir tokens create|list|revoke`, on the local store or with --server.
func (a *app) tokensCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "tokens",
		Short: "Make, list and revoke API tokens (local store, or --server: your own; an admin's, any)",
		Long: `A weir server requires a credential on every request (but GET /metrics and
/api/v1/health) once its store holds an active token or user, or with --auth. Clients send
a token as "Authorization: Bearer <token>" (MLflow: MLFLOW_TRACKING_TOKEN; weir --server:
WEIR_TOKEN) or as the password of HTTP Basic (MLFLOW_TRACKING_USERNAME / PASSWORD).

A token of a user (--user) has a role, at most the user's (default the user's); it stops
working when the user is disabled or deleted. A token of nobody has a scope: read (the
viewer role), write (editor: operator and ml-engineer), admin; or a --role. The store keeps
only a token's SHA-256: it is printed once. With --server a user makes their own tokens.`,
	}
	var scope, role, user string
	var expires time.Duration
	create := &cobra.Command{
		Use:     "create NAME [--scope read|write|admin | --role ROLE] [--user USER] [--expires 720h]",
		Short:   "Make a token and print it (once: the store keeps only its hash)",
		Example: "  weir tokens create ci --scope write --expires 720h\n  weir tokens create ann-laptop --user ann",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if expires < 0 {
				return fmt.Errorf("--expires %s: want a positive duration, or 0 for never", expires)
			}
			if role != "" && cmd.Flags().Changed("scope") {
				return fmt.Errorf("--scope and --role: give one (a scope is a role of old: read is viewer, write editor)")
			}
			if role != "" {
				if _, err := auth.ParseRole(role); err != nil {
					return fmt.Errorf("--role: %w", err)
				}
			}
			ctx := cmd.Context()
			if c, remote, err := a.remote(); remote {
				if err != nil {
					return err
				}
				r := role
				if r == "" && cmd.Flags().Changed("scope") {
					sc, err := auth.ParseScope(scope)
					if err != nil {
						return fmt.Errorf("--scope: %w", err)
					}
					r = string(auth.ScopeRole(sc))
				}
				nt, err := c.CreateToken(ctx, args[0], r, user, expires)
				if err != nil {
					return err
				}
				exp := "never expires"
				if nt.ExpiresAt != nil {
					exp = "expires " + fmtTime(*nt.ExpiresAt)
				}
				fmt.Fprintln(a.out, nt.Secret)
				fmt.Fprintf(a.errOut, "token %s (%s, %s): copy it now, it is not shown again\n", nt.Name, nt.Role, exp)
				return nil
			}
			st, err := a.openStore(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			var secret string
			var t *store.Token
			switch {
			case user != "":
				r := auth.Role(role)
				if r == "" {
					u, err := st.GetUser(ctx, user)
					if err != nil {
						return err
					}
					r = auth.Role(u.Role)
				}
				secret, t, err = auth.CreateForUser(ctx, st, args[0], user, r, expires, time.Now())
			case role != "":
				secret, t, err = auth.CreateWithRole(ctx, st, args[0], auth.Role(role), expires, time.Now())
			default:
				sc, perr := auth.ParseScope(scope)
				if perr != nil {
					return fmt.Errorf("--scope: %w", perr)
				}
				secret, t, err = auth.Create(ctx, st, args[0], sc, expires, time.Now())
			}
			if err != nil {
				return err
			}
			a.auditLocal(ctx, st, "token.create", "token", t.Name, map[string]any{"scope": t.Scope, "user": t.User}, nil)
			fmt.Fprintln(a.out, secret)
			exp := "never expires"
			if !t.ExpiresAt.IsZero() {
				exp = "expires " + fmtTime(t.ExpiresAt)
			}
			fmt.Fprintf(a.errOut, "token %s (%s, %s): copy it now, it is not shown again\n", t.Name, t.Scope, exp)
			return nil
		},
	}
	create.Flags().StringVar(&scope, "scope", "write", "what a token of nobody may do: read, write or admin")
	create.Flags().StringVar(&role, "role", "", "the token's role instead of a scope: viewer, operator, ml-engineer, editor or admin")
	create.Flags().StringVar(&user, "user", "", "the user the token belongs to (its role is at most theirs)")
	create.Flags().DurationVar(&expires, "expires", 0, "how long the token works (for example 720h); 0 for never")

	var output string
	list := &cobra.Command{
		Use:   "list",
		Short: "List the tokens (names, roles, users, times; never the secrets)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			ctx := cmd.Context()
			tokens := []client.Token{}
			if c, remote, err := a.remote(); remote {
				if err != nil {
					return err
				}
				l, err := c.ListTokens(ctx)
				if err != nil {
					return err
				}
				tokens = l.Tokens
			} else if err := a.withStore(ctx, func(st store.Store) error {
				ts, err := st.ListTokens(ctx)
				now := time.Now()
				for _, t := range ts {
					ct := client.Token{Name: t.Name, Role: string(auth.TokenRole(t.Scope)), User: t.User, State: "active", CreatedAt: t.CreatedAt}
					if !t.ExpiresAt.IsZero() {
						ct.ExpiresAt = &t.ExpiresAt
						if !now.Before(t.ExpiresAt) {
							ct.State = "expired"
						}
					}
					if !t.RevokedAt.IsZero() {
						ct.RevokedAt, ct.State = &t.RevokedAt, "revoked"
					}
					tokens = append(tokens, ct)
				}
				return err
			}); err != nil {
				return err
			}
			if output == "json" {
				return writeJSON(a.out, tokens)
			}
			var rows [][]string
			for _, t := range tokens {
				var exp, rev time.Time
				if t.ExpiresAt != nil {
					exp = *t.ExpiresAt
				}
				if t.RevokedAt != nil {
					rev = *t.RevokedAt
				}
				u := t.User
				if u == "" {
					u = "-"
				}
				rows = append(rows, []string{t.Name, t.Role, u, t.State, fmtTime(t.CreatedAt), fmtTime(exp), fmtTime(rev)})
			}
			a.table([]string{"NAME", "ROLE", "USER", "STATE", "CREATED", "EXPIRES", "REVOKED"}, rows)
			return nil
		},
	}
	a.addOutputFlag(list, &output)
	revoke := &cobra.Command{
		Use:   "revoke NAME",
		Short: "Revoke the active token with the name: it stops working at once",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if c, remote, err := a.remote(); remote {
				if err != nil {
					return err
				}
				if err := c.RevokeToken(ctx, args[0]); err != nil {
					return err
				}
			} else if err := a.withStore(ctx, func(st store.Store) error {
				err := st.RevokeToken(ctx, args[0], time.Now())
				a.auditLocal(ctx, st, "token.revoke", "token", args[0], nil, err)
				return err
			}); err != nil {
				return err
			}
			fmt.Fprintf(a.out, "revoked token %s\n", args[0])
			return nil
		},
	}
	c.AddCommand(create, list, revoke)
	return c
}

// bearerTransport adds the token of $WEIR_TOKEN to a remote client's requests.
type bearerTransport struct{ token string }

func (b bearerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return http.DefaultTransport.RoundTrip(r)
}

// remoteHTTPClient is the HTTP client of --server: it sends $WEIR_TOKEN when set.
func remoteHTTPClient() *http.Client {
	tok := os.Getenv("WEIR_TOKEN")
	if tok == "" {
		return nil
	}
	return &http.Client{Transport: bearerTransport{token: tok}}
}
