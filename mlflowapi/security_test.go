package mlflowapi

import (
	"bytes"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// snapshot returns every path under dir but those under skip (the artifact root) and the
// database files, with each file's content.
func snapshot(t *testing.T, dir, skip string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == skip {
			return filepath.SkipDir
		}
		if strings.HasPrefix(filepath.Base(p), "weir.db") {
			return nil
		}
		content := ""
		if d.Type().IsRegular() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			content = string(b)
		}
		out[p] = content
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestArtifactPathEscape tries every way out of the artifact root (.., encoded .., an
// absolute path, a backslash, a NUL byte, symbolic links to a folder and to a file outside)
// through every artifact operation, and an oversized upload, and shows that nothing outside
// the root was read, written or deleted.
func TestArtifactPathEscape(t *testing.T) {
	t.Parallel()
	h := setup(t, func(c *Config) { c.MaxArtifactBytes = 1000 })
	const secret = "TOP-SECRET-CONTENT"
	outside := filepath.Join(h.dir, "outside")
	if err := os.MkdirAll(outside, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(outside, "secret.txt"), []byte(secret), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(h.dir, "secret.txt"), []byte(secret), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(h.artRoot, "dirlink")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "secret.txt"), filepath.Join(h.artRoot, "filelink")); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, h.dir, h.artRoot)

	const base = "/api/2.0/mlflow-artifacts/artifacts/"
	escapes := []string{
		"../secret.txt", "..%2fsecret.txt", "%2e%2e/secret.txt", "%2e%2e%2fsecret.txt", "a/../../secret.txt",
		"a/%2e%2e/%2e%2e/secret.txt", "%2F" + strings.TrimPrefix(filepath.ToSlash(filepath.Join(h.dir, "secret.txt")), "/"),
		"..%5csecret.txt", "a%00b", "dirlink/secret.txt", "filelink", "dirlink/new.txt", "dirlink",
	}
	for _, p := range escapes {
		for _, method := range []string{"GET", "PUT", "DELETE"} {
			var body io.Reader
			if method == "PUT" {
				body = strings.NewReader("overwritten")
			}
			req, err := http.NewRequestWithContext(t.Context(), method, h.srv.URL+base+p, body)
			if err != nil {
				t.Fatal(err)
			}
			req.URL.RawPath = "" // send the path as written, unnormalised
			req.URL.Opaque = "//" + req.URL.Host + base + p
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if bytes.Contains(b, []byte(secret)) {
				t.Errorf("%s %s leaked the secret", method, p)
			}
			// Replacing or deleting a link that lies in the root touches the link only.
			if resp.StatusCode == http.StatusOK && !(method != "GET" && (p == "dirlink" || p == "filelink")) {
				t.Errorf("%s %s: status 200, want a refusal", method, p)
			}
		}
	}
	// Listings.
	for _, p := range []string{"../", "..", "dirlink", "/etc", "a/../.."} {
		_, b := h.raw("GET", base[:len(base)-1]+"?path="+p, nil)
		if bytes.Contains(b, []byte("secret.txt")) {
			t.Errorf("proxy list %q shows files outside the root: %s", p, b)
		}
	}
	run := h.ok("POST", "/api/2.0/mlflow/runs/create", map[string]any{"experiment_id": "0"})
	runID := get(run, "run", "info", "run_id").(string)
	for _, p := range []string{"../../..", "../../../..", "/", "..%2F..%2F..%2F..", "%00"} {
		_, b := h.raw("GET", "/api/2.0/mlflow/artifacts/list?run_id="+runID+"&path="+p, nil)
		if bytes.Contains(b, []byte("secret.txt")) || bytes.Contains(b, []byte("outside")) {
			t.Errorf("artifacts/list %q shows files outside the run: %s", p, b)
		}
	}

	// An upload past the limit fails without leaving a file, whether its length is
	// announced or not.
	for _, announced := range []bool{true, false} {
		big := bytes.Repeat([]byte("x"), 1001)
		var body io.Reader = bytes.NewReader(big)
		if !announced {
			body = io.MultiReader(bytes.NewReader(big)) // unknown length: chunked
		}
		resp, b := h.raw("PUT", base+"0/big.bin", body)
		if resp.StatusCode != http.StatusBadRequest || !bytes.Contains(b, []byte("INVALID_PARAMETER_VALUE")) {
			t.Errorf("oversized upload (announced %v): %d %s", announced, resp.StatusCode, b)
		}
	}
	entries, _ := os.ReadDir(filepath.Join(h.artRoot, "0"))
	if len(entries) != 0 {
		t.Errorf("oversized uploads left %v", entries)
	}
	if resp, _ := h.raw("PUT", base+"0/ok.bin", bytes.NewReader(make([]byte, 1000))); resp.StatusCode != 200 {
		t.Errorf("upload at the limit: %d", resp.StatusCode)
	}

	after := snapshot(t, h.dir, h.artRoot)
	if !equalMaps(before, after) {
		t.Errorf("files outside the artifact root changed:\nbefore %v\nafter  %v", keys(before), keys(after))
	}
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
