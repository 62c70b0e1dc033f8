package secrets

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// KeyEnv and KeyFileEnv are the environment variables that give the encryption keys.
const (
	// KeyEnv holds one or more base64 keys of 32 bytes, separated by commas: the first
	// encrypts, all of them decrypt (as Airflow's fernet_key with MultiFernet).
	KeyEnv = "WEIR_SECRET_KEY"
	// KeyFileEnv names a key file (default $WEIR_HOME/secret.key): one base64 key a line,
	// the first one encrypting.
	KeyFileEnv = "WEIR_SECRET_KEY_FILE"
)

// ciphertextPrefix starts every ciphertext: "v1:<key id>:<base64 of nonce and sealed data>".
const ciphertextPrefix = "v1:"

// Keyring holds the AES-256-GCM keys: the first encrypts, every one decrypts. It is safe
// for concurrent use.
type Keyring struct {
	// Source says where the keys came from ("$WEIR_SECRET_KEY", "key file PATH"), for
	// errors.
	Source string
	keys   []key
}

type key struct {
	id   string
	raw  []byte
	aead cipher.AEAD
}

// KeyID returns the ID of a raw key, as stored with each ciphertext: the first 8 hex digits
// of its SHA-256.
func KeyID(raw []byte) string {
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:4])
}

// NewKey returns a new random key, base64-encoded.
func NewKey() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("secrets: random key: %w", err)
	}
	return base64.StdEncoding.EncodeToString(b), nil
}

// ParseKeys returns the keyring of base64 keys separated by commas or newlines (blank
// entries and lines starting with # are skipped); source names where they came from.
func ParseKeys(text, source string) (*Keyring, error) {
	k := &Keyring{Source: source}
	var fields []string
	for _, line := range strings.Split(text, "\n") {
		if line = strings.TrimSpace(line); line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		for _, f := range strings.Split(line, ",") {
			if f = strings.TrimSpace(f); f != "" {
				fields = append(fields, f)
			}
		}
	}
	for i, f := range fields {
		raw, err := base64.StdEncoding.DecodeString(f)
		if err != nil {
			raw, err = base64.RawURLEncoding.DecodeString(strings.TrimRight(f, "="))
		}
		if err != nil || len(raw) != 32 {
			return nil, fmt.Errorf("secrets: key %d of %s is not 32 bytes in base64 (make one with `openssl rand -base64 32`, or let weir create the key file)", i+1, source)
		}
		block, err := aes.NewCipher(raw)
		if err != nil {
			return nil, err
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, err
		}
		k.keys = append(k.keys, key{id: KeyID(raw), raw: raw, aead: aead})
	}
	if len(k.keys) == 0 {
		return nil, fmt.Errorf("secrets: %s holds no key", source)
	}
	return k, nil
}

// PrimaryID returns the ID of the key that encrypts.
func (k *Keyring) PrimaryID() string { return k.keys[0].id }

// IDs returns the IDs of every key, the primary first.
func (k *Keyring) IDs() []string {
	out := make([]string, len(k.keys))
	for i, x := range k.keys {
		out[i] = x.id
	}
	return out
}

// Encrypt seals plain with the primary key. aad binds the ciphertext to what it belongs to
// ("variable:KEY"): it decrypts only with the same aad, so a ciphertext copied to another
// row does not decrypt.
func (k *Keyring) Encrypt(plain []byte, aad string) (string, error) {
	p := k.keys[0]
	nonce := make([]byte, p.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("secrets: random nonce: %w", err)
	}
	sealed := p.aead.Seal(nonce, nonce, plain, []byte(aad))
	return ciphertextPrefix + p.id + ":" + base64.RawStdEncoding.EncodeToString(sealed), nil
}

// ErrWrongKey is wrapped by Decrypt's errors when no key of the keyring opens a ciphertext.
var ErrWrongKey = errors.New("wrong key")

// errUnknownKey is wrapped (with ErrWrongKey) when a ciphertext names a key the keyring
// lacks, as opposed to a key that does not open it.
var errUnknownKey = errors.New("unknown key")

// unknownKeyError is both ErrWrongKey and errUnknownKey; its text is ErrWrongKey's.
type unknownKeyError struct{}

func (unknownKeyError) Error() string { return ErrWrongKey.Error() }
func (unknownKeyError) Is(target error) bool {
	return target == ErrWrongKey || target == errUnknownKey
}

