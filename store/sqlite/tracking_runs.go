package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"sync"

	"github.com/weirhq/weir/tracking"
)

// runRow is a run's metadata with its integer key.
type runRow struct {
	id   int64
	info tracking.RunInfo
}

func scanRunInfo(sc interface{ Scan(...any) error }) (runRow, error) {
	var r runRow
	var exp int64
	var end sql.NullInt64
	var status string
	if err := sc.Scan(&r.id, &r.info.RunID, &exp, &r.info.RunName, &r.info.UserID, &status, &r.info.StartTime, &end,
		&r.info.ArtifactURI, &r.info.LifecycleStage); err != nil {
		return r, err
	}
	r.info.ExperimentID = strconv.FormatInt(exp, 10)
	r.info.Status = tracking.RunStatus(status)
	r.info.EndTime = end.Int64
	return r, nil
}

// runInfo returns a run's metadata by ID, through q (the read pool or a transaction).
func runInfo(ctx context.Context, q queryer, runID string) (runRow, error) {
	r, err := scanRunInfo(q.QueryRowContext(ctx, query("TrackingGetRunInfo"), runID))
	if err != nil {
		return r, fmt.Errorf("run %q: %w", runID, interpretError(err))
	}
	return r, nil
}

// activeRun returns the metadata of a run in a write transaction, ErrInvalid if deleted.
func (t *trackingTx) activeRun(runID string) (runRow, error) {
	var r runRow
	var err error
	if st := t.s.db.writeStmts[query("TrackingGetRunInfo")]; st != nil {
		// Every log call reads its run first: through the statement prepared at Open.
		r, err = scanRunInfo(t.w.stmt(st).QueryRowContext(t.w.nc, runID))
		if err != nil {
			err = fmt.Errorf("run %q: %w", runID, interpretError(err))
		}
	} else {
		r, err = runInfo(t.w.nc, t.w.tx, runID)
	}
	if err != nil {
		return r, err
	}
	if r.info.LifecycleStage != tracking.StageActive {
		return r, fmt.Errorf("%w: the run %s must be in the 'active' state; current state is %s", tracking.ErrInvalid, runID, r.info.LifecycleStage)
	}
	return r, nil
}

// CreateRun implements tracking.Store.
func (s *Tracking) CreateRun(ctx context.Context, p tracking.CreateRunParams) (*tracking.Run, error) {
	exp, err := experimentKey(p.ExperimentID)
	if err != nil {
		return nil, err
	}
	status := p.Status
	if status == "" {
		status = tracking.RunRunning
	}
	start := p.StartTime
	if start == 0 {
		start = s.now().UnixMilli()
	}
	runID := tracking.NewRunID()
	tags := append([]tracking.Tag(nil), p.Tags...)
	if p.RunName != "" {
		tags = append(tags, tracking.Tag{Key: tracking.TagRunName, Value: p.RunName})
	}
	if p.ParentRunID != "" {
		tags = append(tags, tracking.Tag{Key: tracking.TagParentRunID, Value: p.ParentRunID})
	}
	err = s.trackingWrite(ctx, func(tx *trackingTx) error {
		var e *tracking.Experiment
		e, _, err := scanExperiment(tx.w.tx.QueryRowContext(tx.w.nc, query("TrackingGetExperiment"), exp))
		if err != nil {
			return fmt.Errorf("experiment %q: %w", p.ExperimentID, interpretError(err))
		}
		if e.LifecycleStage != tracking.StageActive {
			return fmt.Errorf("%w: experiment %q is deleted", tracking.ErrInvalid, p.ExperimentID)
		}
		if p.ParentRunID != "" {
			if _, err := runInfo(tx.w.nc, tx.w.tx, p.ParentRunID); err != nil {
				return fmt.Errorf("parent %w", err)
			}
		}
		uri := e.ArtifactLocation + "/" + runID + "/artifacts"
		res, err := tx.w.tx.ExecContext(tx.w.nc, query("TrackingInsertRun"), runID, exp, p.RunName, p.UserID, string(status), start, uri)
		if err != nil {
			return interpretError(err)
		}
		id, err := res.LastInsertId()
		if err != nil {
			return err
		}
		return tx.logBatch(id, nil, nil, tags)
	})
	if err != nil {
		return nil, err
	}
	return s.GetRun(ctx, runID)
}

// GetRun implements tracking.Store.
func (s *Tracking) GetRun(ctx context.Context, runID string) (*tracking.Run, error) {
	r, err := runInfo(ctx, s.r, runID)
	if err != nil {
		return nil, err
	}
	runs, err := s.loadRuns(ctx, []runRow{r})
	if err != nil {
		return nil, err
	}
	return &runs[0], nil
}

