// Package ui serves weir's web UI: a single-page app built from the TypeScript sources in
// this folder (src/) with Vite into dist/, which is committed and embedded in the binary, so
// building weir needs no npm. Rebuild dist/ after changing the sources with
//
//	npm --prefix ui ci && npm --prefix ui run build
//
// (TestDistIsUpToDate fails until you do). The app speaks only the public REST API
// (/api/v1) and MLflow's API; the handler serves its files and answers every other GET
// with index.html, so the app's own routes (/dags/…, /experiments/…) survive a reload.
package ui

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"strings"
)

//go:embed all:dist
var dist embed.FS

// CSP is the Content-Security-Policy of the UI's responses: scripts, styles, images and
// API calls from the server itself only; no inline script, no eval, no framing.
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"font-src 'self'; connect-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// ReservedPrefixes are the path prefixes that belong to the server's APIs, never to the
// UI: under them the handler answers 404 rather than the app's page, so a client that calls
// an API the server does not mount (MLflow's without a tracking store, serving without
// deployments) gets an error, not HTML.
var ReservedPrefixes = []string{"/api/", "/ajax-api/", "/serve/", "/v2/", "/v2", "/metrics"}

// Serves reports whether a path is the UI's: any path outside ReservedPrefixes. Package
// auth asks it too, to let the UI's files load without a credential.
func Serves(path string) bool {
	for _, prefix := range ReservedPrefixes {
		if path == strings.TrimSuffix(prefix, "/") || strings.HasPrefix(path, prefix) {
			return false
		}
	}
	return true
}

// Files returns the built app (index.html, assets/…).
func Files() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err) // the embed pattern guarantees the folder
	}
	return sub
}

// Handler serves the UI at /. Mount it at "/" on a ServeMux: more specific patterns (the
// APIs) keep their requests. It answers GET and HEAD only.
func Handler() http.Handler {
	files := Files()
	index, err := fs.ReadFile(files, "index.html")
	if err != nil {
		index = []byte("weir's web UI was not built: run npm --prefix ui ci && npm --prefix ui run build, then rebuild weir\n")
	}
	fileServer := http.FileServerFS(files)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		if !Serves(p) {
			notFound(w, p)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			problem(w, http.StatusMethodNotAllowed, "method not allowed",
				fmt.Sprintf("%s %s: the web UI answers GET and HEAD only; the APIs are under /api/v1 and /api/2.0/mlflow", r.Method, p))
			return
		}
		h := w.Header()
		h.Set("Content-Security-Policy", CSP)
		name := strings.TrimPrefix(path.Clean(p), "/")
		if name != "" && name != "index.html" {
			if st, err := fs.Stat(files, name); err == nil && !st.IsDir() {
				if strings.HasPrefix(name, "assets/") { // content-hashed names never change
					h.Set("Cache-Control", "public, max-age=31536000, immutable")
				} else {
					h.Set("Cache-Control", "no-cache")
				}
				fileServer.ServeHTTP(w, r)
				return
			}
			if strings.HasPrefix(name, "assets/") {
				notFound(w, p)
				return
			}
		}
		// Any other path is one of the app's routes: the app reads it from the location.
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Cache-Control", "no-cache")
		w.WriteHeader(http.StatusOK)
		if r.Method == http.MethodGet {
			_, _ = w.Write(index)
		}
	})
}

func notFound(w http.ResponseWriter, p string) {
	problem(w, http.StatusNotFound, "not found", fmt.Sprintf("no such resource: %s", p))
}

// problem writes an RFC 7807 problem, as the REST API does.
func problem(w http.ResponseWriter, status int, title, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"type": "about:blank", "title": title, "status": status, "detail": detail})
}
