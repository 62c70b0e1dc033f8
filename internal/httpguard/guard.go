// Package httpguard keeps web pages in the user's browser away from a weir server. A server
// that runs commands on the user's machine must not be reachable by a page on another
// site, even though it listens on loopback: the guard refuses requests addressed to a host
// name that is not the server's (DNS rebinding), state-changing requests from another
// origin (CSRF, with net/http's CrossOriginProtection: Sec-Fetch-Site, then Origin against
// Host), and POST bodies of the content types a page can send without a CORS preflight
// (forms, text/plain), which no weir or MLflow endpoint takes. It adds security headers to
// every response and caps request bodies.
//
// Refusals are JSON problems (application/problem+json) that say what was refused and how
// to allow it when that is legitimate.
package httpguard

import (
	"encoding/json"
	"fmt"
	"mime"
	"net"
	"net/http"
	"strings"
)

// DefaultMaxBodyBytes caps request bodies other than PUT uploads (artifacts, whose own
// limit applies): 64 MiB.
const DefaultMaxBodyBytes = 64 << 20

// Config configures a Guard. Zero fields take the documented defaults.
type Config struct {
	// AllowedHosts are the host names (without port) requests may be addressed to, compared
	// case-insensitively. The loopback names localhost, 127.0.0.1 and ::1 are always
	// allowed; ListenAddr's host is added when it is a specific address. "*" allows every
	// host: only behind a proxy that checks Host itself.
	AllowedHosts []string
	// ListenAddr is the address the server listens on (host:port).
	ListenAddr string
	// TrustedOrigins are origins ("https://ui.example.com") allowed to send state-changing
	// cross-origin requests. Default none.
	TrustedOrigins []string
	// MaxBodyBytes caps request bodies except PUT uploads. Default DefaultMaxBodyBytes.
	MaxBodyBytes int64
}

// Guard is the middleware. Create it with New.
type Guard struct {
	anyHost bool
	hosts   map[string]bool
	cop     *http.CrossOriginProtection
	maxBody int64
}

// New returns a guard; it fails on a malformed trusted origin.
func New(cfg Config) (*Guard, error) {
	g := &Guard{hosts: map[string]bool{"localhost": true, "127.0.0.1": true, "::1": true}, maxBody: cfg.MaxBodyBytes}
	if g.maxBody <= 0 {
		g.maxBody = DefaultMaxBodyBytes
	}
	for _, h := range cfg.AllowedHosts {
		h = strings.ToLower(strings.TrimSpace(h))
		switch {
		case h == "":
		case h == "*":
			g.anyHost = true
		default:
			g.hosts[strings.Trim(h, "[]")] = true
		}
	}
	if host, _, err := net.SplitHostPort(cfg.ListenAddr); err == nil && host != "" {
		if ip := net.ParseIP(host); ip == nil || !ip.IsUnspecified() {
			g.hosts[strings.ToLower(host)] = true
		}
	}
	g.cop = http.NewCrossOriginProtection()
	for _, o := range cfg.TrustedOrigins {
		if err := g.cop.AddTrustedOrigin(o); err != nil {
			return nil, fmt.Errorf("trusted origin %q: %w (write it as scheme://host[:port])", o, err)
		}
	}
	g.cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		problem(w, http.StatusForbidden, "cross-origin request refused",
			fmt.Sprintf("%s %s came from another site (Origin %q, Sec-Fetch-Site %q); state-changing requests must come from the server's own pages or from programs. Trust an origin with --trusted-origins.",
				r.Method, r.URL.Path, r.Header.Get("Origin"), r.Header.Get("Sec-Fetch-Site")))
	}))
	return g, nil
}

// HostAllowed reports whether a request's Host header names this server.
func (g *Guard) HostAllowed(hostHeader string) bool {
	if g.anyHost {
		return true
	}
	h := hostHeader
	if host, _, err := net.SplitHostPort(hostHeader); err == nil {
		h = host
	}
	h = strings.ToLower(strings.Trim(h, "[]"))
	return h != "" && g.hosts[h]
}

// Handler wraps next with the guard's checks and headers.
func (g *Guard) Handler(next http.Handler) http.Handler {
	checked := g.cop.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && simpleContentType(r.Header.Get("Content-Type")) {
			problem(w, http.StatusUnsupportedMediaType, "content type refused",
				fmt.Sprintf("POST %s with Content-Type %q: send JSON (Content-Type: application/json)", r.URL.Path, r.Header.Get("Content-Type")))
			return
		}
		if r.Method != http.MethodPut && r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, g.maxBody)
		}
		next.ServeHTTP(w, r)
	}))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
		if !g.HostAllowed(r.Host) {
			problem(w, http.StatusForbidden, "host not allowed",
				fmt.Sprintf("this server does not answer to Host %q (a page may be trying to reach it through DNS rebinding); if that is this server's name, start it with --allowed-hosts %s", r.Host, hostOnly(r.Host)))
			return
		}
		checked.ServeHTTP(w, r)
	})
}

// simpleContentType reports whether a content type is one a web page can send cross-site
// without a CORS preflight.
func simpleContentType(ct string) bool {
	if ct == "" {
		return false
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return true // unparsable: refuse rather than guess
	}
	switch mt {
	case "application/x-www-form-urlencoded", "multipart/form-data", "text/plain":
		return true
	}
	return false
}

func hostOnly(hostHeader string) string {
	if host, _, err := net.SplitHostPort(hostHeader); err == nil {
		return host
	}
	return hostHeader
}

// problem writes an RFC 9457 problem.
func problem(w http.ResponseWriter, status int, title, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"type": "about:blank", "title": title, "status": status, "detail": detail})
}
