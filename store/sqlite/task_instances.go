package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/weirhq/weir/store"
)

// appendTIArgs appends the columns of ti, in the order of the task instance queries, to
// dst. Writers of many rows reuse one slice (database/sql copies the arguments it gets):
// one allocation less per row.
func appendTIArgs(dst []any, ti *store.TaskInstance) []any {
	return append(dst,
		ti.DAGID, ti.RunID, ti.TaskID, int64(ti.MapIndex), string(ti.State),
		int64(ti.TryNumber), int64(ti.MaxTries), ti.Pool, int64(ti.PoolSlots), int64(ti.PriorityWeight),
		timeArg(ti.QueuedAt), timeArg(ti.StartedAt), timeArg(ti.EndedAt), timeArg(ti.NextTryAt),
		ti.Hostname, int64(ti.PID), jsonArg(ti.Output), ti.Error,
		jsonArg(ti.Args), ti.RenderedMapIndex, ti.CacheKey, ti.CachedFrom,
	)
}

func scanTI(sc scanner, ti *store.TaskInstance) error {
	return sc.Scan(&ti.DAGID, &ti.RunID, &ti.TaskID, intCol{&ti.MapIndex}, (*string)(&ti.State),
		intCol{&ti.TryNumber}, intCol{&ti.MaxTries}, &ti.Pool, intCol{&ti.PoolSlots}, intCol{&ti.PriorityWeight},
		timeCol{&ti.QueuedAt}, timeCol{&ti.StartedAt}, timeCol{&ti.EndedAt}, timeCol{&ti.NextTryAt},
		&ti.Hostname, intCol{&ti.PID}, jsonCol{&ti.Output}, &ti.Error,
		jsonCol{&ti.Args}, &ti.RenderedMapIndex, &ti.CacheKey, &ti.CachedFrom)
}

// appendTryArgs appends the columns of t, in the order of the try queries, to dst.
func appendTryArgs(dst []any, t *store.TaskTry) []any {
	return append(dst,
		t.DAGID, t.RunID, t.TaskID, int64(t.MapIndex), int64(t.TryNumber), string(t.State),
		timeArg(t.StartedAt), timeArg(t.EndedAt), t.Hostname, int64(t.PID), t.Error,
	)
}

func scanTry(sc scanner) (*store.TaskTry, error) {
	t := new(store.TaskTry)
	err := sc.Scan(&t.DAGID, &t.RunID, &t.TaskID, intCol{&t.MapIndex}, intCol{&t.TryNumber}, (*string)(&t.State),
		timeCol{&t.StartedAt}, timeCol{&t.EndedAt}, &t.Hostname, intCol{&t.PID}, &t.Error)
	if err != nil {
		return nil, err
	}
	return t, nil
}

// GetTaskInstance implements store.Store.
func (s *Store) GetTaskInstance(ctx context.Context, dagID, runID, taskID string, mapIndex int) (*store.TaskInstance, error) {
	ti := new(store.TaskInstance)
	if err := scanTI(s.getTI.QueryRowContext(ctx, dagID, runID, taskID, int64(mapIndex)), ti); err != nil {
		return nil, fmt.Errorf("task instance %s: %w", tiKey(dagID, runID, taskID, mapIndex), interpretError(err))
	}
	return ti, nil
}

// tiQuery is the filter that picks the listing or counting statement for p, and its named
// arguments; page adds LIMIT and OFFSET.
func tiQuery(p store.ListTIParams, page bool) (tiFilter, []any) {
	f := tiFilter{DAGID: p.DAGID != "", RunID: p.RunID != "", TaskIDs: len(p.TaskIDs) > 0, States: len(p.States) > 0, Page: page}
	var args []any
	if f.Page {
		args = append(args, sql.Named("limit", int64(p.Limit)), sql.Named("offset", int64(max(p.Offset, 0))))
	}
	if f.DAGID {
		args = append(args, sql.Named("dag_id", p.DAGID))
	}
	if f.RunID {
		args = append(args, sql.Named("run_id", p.RunID))
	}
	if f.TaskIDs {
		args = append(args, sql.Named("task_ids", jsonList(p.TaskIDs)))
	}
	if f.States {
		args = append(args, sql.Named("states", jsonList(p.States)))
	}
	return f, args
}

