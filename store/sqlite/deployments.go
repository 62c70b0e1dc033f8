package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/weirhq/weir/store"
)

func scanDeployment(sc interface{ Scan(...any) error }) (*store.Deployment, error) {
	d := new(store.Deployment)
	err := sc.Scan(&d.Name, &d.Model, &d.Canary, intCol{&d.CanaryWeight}, &d.Shadow, &d.Description,
		timeCol{&d.CreatedAt}, timeCol{&d.UpdatedAt})
	return d, err
}

// ListDeployments implements store.Store.
func (s *Store) ListDeployments(ctx context.Context) ([]*store.Deployment, error) {
	st, err := s.lazy(ctx, &s.listDeployments, s.r, "ListDeployments")
	if err != nil {
		return nil, err
	}
	rows, err := st.QueryContext(ctx)
	if err != nil {
		return nil, fmt.Errorf("list deployments: %w", interpretError(err))
	}
	defer rows.Close()
	var out []*store.Deployment
	for rows.Next() {
		d, err := scanDeployment(rows)
		if err != nil {
			return nil, fmt.Errorf("list deployments: %w", err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list deployments: %w", interpretError(err))
	}
	return out, nil
}

// GetDeployment implements store.Store.
func (s *Store) GetDeployment(ctx context.Context, name string) (*store.Deployment, error) {
	st, err := s.lazy(ctx, &s.getDeployment, s.r, "GetDeployment")
	if err != nil {
		return nil, err
	}
	d, err := scanDeployment(st.QueryRowContext(ctx, name))
	if err != nil {
		return nil, fmt.Errorf("deployment %s: %w", name, interpretError(err))
	}
	return d, nil
}

// PutDeployment implements store.Store.
func (s *Store) PutDeployment(ctx context.Context, d *store.Deployment) error {
	if err := d.Check(); err != nil {
		return err
	}
	st, err := s.lazy(ctx, &s.putDeployment, s.w, "PutDeployment")
	if err != nil {
		return err
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	if _, err := st.ExecContext(ctx, d.Name, d.Model, d.Canary, int64(d.CanaryWeight), d.Shadow, d.Description,
		timeArg(now), timeArg(now)); err != nil {
		return fmt.Errorf("deployment %s: %w", d.Name, interpretError(err))
	}
	got, err := s.GetDeployment(ctx, d.Name)
	if err != nil {
		return err
	}
	d.CreatedAt, d.UpdatedAt = got.CreatedAt, got.UpdatedAt
	return nil
}

// DeleteDeployment implements store.Store.
func (s *Store) DeleteDeployment(ctx context.Context, name string) error {
	st, err := s.lazy(ctx, &s.delDeployment, s.w, "DeleteDeployment")
	if err != nil {
		return err
	}
	res, err := st.ExecContext(ctx, name)
	if err != nil {
		return fmt.Errorf("deployment %s: %w", name, interpretError(err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("deployment %s: %w", name, err)
	}
	if n == 0 {
		return fmt.Errorf("deployment %s: %w", name, store.ErrNotFound)
	}
	return nil
}
