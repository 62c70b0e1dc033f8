package main_test

import (
	"strings"
	"testing"
)

// weir tokens create prints a token once, list shows its state but never the secret,
// revoke revokes it; a server on a non-loopback address without auth is refused.
func TestTokensCommands(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	if r := weir(t, home, nil, "server", "--addr", "0.0.0.0:0", "--dags", t.TempDir()); r.code == 0 || !strings.Contains(r.stderr, "weir tokens create") {
		t.Fatalf("server on 0.0.0.0 without auth: code %d, stderr %q; want a refusal naming `weir tokens create`", r.code, r.stderr)
	}
	r := weir(t, home, nil, "tokens", "create", "ci", "--scope", "read", "--expires", "720h")
	secret := strings.TrimSpace(r.stdout)
	if r.code != 0 || !strings.HasPrefix(secret, "weir_") || !strings.Contains(r.stderr, "not shown again") {
		t.Fatalf("tokens create: code %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	if r := weir(t, home, nil, "tokens", "create", "ci"); r.code == 0 || !strings.Contains(r.stderr, "weir tokens revoke ci") {
		t.Errorf("tokens create of a taken name: code %d, stderr %q", r.code, r.stderr)
	}
	if r := weir(t, home, nil, "tokens", "create", "x", "--scope", "root"); r.code == 0 || !strings.Contains(r.stderr, "read, write or admin") {
		t.Errorf("tokens create --scope root: code %d, stderr %q", r.code, r.stderr)
	}
	r = weir(t, home, nil, "tokens", "list")
	if r.code != 0 || !strings.Contains(r.stdout, "ci") || !strings.Contains(r.stdout, "active") || strings.Contains(r.stdout, secret) {
		t.Fatalf("tokens list: code %d, stdout %q", r.code, r.stdout)
	}
	if r := weir(t, home, nil, "tokens", "revoke", "ci"); r.code != 0 {
		t.Fatalf("tokens revoke: code %d, stderr %q", r.code, r.stderr)
	}
	if r := weir(t, home, nil, "tokens", "list"); !strings.Contains(r.stdout, "revoked") {
		t.Errorf("tokens list after revoke: %q", r.stdout)
	}
	if r := weir(t, home, nil, "tokens", "revoke", "ci"); r.code == 0 {
		t.Errorf("tokens revoke twice: code 0, want an error")
	}
}
