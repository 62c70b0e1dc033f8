package sqlite

import (
	"context"
	"errors"
	"fmt"

	"github.com/weirhq/weir/store"
)

// ListPools implements store.Store.
func (s *Store) ListPools(ctx context.Context) ([]*store.Pool, error) {
	rows, err := s.listPools.QueryContext(ctx)
	if err != nil {
		return nil, fmt.Errorf("list pools: %w", interpretError(err))
	}
	defer rows.Close()
	var out []*store.Pool
	for rows.Next() {
		p := new(store.Pool)
		if err := rows.Scan(&p.Name, intCol{&p.Slots}, &p.Description); err != nil {
			return nil, fmt.Errorf("list pools: %w", err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list pools: %w", interpretError(err))
	}
	return out, nil
}

// GetPool implements store.Store.
func (s *Store) GetPool(ctx context.Context, name string) (*store.Pool, error) {
	p := new(store.Pool)
	if err := s.getPool.QueryRowContext(ctx, name).Scan(&p.Name, intCol{&p.Slots}, &p.Description); err != nil {
		return nil, fmt.Errorf("pool %s: %w", name, interpretError(err))
	}
	return p, nil
}

// UpsertPool implements store.Store. The name must not be empty and Slots must be −1
// (unlimited) or more.
func (s *Store) UpsertPool(ctx context.Context, p *store.Pool) error {
	if p == nil {
		return errors.New("sqlite: nil pool")
	}
	if p.Name == "" {
		return errors.New("sqlite: pool name must not be empty")
	}
	if p.Slots < -1 {
		return fmt.Errorf("sqlite: pool %s: slots %d: want -1 (unlimited) or more", p.Name, p.Slots)
	}
	if _, err := s.upsertPool.ExecContext(ctx, p.Name, int64(p.Slots), p.Description); err != nil {
		return fmt.Errorf("pool %s: %w", p.Name, interpretError(err))
	}
	return nil
}

// DeletePool implements store.Store. Deleting store.DefaultPool fails with an error that
// is not store.ErrNotFound.
func (s *Store) DeletePool(ctx context.Context, name string) error {
	if name == store.DefaultPool {
		return fmt.Errorf("pool %s: the default pool cannot be deleted", name)
	}
	res, err := s.deletePool.ExecContext(ctx, name)
	if err != nil {
		return fmt.Errorf("pool %s: %w", name, interpretError(err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("pool %s: %w", name, err)
	}
	if n == 0 {
		return fmt.Errorf("pool %s: %w", name, store.ErrNotFound)
	}
	return nil
}
