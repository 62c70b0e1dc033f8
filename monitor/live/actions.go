package live

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/weirhq/weir/internal/webhook"

	"github.com/weirhq/weir/store"
)

// Alert is the JSON document a webhook receives when a monitor fires, and the Extra of
// the dataset event it emits.
type Alert struct {
	// Event is "monitor.drift".
	Event    string `json:"event"`
	Monitor  string `json:"monitor"`
	Endpoint string `json:"endpoint"`
	Model    string `json:"model"`
	Version  string `json:"version,omitempty"`
	// Time is the evaluation's time; Rows the window's rows.
	Time time.Time `json:"time"`
	Rows int       `json:"rows"`
	// Reasons say what drifted; Share is the share of drifted features and Drifted
	// their names.
	Reasons []string `json:"reasons"`
	Share   float64  `json:"share"`
	Drifted []string `json:"drifted_features"`
}

// AlertEvent is Alert.Event.
const AlertEvent = "monitor.drift"

func alertOf(res *Result) Alert {
	a := Alert{Event: AlertEvent, Monitor: res.Monitor, Endpoint: res.Endpoint, Model: res.Model, Version: res.Version,
		Time: res.Time, Rows: res.Rows, Reasons: res.Reasons, Drifted: []string{}}
	if res.Data != nil {
		a.Share = res.Data.Share
		for _, f := range res.Data.Features {
			if f.Drift {
				a.Drifted = append(a.Drifted, f.Column)
			}
		}
	}
	return a
}

// fire runs the monitor's actions: every webhook, then the dataset event.
func (r *Runner) fire(ctx context.Context, spec Spec, res *Result) []Action {
	body, err := json.Marshal(alertOf(res))
	if err != nil {
		return []Action{{Kind: "webhook", Error: err.Error()}}
	}
	var out []Action
	for _, u := range spec.Webhooks {
		a := r.deliver(ctx, u, spec.Secret, body)
		if !a.OK {
			r.metrics.actionFailed(res.Monitor, "webhook")
			r.cfg.Logger.Warn("monitors: webhook not delivered", "monitor", res.Monitor, "url", u, "attempts", a.Attempts, "err", a.Error)
		}
		out = append(out, a)
	}
	if spec.Dataset != "" {
		a := Action{Kind: "dataset", Target: spec.Dataset}
		ev := &store.DatasetEvent{URI: spec.Dataset, Extra: body, SourceMapIndex: -1, Timestamp: res.Time,
			Consumers: r.cfg.Consumers(spec.Dataset)}
		if err := r.cfg.Store.AddDatasetEvent(ctx, ev); err != nil {
			a.Error = err.Error()
			r.metrics.actionFailed(res.Monitor, "dataset")
		} else {
			a.OK, a.EventID = true, ev.ID
			r.cfg.OnDatasetEvent()
		}
		out = append(out, a)
	}
	return out
}

// deliver POSTs body to url, retrying with exponential backoff; a 2xx answer is a
// delivery. With a secret the request is signed (see Spec.Secret).
func (r *Runner) deliver(ctx context.Context, url, secret string, body []byte) Action {
	a := Action{Kind: "webhook", Target: url}
	id := webhook.NewDeliveryID()
	wait := r.cfg.WebhookBackoff
	for a.Attempts < r.cfg.WebhookAttempts {
		if a.Attempts > 0 {
			select {
			case <-time.After(wait):
				wait *= 2
			case <-ctx.Done():
				a.Error = fmt.Sprintf("%v (last error: %s)", ctx.Err(), a.Error)
				return a
			}
		}
		a.Attempts++
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
		if err != nil {
			a.Error = err.Error()
			return a
		}
		ts := strconv.FormatInt(time.Now().Unix(), 10)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("User-Agent", "weir-monitor")
		req.Header.Set("X-Weir-Event", AlertEvent)
		req.Header.Set("X-Weir-Delivery", id)
		req.Header.Set("X-Weir-Timestamp", ts)
		if secret != "" {
			req.Header.Set("X-Weir-Signature", Signature(secret, id, ts, body))
		}
		resp, err := r.cfg.HTTPClient.Do(req)
		if err != nil {
			a.Error = err.Error()
			if errors.Is(err, webhook.ErrPrivateAddr) {
				return a // retrying cannot help
			}
			continue
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
		resp.Body.Close()
		a.Status = resp.StatusCode
		if resp.StatusCode >= 200 && resp.StatusCode < 300 {
			a.OK, a.Error = true, ""
			return a
		}
		a.Error = "status " + resp.Status
	}
	a.Error = fmt.Sprintf("after %d attempts: %s", a.Attempts, a.Error)
	return a
}

// Signature returns X-Weir-Signature of a delivery: "v1," and the base64 of the
// HMAC-SHA256, keyed by secret, of deliveryID + "." + timestamp + "." + body (the scheme
// of the model registry's webhooks, webhook.Signature). A receiver recomputes it and
// compares with hmac.Equal.
func Signature(secret, deliveryID, timestamp string, body []byte) string {
	return webhook.Signature(secret, deliveryID, timestamp, body)
}
