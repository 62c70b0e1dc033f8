package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"regexp"
	"sync/atomic"
	"testing"
)

// The default client refuses a loopback receiver (a real server on 127.0.0.1) with
// ErrPrivateAddr; allowed, the same receiver is reached.
func TestClientRefusesNonPublicAddresses(t *testing.T) {
	t.Parallel()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { hits.Add(1) }))
	defer srv.Close()
	_, err := Client(false, "say how").Post(srv.URL, "application/json", nil)
	if !errors.Is(err, ErrPrivateAddr) || !regexp.MustCompile(`127\.0\.0\.1 is not a public address \(say how\)`).MatchString(err.Error()) {
		t.Fatalf("default client to %s: %v, want ErrPrivateAddr naming the address and how to allow it", srv.URL, err)
	}
	resp, err := Client(true, "").Post(srv.URL, "application/json", nil)
	if err != nil || resp.StatusCode != 200 || hits.Load() != 1 {
		t.Fatalf("allowed client: %v %v, %d hits", resp, err, hits.Load())
	}
	resp.Body.Close()
	for addr, public := range map[string]bool{"8.8.8.8": true, "10.1.2.3": false, "192.168.0.1": false, "169.254.169.254": false,
		"::1": false, "fe80::1": false, "0.0.0.0": false, "2001:4860:4860::8888": true} {
		if got := Public(netip.MustParseAddr(addr)); got != public {
			t.Errorf("Public(%s) = %v, want %v", addr, got, public)
		}
	}
}

func TestSignatureAndDeliveryID(t *testing.T) {
	t.Parallel()
	m := hmac.New(sha256.New, []byte("k"))
	m.Write([]byte("id.123.{}"))
	if got, want := Signature("k", "id", "123", []byte("{}")), "v1,"+base64.StdEncoding.EncodeToString(m.Sum(nil)); got != want {
		t.Errorf("Signature = %s, want %s", got, want)
	}
	a, b := NewDeliveryID(), NewDeliveryID()
	re := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	if !re.MatchString(a) || a == b {
		t.Errorf("delivery IDs %s, %s: want two different UUID v4", a, b)
	}
}
