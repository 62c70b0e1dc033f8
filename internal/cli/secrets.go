package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/weirhq/weir/api/client"
	"github.com/weirhq/weir/secrets"
	"github.com/weirhq/weir/store"
)

// secretsBackend is where the variables and connections commands read and write: the
// local store through a secrets.Service (which implements it), or a server's API.
type secretsBackend interface {
	// ListVariables returns every variable; a server's answer masks secret values.
	ListVariables(ctx context.Context) ([]*secrets.Variable, error)
	// GetVariable returns one variable in clear.
	GetVariable(ctx context.Context, key string) (*secrets.Variable, error)
	SetVariable(ctx context.Context, v *secrets.Variable) error
	DeleteVariable(ctx context.Context, key string) error
	// ListConnections returns every connection; a server's answer is masked.
	ListConnections(ctx context.Context) ([]*secrets.Connection, error)
	// GetConnection returns one connection in clear.
	GetConnection(ctx context.Context, id string) (*secrets.Connection, error)
	PutConnection(ctx context.Context, c *secrets.Connection) error
	DeleteConnection(ctx context.Context, id string) error
}

// secretsBackend returns the server's API with --server, else the local store's service;
// done closes it.
func (a *app) secretsBackend(ctx context.Context) (secretsBackend, func(), error) {
	if c, ok, err := a.remote(); ok {
		if err != nil {
			return nil, nil, err
		}
		return remoteSecrets{c}, func() {}, nil
	}
	svc, done, err := a.secretsService(ctx)
	return svc, done, err
}

// secretsService opens the local store's variables and connections.
func (a *app) secretsService(ctx context.Context) (*secrets.Service, func(), error) {
	st, err := a.openStore(ctx)
	if err != nil {
		return nil, nil, err
	}
	svc, err := secrets.New(secrets.Config{Store: st, Keys: &secrets.KeySource{Home: a.home, Notice: a.errOut}})
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	return svc, func() { st.Close() }, nil
}

// readSecret returns a value given as an argument, or "-" / none for stdin: prompted
// without echo on a terminal, else read whole (one trailing newline dropped).
func (a *app) readSecret(cmd *cobra.Command, arg *string, what string) (string, error) {
	if arg != nil && *arg != "-" {
		return *arg, nil
	}
	in := cmd.InOrStdin()
	if f, ok := in.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprintf(a.errOut, "%s: ", what)
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(a.errOut)
		if err != nil {
			return "", fmt.Errorf("read the %s: %w", what, err)
		}
		return string(b), nil
	}
	b, err := io.ReadAll(bufio.NewReader(in))
	if err != nil {
		return "", fmt.Errorf("read the %s from stdin: %w", what, err)
	}
	s := strings.TrimSuffix(string(b), "\n")
	return strings.TrimSuffix(s, "\r"), nil
}

