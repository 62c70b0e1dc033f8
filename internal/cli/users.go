package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/weirhq/weir/api/client"
	"github.com/weirhq/weir/auth"
	"github.com/weirhq/weir/store"
)

// readPassword reads a password: from a terminal, asked twice without echo; else the
// first line of standard input (never a flag: it would show in ps and shell history).
func (a *app) readPassword(what string) (string, error) {
	in := a.opts.Stdin
	if in == nil {
		in = os.Stdin
	}
	if f, ok := in.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprintf(a.errOut, "%s: ", what)
		p1, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(a.errOut)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(a.errOut, "%s again: ", what)
		p2, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(a.errOut)
		if err != nil {
			return "", err
		}
		if string(p1) != string(p2) {
			return "", errors.New("the two passwords differ")
		}
		return string(p1), nil
	}
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read the password from standard input: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("no password on standard input: pipe it in (printf '%s\\n' \"$PW\" | weir users ...) or run in a terminal to be asked")
	}
	return line, nil
}

// withStore runs f on the local store.
func (a *app) withStore(ctx context.Context, f func(store.Store) error) error {
	st, err := a.openStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	return f(st)
}

func userFromStore(u *store.User) client.User {
	out := client.User{Name: u.Name, Role: u.Role, HasPassword: u.PasswordHash != "", Disabled: !u.DisabledAt.IsZero(), CreatedAt: u.CreatedAt}
	if !u.DisabledAt.IsZero() {
		out.DisabledAt = &u.DisabledAt
	}
	return out
}

// usersCmd is `weir users create|list|set-role|set-password|disable|enable|delete`.
func (a *app) usersCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "users",
		Short: "Manage the users who log in to a weir server (local store, or --server as an admin)",
		Long: `Users log in with a user name and password: HTTP Basic (MLFLOW_TRACKING_USERNAME /
MLFLOW_TRACKING_PASSWORD), or POST /api/v1/login for a browser session. Passwords are
read from a terminal prompt or the first line of standard input, never from a flag, and
stored as argon2id hashes. Roles: viewer, operator, ml-engineer, editor, admin (see
docs/security.md). The first user turns authentication on, as the first token does.`,
	}
	var role string
	var noPassword bool
	create := &cobra.Command{
		Use:     "create NAME --role ROLE",
		Short:   "Make a user; the password is asked for (or read from standard input)",
		Example: "  printf '%s\\n' \"$PW\" | weir users create ann --role operator",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := auth.ParseRole(role)
			if err != nil {
				return fmt.Errorf("--role: %w", err)
			}
			pw := ""
			if !noPassword {
				if pw, err = a.readPassword("password for " + args[0]); err != nil {
					return err
				}
			}
			ctx := cmd.Context()
			if c, remote, err := a.remote(); remote {
				if err != nil {
					return err
				}
				_, err = c.CreateUser(ctx, args[0], pw, string(r))
				if err == nil {
					fmt.Fprintf(a.out, "created user %s (%s)\n", args[0], r)
				}
				return err
			}
			return a.withStore(ctx, func(st store.Store) error {
				if _, err := auth.CreateUser(ctx, st, args[0], pw, r, time.Now()); err != nil {
					return err
				}
				fmt.Fprintf(a.out, "created user %s (%s)\n", args[0], r)
				return nil
			})
		},
	}
	create.Flags().StringVar(&role, "role", "viewer", "the user's role: viewer, operator, ml-engineer, editor or admin")
	create.Flags().BoolVar(&noPassword, "no-password", false, "make a user without a password (who logs in through OIDC only)")

	var output string
	list := &cobra.Command{
		Use:   "list",
		Short: "List the users (never their passwords)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			ctx := cmd.Context()
			var users []client.User
			if c, remote, err := a.remote(); remote {
				if err != nil {
					return err
				}
				l, err := c.ListUsers(ctx)
				if err != nil {
					return err
				}
				users = l.Users
			} else if err := a.withStore(ctx, func(st store.Store) error {
				us, err := st.ListUsers(ctx)
				for _, u := range us {
					users = append(users, userFromStore(u))
				}
				return err
			}); err != nil {
				return err
			}
			if output == "json" {
				if users == nil {
					users = []client.User{}
				}
				return writeJSON(a.out, users)
			}
			var rows [][]string
			for _, u := range users {
				state, pw := "enabled", "yes"
				if u.Disabled {
					state = "disabled"
				}
				if !u.HasPassword {
					pw = "no"
				}
				rows = append(rows, []string{u.Name, u.Role, state, pw, fmtTime(u.CreatedAt)})
			}
			a.table([]string{"NAME", "ROLE", "STATE", "PASSWORD", "CREATED"}, rows)
			return nil
		},
	}
	a.addOutputFlag(list, &output)

	// change updates one user, locally or remotely.
	change := func(cmd *cobra.Command, name string, p client.UserPatch, done string) error {
		ctx := cmd.Context()
		if c, remote, err := a.remote(); remote {
			if err != nil {
				return err
			}
			if _, err := c.PatchUser(ctx, name, p); err != nil {
				return err
			}
			fmt.Fprintln(a.out, done)
			return nil
		}
		return a.withStore(ctx, func(st store.Store) error {
			u, err := st.GetUser(ctx, name)
			if err != nil {
				return err
			}
			if p.Role != nil {
				u.Role = *p.Role
			}
			if p.Password != nil {
				if u.PasswordHash, err = auth.HashPassword(*p.Password); err != nil {
					return err
				}
			}
			if p.Disabled != nil {
				u.DisabledAt = time.Time{}
				if *p.Disabled {
					u.DisabledAt = time.Now()
				}
			}
			if err := st.UpdateUser(ctx, u); err != nil {
				return err
			}
			fmt.Fprintln(a.out, done)
			return nil
		})
	}
	setRole := &cobra.Command{
		Use:   "set-role NAME ROLE",
		Short: "Change a user's global role",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := auth.ParseRole(args[1])
			if err != nil {
				return err
			}
			s := string(r)
			return change(cmd, args[0], client.UserPatch{Role: &s}, "user "+args[0]+" is now "+s)
		},
	}
	setPassword := &cobra.Command{
		Use:   "set-password NAME",
		Short: "Change a user's password (asked for, or read from standard input)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			pw, err := a.readPassword("new password for " + args[0])
			if err != nil {
				return err
			}
			if err := auth.ValidatePassword(pw); err != nil { // say so before sending it
				return err
			}
			return change(cmd, args[0], client.UserPatch{Password: &pw}, "changed the password of user "+args[0])
		},
	}
	toggle := func(use, short string, disabled bool, done string) *cobra.Command {
		return &cobra.Command{
			Use: use + " NAME", Short: short, Args: cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				return change(cmd, args[0], client.UserPatch{Disabled: &disabled}, "user "+args[0]+" "+done)
			},
		}
	}
	disable := toggle("disable", "Disable a user: their logins, sessions and tokens stop working", true, "disabled")
	enable := toggle("enable", "Enable a disabled user again", false, "enabled")
	del := &cobra.Command{
		Use:   "delete NAME",
		Short: "Delete a user, their grants and sessions, and revoke their tokens",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if c, remote, err := a.remote(); remote {
				if err != nil {
					return err
				}
				if err := c.DeleteUser(ctx, args[0]); err != nil {
					return err
				}
			} else if err := a.withStore(ctx, func(st store.Store) error { return st.DeleteUser(ctx, args[0], time.Now()) }); err != nil {
				return err
			}
			fmt.Fprintf(a.out, "deleted user %s\n", args[0])
			return nil
		},
	}
	c.AddCommand(create, list, setRole, setPassword, disable, enable, del)
	return c
}

