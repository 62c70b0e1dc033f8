package tracking

import (
	"context"
	"net/url"
	"slices"
	"strings"
)

// WebhookEvent is an event of the model registry a webhook subscribes to, as MLflow 3.3's
// webhooks name them: an entity and an action, written "entity.action" in lower case
// ("model_version.created").
type WebhookEvent string

// Registry events webhooks receive.
const (
	EventRegisteredModelCreated   WebhookEvent = "registered_model.created"
	EventModelVersionCreated      WebhookEvent = "model_version.created"
	EventModelVersionTagSet       WebhookEvent = "model_version_tag.set"
	EventModelVersionTagDeleted   WebhookEvent = "model_version_tag.deleted"
	EventModelVersionAliasCreated WebhookEvent = "model_version_alias.created"
	EventModelVersionAliasDeleted WebhookEvent = "model_version_alias.deleted"
)

// WebhookEvents are the events a webhook can subscribe to.
var WebhookEvents = []WebhookEvent{
	EventRegisteredModelCreated, EventModelVersionCreated, EventModelVersionTagSet,
	EventModelVersionTagDeleted, EventModelVersionAliasCreated, EventModelVersionAliasDeleted,
}

// Entity returns the entity of the event ("model_version").
func (e WebhookEvent) Entity() string { ent, _, _ := strings.Cut(string(e), "."); return ent }

// Action returns the action of the event ("created").
func (e WebhookEvent) Action() string { _, act, _ := strings.Cut(string(e), "."); return act }

// Webhook statuses.
const (
	WebhookActive   = "ACTIVE"
	WebhookDisabled = "DISABLED"
)

// Webhook is a URL the server POSTs registry events to, signed with Secret (HMAC-SHA256)
// when it is set.
type Webhook struct {
	// ID is 32 lowercase hex digits.
	ID          string
	Name        string
	Description string
	URL         string
	// Secret signs deliveries; empty for unsigned ones. It is never returned by the API.
	Secret string
	Events []WebhookEvent
	// Status is WebhookActive or WebhookDisabled; a disabled webhook receives nothing.
	Status string
	// CreationTime and LastUpdatedTime are Unix milliseconds.
	CreationTime    int64
	LastUpdatedTime int64
}

// Subscribes reports whether the webhook is active and subscribed to e.
func (w *Webhook) Subscribes(e WebhookEvent) bool {
	return w.Status == WebhookActive && slices.Contains(w.Events, e)
}

// WebhookPage is a page of webhooks.
type WebhookPage struct {
	Webhooks      []Webhook
	NextPageToken string
}

// UpdateWebhookParams changes a webhook; nil fields stay as they are.
type UpdateWebhookParams struct {
	ID          string
	Name        *string
	Description *string
	URL         *string
	Secret      *string
	Events      []WebhookEvent
	Status      *string
}

// ValidateWebhook checks a webhook's name, URL (http or https, with a host), events
// (known, at least one) and status.
func ValidateWebhook(w *Webhook) error {
	if w.Name == "" {
		return invalid("missing value for required parameter 'name'")
	}
	u, err := url.Parse(w.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return invalid("webhook URL %q: want an http:// or https:// URL with a host", w.URL)
	}
	if len(w.Events) == 0 {
		return invalid("missing value for required parameter 'events': name at least one event")
	}
	for _, e := range w.Events {
		if !slices.Contains(WebhookEvents, e) {
			return invalid("unknown webhook event %q: want one of %v", e, WebhookEvents)
		}
	}
	if w.Status != WebhookActive && w.Status != WebhookDisabled {
		return invalid("webhook status %q: want ACTIVE or DISABLED", w.Status)
	}
	return nil
}

// CreateWebhook validates the webhook, fills its ID, status (ACTIVE) and times, and creates
// it.
func (s *Service) CreateWebhook(ctx context.Context, w Webhook) (*Webhook, error) {
	if w.Status == "" {
		w.Status = WebhookActive
	}
	if err := ValidateWebhook(&w); err != nil {
		return nil, err
	}
	w.ID = randomHex(16)
	w.CreationTime = s.NowMillis()
	w.LastUpdatedTime = w.CreationTime
	if err := s.Store.CreateWebhook(ctx, w); err != nil {
		return nil, err
	}
	return &w, nil
}

// UpdateWebhook applies p to the webhook, validates the result and stores it.
func (s *Service) UpdateWebhook(ctx context.Context, p UpdateWebhookParams) (*Webhook, error) {
	w, err := s.GetWebhook(ctx, p.ID)
	if err != nil {
		return nil, err
	}
	for _, f := range []struct {
		src *string
		dst *string
	}{{p.Name, &w.Name}, {p.Description, &w.Description}, {p.URL, &w.URL}, {p.Secret, &w.Secret}, {p.Status, &w.Status}} {
		if f.src != nil {
			*f.dst = *f.src
		}
	}
	if p.Events != nil {
		w.Events = p.Events
	}
	if err := ValidateWebhook(w); err != nil {
		return nil, err
	}
	w.LastUpdatedTime = s.NowMillis()
	if err := s.Store.UpdateWebhook(ctx, *w); err != nil {
		return nil, err
	}
	return w, nil
}