// ListTaskInstances implements store.Store. Listing by DAG ID and run ID reads the primary
// key's range; other filters alone scan the table.
func (s *Store) ListTaskInstances(ctx context.Context, p store.ListTIParams) ([]*store.TaskInstance, error) {
	f, args := tiQuery(p, p.Limit > 0)
	st, err := s.listTIs[f.index()].get(ctx, s.r, func() (string, error) { return renderQuery("ListTIs", f) })
	if err != nil {
		return nil, fmt.Errorf("list task instances: %w", err)
	}
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return nil, fmt.Errorf("list task instances: %w", interpretError(err))
	}
	defer rows.Close()
	var out []*store.TaskInstance
	// Allocate instances in chunks: one allocation per 64 rows instead of one per row.
	var chunk []store.TaskInstance
	for rows.Next() {
		if len(chunk) == 0 {
			chunk = make([]store.TaskInstance, 64)
		}
		ti := &chunk[0]
		chunk = chunk[1:]
		if err := scanTI(rows, ti); err != nil {
			return nil, fmt.Errorf("list task instances: %w", err)
		}
		out = append(out, ti)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list task instances: %w", interpretError(err))
	}
	return out, nil
}

// CountTaskInstances implements store.Store.
func (s *Store) CountTaskInstances(ctx context.Context, p store.ListTIParams) (int, error) {
	f, args := tiQuery(p, false)
	st, err := s.countTIs[f.index()].get(ctx, s.r, func() (string, error) { return renderQuery("CountTIs", f) })
	if err != nil {
		return 0, fmt.Errorf("count task instances: %w", err)
	}
	var n int64
	if err := st.QueryRowContext(ctx, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count task instances: %w", interpretError(err))
	}
	return int(n), nil
}

