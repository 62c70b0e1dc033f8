package secrets_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/weirhq/weir/secrets"
	"github.com/weirhq/weir/store"
	"github.com/weirhq/weir/store/sqlite"
)

func newService(t *testing.T, home string, env map[string]string) (*secrets.Service, store.Store) {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(home, "weir.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	getenv := func(k string) string { return env[k] }
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	svc, err := secrets.New(secrets.Config{Store: st, Keys: &secrets.KeySource{Home: home, Getenv: getenv, Notice: &bytes.Buffer{}}, LookupEnv: lookup})
	if err != nil {
		t.Fatal(err)
	}
	return svc, st
}

func TestKeyringRoundTripAndBinding(t *testing.T) {
	t.Parallel()
	k1, _ := secrets.NewKey()
	k2, _ := secrets.NewKey()
	ring, err := secrets.ParseKeys("# comment, with a comma\n"+k1+","+k2+"\n", "test keys")
	if err != nil {
		t.Fatal(err)
	}
	ct, err := ring.Encrypt([]byte("hello"), "variable a")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(ct, "v1:"+ring.PrimaryID()+":") || strings.Contains(ct, "hello") {
		t.Fatalf("ciphertext %q: want v1:<primary id>:… without the value", ct)
	}
	if got, err := ring.Decrypt(ct, "variable a"); err != nil || string(got) != "hello" {
		t.Fatalf("Decrypt = %q, %v", got, err)
	}
	// Another row's associated data does not open it.
	if _, err := ring.Decrypt(ct, "variable b"); !errors.Is(err, secrets.ErrWrongKey) {
		t.Errorf("Decrypt with another row's aad: %v, want ErrWrongKey", err)
	}
	// The old key alone cannot read what the primary wrote, and the error names the source.
	old, _ := secrets.ParseKeys(k2, "$WEIR_SECRET_KEY")
	_, err = old.Decrypt(ct, "variable a")
	if !errors.Is(err, secrets.ErrWrongKey) || !strings.Contains(err.Error(), "$WEIR_SECRET_KEY") || !strings.Contains(err.Error(), ring.PrimaryID()) {
		t.Errorf("Decrypt with the wrong key: %v; want ErrWrongKey naming $WEIR_SECRET_KEY and key %s", err, ring.PrimaryID())
	}
	if _, err := secrets.ParseKeys("c2hvcnQ=", "$WEIR_SECRET_KEY"); err == nil || !strings.Contains(err.Error(), "32 bytes") {
		t.Errorf("a short key: %v, want an error saying 32 bytes", err)
	}
}

func TestKeyFileCreatedOnFirstWrite(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	svc, _ := newService(t, home, nil)
	ctx := t.Context()
	if _, err := svc.Keys().Keyring(false); err == nil || !strings.Contains(err.Error(), "secret.key") {
		t.Errorf("reading before any write: %v; want an error naming the key file", err)
	}
	if err := svc.SetVariable(ctx, &secrets.Variable{Key: "k", Value: "value-1"}); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(home, "secret.key"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v, %v; want it created with mode 0600", fi, err)
	}
}

func TestRotationKeepsValuesReadable(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	svc, st := newService(t, home, nil)
	ctx := t.Context()
	if err := svc.SetVariable(ctx, &secrets.Variable{Key: "db_password", Value: "hunter2-long"}); err != nil {
		t.Fatal(err)
	}
	if err := svc.PutConnection(ctx, &secrets.Connection{ConnID: "c", ConnType: "http", Password: "pw-123456", Extra: map[string]any{"token": "t-123456"}}); err != nil {
		t.Fatal(err)
	}
	before, _ := st.GetVariable(ctx, "db_password")
	oldID, err := svc.Keys().Keyring(false)
	if err != nil {
		t.Fatal(err)
	}
	newID, n, err := svc.RotateKeyFile(ctx, true)
	if err != nil || n != 3 || newID == oldID.PrimaryID() {
		t.Fatalf("RotateKeyFile = %s, %d, %v; want a new key and 3 values", newID, n, err)
	}
	after, _ := st.GetVariable(ctx, "db_password")
	if !strings.Contains(after.Value, newID) || after.Value == before.Value {
		t.Errorf("stored value after rotation %q: want it under key %s", after.Value, newID)
	}
	// A fresh service (the new key file only) reads everything.
	svc2, _ := newService(t, home, nil)
	v, err := svc2.GetVariable(ctx, "db_password")
	if err != nil || v.Value != "hunter2-long" {
		t.Fatalf("after rotation: %+v, %v", v, err)
	}
	c, err := svc2.GetConnection(ctx, "c")
	if err != nil || c.Password != "pw-123456" || c.Extra["token"] != "t-123456" {
		t.Fatalf("connection after rotation: %+v, %v", c, err)
	}
	// The old key is gone from the file (--drop-old): a keyring of the old key alone fails,
	// naming where its key came from.
	k, _ := secrets.NewKey()
	wrong, _ := newService(t, home, map[string]string{secrets.KeyEnv: k})
	_, err = wrong.GetVariable(ctx, "db_password")
	if !errors.Is(err, secrets.ErrWrongKey) || !strings.Contains(err.Error(), "$WEIR_SECRET_KEY") {
		t.Errorf("wrong key: %v; want ErrWrongKey naming $WEIR_SECRET_KEY", err)
	}
}

func TestEnvironmentWinsOverTheStore(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	env := map[string]string{"AIRFLOW_VAR_REGION": "from-env", "AIRFLOW_CONN_API": `{"conn_type": "http", "host": "env.example", "password": "env-pass-1", "extra": {"api_key": "env-key-12"}}`}
	svc, _ := newService(t, home, env)
	ctx := t.Context()
	if err := svc.SetVariable(ctx, &secrets.Variable{Key: "region", Value: "from-store"}); err != nil {
		t.Fatal(err)
	}
	if v, err := svc.LookupVariable(ctx, "region"); err != nil || v != "from-env" {
		t.Errorf("LookupVariable(region) = %q, %v; want the environment's", v, err)
	}
	c, err := svc.LookupConnection(ctx, "api")
	if err != nil || c.Host != "env.example" {
		t.Fatalf("LookupConnection(api) = %+v, %v", c, err)
	}
	m := svc.Masker()
	if got := m.Redact("p=env-pass-1 k=env-key-12 region=from-env"); got != "p=*** k=*** region=from-env" {
		t.Errorf("Redact = %q: want the password and the sensitive extra masked, the region not", got)
	}
	if _, err := svc.LookupVariable(ctx, "missing"); !errors.Is(err, store.ErrNotFound) || !strings.Contains(err.Error(), "weir variables set missing") {
		t.Errorf("a missing variable: %v; want ErrNotFound saying how to set it", err)
	}
	env2, err := svc.Env(ctx, []string{"var:region", "conn:api", "PW=conn:api.password"})
	if err != nil {
		t.Fatal(err)
	}
	if env2["AIRFLOW_VAR_REGION"] != "from-env" || env2["PW"] != "env-pass-1" || !strings.HasPrefix(env2["AIRFLOW_CONN_API"], "http://:env-pass-1@env.example") {
		t.Errorf("Env = %v", env2)
	}
}

func TestConnectionURIs(t *testing.T) {
	t.Parallel()
	c, err := secrets.ParseURI("db", "postgresql://us%20er:p%40ss%3Aw@db.host:5432/my_db?sslmode=require&x=1")
	if err != nil {
		t.Fatal(err)
	}
	if c.ConnType != "postgres" || c.Login != "us er" || c.Password != "p@ss:w" || c.Host != "db.host" || c.Port != 5432 ||
		c.Schema != "my_db" || c.Extra["sslmode"] != "require" || c.Extra["x"] != "1" {
		t.Errorf("ParseURI = %+v", c)
	}
	back, err := secrets.ParseURI("db", c.URI())
	if err != nil || back.URI() != c.URI() || back.Password != c.Password || back.Login != c.Login {
		t.Errorf("URI round trip: %q → %+v, %v", c.URI(), back, err)
	}
	// Non-string extras travel as __extra__ JSON; "-" in the scheme is "_" in the type.
	g := &secrets.Connection{ConnID: "g", ConnType: "google_cloud_platform", Extra: map[string]any{"scopes": []any{"a", "b"}}}
	if u := g.URI(); !strings.HasPrefix(u, "google-cloud-platform://") || !strings.Contains(u, "__extra__=") {
		t.Errorf("URI = %q", u)
	}
	g2, err := secrets.ParseURI("g", g.URI())
	if err != nil || g2.ConnType != "google_cloud_platform" || len(g2.Extra["scopes"].([]any)) != 2 {
		t.Errorf("__extra__ round trip: %+v, %v", g2, err)
	}
	if _, err := secrets.ParseURI("x", "no-scheme"); err == nil {
		t.Error("a URI without scheme: no error")
	}
	if m := c.Masked(); m.Password != "***" || m.Extra["sslmode"] != "require" {
		t.Errorf("Masked = %+v", m)
	}
}

func TestMaskerRules(t *testing.T) {
	t.Parallel()
	m := secrets.NewMasker()
	m.Add("abcd", "")              // shorter than MinLength (5): not masked, as Airflow
	m.Add("plain-value", "region") // a name that is not sensitive: not masked
	m.Add("s3cr3t-value", "DB_PASSWORD")
	m.Add("quote\"d-value", "")
	m.Add("airflow", "")
	got := m.Redact(`abcd plain-value s3cr3t-value quote"d-value quote\"d-value airflow`)
	if want := `abcd plain-value *** *** *** airflow`; got != want {
		t.Errorf("Redact = %q, want %q", got, want)
	}
	for _, name := range []string{"api_key", "MY_PASSWORD", "github_token", "keyfile_dict", "proxies"} {
		if !secrets.ShouldHide(name) {
			t.Errorf("ShouldHide(%q) = false", name)
		}
	}
	if secrets.ShouldHide("region") {
		t.Error("ShouldHide(region) = true")
	}
	// A secret split across writes is still masked; the last line is flushed on Close.
	var out bytes.Buffer
	w := m.Writer(&out)
	for _, part := range []string{"line one s3cr", "3t-value end\nlast s3cr3t", "-value"} {
		if _, err := w.Write([]byte(part)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != "line one *** end\nlast ***" {
		t.Errorf("Writer wrote %q", got)
	}
	doc := m.RedactJSON([]byte(`{"a": "x s3cr3t-value y", "n": 12345678901234567890, "max_tokens": "<5>"}`))
	if string(doc) != `{"a":"x *** y","max_tokens":"<5>","n":12345678901234567890}` {
		t.Errorf("RedactJSON = %s", doc)
	}
	if in := `{"token": "not a registered secret"}`; string(m.RedactJSON([]byte(in))) != in {
		t.Errorf("RedactJSON changed a document without secrets: %s", m.RedactJSON([]byte(in)))
	}
	v := m.RedactValue(map[string]any{"token": "anything", "nested": map[string]any{"password": []any{"a"}}, "ok": "fine"}, "")
	if mm := v.(map[string]any); mm["token"] != "***" || mm["ok"] != "fine" || mm["nested"].(map[string]any)["password"].([]any)[0] != "***" {
		t.Errorf("RedactValue = %v", v)
	}
}

// A process that loaded the key file before another one rotated it reads the new values.
func TestRotationByAnotherProcess(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	server, _ := newService(t, home, nil)
	ctx := t.Context()
	if err := server.SetVariable(ctx, &secrets.Variable{Key: "k", Value: "value-1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := server.GetVariable(ctx, "k"); err != nil { // loads the keyring
		t.Fatal(err)
	}
	cli, _ := newService(t, home, nil)
	if _, _, err := cli.RotateKeyFile(ctx, true); err != nil {
		t.Fatal(err)
	}
	if v, err := server.GetVariable(ctx, "k"); err != nil || v.Value != "value-1" {
		t.Errorf("after another process rotated the key: %+v, %v", v, err)
	}
}