// grantsCmd is `weir grants add|list|remove`.
func (a *app) grantsCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "grants",
		Short: "Give users roles on single DAGs, models or experiments (local store, or --server as an admin)",
		Long: `A grant gives a user a role on the objects its target names, on top of their global
role (grants only add rights): dag:ID, dag-tag:TAG, model:NAME, experiment:ID. A viewer
granted operator on dag-tag:team-a may trigger, clear, mark and pause the DAGs tagged
team-a and only read the others. See docs/security.md.`,
	}
	add := &cobra.Command{
		Use:     "add USER TARGET ROLE",
		Short:   "Give the user the role on the target (replaces the role of a grant on the same target)",
		Example: "  weir grants add ann dag-tag:team-a operator\n  weir grants add ben model:iris ml-engineer",
		Args:    cobra.ExactArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, _, err := auth.ParseTarget(args[1]); err != nil {
				return err
			}
			r, err := auth.ParseRole(args[2])
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			if c, remote, err := a.remote(); remote {
				if err != nil {
					return err
				}
				if _, err := c.PutGrant(ctx, args[0], args[1], string(r)); err != nil {
					return err
				}
			} else if err := a.withStore(ctx, func(st store.Store) error {
				return st.PutGrant(ctx, &store.Grant{User: args[0], Target: args[1], Role: string(r), CreatedAt: time.Now()})
			}); err != nil {
				return err
			}
			fmt.Fprintf(a.out, "granted %s on %s to %s\n", r, args[1], args[0])
			return nil
		},
	}
	var output string
	list := &cobra.Command{
		Use:   "list [USER]",
		Short: "List the grants of a user, or of every user",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			user := ""
			if len(args) == 1 {
				user = args[0]
			}
			ctx := cmd.Context()
			grants := []client.Grant{}
			if c, remote, err := a.remote(); remote {
				if err != nil {
					return err
				}
				l, err := c.ListGrants(ctx, user)
				if err != nil {
					return err
				}
				grants = l.Grants
			} else if err := a.withStore(ctx, func(st store.Store) error {
				gs, err := st.ListGrants(ctx, user)
				for _, g := range gs {
					grants = append(grants, client.Grant{User: g.User, Target: g.Target, Role: g.Role, CreatedAt: g.CreatedAt})
				}
				return err
			}); err != nil {
				return err
			}
			if output == "json" {
				return writeJSON(a.out, grants)
			}
			var rows [][]string
			for _, g := range grants {
				rows = append(rows, []string{g.User, g.Target, g.Role, fmtTime(g.CreatedAt)})
			}
			a.table([]string{"USER", "TARGET", "ROLE", "CREATED"}, rows)
			return nil
		},
	}
	a.addOutputFlag(list, &output)
	remove := &cobra.Command{
		Use:   "remove USER TARGET",
		Short: "Remove the user's grant on the target",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if c, remote, err := a.remote(); remote {
				if err != nil {
					return err
				}
				if err := c.DeleteGrant(ctx, args[0], args[1]); err != nil {
					return err
				}
			} else if err := a.withStore(ctx, func(st store.Store) error { return st.DeleteGrant(ctx, args[0], args[1]) }); err != nil {
				return err
			}
			fmt.Fprintf(a.out, "removed the grant of %s on %s\n", args[0], args[1])
			return nil
		},
	}
	c.AddCommand(add, list, remove)
	return c
}