// ListTries implements store.Store. It returns an empty list, not an error, for a task
// instance that does not exist.
func (s *Store) ListTries(ctx context.Context, dagID, runID, taskID string, mapIndex int) ([]*store.TaskTry, error) {
	rows, err := s.listTries.QueryContext(ctx, dagID, runID, taskID, int64(mapIndex))
	if err != nil {
		return nil, fmt.Errorf("tries of %s: %w", tiKey(dagID, runID, taskID, mapIndex), interpretError(err))
	}
	defer rows.Close()
	var out []*store.TaskTry
	for rows.Next() {
		t, err := scanTry(rows)
		if err != nil {
			return nil, fmt.Errorf("tries of %s: %w", tiKey(dagID, runID, taskID, mapIndex), err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("tries of %s: %w", tiKey(dagID, runID, taskID, mapIndex), interpretError(err))
	}
	return out, nil
}

// Apply implements store.Store. Within the transaction it deletes the batch's DeleteTIs
// first (with their tries; a key that does not exist is skipped), then upserts its runs,
// then its task instances, then its tries, so a batch may create a run together with its
// task instances, or replace a task instance, dropping its tries. An upserted run whose DAG
// is nil keeps its stored snapshot. A task instance whose run does not exist, or a try whose
// task instance does not exist, fails the batch with an error wrapping store.ErrNotFound.
// Last, it records the batch's dataset events as AddDatasetEvent does, setting their IDs
// (and the time of those without one) only if the batch committed; a batch without events
// runs no statement for them. An empty batch is a no-op that does not touch the database.
func (s *Store) Apply(ctx context.Context, b *store.Batch) error {
	if b == nil || b.Empty() {
		return nil
	}
	if err := validateBatch(b); err != nil {
		return err
	}
	gs, err := s.batchGuards(ctx, b)
	if err != nil {
		return err
	}
	// Dataset events need their statements and the time; a batch without events gets
	// neither.
	var now time.Time
	var es eventStmts
	if len(b.DatasetEvents) > 0 {
		for _, ev := range b.DatasetEvents {
			if err := validateEvent(ev); err != nil {
				return err
			}
		}
		var err error
		if es, err = s.eventStmts(ctx); err != nil {
			return err
		}
		now = s.now()
	}
	err = s.writeTx(ctx, func(w *writer) error { return s.applyTx(w, gs, b, es, now) })
	if len(b.DatasetEvents) > 0 {
		settleEvents(b.DatasetEvents, now, err)
	}
	return err
}

// batchGuards returns the guard statements if b has guards, else nil.
func (s *Store) batchGuards(ctx context.Context, b *store.Batch) (*guardSet, error) {
	if len(b.Guards) == 0 && len(b.TIGuards) == 0 {
		return nil, nil
	}
	return s.guardStmts(ctx)
}

// validateBatch checks the keys of a batch's rows.
func validateBatch(b *store.Batch) error {
	for _, g := range b.Guards {
		if g.DAGID == "" || g.RunID == "" {
			return fmt.Errorf("sqlite: guard of run %q/%q: DAG ID and run ID must not be empty", g.DAGID, g.RunID)
		}
	}
	for _, k := range b.DeleteTIs {
		if err := store.ValidateTIKey(k.DAGID, k.RunID, k.TaskID, k.MapIndex); err != nil {
			return fmt.Errorf("sqlite: delete task instance %q: %w", tiKey(k.DAGID, k.RunID, k.TaskID, k.MapIndex), err)
		}
	}
	for _, r := range b.Runs {
		if err := validateRun(r); err != nil {
			return err
		}
	}
	for _, ti := range b.TIs {
		if err := validateTI(ti); err != nil {
			return err
		}
	}
	for _, c := range b.CacheEntries {
		if err := validateCacheEntry(c); err != nil {
			return err
		}
	}
	for _, t := range b.Tries {
		if t == nil {
			return errors.New("sqlite: nil task try")
		}
		if err := store.ValidateTIKey(t.DAGID, t.RunID, t.TaskID, t.MapIndex); err != nil {
			return fmt.Errorf("sqlite: task try %q: %w", tiKey(t.DAGID, t.RunID, t.TaskID, t.MapIndex), err)
		}
	}
	return nil
}

// applyTx writes batch b in w's transaction: guards first (gs holds their statements, nil
// when b has none), then the writes in Apply's order, then lease releases.
func (s *Store) applyTx(w *writer, gs *guardSet, b *store.Batch, es eventStmts, now time.Time) error {
	if gs != nil {
		if err := guardTx(w, gs, b, false); err != nil {
			return err
		}
	}
	args := make([]any, 0, 22) // reused by every row; a task instance has 22 columns
	if len(b.DeleteTIs) > 0 {
		st := w.stmt(s.deleteTI)
		for _, k := range b.DeleteTIs {
			args = append(args[:0], k.DAGID, k.RunID, k.TaskID, int64(k.MapIndex))
			if err := w.exec(st, args...); err != nil {
				return fmt.Errorf("delete task instance %s: %w",
					tiKey(k.DAGID, k.RunID, k.TaskID, k.MapIndex), interpretError(err))
			}
		}
	}
	if len(b.Runs) > 0 {
		st := w.stmt(s.upsertRun)
		for _, r := range b.Runs {
			args = appendRunArgs(args[:0], r)
			if err := w.exec(st, args...); err != nil {
				return fmt.Errorf("run %s/%s: %w", r.DAGID, r.RunID, interpretError(err))
			}
		}
	}
	tis := b.TIs
	if distinctTIs(tis) { // a row may appear only once in a multi-row statement
		var err error
		if tis, args, err = execChunks(w, s.upsertTIs, tis, args, appendTIArgs, tiName, "task instances"); err != nil {
			return err
		}
	}
	if len(tis) > 0 {
		st := w.stmt(s.upsertTI)
		for _, ti := range tis {
			args = appendTIArgs(args[:0], ti)
			if err := w.exec(st, args...); err != nil {
				err = interpretError(err)
				if errors.Is(err, store.ErrNotFound) {
					// The only foreign key of a task instance is its run.
					return fmt.Errorf("task instance %s: run %s/%s: %w",
						tiKey(ti.DAGID, ti.RunID, ti.TaskID, ti.MapIndex), ti.DAGID, ti.RunID, err)
				}
				return fmt.Errorf("task instance %s: %w", tiKey(ti.DAGID, ti.RunID, ti.TaskID, ti.MapIndex), err)
			}
		}
	}
	tries := b.Tries
	if distinctTries(tries) {
		var err error
		if tries, args, err = execChunks(w, s.upsertTries, tries, args, appendTryArgs, tryName, "tries"); err != nil {
			return err
		}
	}
	if len(tries) > 0 {
		st := w.stmt(s.upsertTry)
		for _, t := range tries {
			args = appendTryArgs(args[:0], t)
			if err := w.exec(st, args...); err != nil {
				err = interpretError(err)
				key := tiKey(t.DAGID, t.RunID, t.TaskID, t.MapIndex)
				if errors.Is(err, store.ErrNotFound) {
					return fmt.Errorf("try %d of %s: task instance: %w", t.TryNumber, key, err)
				}
				return fmt.Errorf("try %d of %s: %w", t.TryNumber, key, err)
			}
		}
	}
	if len(b.CacheEntries) > 0 {
		if err := s.writeCacheTx(w, s.upsertCache, b.CacheEntries, args); err != nil {
			return err
		}
	}
	if err := s.writeRenderedTx(w, b.RenderedFields, args); err != nil {
		return err
	}
	if len(b.DatasetEvents) > 0 {
		if err := recordEventsTx(w, es, b.DatasetEvents, now); err != nil {
			return err
		}
	}
	if gs != nil {
		return guardTx(w, gs, b, true)
	}
	return nil
}

// index returns the position of f's variant in Store.listTIs.
func (f tiFilter) index() int {
	i := 0
	if f.DAGID {
		i |= 1
	}
	if f.RunID {
		i |= 2
	}
	if f.TaskIDs {
		i |= 4
	}
	if f.States {
		i |= 8
	}
	if f.Page {
		i |= 16
	}
	return i
}

// distinctTIs reports whether no two task instances share a key (a multi-row upsert may
// not touch a row twice).
func distinctTIs(tis []*store.TaskInstance) bool {
	seen := make(map[store.TIKey]struct{}, len(tis))
	for _, ti := range tis {
		k := store.TIKey{DAGID: ti.DAGID, RunID: ti.RunID, TaskID: ti.TaskID, MapIndex: ti.MapIndex}
		if _, dup := seen[k]; dup {
			return false
		}
		seen[k] = struct{}{}
	}
	return true
}

// distinctTries reports whether no two tries share a key.
func distinctTries(tries []*store.TaskTry) bool {
	type key struct {
		ti  store.TIKey
		try int
	}
	seen := make(map[key]struct{}, len(tries))
	for _, t := range tries {
		k := key{store.TIKey{DAGID: t.DAGID, RunID: t.RunID, TaskID: t.TaskID, MapIndex: t.MapIndex}, t.TryNumber}
		if _, dup := seen[k]; dup {
			return false
		}
		seen[k] = struct{}{}
	}
	return true
}

// execChunks writes the leading whole chunks of rows, rowsPerStmt rows per execution of the
// multi-row statement many, and returns the rows left over (fewer than a chunk) and the
// argument slice for reuse.
func execChunks[T any](w *writer, many *sql.Stmt, rows []T, args []any, appendArgs func([]any, T) []any, name func(T) string, what string) ([]T, []any, error) {
	if len(rows) < rowsPerStmt {
		return rows, args, nil
	}
	st := w.stmt(many)
	for len(rows) >= rowsPerStmt {
		args = args[:0]
		for _, r := range rows[:rowsPerStmt] {
			args = appendArgs(args, r)
		}
		if err := w.exec(st, args...); err != nil {
			return nil, args, fmt.Errorf("%s %s to %s: %w", what, name(rows[0]), name(rows[rowsPerStmt-1]), interpretError(err))
		}
		rows = rows[rowsPerStmt:]
	}
	return rows, args, nil
}

func tiName(ti *store.TaskInstance) string { return tiKey(ti.DAGID, ti.RunID, ti.TaskID, ti.MapIndex) }

func tryName(t *store.TaskTry) string {
	return fmt.Sprintf("try %d of %s", t.TryNumber, tiKey(t.DAGID, t.RunID, t.TaskID, t.MapIndex))
}
