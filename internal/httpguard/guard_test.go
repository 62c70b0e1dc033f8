package httpguard

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func setup(t *testing.T, cfg Config) (*httptest.Server, *int) {
	t.Helper()
	g, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	calls := new(int)
	srv := httptest.NewServer(g.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		*calls++
		w.WriteHeader(http.StatusNoContent)
	})))
	t.Cleanup(srv.Close)
	return srv, calls
}

func TestGuard(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		cfg     Config
		method  string
		host    string
		headers map[string]string
		want    int
	}{
		{"plain GET", Config{}, "GET", "", nil, 204},
		{"program POST with JSON", Config{}, "POST", "", map[string]string{"Content-Type": "application/json"}, 204},
		{"same-origin POST", Config{}, "POST", "localhost:8080", map[string]string{"Origin": "http://localhost:8080", "Content-Type": "application/json"}, 204},
		{"cross-site text/plain POST", Config{}, "POST", "", map[string]string{"Origin": "http://evil.example", "Content-Type": "text/plain"}, 403},
		{"cross-site JSON POST", Config{}, "POST", "", map[string]string{"Origin": "http://evil.example", "Content-Type": "application/json"}, 403},
		{"Sec-Fetch-Site cross-site DELETE", Config{}, "DELETE", "", map[string]string{"Sec-Fetch-Site": "cross-site"}, 403},
		{"cross-site GET is a read", Config{}, "GET", "", map[string]string{"Origin": "http://evil.example"}, 204},
		{"trusted origin", Config{TrustedOrigins: []string{"http://ui.example"}}, "POST", "", map[string]string{"Origin": "http://ui.example", "Content-Type": "application/json"}, 204},
		{"form POST without Origin", Config{}, "POST", "", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, 415},
		{"multipart POST", Config{}, "POST", "", map[string]string{"Content-Type": "multipart/form-data; boundary=x"}, 415},
		{"rebinding Host", Config{}, "GET", "attacker.example", nil, 403},
		{"rebinding Host with port", Config{}, "GET", "attacker.example:8080", nil, 403},
		{"allowed host", Config{AllowedHosts: []string{"weir.internal"}}, "GET", "WEIR.internal:8080", nil, 204},
		{"listen host allowed", Config{ListenAddr: "10.1.2.3:8080"}, "GET", "10.1.2.3:8080", nil, 204},
		{"wildcard listen adds nothing", Config{ListenAddr: "0.0.0.0:8080"}, "GET", "0.0.0.0:8080", nil, 403},
		{"IPv6 loopback", Config{}, "GET", "[::1]:8080", nil, 204},
		{"any host", Config{AllowedHosts: []string{"*"}}, "GET", "anything.example", nil, 204},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			srv, calls := setup(t, c.cfg)
			req, err := http.NewRequest(c.method, srv.URL+"/api/v1/dags/x/runs", strings.NewReader("{}"))
			if err != nil {
				t.Fatal(err)
			}
			if c.host != "" {
				req.Host = c.host
			}
			for k, v := range c.headers {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != c.want {
				t.Fatalf("status %d, want %d", resp.StatusCode, c.want)
			}
			if (c.want == 204) != (*calls == 1) {
				t.Fatalf("handler called %d times with status %d", *calls, resp.StatusCode)
			}
			if resp.Header.Get("X-Content-Type-Options") != "nosniff" || resp.Header.Get("X-Frame-Options") != "DENY" {
				t.Fatalf("security headers missing: %v", resp.Header)
			}
			if c.want >= 400 && resp.Header.Get("Content-Type") != "application/problem+json" {
				t.Fatalf("refusal is not a problem: %q", resp.Header.Get("Content-Type"))
			}
		})
	}
}

func TestBadTrustedOrigin(t *testing.T) {
	t.Parallel()
	if _, err := New(Config{TrustedOrigins: []string{"not a url"}}); err == nil || !strings.Contains(err.Error(), "not a url") {
		t.Fatalf("err = %v", err)
	}
}

func TestBodyCap(t *testing.T) {
	t.Parallel()
	g, err := New(Config{MaxBodyBytes: 10})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(g.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		buf := make([]byte, 100)
		n, err := r.Body.Read(buf)
		for err == nil {
			var m int
			m, err = r.Body.Read(buf[n:])
			n += m
		}
		if n > 10 {
			t.Errorf("read %d bytes past the cap", n)
		}
		w.WriteHeader(http.StatusRequestEntityTooLarge)
	})))
	defer srv.Close()
	resp, err := http.Post(srv.URL, "application/json", strings.NewReader(strings.Repeat("x", 50)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d", resp.StatusCode)
	}
}
