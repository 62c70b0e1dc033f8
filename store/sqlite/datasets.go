package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/weirhq/weir/store"
)

// appendEventArgs appends the columns of ev, in the order of InsertDatasetEvent, to dst, with
// the timestamp ts.
func appendEventArgs(dst []any, ev *store.DatasetEvent, ts time.Time) []any {
	return append(dst, ev.URI, jsonArg(ev.Extra), ev.SourceDAGID, ev.SourceRunID, ev.SourceTaskID,
		int64(ev.SourceMapIndex), timeArg(ts))
}

// scanEvent scans the event columns of the dataset queries into ev; dst are columns to scan
// before them.
func scanEvent(sc scanner, ev *store.DatasetEvent, dst ...any) error {
	return sc.Scan(append(dst, &ev.ID, &ev.URI, jsonCol{&ev.Extra}, &ev.SourceDAGID, &ev.SourceRunID,
		&ev.SourceTaskID, intCol{&ev.SourceMapIndex}, timeCol{&ev.Timestamp})...)
}

func validateEvent(ev *store.DatasetEvent) error {
	if ev == nil {
		return errors.New("sqlite: nil dataset event")
	}
	if ev.URI == "" {
		return errors.New("sqlite: dataset event: URI must not be empty")
	}
	for _, c := range ev.Consumers {
		if err := store.ValidateDAGID(c); err != nil {
			return fmt.Errorf("sqlite: dataset event of %s: consumer: %w", ev.URI, err)
		}
	}
	// Events posted through the API have no source; the source fields given must be valid.
	for _, f := range []struct {
		id    string
		check func(string) error
	}{{ev.SourceDAGID, store.ValidateDAGID}, {ev.SourceRunID, store.ValidateRunID}, {ev.SourceTaskID, store.ValidateTaskID}} {
		if f.id == "" {
			continue
		}
		if err := f.check(f.id); err != nil {
			return fmt.Errorf("sqlite: dataset event of %s: source: %w", ev.URI, err)
		}
	}
	if err := store.ValidateMapIndex(ev.SourceMapIndex); err != nil {
		return fmt.Errorf("sqlite: dataset event of %s: source: %w", ev.URI, err)
	}
	return nil
}

// eventStmts are the statements that record dataset events, prepared on the write pool.
type eventStmts struct {
	upsertDataset, insertEvent, queueEvent *sql.Stmt
}

// eventStmts returns the statements that record dataset events, preparing them on first use.
// It must be called before the transaction that uses them begins.
func (s *Store) eventStmts(ctx context.Context) (eventStmts, error) {
	var es eventStmts
	var err error
	if es.upsertDataset, err = s.lazy(ctx, &s.upsertDataset, s.w, "UpsertDataset"); err != nil {
		return es, err
	}
	if es.insertEvent, err = s.lazy(ctx, &s.insertEvent, s.w, "InsertDatasetEvent"); err != nil {
		return es, err
	}
	es.queueEvent, err = s.lazy(ctx, &s.queueEvent, s.w, "QueueDatasetEvent")
	return es, err
}

// recordEventsTx records events in w's transaction with the statements es: for each, it
// creates or updates its dataset, inserts the event, sets ev.ID, and queues the event for
// each of its consumers. An event with no timestamp gets now, in the database only:
// settleEvents sets it in ev once the transaction committed.
func recordEventsTx(w *writer, es eventStmts, evs []*store.DatasetEvent, now time.Time) error {
	upsert, insert := w.stmt(es.upsertDataset), w.stmt(es.insertEvent)
	var queue *sql.Stmt
	args := make([]any, 0, 7)
	for _, ev := range evs {
		ts := ev.Timestamp
		if ts.IsZero() {
			ts = now
		}
		if err := w.exec(upsert, ev.URI, timeArg(now)); err != nil {
			return fmt.Errorf("dataset %s: %w", ev.URI, interpretError(err))
		}
		res, err := w.execResult(insert, appendEventArgs(args[:0], ev, ts)...)
		if err != nil {
			return fmt.Errorf("dataset event of %s: %w", ev.URI, interpretError(err))
		}
		if ev.ID, err = res.LastInsertId(); err != nil {
			return fmt.Errorf("dataset event of %s: %w", ev.URI, err)
		}
		if ev.SourceAlias != "" {
			if err := linkAlias(w, ev.SourceAlias, ev.URI, now); err != nil {
				return err
			}
		}
		if len(ev.Consumers) == 0 {
			continue
		}
		if queue == nil {
			queue = w.stmt(es.queueEvent)
		}
		if err := w.exec(queue, ev.ID, jsonList(ev.Consumers)); err != nil {
			return fmt.Errorf("dataset event %d of %s: queue: %w", ev.ID, ev.URI, interpretError(err))
		}
	}
	return nil
}

// settleEvents finishes the events recordEventsTx recorded in a transaction whose outcome is
// err: on success it gives the events without a timestamp now, as stored (UTC, to the
// microsecond); on failure it takes their IDs back (to zero).
func settleEvents(evs []*store.DatasetEvent, now time.Time, err error) {
	for _, ev := range evs {
		switch {
		case err != nil:
			ev.ID = 0
		case ev.Timestamp.IsZero():
			ev.Timestamp = time.UnixMicro(now.UnixMicro()).UTC()
		}
	}
}

// AddDatasetEvent implements store.Store. The URI must not be empty, nor any consumer; a
// consumer named twice is queued once. An event whose Timestamp is zero is recorded with the
// store's current time (Config.Now), which is set in ev too. The dataset's CreatedAt (when
// new) and UpdatedAt become the store's current time. ev.ID is set only if the event was
// recorded.
func (s *Store) AddDatasetEvent(ctx context.Context, ev *store.DatasetEvent) error {
	if err := validateEvent(ev); err != nil {
		return err
	}
	es, err := s.eventStmts(ctx)
	if err != nil {
		return err
	}
	evs := []*store.DatasetEvent{ev}
	now := s.now()
	err = s.writeTx(ctx, func(w *writer) error { return recordEventsTx(w, es, evs, now) })
	settleEvents(evs, now, err)
	return err
}

