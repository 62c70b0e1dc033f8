package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/weirhq/weir/store"
)

func scanToken(sc scanner) (*store.Token, error) {
	t := new(store.Token)
	err := sc.Scan(&t.Hash, &t.Name, &t.Scope, timeCol{&t.CreatedAt}, timeCol{&t.ExpiresAt}, timeCol{&t.RevokedAt}, &t.User)
	return t, err
}

// CreateToken implements store.Store. The token needs a hash, a name and a scope; a zero
// CreatedAt is the store's clock.
func (s *Store) CreateToken(ctx context.Context, t *store.Token) error {
	if t == nil || t.Hash == "" || t.Name == "" || t.Scope == "" {
		return fmt.Errorf("sqlite: token %+v: want a hash, a name and a scope", t)
	}
	if t.CreatedAt.IsZero() {
		t.CreatedAt = s.now()
	}
	return s.writeTx(ctx, func(w *writer) error {
		if err := w.ctx.Err(); err != nil {
			return err
		}
		_, err := w.tx.ExecContext(w.nc, query("InsertToken"), t.Hash, t.Name, t.Scope, t.CreatedAt.UnixMicro(), int64Time(t.ExpiresAt), t.User)
		if err != nil {
			return fmt.Errorf("token %s: %w", t.Name, interpretError(err))
		}
		return nil
	})
}

// GetTokenByHash implements store.Store.
func (s *Store) GetTokenByHash(ctx context.Context, hash string) (*store.Token, error) {
	t, err := scanToken(s.r.QueryRowContext(ctx, query("GetTokenByHash"), hash))
	if err != nil {
		return nil, fmt.Errorf("token: %w", interpretError(err))
	}
	return t, nil
}

// ListTokens implements store.Store.
func (s *Store) ListTokens(ctx context.Context) ([]*store.Token, error) {
	rows, err := s.r.QueryContext(ctx, query("ListTokens"))
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", interpretError(err))
	}
	defer rows.Close()
	var out []*store.Token
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, fmt.Errorf("list tokens: %w", err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list tokens: %w", interpretError(err))
	}
	return out, nil
}

// CountActiveTokens implements store.Store.
func (s *Store) CountActiveTokens(ctx context.Context) (int, error) {
	var n int
	if err := s.r.QueryRowContext(ctx, query("CountActiveTokens")).Scan(&n); err != nil {
		return 0, fmt.Errorf("count tokens: %w", interpretError(err))
	}
	return n, nil
}

// RevokeToken implements store.Store.
func (s *Store) RevokeToken(ctx context.Context, name string, at time.Time) error {
	if at.IsZero() {
		at = s.now()
	}
	return s.writeTx(ctx, func(w *writer) error {
		if err := w.ctx.Err(); err != nil {
			return err
		}
		res, err := w.tx.ExecContext(w.nc, query("RevokeToken"), at.UnixMicro(), name)
		if err != nil {
			return fmt.Errorf("revoke token %s: %w", name, interpretError(err))
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("token %s: no active token has this name (see weir tokens list): %w", name, store.ErrNotFound)
		}
		return nil
	})
}