// variablesCmd is `weir variables set|get|list|delete|import|export`.
func (a *app) variablesCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "variables",
		Short: "Set, read, list and delete Airflow variables (encrypted at rest)",
		Long: `Variables are key-value settings tasks read as {{ var.value.KEY }}, {{ var.json.KEY.field }}
or through env_from (var:KEY). Values are encrypted with AES-256-GCM before they are stored;
the key comes from $WEIR_SECRET_KEY or the key file ($WEIR_SECRET_KEY_FILE, default
$WEIR_HOME/secret.key, created on first use). $AIRFLOW_VAR_<KEY> overrides a stored variable
for tasks, as in Airflow.

A variable is secret when set with --secret or when its key contains a sensitive name
(password, secret, token, api_key, …): listings show "***", and tasks' logs, outputs and
errors mask it.`,
	}
	var desc, def string
	var secret bool
	set := &cobra.Command{
		Use:   "set KEY [VALUE|-]",
		Short: "Create or replace a variable; the value from stdin (or a prompt) when absent or -",
		Example: `  weir variables set region eu-west-1
  printf %s "$TOKEN" | weir variables set api_token --secret`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			var arg *string
			if len(args) == 2 {
				arg = &args[1]
			}
			val, err := a.readSecret(cmd, arg, "value of "+args[0])
			if err != nil {
				return err
			}
			b, done, err := a.secretsBackend(cmd.Context())
			if err != nil {
				return err
			}
			defer done()
			v := &secrets.Variable{Key: args[0], Value: val, Description: desc, IsSecret: secret}
			if err := b.SetVariable(cmd.Context(), v); err != nil {
				return err
			}
			fmt.Fprintf(a.out, "set variable %s\n", v.Key)
			return nil
		},
	}
	set.Flags().StringVar(&desc, "description", "", "what the variable is for")
	set.Flags().BoolVar(&secret, "secret", false, "mask the value wherever it is shown, whatever its key")

	get := &cobra.Command{
		Use:   "get KEY",
		Short: "Print a variable's value (in clear: with --server, an admin token's right)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			b, done, err := a.secretsBackend(cmd.Context())
			if err != nil {
				return err
			}
			defer done()
			v, err := b.GetVariable(cmd.Context(), args[0])
			if (errors.Is(err, store.ErrNotFound) || client.IsCode(err, client.CodeNotFound)) && cmd.Flags().Changed("default") {
				fmt.Fprintln(a.out, def)
				return nil
			}
			if err != nil {
				return err
			}
			fmt.Fprintln(a.out, v.Value)
			return nil
		},
	}
	get.Flags().StringVarP(&def, "default", "d", "", "print this when the variable does not exist (as Airflow's)")
	var output string
	list := &cobra.Command{
		Use:   "list",
		Short: "List variables; secret values show as ***",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			b, done, err := a.secretsBackend(cmd.Context())
			if err != nil {
				return err
			}
			defer done()
			vs, err := b.ListVariables(cmd.Context())
			if err != nil {
				return err
			}
			for _, v := range vs {
				if v.Sensitive() {
					v.Value = secrets.Mask
				}
			}
			if output == "json" {
				return writeJSON(a.out, vs)
			}
			var rows [][]string
			for _, v := range vs {
				rows = append(rows, []string{v.Key, oneLine(v.Value, 60), strconv.FormatBool(v.Sensitive()), v.Description})
			}
			a.table([]string{"KEY", "VALUE", "SECRET", "DESCRIPTION"}, rows)
			return nil
		},
	}
	a.addOutputFlag(list, &output)
	del := &cobra.Command{
		Use:   "delete KEY",
		Short: "Delete a variable",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			b, done, err := a.secretsBackend(cmd.Context())
			if err != nil {
				return err
			}
			defer done()
			if err := b.DeleteVariable(cmd.Context(), args[0]); err != nil {
				return err
			}
			fmt.Fprintf(a.out, "deleted variable %s\n", args[0])
			return nil
		},
	}
	imp := &cobra.Command{
		Use:   "import FILE|-",
		Short: `Set the variables of a JSON object file, {"KEY": value, …} (Airflow's format)`,
		Long: `Sets every variable of a JSON object: a string value as it is, any other value as its JSON
text (read it with var.json.KEY). With --secret, every imported variable is secret.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			raw, err := readFileArg(cmd, args[0])
			if err != nil {
				return err
			}
			var m map[string]json.RawMessage
			if err := json.Unmarshal(raw, &m); err != nil {
				return fmt.Errorf("%s: want a JSON object of variables, {\"KEY\": value}: %w", args[0], err)
			}
			b, done, err := a.secretsBackend(cmd.Context())
			if err != nil {
				return err
			}
			defer done()
			for _, k := range sortedKeys(m) {
				val := string(m[k])
				var s string
				if json.Unmarshal(m[k], &s) == nil {
					val = s
				}
				if err := b.SetVariable(cmd.Context(), &secrets.Variable{Key: k, Value: val, IsSecret: secret}); err != nil {
					return fmt.Errorf("variable %s: %w", k, err)
				}
			}
			fmt.Fprintf(a.out, "imported %d variables\n", len(m))
			return nil
		},
	}
	imp.Flags().BoolVar(&secret, "secret", false, "make every imported variable secret")
	exp := &cobra.Command{
		Use:   "export FILE|-",
		Short: "Write every variable, in clear, as a JSON object (a new file is made 0600)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			b, done, err := a.secretsBackend(cmd.Context())
			if err != nil {
				return err
			}
			defer done()
			ctx := cmd.Context()
			vs, err := b.ListVariables(ctx)
			if err != nil {
				return err
			}
			out := map[string]any{}
			for _, v := range vs {
				if _, remote := b.(remoteSecrets); remote && v.Sensitive() {
					if v, err = b.GetVariable(ctx, v.Key); err != nil {
						return err
					}
				}
				var x any
				if json.Unmarshal([]byte(v.Value), &x) == nil {
					if _, isStr := x.(string); !isStr {
						out[v.Key] = x
						continue
					}
				}
				out[v.Key] = v.Value
			}
			return writeFileArg(a, args[0], out)
		},
	}
	c.AddCommand(set, get, list, del, imp, exp)
	return c
}

// connectionsCmd is `weir connections add|get|list|delete|import|export`.
func (a *app) connectionsCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "connections",
		Short: "Add, read, list and delete Airflow connections (passwords and extras encrypted at rest)",
		Long: `Connections say how tasks reach external systems; tasks read them as {{ conn.ID.host }},
{{ conn.ID.password }}, {{ conn.ID.get_uri() }} … or through env_from (conn:ID puts its URI in
AIRFLOW_CONN_ID). Passwords and extras are encrypted with AES-256-GCM; $AIRFLOW_CONN_<ID> (a
URI or JSON) overrides a stored connection for tasks, as in Airflow. Listings mask the
password and the extra's sensitive fields.`,
	}
	var uri, js, ctype, host, login, password, schema, extra, desc string
	var port int
	var pwStdin bool
	add := &cobra.Command{
		Use:   "add ID (--conn-uri URI | --conn-json JSON | --conn-type TYPE [--conn-host …])",
		Short: "Create or replace a connection",
		Example: `  weir connections add warehouse --conn-uri 'postgres://etl:s3cret@db.internal:5432/analytics?sslmode=require'
  weir connections add api --conn-type http --conn-host api.example.com --password-stdin < token.txt`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id := args[0]
			var conn *secrets.Connection
			var err error
			switch {
			case uri != "" && js != "":
				return errors.New("give --conn-uri or --conn-json, not both")
			case uri != "":
				if conn, err = secrets.ParseURI(id, uri); err != nil {
					return err
				}
			case js != "":
				if conn, err = secrets.ParseConnectionJSON(id, []byte(js)); err != nil {
					return err
				}
			case ctype == "":
				return errors.New("give --conn-uri URI, --conn-json JSON or --conn-type TYPE (with --conn-host, --conn-login … )")
			default:
				conn = &secrets.Connection{ConnID: id}
			}
			fl := cmd.Flags()
			for name, p := range map[string]*string{"conn-type": &conn.ConnType, "conn-host": &conn.Host, "conn-login": &conn.Login,
				"conn-password": &conn.Password, "conn-schema": &conn.Schema, "conn-description": &conn.Description} {
				if fl.Changed(name) {
					*p = map[string]string{"conn-type": ctype, "conn-host": host, "conn-login": login, "conn-password": password,
						"conn-schema": schema, "conn-description": desc}[name]
				}
			}
			if fl.Changed("conn-port") {
				conn.Port = port
			}
			if fl.Changed("conn-extra") {
				conn.Extra = nil
				if err := json.Unmarshal([]byte(extra), &conn.Extra); err != nil {
					return fmt.Errorf("--conn-extra: want a JSON object: %w", err)
				}
			}
			if pwStdin || password == "-" {
				if conn.Password, err = a.readSecret(cmd, nil, "password of "+id); err != nil {
					return err
				}
			}
			b, done, err := a.secretsBackend(cmd.Context())
			if err != nil {
				return err
			}
			defer done()
			if err := b.PutConnection(cmd.Context(), conn); err != nil {
				return err
			}
			fmt.Fprintf(a.out, "added connection %s\n", id)
			return nil
		},
	}
	f := add.Flags()
	f.StringVar(&uri, "conn-uri", "", "the connection as an Airflow URI, type://login:password@host:port/schema?extra=…")
	f.StringVar(&js, "conn-json", "", `the connection as Airflow's JSON, {"conn_type": …, "host": …, "password": …, "extra": {…}}`)
	f.StringVar(&ctype, "conn-type", "", "the connection type (postgres, http, aws …)")
	f.StringVar(&host, "conn-host", "", "the host")
	f.StringVar(&login, "conn-login", "", "the login")
	f.StringVar(&password, "conn-password", "", "the password (- or --password-stdin: read it from stdin or a prompt, keeping it out of the shell history)")
	f.StringVar(&schema, "conn-schema", "", "the schema (the database, for SQL systems)")
	f.IntVar(&port, "conn-port", 0, "the port")
	f.StringVar(&extra, "conn-extra", "", "the extra settings, a JSON object")
	f.StringVar(&desc, "conn-description", "", "what the connection is for")
	f.BoolVar(&pwStdin, "password-stdin", false, "read the password from stdin (or a prompt)")

	var reveal bool
	var output string
	get := &cobra.Command{
		Use:   "get ID",
		Short: "Show a connection, masked unless --reveal (with --server, revealing is an admin token's right)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			b, done, err := a.secretsBackend(cmd.Context())
			if err != nil {
				return err
			}
			defer done()
			conn, err := b.GetConnection(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if !reveal {
				conn = conn.Masked()
			}
			if output == "json" {
				return writeJSON(a.out, conn)
			}
			a.table(connHeader, [][]string{connRow(conn)})
			if reveal {
				fmt.Fprintln(a.out, "uri: "+conn.URI())
			}
			return nil
		},
	}
	get.Flags().BoolVar(&reveal, "reveal", false, "show the password and the extra in clear, and the URI")
	a.addOutputFlag(get, &output)
	var listOutput string
	list := &cobra.Command{
		Use:   "list",
		Short: "List connections; passwords and sensitive extra fields show as ***",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(listOutput); err != nil {
				return err
			}
			b, done, err := a.secretsBackend(cmd.Context())
			if err != nil {
				return err
			}
			defer done()
			cs, err := b.ListConnections(cmd.Context())
			if err != nil {
				return err
			}
			for i, c := range cs {
				cs[i] = c.Masked()
			}
			if listOutput == "json" {
				return writeJSON(a.out, cs)
			}
			var rows [][]string
			for _, c := range cs {
				rows = append(rows, connRow(c))
			}
			a.table(connHeader, rows)
			return nil
		},
	}
	a.addOutputFlag(list, &listOutput)
	del := &cobra.Command{
		Use:   "delete ID",
		Short: "Delete a connection",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			b, done, err := a.secretsBackend(cmd.Context())
			if err != nil {
				return err
			}
			defer done()
			if err := b.DeleteConnection(cmd.Context(), args[0]); err != nil {
				return err
			}
			fmt.Fprintf(a.out, "deleted connection %s\n", args[0])
			return nil
		},
	}
	imp := &cobra.Command{
		Use:   "import FILE|-",
		Short: `Add the connections of a JSON object file, {"ID": {"conn_type": …} or "URI", …} (Airflow's format)`,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			raw, err := readFileArg(cmd, args[0])
			if err != nil {
				return err
			}
			var m map[string]json.RawMessage
			if err := json.Unmarshal(raw, &m); err != nil {
				return fmt.Errorf("%s: want a JSON object of connections by ID: %w", args[0], err)
			}
			b, done, err := a.secretsBackend(cmd.Context())
			if err != nil {
				return err
			}
			defer done()
			for _, id := range sortedKeys(m) {
				var conn *secrets.Connection
				var s string
				if json.Unmarshal(m[id], &s) == nil {
					conn, err = secrets.ParseURI(id, s)
				} else {
					conn, err = secrets.ParseConnectionJSON(id, m[id])
				}
				if err != nil {
					return fmt.Errorf("%s: %w", args[0], err)
				}
				if err := b.PutConnection(cmd.Context(), conn); err != nil {
					return err
				}
			}
			fmt.Fprintf(a.out, "imported %d connections\n", len(m))
			return nil
		},
	}
	exp := &cobra.Command{
		Use:   "export FILE|-",
		Short: "Write every connection, in clear, as Airflow's JSON (a new file is made 0600)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			b, done, err := a.secretsBackend(cmd.Context())
			if err != nil {
				return err
			}
			defer done()
			ctx := cmd.Context()
			cs, err := b.ListConnections(ctx)
			if err != nil {
				return err
			}
			out := map[string]any{}
			for _, c := range cs {
				if _, remote := b.(remoteSecrets); remote {
					if c, err = b.GetConnection(ctx, c.ConnID); err != nil {
						return err
					}
				}
				e := map[string]any{"conn_type": c.ConnType, "description": c.Description, "host": c.Host, "login": c.Login,
					"password": c.Password, "schema": c.Schema, "port": c.Port, "extra": c.ExtraJSON()}
				out[c.ConnID] = e
			}
			return writeFileArg(a, args[0], out)
		},
	}
	c.AddCommand(add, get, list, del, imp, exp)
	return c
}

