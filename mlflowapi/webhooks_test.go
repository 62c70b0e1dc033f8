package mlflowapi

import (
	"crypto/hmac"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// delivery is one POST a webhook receiver got.
type delivery struct {
	header http.Header
	body   []byte
}

// receiver is an HTTP server that records deliveries; it answers 503 to the first fail
// requests, then 200.
func receiver(t *testing.T, fail int32) (*httptest.Server, chan delivery) {
	t.Helper()
	got := make(chan delivery, 16)
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if n.Add(1) <= fail {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		got <- delivery{r.Header.Clone(), b}
		_, _ = w.Write([]byte("thanks"))
	}))
	t.Cleanup(srv.Close)
	return srv, got
}

func waitDelivery(t *testing.T, got chan delivery) delivery {
	t.Helper()
	select {
	case d := <-got:
		return d
	case <-time.After(10 * time.Second):
		t.Fatal("no delivery within 10 s")
		return delivery{}
	}
}

// Registry webhooks as MLflow 3.3 clients manage them (webhooks.proto: POST/GET webhooks,
// GET/PATCH/DELETE webhooks/{id}, POST webhooks/{id}/test), and their deliveries: signed as
// MLflow's webhooks/delivery.py signs them, retried after a 503, sent only for the events
// subscribed to and only while active. Issue 12, point 17.
func TestWebhooks(t *testing.T) {
	t.Parallel()
	h := setup(t, func(c *Config) { c.WebhookRetryDelay, c.WebhookAllowPrivateIPs = time.Millisecond, true })
	srv, got := receiver(t, 1)
	replay(t, h, []exchange{
		{"POST", "webhooks", `{"name": "deploy", "url": "` + srv.URL + `/hook", "events": [{"entity": "MODEL_VERSION_ALIAS", "action": "CREATED"}, "model_version_tag.set"], "secret": "s3cret", "description": "CD"}`, 200,
			`{"webhook": {"webhook_id": "$hook", "id": "*", "name": "deploy", "url": "` + srv.URL + `/hook", "status": "ACTIVE", "description": "CD", "events": [{"entity": "MODEL_VERSION_ALIAS", "action": "CREATED"}, {"entity": "MODEL_VERSION_TAG", "action": "SET"}], "creation_timestamp": "*"}}`},
		{"GET", "webhooks", ``, 200, `{"webhooks": [{"id": "${hook}", "webhook_id": "${hook}", "name": "deploy"}]}`},
		{"GET", "webhooks/${hook}", ``, 200, `{"webhook": {"id": "${hook}", "status": "ACTIVE"}}`},
		{"POST", "webhooks", `{"name": "bad", "url": "` + srv.URL + `", "events": ["model_version.exploded"]}`, 400,
			`{"error_code": "INVALID_PARAMETER_VALUE", "message": "~model_version.exploded"}`},
		{"POST", "registered-models/create", `{"name": "hooked"}`, 200, `{"registered_model": {"name": "hooked"}}`},
		{"POST", "model-versions/create", `{"name": "hooked", "source": "mlflow-artifacts:/x"}`, 200, `{"model_version": {"version": "1"}}`},
		{"POST", "registered-models/alias", `{"name": "hooked", "alias": "champion", "version": "1"}`, 200, `{}`},
	})
	// Only the subscribed event arrives (model and version creation are not subscribed),
	// after one 503.
	d := waitDelivery(t, got)
	var body struct {
		Entity, Action string
		Timestamp      string
		Data           map[string]any
	}
	if err := json.Unmarshal(d.body, &body); err != nil {
		t.Fatal(err)
	}
	if body.Entity != "model_version_alias" || body.Action != "created" || body.Data["name"] != "hooked" ||
		body.Data["alias"] != "champion" || body.Data["version"] != "1" || body.Timestamp == "" {
		t.Errorf("delivery: %s", d.body)
	}
	id, ts := d.header.Get("X-MLflow-Delivery-Id"), d.header.Get("X-MLflow-Timestamp")
	want := Signature("s3cret", id, ts, d.body)
	if id == "" || ts == "" || !hmac.Equal([]byte(d.header.Get("X-MLflow-Signature")), []byte(want)) {
		t.Errorf("headers %v: signature, want %s", d.header, want)
	}

	// Disabled: nothing is delivered; re-enabled with another secret: delivered, signed
	// with it. The test endpoint delivers an example now.
	hook := getHookID(t, h)
	replay(t, h, []exchange{
		{"PATCH", "webhooks/" + hook, `{"status": "DISABLED"}`, 200, `{"webhook": {"status": "DISABLED"}}`},
		{"POST", "model-versions/set-tag", `{"name": "hooked", "version": "1", "key": "k", "value": "ignored"}`, 200, `{}`},
		{"PATCH", "webhooks/" + hook, `{"status": 1, "secret": "other"}`, 200, `{"webhook": {"status": "ACTIVE"}}`},
		{"POST", "model-versions/set-tag", `{"name": "hooked", "version": "1", "key": "k", "value": "v"}`, 200, `{}`},
	})
	d = waitDelivery(t, got)
	if err := json.Unmarshal(d.body, &body); err != nil {
		t.Fatal(err)
	}
	if body.Entity != "model_version_tag" || body.Data["value"] != "v" {
		t.Errorf("the delivery after re-enabling is %s (a disabled webhook got one?)", d.body)
	}
	if d.header.Get("X-MLflow-Signature") != Signature("other", d.header.Get("X-MLflow-Delivery-Id"), d.header.Get("X-MLflow-Timestamp"), d.body) {
		t.Errorf("not signed with the new secret: %v", d.header)
	}
	res := h.ok("POST", "/api/2.0/mlflow/webhooks/"+hook+"/test", map[string]any{})
	if get(res, "result", "success") != true || get(res, "result", "response_status") != float64(200) || get(res, "result", "response_body") != "thanks" {
		t.Errorf("test: %v", res)
	}
	if d := waitDelivery(t, got); len(d.body) == 0 {
		t.Error("the test delivery was empty")
	}
	h.ok("DELETE", "/api/2.0/mlflow/webhooks/"+hook, nil)
	if status, _ := h.call("GET", "/api/2.0/mlflow/webhooks/"+hook, nil); status != 404 {
		t.Errorf("deleted webhook: %d", status)
	}
	// A receiver that is down: the test says so.
	srv.Close()
	dead := h.ok("POST", "/api/2.0/mlflow/webhooks", map[string]any{"name": "dead", "url": srv.URL, "events": []string{"registered_model.created"}})
	res = h.ok("POST", "/api/2.0/mlflow/webhooks/"+get(dead, "webhook", "id").(string)+"/test", nil)
	if get(res, "result", "success") != false || get(res, "result", "error_message") == nil {
		t.Errorf("test of a dead receiver: %v", res)
	}
}

