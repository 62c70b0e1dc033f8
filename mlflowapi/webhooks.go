package mlflowapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/weirhq/weir/internal/webhook"

	"github.com/weirhq/weir/tracking"
)

// Registry webhooks (MLflow 3.3's webhooks.proto: create, list, get, update, delete,
// test). When a registry event happens (a model or version created, a version tag set or
// deleted, an alias set or deleted), each active webhook subscribed to it gets a POST of
// {"entity", "action", "timestamp", "data"} with the headers X-MLflow-Delivery-Id,
// X-MLflow-Timestamp (Unix seconds) and, when it has a secret, X-MLflow-Signature:
// "v1," + base64(HMAC-SHA256(secret, delivery_id + "." + timestamp + "." + body)), as
// MLflow's webhooks/delivery.py signs them. A delivery runs in the background after the
// request's answer and is retried on a connection error, 429 and 5xx, with doubling
// delays; Close waits for the deliveries under way.

// wWebhookEvent is an event as webhooks.proto's WebhookEvent: an entity and an action.
// It reads that object (names in any case) or the "entity.action" string of MLflow 3.3.0.
type wWebhookEvent struct {
	Entity string `json:"entity"`
	Action string `json:"action"`
}

func (e *wWebhookEvent) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		e.Entity, e.Action, _ = strings.Cut(s, ".")
		return nil
	}
	type plain wWebhookEvent
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*e = wWebhookEvent(p)
	return nil
}

func (e wWebhookEvent) event() tracking.WebhookEvent {
	return tracking.WebhookEvent(strings.ToLower(e.Entity) + "." + strings.ToLower(e.Action))
}

// wWebhook is a webhook as the Webhook message: its ID is webhook_id in MLflow's current
// webhooks.proto and id in the first (3.3.0) one; both are written (clients ignore unknown
// fields).
type wWebhook struct {
	WebhookID            string          `json:"webhook_id"`
	ID                   string          `json:"id"`
	Name                 string          `json:"name"`
	Description          string          `json:"description,omitempty"`
	URL                  string          `json:"url"`
	Events               []wWebhookEvent `json:"events"`
	Status               string          `json:"status"`
	CreationTimestamp    int64           `json:"creation_timestamp"`
	LastUpdatedTimestamp int64           `json:"last_updated_timestamp"`
}

// toWireWebhook is a webhook without its secret.
func toWireWebhook(w *tracking.Webhook) wWebhook {
	out := wWebhook{WebhookID: w.ID, ID: w.ID, Name: w.Name, Description: w.Description, URL: w.URL, Status: w.Status,
		CreationTimestamp: w.CreationTime, LastUpdatedTimestamp: w.LastUpdatedTime}
	for _, e := range w.Events {
		out.Events = append(out.Events, wWebhookEvent{Entity: strings.ToUpper(e.Entity()), Action: strings.ToUpper(e.Action())})
	}
	return out
}

type webhookRequest struct {
	Name        *string         `json:"name"`
	Description *string         `json:"description"`
	URL         *string         `json:"url"`
	Events      []wWebhookEvent `json:"events"`
	Secret      *string         `json:"secret"`
	Status      *flexEnum       `json:"status"`
	MaxResults  flexInt         `json:"max_results"`
	PageToken   string          `json:"page_token"`
	Event       *wWebhookEvent  `json:"event"`
}

// webhookStatuses maps WebhookStatus's names and numbers to weir's.
var webhookStatuses = map[string]string{"ACTIVE": tracking.WebhookActive, "1": tracking.WebhookActive, "DISABLED": tracking.WebhookDisabled, "2": tracking.WebhookDisabled}

func (req *webhookRequest) status() (*string, error) {
	if req.Status == nil {
		return nil, nil
	}
	st, ok := webhookStatuses[strings.ToUpper(string(*req.Status))]
	if !ok {
		return nil, invalidParam("Invalid value %s for parameter 'status': want ACTIVE or DISABLED", *req.Status)
	}
	return &st, nil
}

