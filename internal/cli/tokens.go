package cli

import (
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/weirhq/weir/auth"
)

// tokensCmd is `weir tokens create|list|revoke`, on the local store.
func (a *app) tokensCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "tokens",
		Short: "Make, list and revoke the API tokens a weir server requires (local store)",
		Long: `A weir server requires an API token on every request (but GET /metrics and
/api/v1/health) once its store holds an active token, or with --auth. Clients send it as
"Authorization: Bearer <token>" (MLflow: MLFLOW_TRACKING_TOKEN; weir --server: WEIR_TOKEN) or
as the password of HTTP Basic (MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD).

Scopes: read (GET, HEAD, MLflow searches), write (also changes, outside pools and
deployments), admin (everything). The store keeps only a token's SHA-256: it is printed once.`,
	}
	var scope string
	var expires time.Duration
	create := &cobra.Command{
		Use:     "create NAME [--scope read|write|admin] [--expires 720h]",
		Short:   "Make a token and print it (once: the store keeps only its hash)",
		Example: "  weir tokens create ci --scope write --expires 720h",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := a.localOnly(cmd); err != nil {
				return err
			}
			sc, err := auth.ParseScope(scope)
			if err != nil {
				return fmt.Errorf("--scope: %w", err)
			}
			if expires < 0 {
				return fmt.Errorf("--expires %s: want a positive duration, or 0 for never", expires)
			}
			ctx := cmd.Context()
			st, err := a.openStore(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			secret, t, err := auth.Create(ctx, st, args[0], sc, expires, time.Now())
			if err != nil {
				return err
			}
			a.auditLocal(ctx, st, "token.create", "token", t.Name, map[string]any{"scope": t.Scope}, nil)
			fmt.Fprintln(a.out, secret)
			exp := "never expires"
			if !t.ExpiresAt.IsZero() {
				exp = "expires " + fmtTime(t.ExpiresAt)
			}
			fmt.Fprintf(a.errOut, "token %s (%s, %s): copy it now, it is not shown again\n", t.Name, t.Scope, exp)
			return nil
		},
	}
	create.Flags().StringVar(&scope, "scope", "write", "what the token may do: read, write or admin")
	create.Flags().DurationVar(&expires, "expires", 0, "how long the token works (for example 720h); 0 for never")

	list := &cobra.Command{
		Use:   "list",
		Short: "List the tokens (names, scopes, times; never the secrets)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := a.localOnly(cmd); err != nil {
				return err
			}
			ctx := cmd.Context()
			st, err := a.openStore(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			ts, err := st.ListTokens(ctx)
			if err != nil {
				return err
			}
			now := time.Now()
			var rows [][]string
			for _, t := range ts {
				state := "active"
				switch {
				case !t.RevokedAt.IsZero():
					state = "revoked"
				case !t.ExpiresAt.IsZero() && !now.Before(t.ExpiresAt):
					state = "expired"
				}
				rows = append(rows, []string{t.Name, t.Scope, state, fmtTime(t.CreatedAt), fmtTime(t.ExpiresAt), fmtTime(t.RevokedAt)})
			}
			table(a.out, []string{"NAME", "SCOPE", "STATE", "CREATED", "EXPIRES", "REVOKED"}, rows)
			return nil
		},
	}
	revoke := &cobra.Command{
		Use:   "revoke NAME",
		Short: "Revoke the active token with the name: it stops working at once",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := a.localOnly(cmd); err != nil {
				return err
			}
			ctx := cmd.Context()
			st, err := a.openStore(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			if err := st.RevokeToken(ctx, args[0], time.Now()); err != nil {
				return err
			}
			a.auditLocal(ctx, st, "token.revoke", "token", args[0], nil, nil)
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
