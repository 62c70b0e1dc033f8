package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"

	"github.com/weirhq/weir/tracking"
	"github.com/weirhq/weir/tracking/search"
)

// trackingWrite runs fn in a write transaction, giving it a helper that executes named
// queries; driver errors are interpreted (interpretError) once, here.
func (s *Tracking) trackingWrite(ctx context.Context, fn func(tx *trackingTx) error) error {
	return s.db.writeTx(ctx, func(w *writer) error { return fn(&trackingTx{w: w, s: s}) })
}

// trackingTx executes the named tracking queries of one write transaction.
type trackingTx struct {
	w *writer
	s *Tracking
}

// exec executes the named query and returns the rows it changed.
func (t *trackingTx) exec(name string, args ...any) (int64, error) {
	if err := t.w.ctx.Err(); err != nil {
		return 0, err
	}
	res, err := t.execText(query(name), args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// execText executes a statement in the transaction: through its statement prepared at
// Open when it is one of the hot tracking writes (preparing cost as much as executing the
// small statements of a log-batch call), else prepared by the transaction. A statement can
// never be prepared on the write pool here: its one connection is this transaction's.
func (t *trackingTx) execText(text string, args ...any) (sql.Result, error) {
	var res sql.Result
	var err error
	if st := t.s.db.writeStmts[text]; st != nil {
		res, err = t.w.stmt(st).ExecContext(t.w.nc, args...)
	} else {
		res, err = t.w.tx.ExecContext(t.w.nc, text, args...)
	}
	if err != nil {
		return nil, interpretError(err)
	}
	return res, nil
}

// hotTrackingWrites are the texts of the tracking writes prepared at Open.
func hotTrackingWrites() []string {
	texts := []string{query("TrackingInsertParams"), query("TrackingUpsertTags"),
		query("TrackingGetRunInfo"), query("TrackingConflictingParams"), savepointSQL, releaseSQL, rollbackToSQL}
	for _, m := range []map[int]string{insertPointsSQLs(), upsertLatestSQLs(), logPointsSQLs()} {
		for _, text := range m {
			texts = append(texts, text)
		}
	}
	return texts
}

// prepareTrackingWrites prepares hotTrackingWrites on the write pool (at Open, when no
// transaction holds its connection).
func (s *Store) prepareTrackingWrites() error {
	s.writeStmts = map[string]*sql.Stmt{}
	for _, text := range hotTrackingWrites() {
		st, err := s.w.Prepare(text)
		if err != nil {
			return fmt.Errorf("sqlite: prepare: %w", err)
		}
		s.writeStmts[text] = st
	}
	var n int64
	if err := s.w.QueryRow(query("TrackingMetricLogCount")).Scan(&n); err != nil {
		return fmt.Errorf("sqlite: count metric_log: %w", err)
	}
	s.metricLog.Store(n)
	s.metricLogMax = metricLogMerge
	return nil
}

// row runs the named query and scans its one row into dst.
func (t *trackingTx) row(name string, args []any, dst ...any) error {
	if st := t.s.db.writeStmts[query(name)]; st != nil {
		return interpretError(t.w.stmt(st).QueryRowContext(t.w.nc, args...).Scan(dst...))
	}
	return interpretError(t.w.tx.QueryRowContext(t.w.nc, query(name), args...).Scan(dst...))
}

// queryer is a read pool or a transaction.
type queryer interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

// experimentKey parses an experiment ID; a malformed one is not found.
func experimentKey(id string) (int64, error) {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("experiment %q: %w", id, tracking.ErrNotFound)
	}
	return n, nil
}

func scanExperiment(sc interface{ Scan(...any) error }) (*tracking.Experiment, int64, error) {
	var e tracking.Experiment
	var id int64
	if err := sc.Scan(&id, &e.Name, &e.ArtifactLocation, &e.LifecycleStage, &e.CreationTime, &e.LastUpdateTime); err != nil {
		return nil, 0, err
	}
	e.ID = strconv.FormatInt(id, 10)
	return &e, id, nil
}

// CreateExperiment implements tracking.Store.
func (s *Tracking) CreateExperiment(ctx context.Context, p tracking.CreateExperimentParams) (string, error) {
	now := p.Time
	if now == 0 {
		now = s.now().UnixMilli()
	}
	var id int64
	err := s.trackingWrite(ctx, func(tx *trackingTx) error {
		res, err := tx.w.tx.ExecContext(tx.w.nc, query("TrackingInsertExperiment"), p.Name, p.ArtifactLocation, now)
		if err != nil {
			return interpretError(err)
		}
		if id, err = res.LastInsertId(); err != nil {
			return err
		}
		if p.ArtifactLocation == "" {
			if _, err := tx.exec("TrackingSetDefaultArtifactLocation", id); err != nil {
				return err
			}
		}
		for _, t := range p.Tags {
			if _, err := tx.exec("TrackingSetExperimentTag", id, t.Key, t.Value); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("experiment %q: %w", p.Name, err)
	}
	return strconv.FormatInt(id, 10), nil
}

// GetExperiment implements tracking.Store.
func (s *Tracking) GetExperiment(ctx context.Context, id string) (*tracking.Experiment, error) {
	key, err := experimentKey(id)
	if err != nil {
		return nil, err
	}
	return s.getExperiment(ctx, "TrackingGetExperiment", key, id)
}

// GetExperimentByName implements tracking.Store.
func (s *Tracking) GetExperimentByName(ctx context.Context, name string) (*tracking.Experiment, error) {
	return s.getExperiment(ctx, "TrackingGetExperimentByName", name, name)
}

func (s *Tracking) getExperiment(ctx context.Context, q string, arg any, what string) (*tracking.Experiment, error) {
	e, id, err := scanExperiment(s.r.QueryRowContext(ctx, query(q), arg))
	if err != nil {
		return nil, fmt.Errorf("experiment %q: %w", what, interpretError(err))
	}
	rows, err := s.r.QueryContext(ctx, query("TrackingGetExperimentTags"), id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var t tracking.Tag
		if err := rows.Scan(&t.Key, &t.Value); err != nil {
			return nil, err
		}
		e.Tags = append(e.Tags, t)
	}
	return e, rows.Err()
}

// SearchExperiments implements tracking.Store: search.Experiments filters, sorts and pages
// every experiment, which are few.
func (s *Tracking) SearchExperiments(ctx context.Context, p tracking.SearchExperimentsParams) (*tracking.ExperimentPage, error) {
	return search.Experiments(ctx, p, s.allExperiments)
}

// allExperiments returns every experiment with its tags.
func (s *Tracking) allExperiments(ctx context.Context) ([]tracking.Experiment, error) {
	rows, err := s.r.QueryContext(ctx, query("TrackingListExperiments"))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []tracking.Experiment
	index := map[int64]int{}
	for rows.Next() {
		e, id, err := scanExperiment(rows)
		if err != nil {
			return nil, err
		}
		index[id] = len(out)
		out = append(out, *e)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	trows, err := s.r.QueryContext(ctx, query("TrackingListExperimentTags"))
	if err != nil {
		return nil, err
	}
	defer trows.Close()
	for trows.Next() {
		var id int64
		var t tracking.Tag
		if err := trows.Scan(&id, &t.Key, &t.Value); err != nil {
			return nil, err
		}
		if i, ok := index[id]; ok {
			out[i].Tags = append(out[i].Tags, t)
		}
	}
	return out, trows.Err()
}

// RenameExperiment implements tracking.Store.
func (s *Tracking) RenameExperiment(ctx context.Context, id, newName string) error {
	key, err := experimentKey(id)
	if err != nil {
		return err
	}
	err = s.experimentWrite(ctx, id, "TrackingRenameExperiment", key, newName, s.now().UnixMilli())
	if errors.Is(err, tracking.ErrNotFound) {
		// No active experiment of that ID: tell a deleted one from a missing one.
		if e, gerr := s.GetExperiment(ctx, id); gerr == nil && e.LifecycleStage != tracking.StageActive {
			return fmt.Errorf("experiment %q is deleted, so it cannot be renamed: restore it first: %w", id, tracking.ErrInvalidState)
		}
	}
	return err
}

// experimentWrite executes the named query on one experiment, ErrNotFound if it changed no
// row.
func (s *Tracking) experimentWrite(ctx context.Context, id, name string, args ...any) error {
	err := s.trackingWrite(ctx, func(tx *trackingTx) error {
		n, err := tx.exec(name, args...)
		if err == nil && n == 0 {
			err = tracking.ErrNotFound
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("experiment %q: %w", id, err)
	}
	return nil
}

// SetExperimentLifecycle implements tracking.Store.
func (s *Tracking) SetExperimentLifecycle(ctx context.Context, id, stage string) error {
	key, err := experimentKey(id)
	if err != nil {
		return err
	}
	if stage != tracking.StageActive && stage != tracking.StageDeleted {
		return fmt.Errorf("%w: lifecycle stage %q", tracking.ErrInvalid, stage)
	}
	if key == 0 && stage == tracking.StageDeleted {
		return fmt.Errorf("%w: the Default experiment cannot be deleted", tracking.ErrInvalid)
	}
	err = s.trackingWrite(ctx, func(tx *trackingTx) error {
		n, err := tx.exec("TrackingSetExperimentStage", key, stage, s.now().UnixMilli())
		if err != nil {
			return err
		}
		if n == 0 {
			return tracking.ErrNotFound
		}
		q := "TrackingRestoreExperimentRuns"
		if stage == tracking.StageDeleted {
			q = "TrackingDeleteExperimentRuns"
		}
		_, err = tx.exec(q, key)
		return err
	})
	if err != nil {
		return fmt.Errorf("experiment %q: %w", id, err)
	}
	return nil
}

// SetExperimentTag implements tracking.Store.
func (s *Tracking) SetExperimentTag(ctx context.Context, id string, tag tracking.Tag) error {
	key, err := experimentKey(id)
	if err != nil {
		return err
	}
	err = s.trackingWrite(ctx, func(tx *trackingTx) error {
		_, err := tx.exec("TrackingSetExperimentTag", key, tag.Key, tag.Value)
		return err
	})
	if err != nil {
		return fmt.Errorf("experiment %q: %w", id, err)
	}
	return nil
}

// DeleteExperimentTag implements tracking.Store.
func (s *Tracking) DeleteExperimentTag(ctx context.Context, id, tagKey string) error {
	key, err := experimentKey(id)
	if err != nil {
		return err
	}
	return s.experimentWrite(ctx, id+" tag "+tagKey, "TrackingDeleteExperimentTag", key, tagKey)
}
