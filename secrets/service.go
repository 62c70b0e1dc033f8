package secrets

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/weirhq/weir/dag"
	"github.com/weirhq/weir/store"
)

// Environment prefixes of Airflow's environment secrets backend, read before the store.
const (
	// VarEnvPrefix + the key in upper case holds a variable's value.
	VarEnvPrefix = "AIRFLOW_VAR_"
	// ConnEnvPrefix + the ID in upper case holds a connection as a URI or JSON.
	ConnEnvPrefix = "AIRFLOW_CONN_"
)

// Variable is an Airflow variable in clear.
type Variable struct {
	Key         string    `json:"key"`
	Value       string    `json:"value"`
	Description string    `json:"description,omitempty"`
	IsSecret    bool      `json:"is_secret,omitempty"`
	UpdatedAt   time.Time `json:"updated_at,omitzero"`
}

// Sensitive reports whether the value is masked where it is shown: marked secret, or its
// key names something sensitive (ShouldHide).
func (v *Variable) Sensitive() bool { return v.IsSecret || ShouldHide(v.Key) }

// Config configures a Service.
type Config struct {
	// Store keeps the ciphertexts. Required.
	Store store.SecretStore
	// Keys finds the encryption keys. Required.
	Keys *KeySource
	// Masker receives the secrets tasks read. Default: a new one.
	Masker *Masker
	// LookupEnv reads the environment (AIRFLOW_VAR_…, AIRFLOW_CONN_…). Default os.LookupEnv.
	LookupEnv func(string) (string, bool)
}

// Service reads and writes variables and connections, encrypting them for the store, and
// resolves them for tasks (environment first, then the store, as Airflow's secrets
// backends), registering what tasks read with its masker. It is safe for concurrent use.
type Service struct {
	cfg Config
}

// New returns a service on cfg.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.Keys == nil {
		return nil, errors.New("secrets: Config.Store and Config.Keys are required")
	}
	if cfg.Masker == nil {
		cfg.Masker = NewMasker()
	}
	if cfg.LookupEnv == nil {
		cfg.LookupEnv = os.LookupEnv
	}
	return &Service{cfg: cfg}, nil
}

// Masker returns the masker that holds the secrets tasks read.
func (s *Service) Masker() *Masker { return s.cfg.Masker }

// Keys returns the key source.
func (s *Service) Keys() *KeySource { return s.cfg.Keys }

func varAAD(key string) string        { return "variable " + key }
func connAAD(id, field string) string { return "connection " + id + " " + field }
func aadOf(f store.SecretField) string {
	if f.Kind == "variable" {
		return varAAD(f.ID)
	}
	return connAAD(f.ID, f.Field)
}

// SetVariable creates or replaces a variable.
func (s *Service) SetVariable(ctx context.Context, v *Variable) error {
	if v.Key == "" {
		return errors.New("secrets: a variable needs a key")
	}
	ring, err := s.cfg.Keys.Keyring(true)
	if err != nil {
		return err
	}
	ct, err := ring.Encrypt([]byte(v.Value), varAAD(v.Key))
	if err != nil {
		return err
	}
	sv := &store.Variable{Key: v.Key, Value: ct, Description: v.Description, IsSecret: v.IsSecret}
	if err := s.cfg.Store.PutVariable(ctx, sv); err != nil {
		return err
	}
	v.UpdatedAt = sv.UpdatedAt
	return nil
}

func (s *Service) openVariable(sv *store.Variable) (*Variable, error) {
	plain, err := s.decrypt(sv.Value, varAAD(sv.Key))
	if err != nil {
		return nil, err
	}
	return &Variable{Key: sv.Key, Value: string(plain), Description: sv.Description, IsSecret: sv.IsSecret, UpdatedAt: sv.UpdatedAt}, nil
}

// decrypt opens a ciphertext. A ciphertext of a key the loaded keyring lacks makes it read
// the keys again, once: another process (weir secrets rotate-key) may have added it.
func (s *Service) decrypt(ct, aad string) ([]byte, error) {
	ring, err := s.cfg.Keys.Keyring(false)
	if err != nil {
		return nil, err
	}
	plain, err := ring.Decrypt(ct, aad)
	if errors.Is(err, errUnknownKey) {
		s.cfg.Keys.Reset()
		if ring, err = s.cfg.Keys.Keyring(false); err != nil {
			return nil, err
		}
		plain, err = ring.Decrypt(ct, aad)
	}
	return plain, err
}