// secretsCmd is `weir secrets rotate-key`.
func (a *app) secretsCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "secrets",
		Short: "Manage the key that encrypts variables and connections (local store)",
	}
	var dropOld, reencryptOnly bool
	rotate := &cobra.Command{
		Use:   "rotate-key",
		Short: "Re-encrypt every variable and connection under a new key",
		Long: `With the key file ($WEIR_SECRET_KEY_FILE, default $WEIR_HOME/secret.key), makes a new key,
puts it first in the file (the old ones stay after it: every key of the file decrypts, the
first encrypts), and re-encrypts every stored value with it in one transaction; --drop-old
then removes the old keys from the file.

With $WEIR_SECRET_KEY (comma-separated keys, as Airflow's fernet_key): put a new key first
(NEW,OLD; make one with openssl rand -base64 32), run this to re-encrypt everything with
it, then drop OLD from the variable.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := a.localOnly(cmd); err != nil {
				return err
			}
			svc, done, err := a.secretsService(cmd.Context())
			if err != nil {
				return err
			}
			defer done()
			if svc.Keys().File() == "" || reencryptOnly {
				n, err := svc.Rotate(cmd.Context())
				if err != nil {
					return err
				}
				ring, _ := svc.Keys().Keyring(false)
				fmt.Fprintf(a.out, "re-encrypted %d values with key %s (%s)\n", n, ring.PrimaryID(), ring.Source)
				return nil
			}
			id, n, err := svc.RotateKeyFile(cmd.Context(), dropOld)
			if err != nil {
				return err
			}
			note := "the old keys stay in the file after it; remove them with --drop-old once every process has the new file"
			if dropOld {
				note = "the old keys were removed from the file"
			}
			fmt.Fprintf(a.out, "re-encrypted %d values with the new key %s in %s; %s\n", n, id, svc.Keys().File(), note)
			return nil
		},
	}
	rotate.Flags().BoolVar(&dropOld, "drop-old", false, "remove the old keys from the key file after re-encrypting")
	rotate.Flags().BoolVar(&reencryptOnly, "reencrypt-only", false, "make no new key: re-encrypt with the first key of the key file")
	c.AddCommand(rotate)
	return c
}

var connHeader = []string{"ID", "TYPE", "HOST", "PORT", "SCHEMA", "LOGIN", "PASSWORD", "EXTRA", "DESCRIPTION"}

func connRow(c *secrets.Connection) []string {
	port := ""
	if c.Port != 0 {
		port = strconv.Itoa(c.Port)
	}
	return []string{c.ConnID, c.ConnType, c.Host, port, c.Schema, c.Login, c.Password, c.ExtraJSON(), c.Description}
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// readFileArg reads a file, or stdin for "-".
func readFileArg(cmd *cobra.Command, name string) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(cmd.InOrStdin())
	}
	return os.ReadFile(name)
}

// writeFileArg writes v as indented JSON to a file made 0600 (it holds secrets in clear),
// or to stdout for "-".
func writeFileArg(a *app, name string, v any) error {
	if name == "-" {
		return writeJSON(a.out, v)
	}
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if err := writeJSON(f, v); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Fprintf(a.errOut, "wrote %s (in clear: keep it safe, delete it when done)\n", name)
	return nil
}

// remoteSecrets is secretsBackend on a server's API.
type remoteSecrets struct{ c *client.Client }

func fromClientVariable(v *client.Variable) *secrets.Variable {
	return &secrets.Variable{Key: v.Key, Value: v.Value, Description: strOr(v.Description, ""), IsSecret: v.IsSecret}
}

func (r remoteSecrets) ListVariables(ctx context.Context) ([]*secrets.Variable, error) {
	page, err := r.c.ListVariables(ctx, client.ListOptions{Limit: 100000})
	if err != nil {
		return nil, err
	}
	out := make([]*secrets.Variable, len(page.Variables))
	for i := range page.Variables {
		out[i] = fromClientVariable(&page.Variables[i])
	}
	return out, nil
}

func (r remoteSecrets) GetVariable(ctx context.Context, key string) (*secrets.Variable, error) {
	v, err := r.c.RevealVariable(ctx, key)
	if err != nil {
		return nil, err
	}
	return fromClientVariable(v), nil
}

func (r remoteSecrets) SetVariable(ctx context.Context, v *secrets.Variable) error {
	_, err := r.c.SetVariable(ctx, client.Variable{Key: v.Key, Value: v.Value, Description: &v.Description, IsSecret: v.IsSecret})
	return err
}

func (r remoteSecrets) DeleteVariable(ctx context.Context, key string) error {
	return r.c.DeleteVariable(ctx, key)
}

func fromClientConnection(c *client.Connection) (*secrets.Connection, error) {
	out := &secrets.Connection{ConnID: c.ConnectionID, ConnType: c.ConnType, Description: strOr(c.Description, ""),
		Host: strOr(c.Host, ""), Login: strOr(c.Login, ""), Schema: strOr(c.Schema, ""), Password: strOr(c.Password, "")}
	if c.Port != nil {
		out.Port = *c.Port
	}
	if ex := strOr(c.Extra, ""); ex != "" {
		if err := json.Unmarshal([]byte(ex), &out.Extra); err != nil {
			return nil, fmt.Errorf("connection %s: extra: %w", c.ConnectionID, err)
		}
	}
	return out, nil
}

func (r remoteSecrets) ListConnections(ctx context.Context) ([]*secrets.Connection, error) {
	page, err := r.c.ListConnections(ctx, client.ListOptions{Limit: 100000})
	if err != nil {
		return nil, err
	}
	out := make([]*secrets.Connection, 0, len(page.Connections))
	for i := range page.Connections {
		c, err := fromClientConnection(&page.Connections[i])
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

func (r remoteSecrets) GetConnection(ctx context.Context, id string) (*secrets.Connection, error) {
	c, err := r.c.RevealConnection(ctx, id)
	if err != nil {
		return nil, err
	}
	return fromClientConnection(c)
}

func (r remoteSecrets) PutConnection(ctx context.Context, c *secrets.Connection) error {
	body := client.Connection{ConnectionID: c.ConnID, ConnType: c.ConnType, Description: &c.Description, Host: &c.Host,
		Login: &c.Login, Schema: &c.Schema, Password: &c.Password}
	if c.Port != 0 {
		body.Port = &c.Port
	}
	if ex := c.ExtraJSON(); ex != "" {
		body.Extra = &ex
	}
	_, err := r.c.PutConnection(ctx, body)
	return err
}

func (r remoteSecrets) DeleteConnection(ctx context.Context, id string) error {
	return r.c.DeleteConnection(ctx, id)
}