func (req *webhookRequest) events() []tracking.WebhookEvent {
	if req.Events == nil {
		return nil
	}
	out := make([]tracking.WebhookEvent, len(req.Events))
	for i, e := range req.Events {
		out[i] = e.event()
	}
	return out
}

func webhookResponse(w *tracking.Webhook, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	return map[string]any{"webhook": toWireWebhook(w)}, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// webhooks is POST webhooks (create) and GET webhooks (list).
func (a *API) webhooks(r *http.Request) (any, error) {
	var req webhookRequest
	if err := a.decode(r, &req); err != nil {
		return nil, err
	}
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		if req.MaxResults < 0 || req.MaxResults > 1000 {
			return nil, invalidParam("Invalid value %d for parameter 'max_results': want 1 to 1000", req.MaxResults)
		}
		max := int(req.MaxResults)
		if max == 0 {
			max = 100
		}
		page, err := a.svc.ListWebhooks(r.Context(), max, req.PageToken)
		if err != nil {
			return nil, err
		}
		out := struct {
			Webhooks      []wWebhook `json:"webhooks,omitempty"`
			NextPageToken string     `json:"next_page_token,omitempty"`
		}{NextPageToken: page.NextPageToken}
		for i := range page.Webhooks {
			out.Webhooks = append(out.Webhooks, toWireWebhook(&page.Webhooks[i]))
		}
		return out, nil
	}
	st, err := req.status()
	if err != nil {
		return nil, err
	}
	w := tracking.Webhook{Name: deref(req.Name), Description: deref(req.Description), URL: deref(req.URL),
		Secret: deref(req.Secret), Events: req.events(), Status: deref(st)}
	return webhookResponse(a.svc.CreateWebhook(r.Context(), w))
}

// webhook is webhooks/{webhook_id}: GET gets, PATCH updates, DELETE deletes.
func (a *API) webhook(r *http.Request) (any, error) {
	id := r.PathValue("webhook_id")
	var req webhookRequest
	if err := a.decode(r, &req); err != nil {
		return nil, err
	}
	switch r.Method {
	case http.MethodPatch:
		st, err := req.status()
		if err != nil {
			return nil, err
		}
		return webhookResponse(a.svc.UpdateWebhook(r.Context(), tracking.UpdateWebhookParams{
			ID: id, Name: req.Name, Description: req.Description, URL: req.URL, Secret: req.Secret, Events: req.events(), Status: st,
		}))
	case http.MethodDelete:
		return nil, a.svc.DeleteWebhook(r.Context(), id)
	default:
		return webhookResponse(a.svc.GetWebhook(r.Context(), id))
	}
}

// testWebhook is POST webhooks/{webhook_id}/test: one delivery of an example event (the
// one asked, else the webhook's first), now, without retries; the result says how it went.
func (a *API) testWebhook(r *http.Request) (any, error) {
	var req webhookRequest
	if err := a.decode(r, &req); err != nil {
		return nil, err
	}
	w, err := a.svc.GetWebhook(r.Context(), r.PathValue("webhook_id"))
	if err != nil {
		return nil, err
	}
	e := w.Events[0]
	if req.Event != nil {
		e = req.Event.event()
	}
	res := a.send(r.Context(), w, e, examplePayload(e))
	out := struct {
		Success        bool   `json:"success"`
		ResponseStatus int    `json:"response_status,omitempty"`
		ResponseBody   string `json:"response_body,omitempty"`
		ErrorMessage   string `json:"error_message,omitempty"`
	}{Success: res.err == nil && res.status/100 == 2, ResponseStatus: res.status, ResponseBody: res.body}
	if res.err != nil {
		out.ErrorMessage = res.err.Error()
	}
	return map[string]any{"result": out}, nil
}