// ListDatasets implements store.Store.
func (s *Store) ListDatasets(ctx context.Context) ([]*store.Dataset, error) {
	st, err := s.lazy(ctx, &s.listDatasets, s.r, "ListDatasets")
	if err != nil {
		return nil, err
	}
	rows, err := st.QueryContext(ctx)
	if err != nil {
		return nil, fmt.Errorf("list datasets: %w", interpretError(err))
	}
	defer rows.Close()
	var out []*store.Dataset
	for rows.Next() {
		d := new(store.Dataset)
		if err := rows.Scan(&d.URI, timeCol{&d.CreatedAt}, timeCol{&d.UpdatedAt}); err != nil {
			return nil, fmt.Errorf("list datasets: %w", err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list datasets: %w", interpretError(err))
	}
	return out, nil
}

// ListDatasetEvents implements store.Store. A Limit of zero or less means the default, 100.
// Events come back without Consumers.
func (s *Store) ListDatasetEvents(ctx context.Context, p store.ListEventsParams) ([]*store.DatasetEvent, error) {
	f := eventFilter{URI: p.URI != "", SourceDAGID: p.SourceDAGID != "", AfterID: p.AfterID > 0}
	limit := p.Limit
	if limit <= 0 {
		limit = defaultListLimit
	}
	args := []any{sql.Named("limit", int64(limit))}
	if f.URI {
		args = append(args, sql.Named("uri", p.URI))
	}
	if f.SourceDAGID {
		args = append(args, sql.Named("source_dag_id", p.SourceDAGID))
	}
	if f.AfterID {
		args = append(args, sql.Named("after_id", p.AfterID))
	}
	st, err := s.listEvents[f.index()].get(ctx, s.r, func() (string, error) { return renderQuery("ListDatasetEvents", f) })
	if err != nil {
		return nil, fmt.Errorf("list dataset events: %w", err)
	}
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return nil, fmt.Errorf("list dataset events: %w", interpretError(err))
	}
	defer rows.Close()
	var out []*store.DatasetEvent
	for rows.Next() {
		ev := new(store.DatasetEvent)
		if err := scanEvent(rows, ev); err != nil {
			return nil, fmt.Errorf("list dataset events: %w", err)
		}
		out = append(out, ev)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list dataset events: %w", interpretError(err))
	}
	return out, nil
}

// ListQueuedEvents implements store.Store. Listing every DAG's queue orders by event, then
// by DAG ID; an event queued for several DAGs comes once for each, in its own
// store.DatasetEvent.
func (s *Store) ListQueuedEvents(ctx context.Context, dagID string) ([]*store.QueuedEvent, error) {
	l, name, args := &s.listQueued, "ListQueuedEvents", []any{dagID}
	if dagID == "" {
		l, name, args = &s.listAllQueued, "ListAllQueuedEvents", nil
	}
	st, err := s.lazy(ctx, l, s.r, name)
	if err != nil {
		return nil, err
	}
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return nil, fmt.Errorf("list queued events: %w", interpretError(err))
	}
	defer rows.Close()
	var out []*store.QueuedEvent
	for rows.Next() {
		q := &store.QueuedEvent{Event: new(store.DatasetEvent)}
		if err := scanEvent(rows, q.Event, &q.DAGID); err != nil {
			return nil, fmt.Errorf("list queued events: %w", err)
		}
		out = append(out, q)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list queued events: %w", interpretError(err))
	}
	return out, nil
}

// TriggerFromQueue implements store.Store, in one transaction whatever happens: it inserts
// the run and its task instances, then deletes the queue rows of run.DAGID with the given
// event IDs (IDs not queued for that DAG are ignored). If the run exists, its insert fails
// alone (a failed statement undoes only itself, not the transaction), the queue rows are
// still deleted and committed, and the error wraps store.ErrAlreadyExists; the existing
// run and its task instances are left as they are. If a task instance exists (in a run
// that did not), the whole transaction rolls back: nothing is written and no event leaves
// the queue.
func (s *Store) TriggerFromQueue(ctx context.Context, run *store.DAGRun, tis []*store.TaskInstance, eventIDs []int64) error {
	if err := validateNewRun(run, tis); err != nil {
		return err
	}
	var ids string
	if len(eventIDs) > 0 {
		b, err := json.Marshal(eventIDs)
		if err != nil {
			return fmt.Errorf("sqlite: %w", err)
		}
		ids = string(b)
	}
	dequeue, err := s.lazy(ctx, &s.dequeueEvents, s.w, "DequeueDatasetEvents")
	if err != nil {
		return err
	}
	var exists error // the run's ErrAlreadyExists, returned after the commit
	err = s.writeTx(ctx, func(w *writer) error {
		runExists, err := s.createRunTx(w, run, tis)
		if err != nil && !runExists {
			return err
		}
		exists = err
		if ids == "" {
			return nil
		}
		if err := w.exec(w.stmt(dequeue), run.DAGID, ids); err != nil {
			return fmt.Errorf("dataset queue of %s: %w", run.DAGID, interpretError(err))
		}
		return nil
	})
	if err != nil {
		return err
	}
	return exists
}

// index returns the position of f's variant in Store.listEvents.
func (f eventFilter) index() int {
	i := 0
	if f.URI {
		i |= 1
	}
	if f.SourceDAGID {
		i |= 2
	}
	if f.AfterID {
		i |= 4
	}
	return i
}
