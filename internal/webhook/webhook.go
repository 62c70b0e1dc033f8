// Package webhook holds what weir's outgoing webhooks share: the HMAC signature of a
// delivery, delivery IDs, and an HTTP client that refuses to reach non-public addresses
// (so a webhook URL cannot be used to probe the server's own network). The model
// registry's webhooks (package mlflowapi) and the live monitors' actions (package
// monitor/live) deliver through it.
package webhook

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// ErrPrivateAddr is the error (wrapped) of a delivery refused because its address, once
// resolved, is not public: retrying cannot help.
var ErrPrivateAddr = errors.New("webhook address refused")

// Signature returns "v1," and the base64 of the HMAC-SHA256, keyed by secret, of
// deliveryID + "." + timestamp + "." + body. A receiver recomputes it and compares in
// constant time (hmac.Equal).
func Signature(secret, deliveryID, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(deliveryID + "." + timestamp + "."))
	m.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// NewDeliveryID returns a random UUID (version 4) in its text form.
func NewDeliveryID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// Client returns an HTTP client with a 10 s timeout, no proxy and, unless allowPrivate, a
// dialer that refuses loopback, private, link-local, multicast and unspecified addresses
// once the name is resolved (so a name that resolves to one is refused too). howToAllow
// ends the refusal's message: how the user lets deliveries reach inside the network.
func Client(allowPrivate bool, howToAllow string) *http.Client {
	d := &net.Dialer{Timeout: 5 * time.Second}
	if !allowPrivate {
		d.Control = func(network, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return err
			}
			if ip := ap.Addr().Unmap(); !Public(ip) {
				return fmt.Errorf("%w: %s is not a public address (%s)", ErrPrivateAddr, ip, howToAllow)
			}
			return nil
		}
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = d.DialContext
	tr.Proxy = nil
	return &http.Client{Timeout: 10 * time.Second, Transport: tr}
}

// Public reports whether ip is an address a webhook may reach by default.
func Public(ip netip.Addr) bool {
	return !(ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified())
}