// GetVariable returns a variable of the store, decrypted; an error wrapping
// store.ErrNotFound when there is none.
func (s *Service) GetVariable(ctx context.Context, key string) (*Variable, error) {
	sv, err := s.cfg.Store.GetVariable(ctx, key)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("variable %s does not exist (set it with `weir variables set %s VALUE`, or $%s%s): %w", key, key, VarEnvPrefix, strings.ToUpper(key), store.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	return s.openVariable(sv)
}

// ListVariables returns every variable of the store, decrypted, by key.
func (s *Service) ListVariables(ctx context.Context) ([]*Variable, error) {
	list, err := s.cfg.Store.ListVariables(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]*Variable, 0, len(list))
	for _, sv := range list {
		v, err := s.openVariable(sv)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// DeleteVariable removes a variable; an error wrapping store.ErrNotFound if missing.
func (s *Service) DeleteVariable(ctx context.Context, key string) error {
	return s.cfg.Store.DeleteVariable(ctx, key)
}

// PutConnection creates or replaces a connection.
func (s *Service) PutConnection(ctx context.Context, c *Connection) error {
	if c.ConnID == "" {
		return errors.New("secrets: a connection needs an ID")
	}
	sc := &store.Connection{ConnID: c.ConnID, ConnType: c.ConnType, Description: c.Description, Host: c.Host,
		Schema: c.Schema, Login: c.Login, Port: c.Port}
	if c.Password != "" || len(c.Extra) > 0 {
		ring, err := s.cfg.Keys.Keyring(true)
		if err != nil {
			return err
		}
		if c.Password != "" {
			if sc.Password, err = ring.Encrypt([]byte(c.Password), connAAD(c.ConnID, "password")); err != nil {
				return err
			}
		}
		if ex := c.ExtraJSON(); ex != "" {
			if sc.Extra, err = ring.Encrypt([]byte(ex), connAAD(c.ConnID, "extra")); err != nil {
				return err
			}
		}
	}
	return s.cfg.Store.PutConnection(ctx, sc)
}

func (s *Service) openConnection(sc *store.Connection) (*Connection, error) {
	c := &Connection{ConnID: sc.ConnID, ConnType: sc.ConnType, Description: sc.Description, Host: sc.Host,
		Schema: sc.Schema, Login: sc.Login, Port: sc.Port}
	if sc.Password == "" && sc.Extra == "" {
		return c, nil
	}
	if sc.Password != "" {
		b, err := s.decrypt(sc.Password, connAAD(sc.ConnID, "password"))
		if err != nil {
			return nil, err
		}
		c.Password = string(b)
	}
	if sc.Extra != "" {
		b, err := s.decrypt(sc.Extra, connAAD(sc.ConnID, "extra"))
		if err != nil {
			return nil, err
		}
		if err := jsonUnmarshal(b, &c.Extra); err != nil {
			return nil, fmt.Errorf("connection %s: stored extra: %w", sc.ConnID, err)
		}
	}
	return c, nil
}

// GetConnection returns a connection of the store, decrypted; an error wrapping
// store.ErrNotFound when there is none.
func (s *Service) GetConnection(ctx context.Context, id string) (*Connection, error) {
	sc, err := s.cfg.Store.GetConnection(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("connection %s does not exist (add it with `weir connections add %s --conn-uri URI`, or $%s%s): %w", id, id, ConnEnvPrefix, strings.ToUpper(id), store.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	return s.openConnection(sc)
}

// ListConnections returns every connection of the store, decrypted, by ID.
func (s *Service) ListConnections(ctx context.Context) ([]*Connection, error) {
	list, err := s.cfg.Store.ListConnections(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]*Connection, 0, len(list))
	for _, sc := range list {
		c, err := s.openConnection(sc)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// DeleteConnection removes a connection; an error wrapping store.ErrNotFound if missing.
func (s *Service) DeleteConnection(ctx context.Context, id string) error {
	return s.cfg.Store.DeleteConnection(ctx, id)
}

// Rotate re-encrypts every stored secret with the primary key, in one transaction
// (Airflow's rotate-fernet-key): it decrypts with any key of the keyring. It returns how
// many values it re-encrypted.
func (s *Service) Rotate(ctx context.Context) (int, error) {
	ring, err := s.cfg.Keys.Keyring(false)
	if err != nil {
		return 0, err
	}
	return s.cfg.Store.RewriteSecrets(ctx, func(f store.SecretField, ct string) (string, error) {
		aad := aadOf(f)
		plain, err := ring.Decrypt(ct, aad)
		if err != nil {
			return "", err
		}
		return ring.Encrypt(plain, aad)
	})
}

// RotateKeyFile makes a new key, puts it first in the key file (the old keys stay, so
// nothing becomes unreadable if the rotation stops half-way), re-encrypts everything with
// it (Rotate), and then, with dropOld, removes the old keys from the file. It returns the
// new key's ID and how many values it re-encrypted. With the keys in $WEIR_SECRET_KEY it
// fails: put the new key first there and call Rotate.
func (s *Service) RotateKeyFile(ctx context.Context, dropOld bool) (string, int, error) {
	path := s.cfg.Keys.File()
	if path == "" {
		return "", 0, fmt.Errorf("secrets: the keys come from $%s: put a new key first there (NEW,OLD; make one with `openssl rand -base64 32`) and run `weir secrets rotate-key` again with it", KeyEnv)
	}
	ring, err := s.cfg.Keys.Keyring(true)
	if err != nil {
		return "", 0, err
	}
	k, err := NewKey()
	if err != nil {
		return "", 0, err
	}
	if err := writeKeyFile(path, append([]string{k}, ring.encoded()...), false); err != nil {
		return "", 0, err
	}
	s.cfg.Keys.Reset()
	n, err := s.Rotate(ctx)
	if err != nil {
		return "", 0, fmt.Errorf("secrets: the key file %s has the new key first and the old ones after it; re-encrypting failed (run `weir secrets rotate-key --reencrypt-only` again): %w", path, err)
	}
	ring, err = s.cfg.Keys.Keyring(false)
	if err != nil {
		return "", 0, err
	}
	if dropOld {
		if err := writeKeyFile(path, ring.encoded()[:1], false); err != nil {
			return "", 0, err
		}
		s.cfg.Keys.Reset()
	}
	return ring.PrimaryID(), n, nil
}

// LookupVariable returns the value a task sees of variable key: $AIRFLOW_VAR_<KEY> if set,
// else the store's. A sensitive value (Variable.Sensitive) is added to the masker.
func (s *Service) LookupVariable(ctx context.Context, key string) (string, error) {
	if v, ok := s.cfg.LookupEnv(VarEnvPrefix + strings.ToUpper(key)); ok {
		s.cfg.Masker.Add(v, key)
		return v, nil
	}
	v, err := s.GetVariable(ctx, key)
	if err != nil {
		return "", err
	}
	if v.Sensitive() {
		s.cfg.Masker.Add(v.Value, "")
	}
	return v.Value, nil
}

// LookupConnection returns the connection a task sees: $AIRFLOW_CONN_<ID> (a URI or JSON)
// if set, else the store's. Its password and sensitive extra fields are added to the masker.
func (s *Service) LookupConnection(ctx context.Context, id string) (*Connection, error) {
	var c *Connection
	if v, ok := s.cfg.LookupEnv(ConnEnvPrefix + strings.ToUpper(id)); ok {
		var err error
		if c, err = ParseConnectionValue(id, v); err != nil {
			return nil, fmt.Errorf("$%s%s: %w", ConnEnvPrefix, strings.ToUpper(id), err)
		}
	} else {
		var err error
		if c, err = s.GetConnection(ctx, id); err != nil {
			return nil, err
		}
	}
	c.mask(s.cfg.Masker)
	return c, nil
}

// Env returns the environment variables of a command task's env_from entries (see
// dag.ParseEnvRef), registering the values with the masker.
func (s *Service) Env(ctx context.Context, entries []string) (map[string]string, error) {
	out := make(map[string]string, len(entries))
	for _, e := range entries {
		r, err := dag.ParseEnvRef(e)
		if err != nil {
			return nil, err
		}
		switch r.Kind {
		case "var":
			v, err := s.LookupVariable(ctx, r.ID)
			if err != nil {
				return nil, fmt.Errorf("env_from %s: %w", e, err)
			}
			out[r.Name] = v
		case "conn":
			c, err := s.LookupConnection(ctx, r.ID)
			if err != nil {
				return nil, fmt.Errorf("env_from %s: %w", e, err)
			}
			out[r.Name] = c.Field(r.Field)
		}
	}
	return out, nil
}

// Lookup returns the dag.SecretLookup of templates rendered under ctx.
func (s *Service) Lookup(ctx context.Context) dag.SecretLookup { return lookup{ctx, s} }

type lookup struct {
	ctx context.Context
	s   *Service
}

func (l lookup) Variable(key string) (string, error) { return l.s.LookupVariable(l.ctx, key) }

func (l lookup) Connection(id string) (map[string]any, error) {
	c, err := l.s.LookupConnection(l.ctx, id)
	if err != nil {
		return nil, err
	}
	return c.TemplateFields(), nil
}
