package ui

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// sourceHash hashes the files the build reads, as hash.mjs does: each file's path
// (relative, slash-separated) and content, in path order.
func sourceHash(t *testing.T) string {
	t.Helper()
	var files []string
	for _, in := range []string{"index.html", "package-lock.json", "vite.config.ts", "tsconfig.json", "hash.mjs", "src", "public"} {
		err := filepath.WalkDir(in, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				if os.IsNotExist(err) {
					return nil
				}
				return err
			}
			if !d.IsDir() {
				files = append(files, filepath.ToSlash(p))
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	sort.Strings(files)
	h := sha256.New()
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		h.Write([]byte(f + "\n"))
		h.Write(b)
		h.Write([]byte("\n"))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// The committed dist/ must be built from the committed sources: go build embeds it, and CI
// has no npm step.
func TestDistIsUpToDate(t *testing.T) {
	t.Parallel()
	want := sourceHash(t)
	got, err := fs.ReadFile(Files(), "source-hash.txt")
	if err != nil {
		t.Fatalf("ui/dist has no source-hash.txt (%v): run npm --prefix ui ci && npm --prefix ui run build, and commit ui/dist", err)
	}
	if strings.TrimSpace(string(got)) != want {
		t.Fatalf("ui/dist was built from other sources than ui/src, ui/package-lock.json and the build files in the tree (hash %s, sources %s): run npm --prefix ui ci && npm --prefix ui run build, and commit ui/dist",
			strings.TrimSpace(string(got)), want)
	}
	if _, err := fs.Stat(Files(), "index.html"); err != nil {
		t.Fatalf("ui/dist/index.html is missing: run npm --prefix ui ci && npm --prefix ui run build")
	}
}
