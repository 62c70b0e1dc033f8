package sqlite

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/weirhq/weir/tracking"
)

func scanWebhook(sc interface{ Scan(...any) error }) (*tracking.Webhook, error) {
	var w tracking.Webhook
	var events string
	if err := sc.Scan(&w.ID, &w.Name, &w.Description, &w.URL, &w.Secret, &events, &w.Status, &w.CreationTime, &w.LastUpdatedTime); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(events), &w.Events); err != nil {
		return nil, fmt.Errorf("webhook %s: events: %w", w.ID, err)
	}
	return &w, nil
}

// CreateWebhook implements tracking.Store.
func (s *Tracking) CreateWebhook(ctx context.Context, w tracking.Webhook) error {
	events, _ := json.Marshal(w.Events)
	err := s.trackingWrite(ctx, func(tx *trackingTx) error {
		_, err := tx.exec("TrackingInsertWebhook", w.ID, w.Name, w.Description, w.URL, w.Secret, string(events), w.Status, w.CreationTime, w.LastUpdatedTime)
		return err
	})
	if err != nil {
		return fmt.Errorf("webhook %q: %w", w.ID, err)
	}
	return nil
}

// GetWebhook implements tracking.Store.
func (s *Tracking) GetWebhook(ctx context.Context, id string) (*tracking.Webhook, error) {
	w, err := scanWebhook(s.r.QueryRowContext(ctx, query("TrackingGetWebhook"), id))
	if err != nil {
		return nil, fmt.Errorf("webhook %q: %w", id, interpretError(err))
	}
	return w, nil
}

// ListWebhooks implements tracking.Store.
func (s *Tracking) ListWebhooks(ctx context.Context, maxResults int, pageToken string) (*tracking.WebhookPage, error) {
	offset, err := tracking.DecodePageToken(pageToken)
	if err != nil {
		return nil, err
	}
	limit := -1
	if maxResults > 0 {
		limit = maxResults + 1
	}
	rows, err := s.r.QueryContext(ctx, query("TrackingListWebhooks"), offset, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ws []tracking.Webhook
	for rows.Next() {
		w, err := scanWebhook(rows)
		if err != nil {
			return nil, err
		}
		ws = append(ws, *w)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	page := &tracking.WebhookPage{Webhooks: ws}
	if maxResults > 0 && len(ws) > maxResults {
		page.Webhooks, page.NextPageToken = ws[:maxResults], tracking.EncodePageToken(offset+maxResults)
	}
	return page, nil
}

// UpdateWebhook implements tracking.Store.
func (s *Tracking) UpdateWebhook(ctx context.Context, w tracking.Webhook) error {
	events, _ := json.Marshal(w.Events)
	return s.webhookWrite(ctx, w.ID, "TrackingUpdateWebhook", w.ID, w.Name, w.Description, w.URL, w.Secret, string(events), w.Status, w.LastUpdatedTime)
}

// DeleteWebhook implements tracking.Store.
func (s *Tracking) DeleteWebhook(ctx context.Context, id string) error {
	return s.webhookWrite(ctx, id, "TrackingDeleteWebhook", id)
}

// webhookWrite executes the named query on one webhook, ErrNotFound if it changed no row.
func (s *Tracking) webhookWrite(ctx context.Context, id, name string, args ...any) error {
	err := s.trackingWrite(ctx, func(tx *trackingTx) error {
		n, err := tx.exec(name, args...)
		if err == nil && n == 0 {
			err = tracking.ErrNotFound
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("webhook %q: %w", id, err)
	}
	return nil
}