func getHookID(t *testing.T, h *harness) string {
	t.Helper()
	out := h.ok("GET", "/api/2.0/mlflow/webhooks", nil)
	hooks, _ := out["webhooks"].([]any)
	if len(hooks) == 0 {
		t.Fatalf("no webhook: %v", out)
	}
	return hooks[0].(map[string]any)["id"].(string)
}

// By default a webhook cannot make the server connect to a private address (SSRF), as in
// MLflow (MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS unset): the test delivery says why.
func TestWebhooksRefusePrivateAddresses(t *testing.T) {
	t.Parallel()
	h := setup(t)
	srv, got := receiver(t, 0)
	hook := h.ok("POST", "/api/2.0/mlflow/webhooks", map[string]any{"name": "inside", "url": srv.URL, "events": []string{"registered_model.created"}})
	res := h.ok("POST", "/api/2.0/mlflow/webhooks/"+get(hook, "webhook", "id").(string)+"/test", nil)
	msg, _ := get(res, "result", "error_message").(string)
	if get(res, "result", "success") != false || !strings.Contains(msg, "not a public address") {
		t.Errorf("test delivery to loopback: %v", res)
	}
	select {
	case d := <-got:
		t.Errorf("a private address got a delivery: %s", d.body)
	default:
	}
}