// examplePayload is the data of a test delivery of e.
func examplePayload(e tracking.WebhookEvent) map[string]any {
	d := map[string]any{"name": "example_model"}
	switch e {
	case tracking.EventRegisteredModelCreated:
		d["tags"], d["description"] = map[string]string{"example_key": "example_value"}, "An example registered model"
	case tracking.EventModelVersionCreated:
		d["version"], d["source"], d["run_id"] = "1", "models:/123", "abcd1234abcd5678"
		d["tags"], d["description"] = map[string]string{"example_key": "example_value"}, "An example model version"
	case tracking.EventModelVersionTagSet:
		d["version"], d["key"], d["value"] = "1", "example_key", "example_value"
	case tracking.EventModelVersionTagDeleted:
		d["version"], d["key"] = "1", "example_key"
	case tracking.EventModelVersionAliasCreated:
		d["alias"], d["version"] = "example_alias", "1"
	case tracking.EventModelVersionAliasDeleted:
		d["alias"] = "example_alias"
	}
	return d
}

// notify delivers e with data to every active webhook subscribed to it, in the background.
func (a *API) notify(ctx context.Context, e tracking.WebhookEvent, data map[string]any) {
	page, err := a.svc.ListWebhooks(ctx, 0, "")
	if err != nil {
		a.log.Error("mlflowapi: list webhooks to deliver an event", "event", e, "err", err)
		return
	}
	for _, w := range page.Webhooks {
		if !w.Subscribes(e) {
			continue
		}
		a.hookMu.Lock()
		if a.hookClosed {
			a.hookMu.Unlock()
			return
		}
		a.hooks.Add(1)
		a.hookMu.Unlock()
		go func() {
			defer a.hooks.Done()
			a.deliver(w, e, data)
		}()
	}
}

// deliver sends e to w, retrying a connection error, 429 and 5xx up to Config.WebhookRetries
// times with doubling delays, until Close.
func (a *API) deliver(w tracking.Webhook, e tracking.WebhookEvent, data map[string]any) {
	delay := a.hookDelay
	for attempt := 0; ; attempt++ {
		res := a.send(a.hookCtx, &w, e, data)
		retry := res.err != nil || res.status == http.StatusTooManyRequests || res.status >= 500
		if !retry {
			if res.status/100 != 2 {
				a.log.Warn("mlflowapi: webhook refused a delivery", "webhook", w.ID, "event", e, "status", res.status)
			}
			return
		}
		if attempt >= a.hookRetries {
			a.log.Warn("mlflowapi: webhook delivery failed", "webhook", w.ID, "event", e, "attempts", attempt+1, "status", res.status, "err", res.err)
			return
		}
		select {
		case <-a.hookCtx.Done():
			return
		case <-time.After(delay):
		}
		delay *= 2
	}
}

type sendResult struct {
	status int
	body   string
	err    error
}

// send POSTs one delivery of e to w, signed when w has a secret.
func (a *API) send(ctx context.Context, w *tracking.Webhook, e tracking.WebhookEvent, data map[string]any) sendResult {
	now := a.now()
	body, err := json.Marshal(map[string]any{"entity": e.Entity(), "action": e.Action(), "timestamp": now.UTC().Format(time.RFC3339Nano), "data": data})
	if err != nil {
		return sendResult{err: err}
	}
	id := webhook.NewDeliveryID()
	ts := strconv.FormatInt(now.Unix(), 10)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return sendResult{err: err}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "weir-mlflow-webhooks")
	req.Header.Set("X-MLflow-Delivery-Id", id)
	req.Header.Set("X-MLflow-Timestamp", ts)
	if w.Secret != "" {
		req.Header.Set("X-MLflow-Signature", Signature(w.Secret, id, ts, body))
	}
	resp, err := a.hookClient.Do(req)
	if err != nil {
		return sendResult{err: fmt.Errorf("POST %s: %w", w.URL, err)}
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	return sendResult{status: resp.StatusCode, body: string(b)}
}

// Signature returns the X-MLflow-Signature of a delivery: "v1," and the base64 of the
// HMAC-SHA256, keyed by secret, of deliveryID + "." + timestamp + "." + body
// (webhook.Signature). A receiver recomputes it and compares in constant time.
func Signature(secret, deliveryID, timestamp string, body []byte) string {
	return webhook.Signature(secret, deliveryID, timestamp, body)
}

func tagMap(ts []wTag) map[string]string {
	m := make(map[string]string, len(ts))
	for _, t := range ts {
		m[t.Key] = t.Value
	}
	return m
}
