package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/weirhq/weir/store"
)

func scanServeError(sc scanner) (*store.ServeErrorCount, error) {
	c := new(store.ServeErrorCount)
	err := sc.Scan(&c.Endpoint, timeCol{&c.Minute}, &c.Writer, &c.ModelName, &c.ModelVersion, &c.Class, &c.Count,
		&c.LastStatus, &c.LastMessage, timeCol{&c.LastAt})
	return c, err
}

// PutServeErrors implements store.ServeErrorStore. Every row needs an endpoint, a minute,
// a writer, a class of store.ServeError4xx or store.ServeError5xx and a positive count.
func (s *Store) PutServeErrors(ctx context.Context, cs []*store.ServeErrorCount) error {
	for _, c := range cs {
		switch {
		case c == nil:
			return fmt.Errorf("sqlite: nil serve error count")
		case c.Endpoint == "" || c.Minute.IsZero() || c.Writer == "":
			return fmt.Errorf("sqlite: serve error count %+v: want an endpoint, a minute and a writer", c)
		case c.Class != store.ServeError4xx && c.Class != store.ServeError5xx:
			return fmt.Errorf("sqlite: serve error count of %s: class %q, want %q or %q", c.Endpoint, c.Class, store.ServeError4xx, store.ServeError5xx)
		case c.Count < 1:
			return fmt.Errorf("sqlite: serve error count of %s: count %d, want 1 or more", c.Endpoint, c.Count)
		}
	}
	if len(cs) == 0 {
		return nil
	}
	return s.writeTx(ctx, func(w *writer) error {
		for _, c := range cs {
			if err := w.ctx.Err(); err != nil {
				return err
			}
			msg := c.LastMessage
			if len(msg) > store.MaxServeErrorMessage {
				msg = msg[:store.MaxServeErrorMessage]
			}
			_, err := w.tx.ExecContext(w.nc, query("PutServeError"), c.Endpoint, c.Minute.Truncate(time.Minute).UnixMicro(),
				c.Writer, c.ModelName, c.ModelVersion, c.Class, c.Count, c.LastStatus, msg, int64Time(c.LastAt))
			if err != nil {
				return fmt.Errorf("serve errors of %s at %s: %w", c.Endpoint, c.Minute.UTC().Format(time.RFC3339), interpretError(err))
			}
		}
		return nil
	})
}

// ListServeErrors implements store.ServeErrorStore.
func (s *Store) ListServeErrors(ctx context.Context, f store.ServeErrorFilter) ([]*store.ServeErrorCount, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = 10_000
	}
	v := struct{ Endpoint, Since bool }{f.Endpoint != "", !f.Since.IsZero()}
	args := []any{sql.Named("limit", int64(limit))}
	if v.Endpoint {
		args = append(args, sql.Named("endpoint", f.Endpoint))
	}
	if v.Since {
		args = append(args, sql.Named("since", f.Since.Truncate(time.Minute).UnixMicro()))
	}
	q, err := renderQuery("ListServeErrors", v)
	if err != nil {
		return nil, err
	}
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list serve errors: %w", interpretError(err))
	}
	defer rows.Close()
	var out []*store.ServeErrorCount
	for rows.Next() {
		c, err := scanServeError(rows)
		if err != nil {
			return nil, fmt.Errorf("list serve errors: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list serve errors: %w", interpretError(err))
	}
	return out, nil
}
