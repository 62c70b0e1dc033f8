package ui

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestHandlerServesTheAppAndLeavesTheAPIsAlone(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(Handler())
	defer srv.Close()
	get := func(method, path string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, nil)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, string(b)
	}
	for _, p := range []string{"/", "/dags", "/dags/produce/grid", "/experiments/1?x=y"} {
		res, body := get("GET", p)
		if res.StatusCode != 200 || !strings.Contains(body, `<div id="app">`) {
			t.Errorf("GET %s: %d, want the app's index.html; got %.200q", p, res.StatusCode, body)
		}
		if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe") {
			t.Errorf("GET %s: CSP %q, want 'self' scripts and nothing unsafe", p, csp)
		}
	}
	_, index := get("GET", "/")
	i := strings.Index(index, "/assets/")
	if i < 0 {
		t.Fatalf("index.html names no asset: %s", index)
	}
	asset := index[i : i+strings.IndexAny(index[i:], `"'`)]
	res, body := get("GET", asset)
	if res.StatusCode != 200 || len(body) == 0 || !strings.Contains(res.Header.Get("Cache-Control"), "immutable") {
		t.Errorf("GET %s: %d %q, want the asset, cached for good", asset, res.StatusCode, res.Header.Get("Cache-Control"))
	}
	for _, p := range []string{"/assets/nope.js", "/api/v1/nope", "/api/2.0/mlflow/runs/get", "/ajax-api/2.0/x", "/serve/x/invocations", "/v2/models", "/metrics"} {
		if res, _ := get("GET", p); res.StatusCode != 404 || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/problem+json") {
			t.Errorf("GET %s: %d %s, want a 404 problem (not the app)", p, res.StatusCode, res.Header.Get("Content-Type"))
		}
	}
	if res, _ := get("POST", "/dags"); res.StatusCode != 405 || res.Header.Get("Allow") != "GET, HEAD" {
		t.Errorf("POST /dags: %d, want 405 with Allow", res.StatusCode)
	}
	if res, body := get("HEAD", "/dags"); res.StatusCode != 200 || body != "" {
		t.Errorf("HEAD /dags: %d %q", res.StatusCode, body)
	}
}
