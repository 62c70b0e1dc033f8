package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/weirhq/weir/store"
)

// scanLease scans a row of GetLease.
func scanLease(sc scanner) (*store.Lease, error) {
	l := new(store.Lease)
	if err := sc.Scan(&l.DAGID, &l.RunID, &l.Owner, &l.Epoch, timeCol{&l.ExpiresAt}, timeCol{&l.HeartbeatAt}); err != nil {
		return nil, err
	}
	return l, nil
}

// AcquireLease implements store.Store.
func (s *Store) AcquireLease(ctx context.Context, p store.AcquireLeaseParams) (*store.Lease, error) {
	if p.DAGID == "" || p.RunID == "" || p.Owner == "" {
		return nil, fmt.Errorf("sqlite: acquire the lease of run %q/%q: DAG ID, run ID and owner must not be empty", p.DAGID, p.RunID)
	}
	if p.TTL <= 0 {
		return nil, fmt.Errorf("sqlite: acquire the lease of run %s/%s: TTL %v must be positive", p.DAGID, p.RunID, p.TTL)
	}
	now := p.Now
	if now.IsZero() {
		now = s.now()
	}
	acquire, err := s.lazy(ctx, &s.acquireLease, s.w, "AcquireLease")
	if err != nil {
		return nil, err
	}
	gs, err := s.guardStmts(ctx)
	if err != nil {
		return nil, err
	}
	l := &store.Lease{DAGID: p.DAGID, RunID: p.RunID, Owner: p.Owner,
		ExpiresAt: now.Add(p.TTL).UTC().Truncate(time.Microsecond), HeartbeatAt: now.UTC().Truncate(time.Microsecond)}
	err = s.writeTx(ctx, func(w *writer) error {
		err := w.stmt(acquire).QueryRowContext(w.nc, p.DAGID, p.RunID, p.Owner, l.ExpiresAt.UnixMicro(),
			l.HeartbeatAt.UnixMicro(), now.UnixMicro(), p.TakeOver).Scan(&l.Epoch)
		if err == nil {
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("acquire the lease of run %s/%s: %w", p.DAGID, p.RunID, interpretError(err))
		}
		held, gerr := scanLease(w.stmt(gs.getLease).QueryRowContext(w.nc, p.DAGID, p.RunID))
		if gerr != nil {
			return fmt.Errorf("acquire the lease of run %s/%s: %w", p.DAGID, p.RunID, interpretError(gerr))
		}
		return fmt.Errorf("run %s/%s: %w: %s holds epoch %d until %s", p.DAGID, p.RunID, store.ErrLeaseHeld,
			held.Owner, held.Epoch, held.ExpiresAt.Format(time.RFC3339Nano))
	})
	if err != nil {
		return nil, err
	}
	return l, nil
}

// GetLease implements store.Store.
func (s *Store) GetLease(ctx context.Context, dagID, runID string) (*store.Lease, error) {
	st, err := s.lazy(ctx, &s.getLease, s.r, "GetLease")
	if err != nil {
		return nil, err
	}
	l, err := scanLease(st.QueryRowContext(ctx, dagID, runID))
	if err != nil {
		return nil, fmt.Errorf("lease of run %s/%s: %w", dagID, runID, interpretError(err))
	}
	return l, nil
}

