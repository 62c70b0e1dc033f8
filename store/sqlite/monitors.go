package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/weirhq/weir/store"
)

func scanMonitor(sc scanner) (*store.Monitor, error) {
	m := new(store.Monitor)
	err := sc.Scan(&m.Name, &m.Endpoint, jsonCol{&m.Spec}, timeCol{&m.CreatedAt}, timeCol{&m.UpdatedAt},
		timeCol{&m.LastRunAt}, boolCol{&m.Drifting}, timeCol{&m.LastFiredAt})
	return m, err
}

func scanMonitorResult(sc scanner) (*store.MonitorResult, error) {
	r := new(store.MonitorResult)
	err := sc.Scan(&r.ID, &r.Monitor, timeCol{&r.Time}, boolCol{&r.Drift}, boolCol{&r.Fired}, jsonCol{&r.Result})
	return r, err
}

// ListMonitors implements store.Store.
func (s *Store) ListMonitors(ctx context.Context) ([]*store.Monitor, error) {
	rows, err := s.r.QueryContext(ctx, query("ListMonitors"))
	if err != nil {
		return nil, fmt.Errorf("list monitors: %w", interpretError(err))
	}
	defer rows.Close()
	var out []*store.Monitor
	for rows.Next() {
		m, err := scanMonitor(rows)
		if err != nil {
			return nil, fmt.Errorf("list monitors: %w", err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list monitors: %w", interpretError(err))
	}
	return out, nil
}

// GetMonitor implements store.Store.
func (s *Store) GetMonitor(ctx context.Context, name string) (*store.Monitor, error) {
	m, err := scanMonitor(s.r.QueryRowContext(ctx, query("GetMonitor"), name))
	if err != nil {
		return nil, fmt.Errorf("monitor %s: %w", name, interpretError(err))
	}
	return m, nil
}

// PutMonitor implements store.Store.
func (s *Store) PutMonitor(ctx context.Context, m *store.Monitor) error {
	if err := m.Check(); err != nil {
		return err
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	err := s.writeTx(ctx, func(w *writer) error {
		if err := w.ctx.Err(); err != nil {
			return err
		}
		_, err := w.tx.ExecContext(w.nc, query("PutMonitor"), m.Name, m.Endpoint, jsonArg(m.Spec), timeArg(now), timeArg(now))
		if err != nil {
			return fmt.Errorf("monitor %s: %w", m.Name, interpretError(err))
		}
		return nil
	})
	if err != nil {
		return err
	}
	got, err := s.GetMonitor(ctx, m.Name)
	if err != nil {
		return err
	}
	*m = *got
	return nil
}

// DeleteMonitor implements store.Store.
func (s *Store) DeleteMonitor(ctx context.Context, name string) error {
	return s.writeTx(ctx, func(w *writer) error {
		if err := w.ctx.Err(); err != nil {
			return err
		}
		if _, err := w.tx.ExecContext(w.nc, query("DeleteMonitorResults"), name); err != nil {
			return fmt.Errorf("monitor %s: %w", name, interpretError(err))
		}
		res, err := w.tx.ExecContext(w.nc, query("DeleteMonitor"), name)
		if err != nil {
			return fmt.Errorf("monitor %s: %w", name, interpretError(err))
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("monitor %s: %w", name, err)
		} else if n == 0 {
			return fmt.Errorf("monitor %s: %w", name, store.ErrNotFound)
		}
		return nil
	})
}

// AddMonitorResult implements store.Store.
func (s *Store) AddMonitorResult(ctx context.Context, r *store.MonitorResult) error {
	if r == nil || r.Monitor == "" || r.Time.IsZero() {
		return errors.New("sqlite: monitor result needs a monitor name and a time")
	}
	return s.writeTx(ctx, func(w *writer) error {
		if err := w.ctx.Err(); err != nil {
			return err
		}
		at := r.Time.UnixMicro()
		res, err := w.tx.ExecContext(w.nc, query("SetMonitorState"), at, boolArg(r.Drift), boolArg(r.Fired), at, r.Monitor)
		if err != nil {
			return fmt.Errorf("monitor %s: %w", r.Monitor, interpretError(err))
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("monitor %s: %w", r.Monitor, err)
		} else if n == 0 {
			return fmt.Errorf("monitor %s: %w", r.Monitor, store.ErrNotFound)
		}
		res, err = w.tx.ExecContext(w.nc, query("InsertMonitorResult"), r.Monitor, at, boolArg(r.Drift), boolArg(r.Fired), jsonArg(r.Result))
		if err != nil {
			return fmt.Errorf("monitor %s: result: %w", r.Monitor, interpretError(err))
		}
		id, err := res.LastInsertId()
		if err != nil {
			return fmt.Errorf("monitor %s: result: %w", r.Monitor, err)
		}
		r.ID = id
		return nil
	})
}

// ListMonitorResults implements store.Store.
func (s *Store) ListMonitorResults(ctx context.Context, f store.MonitorResultFilter) ([]*store.MonitorResult, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	var since int64
	if !f.Since.IsZero() {
		since = f.Since.UnixMicro()
	}
	rows, err := s.r.QueryContext(ctx, query("ListMonitorResults"), sql.Named("monitor", f.Monitor),
		sql.Named("since", since), sql.Named("limit", int64(limit)))
	if err != nil {
		return nil, fmt.Errorf("list monitor results: %w", interpretError(err))
	}
	defer rows.Close()
	var out []*store.MonitorResult
	for rows.Next() {
		r, err := scanMonitorResult(rows)
		if err != nil {
			return nil, fmt.Errorf("list monitor results: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list monitor results: %w", interpretError(err))
	}
	return out, nil
}
