package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/weirhq/weir/store"
)

// appendCacheArgs appends the columns of c, in the order of the cache queries, to dst.
func appendCacheArgs(dst []any, c *store.CacheEntry, now time.Time) []any {
	created := c.CreatedAt
	if created.IsZero() {
		created = now
	}
	return append(dst, c.Key, c.DAGID, c.TaskID, c.RunID, int64(c.MapIndex), jsonArg(c.Output),
		c.TrackingRunID, jsonArg(c.Inputs), created.UnixMicro())
}

func scanCacheEntry(sc scanner) (*store.CacheEntry, error) {
	c := new(store.CacheEntry)
	err := sc.Scan(&c.Key, &c.DAGID, &c.TaskID, &c.RunID, intCol{&c.MapIndex}, jsonCol{&c.Output},
		&c.TrackingRunID, jsonCol{&c.Inputs}, timeCol{&c.CreatedAt})
	return c, err
}

// validateCacheEntry checks an entry of a batch.
func validateCacheEntry(c *store.CacheEntry) error {
	if c == nil {
		return errors.New("sqlite: nil cache entry")
	}
	if !strings.HasPrefix(c.Key, "sha256:") {
		return fmt.Errorf("sqlite: cache entry of %s: key %q: want sha256:<hex>", c.Source(), c.Key)
	}
	if err := store.ValidateTIKey(c.DAGID, c.RunID, c.TaskID, c.MapIndex); err != nil {
		return fmt.Errorf("sqlite: cache entry %s: %w", c.Key, err)
	}
	return nil
}

// writeCacheTx upserts the batch's cache entries in w's transaction.
func (s *Store) writeCacheTx(w *writer, st *sql.Stmt, entries []*store.CacheEntry, args []any) error {
	st = w.stmt(st)
	now := s.now()
	for _, c := range entries {
		args = appendCacheArgs(args[:0], c, now)
		if err := w.exec(st, args...); err != nil {
			return fmt.Errorf("cache entry %s of %s: %w", c.Key, c.Source(), interpretError(err))
		}
	}
	return nil
}

// GetCacheEntry implements store.Store.
func (s *Store) GetCacheEntry(ctx context.Context, key string) (*store.CacheEntry, error) {
	st, err := s.lazy(ctx, &s.getCache, s.r, "GetCacheEntry")
	if err != nil {
		return nil, err
	}
	c, err := scanCacheEntry(st.QueryRowContext(ctx, key))
	if err != nil {
		return nil, fmt.Errorf("cache entry %s: %w", key, interpretError(err))
	}
	return c, nil
}

// ListCacheEntries implements store.Store.
func (s *Store) ListCacheEntries(ctx context.Context, f store.CacheFilter) ([]*store.CacheEntry, error) {
	st, err := s.lazy(ctx, &s.listCache, s.r, "ListCacheEntries")
	if err != nil {
		return nil, err
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	rows, err := st.QueryContext(ctx, sql.Named("dag_id", f.DAGID), sql.Named("task_id", f.TaskID), sql.Named("limit", int64(limit)))
	if err != nil {
		return nil, fmt.Errorf("list cache entries: %w", interpretError(err))
	}
	defer rows.Close()
	var out []*store.CacheEntry
	for rows.Next() {
		c, err := scanCacheEntry(rows)
		if err != nil {
			return nil, fmt.Errorf("list cache entries: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list cache entries: %w", interpretError(err))
	}
	return out, nil
}

// DeleteCacheEntries implements store.Store.
func (s *Store) DeleteCacheEntries(ctx context.Context, f store.CacheFilter) (int, error) {
	st, err := s.lazy(ctx, &s.deleteCache, s.w, "DeleteCacheEntries")
	if err != nil {
		return 0, err
	}
	var n int64
	err = s.writeTx(ctx, func(w *writer) error {
		res, err := w.execResult(w.stmt(st), sql.Named("dag_id", f.DAGID), sql.Named("task_id", f.TaskID))
		if err != nil {
			return fmt.Errorf("delete cache entries: %w", interpretError(err))
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}
