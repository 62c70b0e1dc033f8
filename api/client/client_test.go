package client_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/weirhq/weir/api/client"
)

func TestNewURL(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"http://127.0.0.1:8080", "http://127.0.0.1:8080/", "https://weir.example/api/v1"} {
		if _, err := client.New(u, nil); err != nil {
			t.Errorf("%s: %v", u, err)
		}
	}
	for _, u := range []string{"", "127.0.0.1:8080", "ftp://x", "http://", "http://a b"} {
		if _, err := client.New(u, nil); err == nil {
			t.Errorf("%q: no error", u)
		}
	}
}

// TestErrors: an API error is an *Error with its code; an answer that is not the API's (a
// proxy's plain text) is an *Error with the status and the text.
func TestErrors(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/v1/dags/nope":
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(404)
			w.Write([]byte(`{"status":404,"title":"Not Found","detail":"no DAG \"nope\"","type":"about:blank","code":"not_found"}`))
		default:
			http.Error(w, "bad gateway", http.StatusBadGateway)
		}
	}))
	defer srv.Close()
	c, err := client.New(srv.URL, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.GetDAG(context.Background(), "nope")
	var e *client.Error
	if !errors.As(err, &e) || e.Status != 404 || !client.IsCode(err, client.CodeNotFound) || err.Error() != `no DAG "nope"` {
		t.Errorf("API error: %#v", err)
	}
	_, err = c.Health(context.Background())
	if !errors.As(err, &e) || e.Status != 502 || e.Code != "" || e.Detail != "GET /health: 502 Bad Gateway: bad gateway" {
		t.Errorf("proxy error: %#v", err)
	}
}