// Decrypt opens a ciphertext of Encrypt with the key it names.
func (k *Keyring) Decrypt(ct, aad string) ([]byte, error) {
	rest, ok := strings.CutPrefix(ct, ciphertextPrefix)
	id, data, ok2 := strings.Cut(rest, ":")
	if !ok || !ok2 {
		return nil, fmt.Errorf("secrets: %s: not a weir ciphertext (want v1:KEYID:DATA); was the store written by another program?", aad)
	}
	sealed, err := base64.RawStdEncoding.DecodeString(data)
	if err != nil {
		return nil, fmt.Errorf("secrets: %s: corrupt ciphertext: %v", aad, err)
	}
	for _, x := range k.keys {
		if x.id != id {
			continue
		}
		n := x.aead.NonceSize()
		if len(sealed) < n {
			return nil, fmt.Errorf("secrets: %s: corrupt ciphertext: too short", aad)
		}
		plain, err := x.aead.Open(nil, sealed[:n], sealed[n:], []byte(aad))
		if err != nil {
			return nil, fmt.Errorf("secrets: %s: key %s of %s does not open it (%v): the stored value was altered: %w", aad, id, k.Source, err, ErrWrongKey)
		}
		return plain, nil
	}
	return nil, fmt.Errorf("secrets: %s is encrypted with key %s, which %s does not hold (it holds %s): give the key it was written with in $%s (comma-separated keys, the new one first) or in the key file ($%s): %w",
		aad, id, k.Source, strings.Join(k.IDs(), ", "), KeyEnv, KeyFileEnv, unknownKeyError{})
}

// KeySource finds the keyring: $WEIR_SECRET_KEY, else the key file ($WEIR_SECRET_KEY_FILE,
// default HOME/secret.key), created with a new key (mode 0600) the first time a secret is
// written. It loads once and is safe for concurrent use.
type KeySource struct {
	// Home is weir's home folder, where the default key file lives.
	Home string
	// Getenv reads the environment. Default os.Getenv.
	Getenv func(string) string
	// Notice receives the message saying a key file was created. Default os.Stderr.
	Notice io.Writer

	mu   sync.Mutex
	ring *Keyring
}

// File returns the key file's path ("" when the keys come from $WEIR_SECRET_KEY).
func (s *KeySource) File() string {
	if s.getenv(KeyEnv) != "" {
		return ""
	}
	if f := s.getenv(KeyFileEnv); f != "" {
		return f
	}
	return filepath.Join(s.Home, "secret.key")
}

func (s *KeySource) getenv(k string) string {
	if s.Getenv != nil {
		return s.Getenv(k)
	}
	return os.Getenv(k)
}

// Keyring returns the keyring. With create, a missing key file is created with a new key;
// without, a missing one is an error saying so.
func (s *KeySource) Keyring(create bool) (*Keyring, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ring != nil {
		return s.ring, nil
	}
	if v := s.getenv(KeyEnv); v != "" {
		r, err := ParseKeys(v, "$"+KeyEnv)
		if err != nil {
			return nil, err
		}
		s.ring = r
		return r, nil
	}
	path := s.File()
	src := "key file " + path
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist) && create:
		k, err := NewKey()
		if err != nil {
			return nil, err
		}
		if err := writeKeyFile(path, []string{k}, true); err != nil {
			return nil, err
		}
		w := s.Notice
		if w == nil {
			w = os.Stderr
		}
		fmt.Fprintf(w, "weir: created the secret key file %s (mode 0600): variables and connections are encrypted with it; back it up, without it they cannot be read (or set $%s instead)\n", path, KeyEnv)
		b = []byte(k + "\n")
	case errors.Is(err, os.ErrNotExist):
		return nil, fmt.Errorf("secrets: no key: $%s is not set and the %s does not exist (it is created when the first variable or connection is set)", KeyEnv, src)
	case err != nil:
		return nil, fmt.Errorf("secrets: read the %s: %w", src, err)
	}
	r, err := ParseKeys(string(b), src)
	if err != nil {
		return nil, err
	}
	s.ring = r
	return r, nil
}

// Reset forgets the loaded keyring, so the next Keyring reads the keys again.
func (s *KeySource) Reset() {
	s.mu.Lock()
	s.ring = nil
	s.mu.Unlock()
}

// writeKeyFile writes keys, one a line, to path with mode 0600 (through a temporary file
// renamed over it, so a crash leaves the old file or the new one). With exclusive, an
// existing file is an error.
func writeKeyFile(path string, keys []string, exclusive bool) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("secrets: key file: %w", err)
	}
	text := "# weir secret keys (AES-256-GCM), base64; the first encrypts, all decrypt.\n" + strings.Join(keys, "\n") + "\n"
	if exclusive {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return fmt.Errorf("secrets: create the key file: %w", err)
		}
		if _, err := f.WriteString(text); err != nil {
			f.Close()
			return fmt.Errorf("secrets: write the key file: %w", err)
		}
		return f.Close()
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".secret.key-*")
	if err != nil {
		return fmt.Errorf("secrets: key file: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.WriteString(text); err != nil {
		tmp.Close()
		return fmt.Errorf("secrets: write the key file: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// encoded returns the base64 keys of the keyring, the primary first.
func (k *Keyring) encoded() []string {
	out := make([]string, len(k.keys))
	for i, x := range k.keys {
		out[i] = base64.StdEncoding.EncodeToString(x.raw)
	}
	return out
}
