package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/weirhq/weir/store"
)

func scanTaskToken(sc scanner) (*store.TaskToken, error) {
	t := new(store.TaskToken)
	err := sc.Scan(&t.Hash, &t.DAGID, &t.RunID, &t.TaskID, &t.MapIndex, &t.TryNumber, &t.Scope,
		timeCol{&t.CreatedAt}, timeCol{&t.ExpiresAt})
	return t, err
}

// CreateTaskToken implements store.TaskTokenStore. The token needs a hash, a DAG, run and
// task, a scope and an expiry; a zero CreatedAt is the store's clock.
func (s *Store) CreateTaskToken(ctx context.Context, t *store.TaskToken) error {
	if t == nil || t.Hash == "" || t.DAGID == "" || t.RunID == "" || t.TaskID == "" || t.Scope == "" || t.ExpiresAt.IsZero() {
		return fmt.Errorf("sqlite: task token %+v: want a hash, a DAG, run and task, a scope and an expiry", t)
	}
	if t.CreatedAt.IsZero() {
		t.CreatedAt = s.now()
	}
	return s.writeTx(ctx, func(w *writer) error {
		if err := w.ctx.Err(); err != nil {
			return err
		}
		_, err := w.tx.ExecContext(w.nc, query("InsertTaskToken"), t.Hash, t.DAGID, t.RunID, t.TaskID, t.MapIndex,
			t.TryNumber, t.Scope, t.CreatedAt.UnixMicro(), t.ExpiresAt.UnixMicro())
		if err != nil {
			return fmt.Errorf("task token of %s/%s/%s: %w", t.DAGID, t.RunID, t.TaskID, interpretError(err))
		}
		return nil
	})
}

// GetTaskToken implements store.TaskTokenStore.
func (s *Store) GetTaskToken(ctx context.Context, hash string) (*store.TaskToken, error) {
	t, err := scanTaskToken(s.r.QueryRowContext(ctx, query("GetTaskToken"), hash))
	if err != nil {
		return nil, fmt.Errorf("task token: %w", interpretError(err))
	}
	return t, nil
}

// DeleteTaskToken implements store.TaskTokenStore.
func (s *Store) DeleteTaskToken(ctx context.Context, hash string) error {
	return s.writeTx(ctx, func(w *writer) error {
		if err := w.ctx.Err(); err != nil {
			return err
		}
		if _, err := w.tx.ExecContext(w.nc, query("DeleteTaskToken"), hash); err != nil {
			return fmt.Errorf("revoke task token: %w", interpretError(err))
		}
		return nil
	})
}

// DeleteEarlierTaskTokens implements store.TaskTokenStore.
func (s *Store) DeleteEarlierTaskTokens(ctx context.Context, dagID, runID, taskID string, mapIndex, tryNumber int) error {
	return s.writeTx(ctx, func(w *writer) error {
		if err := w.ctx.Err(); err != nil {
			return err
		}
		if _, err := w.tx.ExecContext(w.nc, query("DeleteEarlierTaskTokens"), dagID, runID, taskID, mapIndex, tryNumber); err != nil {
			return fmt.Errorf("revoke the task tokens of earlier tries of %s/%s/%s: %w", dagID, runID, taskID, interpretError(err))
		}
		return nil
	})
}

// PurgeTaskTokens implements store.TaskTokenStore.
func (s *Store) PurgeTaskTokens(ctx context.Context, before time.Time) (int, error) {
	var n int64
	err := s.writeTx(ctx, func(w *writer) error {
		if err := w.ctx.Err(); err != nil {
			return err
		}
		res, err := w.tx.ExecContext(w.nc, query("PurgeTaskTokens"), before.UnixMicro())
		if err != nil {
			return fmt.Errorf("purge expired task tokens: %w", interpretError(err))
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}