// loadRuns returns the runs of rows with their params, latest metrics, tags, inputs and
// outputs.
func (s *Tracking) loadRuns(ctx context.Context, rows []runRow) ([]tracking.Run, error) {
	out := make([]tracking.Run, len(rows))
	index := make(map[int64]*tracking.Run, len(rows))
	ids := make([]int64, len(rows))
	for i, r := range rows {
		out[i].Info = r.info
		index[r.id] = &out[i]
		ids[i] = r.id
	}
	if len(rows) == 0 {
		return out, nil
	}
	idsJSON, _ := json.Marshal(ids)
	each := func(name string, scan func(rs *sql.Rows, run *tracking.Run) error) error {
		rs, err := s.r.QueryContext(ctx, query(name), string(idsJSON))
		if err != nil {
			return err
		}
		defer rs.Close()
		var id int64
		for rs.Next() {
			if err := scan(rs, nil); err != nil {
				return err
			}
			_ = id
		}
		return rs.Err()
	}
	var run int64
	kv := func(add func(r *tracking.Run, k, v string)) func(rs *sql.Rows, _ *tracking.Run) error {
		return func(rs *sql.Rows, _ *tracking.Run) error {
			var k, v string
			if err := rs.Scan(&run, &k, &v); err != nil {
				return err
			}
			add(index[run], k, v)
			return nil
		}
	}
	if err := each("TrackingRunParams", kv(func(r *tracking.Run, k, v string) { r.Params = append(r.Params, tracking.Param{Key: k, Value: v}) })); err != nil {
		return nil, err
	}
	if err := each("TrackingRunTags", kv(func(r *tracking.Run, k, v string) { r.Tags = append(r.Tags, tracking.Tag{Key: k, Value: v}) })); err != nil {
		return nil, err
	}
	if err := each("TrackingRunMetrics", func(rs *sql.Rows, _ *tracking.Run) error {
		var m tracking.Metric
		var nan bool
		if err := rs.Scan(&run, &m.Key, &m.Value, &m.Timestamp, &m.Step, &nan); err != nil {
			return err
		}
		if nan {
			m.Value = math.NaN()
		}
		r := index[run]
		r.Metrics = append(r.Metrics, m)
		return nil
	}); err != nil {
		return nil, err
	}
	if err := each("TrackingRunInputs", func(rs *sql.Rows, _ *tracking.Run) error {
		var tags, ds string
		if err := rs.Scan(&run, &tags, &ds); err != nil {
			return err
		}
		in := tracking.DatasetInput{Dataset: []byte(ds)}
		var kvs [][2]string
		if err := json.Unmarshal([]byte(tags), &kvs); err != nil {
			return err
		}
		for _, t := range kvs {
			in.Tags = append(in.Tags, tracking.Tag{Key: t[0], Value: t[1]})
		}
		r := index[run]
		r.Inputs = append(r.Inputs, in)
		return nil
	}); err != nil {
		return nil, err
	}
	if err := s.loadRunOutputs(ctx, string(idsJSON), index); err != nil {
		return nil, err
	}
	return out, nil
}