// RenewLeases implements store.Store. The leases' ExpiresAt and HeartbeatAt change only if
// the transaction commits.
func (s *Store) RenewLeases(ctx context.Context, leases []*store.Lease, ttl time.Duration, now time.Time) ([]*store.Lease, error) {
	if len(leases) == 0 {
		return nil, nil
	}
	if ttl <= 0 {
		return nil, fmt.Errorf("sqlite: renew leases: TTL %v must be positive", ttl)
	}
	renew, err := s.lazy(ctx, &s.renewLease, s.w, "RenewLease")
	if err != nil {
		return nil, err
	}
	hb, err := s.lazy(ctx, &s.heartbeatRun, s.w, "HeartbeatRun")
	if err != nil {
		return nil, err
	}
	now = now.UTC().Truncate(time.Microsecond)
	exp := now.Add(ttl)
	var lost, kept []*store.Lease
	err = s.writeTx(ctx, func(w *writer) error {
		lost, kept = lost[:0], kept[:0]
		rs, hs := w.stmt(renew), w.stmt(hb)
		for _, l := range leases {
			res, err := w.execResult(rs, exp.UnixMicro(), now.UnixMicro(), l.DAGID, l.RunID, l.Epoch)
			if err != nil {
				return fmt.Errorf("renew the lease of run %s/%s: %w", l.DAGID, l.RunID, interpretError(err))
			}
			if n, _ := res.RowsAffected(); n == 0 {
				lost = append(lost, l)
				continue
			}
			if err := w.exec(hs, now.UnixMicro(), l.DAGID, l.RunID); err != nil {
				return fmt.Errorf("heartbeat of run %s/%s: %w", l.DAGID, l.RunID, interpretError(err))
			}
			kept = append(kept, l)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, l := range kept {
		l.ExpiresAt, l.HeartbeatAt = exp, now
	}
	return lost, nil
}

// ReleaseLease implements store.Store.
func (s *Store) ReleaseLease(ctx context.Context, l *store.Lease) error {
	gs, err := s.guardStmts(ctx)
	if err != nil {
		return err
	}
	b := &store.Batch{Guards: []store.RunGuard{{DAGID: l.DAGID, RunID: l.RunID, Epoch: l.Epoch, Release: true}}}
	return s.writeTx(ctx, func(w *writer) error {
		if err := guardTx(w, gs, b, false); err != nil {
			return err
		}
		return guardTx(w, gs, b, true)
	})
}

// guardSet holds the statements of the guards, prepared on the write pool on first use.
type guardSet struct {
	fence, fenceState, ensure, tiStates, release, getLease, getRunState *sql.Stmt
}

// guardStmts returns the guard statements, preparing them on first use. Call it before the
// transaction that uses them begins.
func (s *Store) guardStmts(ctx context.Context) (*guardSet, error) {
	s.guardMu.Lock()
	defer s.guardMu.Unlock()
	if s.guards != nil {
		return s.guards, nil
	}
	g := new(guardSet)
	for _, q := range []struct {
		dst  **sql.Stmt
		text string
	}{
		{&g.fence, query("FenceLease")}, {&g.fenceState, query("FenceLeaseState")}, {&g.ensure, query("EnsureLease")},
		{&g.tiStates, multiRow(query("GuardTIStates"), rowsPerStmt)},
		{&g.release, query("ReleaseLease")}, {&g.getLease, query("GetLease")}, {&g.getRunState, query("GetRunState")},
	} {
		st, err := s.w.PrepareContext(ctx, q.text)
		if err != nil {
			return nil, fmt.Errorf("sqlite: prepare the guards: %w", err)
		}
		*q.dst = st
	}
	s.guards = g
	return g, nil
}

// guardTx checks the guards of b in w's transaction; with release set it releases the
// leases of the guards that ask for it instead (after the batch's writes). A failed guard
// is a *store.GuardError.
func guardTx(w *writer, gs *guardSet, b *store.Batch, release bool) error {
	if release {
		var st *sql.Stmt
		for _, g := range b.Guards {
			if !g.Release {
				continue
			}
			if st == nil {
				st = w.stmt(gs.release)
			}
			if err := w.exec(st, g.DAGID, g.RunID); err != nil {
				return fmt.Errorf("release the lease of run %s/%s: %w", g.DAGID, g.RunID, interpretError(err))
			}
		}
		return nil
	}
	if len(b.Guards) > 0 {
		for _, g := range b.Guards {
			if g.Epoch == 0 {
				if err := w.exec(w.stmt(gs.ensure), g.DAGID, g.RunID); err != nil {
					return fmt.Errorf("guard of run %s/%s: %w", g.DAGID, g.RunID, interpretError(err))
				}
			}
			// One statement checks both the epoch and the run's state when there is one.
			var res sql.Result
			var err error
			if g.State != "" {
				res, err = w.execResult(w.stmt(gs.fenceState), g.DAGID, g.RunID, g.Epoch, string(g.State))
			} else {
				res, err = w.execResult(w.stmt(gs.fence), g.DAGID, g.RunID, g.Epoch)
			}
			if err != nil {
				return fmt.Errorf("guard of run %s/%s: %w", g.DAGID, g.RunID, interpretError(err))
			}
			if n, _ := res.RowsAffected(); n == 1 {
				continue
			}
			// Tell which guard failed.
			if res, err = w.execResult(w.stmt(gs.fence), g.DAGID, g.RunID, g.Epoch); err != nil {
				return fmt.Errorf("guard of run %s/%s: %w", g.DAGID, g.RunID, interpretError(err))
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return leaseLost(w, gs, g)
			}
			got := "absent"
			var st string
			if err := w.stmt(gs.getRunState).QueryRowContext(w.nc, g.DAGID, g.RunID).Scan(&st); err == nil {
				got = st
			}
			return &store.GuardError{DAGID: g.DAGID, RunID: g.RunID, Want: string(g.State), Got: got, Err: store.ErrConflict}
		}
	}
	guards := b.TIGuards
	if len(guards) == 0 {
		return nil
	}
	st := w.stmt(gs.tiStates)
	args := make([]any, 0, 5*rowsPerStmt)
	for len(guards) > 0 {
		chunk := guards[:min(len(guards), rowsPerStmt)]
		guards = guards[len(chunk):]
		args = args[:0]
		for i := range rowsPerStmt {
			g := chunk[min(i, len(chunk)-1)] // a short chunk repeats its last guard
			args = append(args, g.DAGID, g.RunID, g.TaskID, int64(g.MapIndex), string(g.State))
		}
		if err := w.ctx.Err(); err != nil {
			return err
		}
		var taskID, got, want string
		var mapIndex int64
		err := st.QueryRowContext(w.nc, args...).Scan(&taskID, &mapIndex, &got, &want)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return fmt.Errorf("guard task instances %s: %w", tiKey(chunk[0].DAGID, chunk[0].RunID, chunk[0].TaskID, chunk[0].MapIndex), interpretError(err))
		}
		return &store.GuardError{DAGID: chunk[0].DAGID, RunID: chunk[0].RunID, TaskID: taskID, MapIndex: int(mapIndex),
			Want: store.TIState(want).String(), Got: store.TIState(got).String(), Err: store.ErrConflict}
	}
	return nil
}

// leaseLost builds the error of a failed epoch guard, or ErrNotFound if the run is missing.
func leaseLost(w *writer, gs *guardSet, g store.RunGuard) error {
	got := "none"
	l, err := scanLease(w.stmt(gs.getLease).QueryRowContext(w.nc, g.DAGID, g.RunID))
	switch {
	case err == nil:
		got = strconv.FormatInt(l.Epoch, 10)
		if l.Owner != "" {
			got += " (held by " + l.Owner + ")"
		}
	case errors.Is(err, sql.ErrNoRows):
		var st string
		if err := w.stmt(gs.getRunState).QueryRowContext(w.nc, g.DAGID, g.RunID).Scan(&st); errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("guard of run %s/%s: %w", g.DAGID, g.RunID, store.ErrNotFound)
		}
	default:
		return fmt.Errorf("guard of run %s/%s: %w", g.DAGID, g.RunID, interpretError(err))
	}
	return &store.GuardError{DAGID: g.DAGID, RunID: g.RunID, Want: strconv.FormatInt(g.Epoch, 10), Got: got, Err: store.ErrLeaseLost}
}

// UpdateRun implements store.Store. The reads run on the write connection, inside the
// transaction that then applies fn's batch.
func (s *Store) UpdateRun(ctx context.Context, dagID, runID string, fn func(v *store.RunView) (*store.Batch, error)) error {
	getRun, err := s.lazy(ctx, &s.getRunW, s.w, "GetRun")
	if err != nil {
		return err
	}
	f := tiFilter{DAGID: true, RunID: true}
	listTIs, err := s.listRunTIsW.get(ctx, s.w, func() (string, error) { return renderQuery("ListTIs", f) })
	if err != nil {
		return fmt.Errorf("sqlite: prepare ListTIs: %w", err)
	}
	gs, err := s.guardStmts(ctx)
	if err != nil {
		return err
	}
	return s.writeTx(ctx, func(w *writer) error {
		v := new(store.RunView)
		var err error
		if v.Run, err = scanRun(w.stmt(getRun).QueryRowContext(w.nc, dagID, runID)); err != nil {
			return fmt.Errorf("run %s/%s: %w", dagID, runID, interpretError(err))
		}
		switch l, err := scanLease(w.stmt(gs.getLease).QueryRowContext(w.nc, dagID, runID)); {
		case err == nil:
			v.Lease = l
		case !errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("lease of run %s/%s: %w", dagID, runID, interpretError(err))
		}
		rows, err := w.stmt(listTIs).QueryContext(w.nc, sql.Named("dag_id", dagID), sql.Named("run_id", runID))
		if err != nil {
			return fmt.Errorf("task instances of run %s/%s: %w", dagID, runID, interpretError(err))
		}
		for rows.Next() {
			ti := new(store.TaskInstance)
			if err := scanTI(rows, ti); err != nil {
				rows.Close()
				return fmt.Errorf("task instances of run %s/%s: %w", dagID, runID, err)
			}
			v.TIs = append(v.TIs, ti)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("task instances of run %s/%s: %w", dagID, runID, interpretError(err))
		}
		b, err := fn(v)
		if err != nil || b == nil || b.Empty() {
			return err
		}
		if len(b.DatasetEvents) > 0 {
			return fmt.Errorf("sqlite: update run %s/%s: a batch of UpdateRun may not hold dataset events; apply them separately", dagID, runID)
		}
		if err := validateBatch(b); err != nil {
			return err
		}
		return s.applyTx(w, gs, b, eventStmts{}, time.Time{})
	})
}
