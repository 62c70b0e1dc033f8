package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/weirhq/weir/store"
)

// scanDAG scans a row of the dags queries.
func scanDAG(sc scanner) (*store.DAGMeta, error) {
	m := new(store.DAGMeta)
	err := sc.Scan(&m.DAGID, boolCol{&m.IsPaused}, &m.Source, &m.Hash, &m.Schedule,
		timeCol{&m.LastScheduledStart}, timeCol{&m.LastScheduledEnd}, boolCol{&m.IsActive}, timeCol{&m.UpdatedAt})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// UpsertDAG implements store.Store. A new row takes every field of m but UpdatedAt, which is
// the store's current time (Config.Now). An existing row keeps IsPaused and also
// LastScheduledStart and LastScheduledEnd, which only SetLastScheduled writes, so that
// whoever refreshes DAGs from their files cannot undo the scheduler's bookkeeping; its
// UpdatedAt changes only if Source, Hash, Schedule or IsActive do.
func (s *Store) UpsertDAG(ctx context.Context, m *store.DAGMeta) error {
	if m == nil {
		return errors.New("sqlite: nil DAG metadata")
	}
	if err := store.ValidateDAGID(m.DAGID); err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	st, err := s.lazy(ctx, &s.upsertDAG, s.w, "UpsertDAG")
	if err != nil {
		return err
	}
	_, err = st.ExecContext(ctx, m.DAGID, boolArg(m.IsPaused), m.Source, m.Hash, m.Schedule,
		timeArg(m.LastScheduledStart), timeArg(m.LastScheduledEnd), boolArg(m.IsActive), timeArg(s.now()))
	if err != nil {
		return fmt.Errorf("dag %s: %w", m.DAGID, interpretError(err))
	}
	return nil
}

// GetDAG implements store.Store.
func (s *Store) GetDAG(ctx context.Context, dagID string) (*store.DAGMeta, error) {
	st, err := s.lazy(ctx, &s.getDAG, s.r, "GetDAG")
	if err != nil {
		return nil, err
	}
	m, err := scanDAG(st.QueryRowContext(ctx, dagID))
	if err != nil {
		return nil, fmt.Errorf("dag %s: %w", dagID, interpretError(err))
	}
	return m, nil
}

// ListDAGs implements store.Store.
func (s *Store) ListDAGs(ctx context.Context) ([]*store.DAGMeta, error) {
	st, err := s.lazy(ctx, &s.listDAGs, s.r, "ListDAGs")
	if err != nil {
		return nil, err
	}
	rows, err := st.QueryContext(ctx)
	if err != nil {
		return nil, fmt.Errorf("list dags: %w", interpretError(err))
	}
	defer rows.Close()
	var out []*store.DAGMeta
	for rows.Next() {
		m, err := scanDAG(rows)
		if err != nil {
			return nil, fmt.Errorf("list dags: %w", err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list dags: %w", interpretError(err))
	}
	return out, nil
}

// SetPaused implements store.Store. UpdatedAt changes only if IsPaused does.
func (s *Store) SetPaused(ctx context.Context, dagID string, paused bool) error {
	st, err := s.lazy(ctx, &s.setPaused, s.w, "SetPaused")
	if err != nil {
		return err
	}
	res, err := st.ExecContext(ctx, boolArg(paused), timeArg(s.now()), dagID)
	if err != nil {
		return fmt.Errorf("dag %s: %w", dagID, interpretError(err))
	}
	if err := wantOneRow(res); err != nil {
		return fmt.Errorf("dag %s: %w", dagID, err)
	}
	return nil
}

// SetLastScheduled implements store.Store. The DAG must exist: otherwise it fails with an
// error wrapping store.ErrNotFound and writes nothing, the run included. If run is not nil,
// it must be a run of dagID, and tis must belong to it; if run is nil, tis must be empty.
// If the run (or one of its task instances) exists, it fails with store.ErrAlreadyExists
// and writes nothing: the interval is not recorded either. UpdatedAt becomes the store's
// current time.
func (s *Store) SetLastScheduled(ctx context.Context, dagID string, start, end time.Time, run *store.DAGRun, tis []*store.TaskInstance) error {
	if dagID == "" {
		return errors.New("sqlite: DAG ID must not be empty")
	}
	if run == nil && len(tis) > 0 {
		return fmt.Errorf("sqlite: dag %s: task instances without a run", dagID)
	}
	if run != nil {
		if err := validateNewRun(run, tis); err != nil {
			return err
		}
		if run.DAGID != dagID {
			return fmt.Errorf("sqlite: dag %s: run %s/%s is another DAG's", dagID, run.DAGID, run.RunID)
		}
	}
	st, err := s.lazy(ctx, &s.setLastScheduled, s.w, "SetLastScheduled")
	if err != nil {
		return err
	}
	now := s.now()
	return s.writeTx(ctx, func(w *writer) error {
		if run != nil {
			if _, err := s.createRunTx(w, run, tis); err != nil {
				return err
			}
		}
		res, err := w.execResult(w.stmt(st), timeArg(start), timeArg(end), timeArg(now), dagID)
		if err != nil {
			return fmt.Errorf("dag %s: %w", dagID, interpretError(err))
		}
		if err := wantOneRow(res); err != nil {
			return fmt.Errorf("dag %s: %w", dagID, err)
		}
		return nil
	})
}

// wantOneRow returns store.ErrNotFound if the statement of res changed no row.
func wantOneRow(res sql.Result) error {
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return store.ErrNotFound
	}
	return nil
}