// UpdateRun implements tracking.Store.
func (s *Tracking) UpdateRun(ctx context.Context, p tracking.UpdateRunParams) (*tracking.RunInfo, error) {
	var status, end, name any
	if p.Status != nil {
		status = string(*p.Status)
	}
	if p.EndTime != nil {
		end = *p.EndTime
	}
	if p.RunName != nil {
		name = *p.RunName
	}
	err := s.trackingWrite(ctx, func(tx *trackingTx) error {
		r, err := tx.activeRun(p.RunID)
		if err != nil {
			return err
		}
		if _, err := tx.exec("TrackingUpdateRun", r.id, status, end, name); err != nil {
			return err
		}
		if p.RunName != nil {
			return tx.logBatch(r.id, nil, nil, []tracking.Tag{{Key: tracking.TagRunName, Value: *p.RunName}})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	r, err := runInfo(ctx, s.r, p.RunID)
	if err != nil {
		return nil, err
	}
	return &r.info, nil
}

// SetRunLifecycle implements tracking.Store.
func (s *Tracking) SetRunLifecycle(ctx context.Context, runID, stage string) error {
	if stage != tracking.StageActive && stage != tracking.StageDeleted {
		return fmt.Errorf("%w: lifecycle stage %q", tracking.ErrInvalid, stage)
	}
	return s.trackingWrite(ctx, func(tx *trackingTx) error {
		r, err := runInfo(tx.w.nc, tx.w.tx, runID)
		if err != nil {
			return err
		}
		_, err = tx.exec("TrackingSetRunStage", r.id, stage)
		return err
	})
}

// LogBatch implements tracking.Store.
func (s *Tracking) LogBatch(ctx context.Context, p tracking.LogBatchParams) error {
	// Concurrent log calls share commits (groupWrite); each is still all or nothing.
	return s.db.groupWrite(ctx, func(w *writer) error {
		tx := &trackingTx{w: w, s: s}
		r, err := tx.activeRun(p.RunID)
		if err != nil {
			return err
		}
		return tx.logBatch(r.id, p.Metrics, p.Params, p.Tags)
	})
}

// logBatch writes metrics, params and tags of the run of key run: one statement each, the
// rows passed as a JSON list.
func (t *trackingTx) logBatch(run int64, metrics []tracking.Metric, params []tracking.Param, tags []tracking.Tag) error {
	if len(params) > 0 {
		kvs := make([][2]string, len(params))
		for i, p := range params {
			kvs[i] = [2]string{p.Key, p.Value}
		}
		b, _ := json.Marshal(kvs)
		if _, err := t.exec("TrackingInsertParams", run, string(b)); err != nil {
			return err
		}
		var key, old, new string
		err := t.row("TrackingConflictingParams", []any{run, string(b)}, &key, &old, &new)
		if err == nil {
			return fmt.Errorf("%w: changing param values is not allowed: param with key %q was already logged with value %q; the attempted new value was %q",
				tracking.ErrInvalid, key, old, new)
		}
		if !errors.Is(err, tracking.ErrNotFound) {
			return err
		}
	}
	if len(tags) > 0 {
		kvs := make([][2]string, len(tags))
		var name *string
		for i, tg := range tags {
			kvs[i] = [2]string{tg.Key, tg.Value}
			if tg.Key == tracking.TagRunName {
				name = &tags[i].Value
			}
		}
		b, _ := json.Marshal(kvs)
		if _, err := t.exec("TrackingUpsertTags", run, string(b)); err != nil {
			return err
		}
		if name != nil {
			if _, err := t.exec("TrackingUpdateRun", run, nil, nil, *name); err != nil {
				return err
			}
		}
	}
	if len(metrics) > 0 {
		// The series: plain multi-row inserts (reading the points back out of a JSON
		// argument with json_each cost more than the inserts themselves).
		latest := latestPerKey(metrics)
		if d := t.w.deferred; d != nil {
			// In a group: written with the other requests' points at the group's end.
			for _, m := range metrics {
				d.points = append(d.points, pointRow{run, m})
			}
			for _, m := range latest {
				d.latest = append(d.latest, pointRow{run, m})
			}
			return nil
		}
		d := &deferredPoints{}
		for _, m := range metrics {
			d.points = append(d.points, pointRow{run, m})
		}
		for _, m := range latest {
			d.latest = append(d.latest, pointRow{run, m})
		}
		return t.s.db.writeDeferred(t.w, d)
	}
	return nil
}

// DeleteRunTag implements tracking.Store.
func (s *Tracking) DeleteRunTag(ctx context.Context, runID, key string) error {
	return s.trackingWrite(ctx, func(tx *trackingTx) error {
		r, err := tx.activeRun(runID)
		if err != nil {
			return err
		}
		n, err := tx.exec("TrackingDeleteRunTag", r.id, key)
		if err == nil && n == 0 {
			err = fmt.Errorf("run %q tag %q: %w", runID, key, tracking.ErrNotFound)
		}
		return err
	})
}

// LogInputs implements tracking.Store.
func (s *Tracking) LogInputs(ctx context.Context, runID string, inputs []tracking.DatasetInput) error {
	return s.trackingWrite(ctx, func(tx *trackingTx) error {
		r, err := tx.activeRun(runID)
		if err != nil {
			return err
		}
		for _, in := range inputs {
			kvs := make([][2]string, len(in.Tags))
			for i, t := range in.Tags {
				kvs[i] = [2]string{t.Key, t.Value}
			}
			tags, _ := json.Marshal(kvs)
			if !json.Valid(in.Dataset) {
				return fmt.Errorf("%w: dataset is not valid JSON", tracking.ErrInvalid)
			}
			if _, err := tx.exec("TrackingInsertInput", r.id, string(tags), string(in.Dataset)); err != nil {
				return err
			}
		}
		return nil
	})
}

// GetMetricHistory implements tracking.Store: StreamMetricHistory into a page.
func (s *Tracking) GetMetricHistory(ctx context.Context, p tracking.GetMetricHistoryParams) (*tracking.MetricPage, error) {
	page := &tracking.MetricPage{Metrics: []tracking.Metric{}}
	next, err := s.StreamMetricHistory(ctx, p, func(m tracking.Metric) error {
		page.Metrics = append(page.Metrics, m)
		return nil
	})
	if err != nil {
		return nil, err
	}
	page.NextPageToken = next
	return page, nil
}

// scanPoints reads rows of (value, timestamp, step, is_nan) of metric key and closes them.
func scanPoints(rows *sql.Rows, key string) ([]tracking.Metric, error) {
	defer rows.Close()
	ms := []tracking.Metric{}
	for rows.Next() {
		m := tracking.Metric{Key: key}
		var nan bool
		if err := rows.Scan(&m.Value, &m.Timestamp, &m.Step, &nan); err != nil {
			return nil, err
		}
		if nan {
			m.Value = math.NaN()
		}
		ms = append(ms, m)
	}
	return ms, rows.Err()
}

// MetricHistoryRange returns the points of metric key of run runID with steps in
// [startStep, endStep], by step (for tracking's bulk-interval history).
func (s *Tracking) MetricHistoryRange(ctx context.Context, runID, key string, startStep, endStep int64) ([]tracking.Metric, error) {
	r, err := runInfo(ctx, s.r, runID)
	if err != nil {
		return nil, err
	}
	rows, err := s.r.QueryContext(ctx, query("TrackingMetricHistoryRange"), r.id, key, startStep, endStep)
	if err != nil {
		return nil, err
	}
	ms, err := scanPoints(rows, key)
	if err != nil {
		return nil, err
	}
	rows, err = s.r.QueryContext(ctx, query("TrackingMetricLogRange"), r.id, key, startStep, endStep)
	if err != nil {
		return nil, err
	}
	logged, err := scanPoints(rows, key)
	if err != nil {
		return nil, err
	}
	return mergeSeries(ms, logged), nil
}

// pointsPerStmt is how many metric points one insert writes (6 parameters each).
const pointsPerStmt = 128

// powersOfTwoRows maps 1, 2, 4, … pointsPerStmt to the named one-row statement expanded to
// that many rows.
func powersOfTwoRows(name string) map[int]string {
	m := map[int]string{}
	for n := 1; n <= pointsPerStmt; n *= 2 {
		m[n] = multiRow(query(name), n)
	}
	return m
}

// insertPointsSQLs are the inserts of 1, 2, 4, … pointsPerStmt points, prepared at Open: a
// batch of n points is written by the statements of n's binary digits (10 = 8 + 2), so no
// insert is ever parsed while the write transaction waits.
var insertPointsSQLs = sync.OnceValue(func() map[int]string { return powersOfTwoRows("TrackingInsertMetricRow") })

// logPointsSQLs are the appends of 1, 2, 4, … points to metric_log, prepared at Open.
var logPointsSQLs = sync.OnceValue(func() map[int]string { return powersOfTwoRows("TrackingLogMetricRow") })

// upsertLatestSQLs are the latest_metrics upserts of 1, 2, 4, … keys, prepared at Open.
var upsertLatestSQLs = sync.OnceValue(func() map[int]string { return powersOfTwoRows("TrackingUpsertLatestMetricRow") })

// insertRows writes rows through texts, pointsPerStmt per statement, the rest by
// power-of-two statements.
func (s *Store) insertRows(w *writer, texts map[int]string, rows []pointRow) error {
	args := make([]any, 0, 6*pointsPerStmt)
	for len(rows) > 0 {
		n := pointsPerStmt
		for n > len(rows) {
			n /= 2
		}
		args = args[:0]
		for _, r := range rows[:n] {
			v, nan := r.m.Value, 0
			if math.IsNaN(v) {
				v, nan = 0, 1
			}
			args = append(args, r.run, r.m.Key, v, r.m.Timestamp, r.m.Step, nan)
		}
		if err := w.ctx.Err(); err != nil {
			return err
		}
		st := s.writeStmts[texts[n]]
		if st == nil {
			return fmt.Errorf("sqlite: the insert of %d metric rows was not prepared at Open", n)
		}
		if _, err := w.stmt(st).ExecContext(w.nc, args...); err != nil {
			return interpretError(err)
		}
		rows = rows[n:]
	}
	return nil
}

// latestPerKey keeps, for each key, the point that comes last by (step, timestamp, value),
// the order in which latest_metrics replaces a key's value; a NaN counts as 0, as stored.
func latestPerKey(ms []tracking.Metric) []tracking.Metric {
	if len(ms) <= 1 {
		return ms
	}
	val := func(m tracking.Metric) float64 {
		if math.IsNaN(m.Value) {
			return 0
		}
		return m.Value
	}
	best := map[string]int{}
	var order []string
	for i, m := range ms {
		j, seen := best[m.Key]
		if !seen {
			best[m.Key] = i
			order = append(order, m.Key)
			continue
		}
		b := ms[j]
		if m.Step > b.Step || (m.Step == b.Step && (m.Timestamp > b.Timestamp || (m.Timestamp == b.Timestamp && val(m) > val(b)))) {
			best[m.Key] = i
		}
	}
	out := make([]tracking.Metric, 0, len(order))
	for _, k := range order {
		out = append(out, ms[best[k]])
	}
	return out
}
