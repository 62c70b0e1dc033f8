// Package storetest is the conformance suite of store.Store: one set of tests, written only
// against the interface, that every driver (store/sqlite, and PostgreSQL later) runs against
// a real database, so that they behave alike.
//
// A driver's test calls Run with a function returning a fresh, empty store (one whose only
// row is the default pool), and RunPersistence with a function returning an opener of one
// fresh database, so the suite can close a store and reopen its data:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store {
//			s := open(t, filepath.Join(t.TempDir(), "weir.db"))
//			t.Cleanup(func() { s.Close() })
//			return s
//		})
//	}
//
// Every subtest runs in parallel with its own store. A change to the behaviour of stores
// extends this suite first.
//
// Besides what store.Store documents, the suite holds drivers to these rules, which callers
// may rely on:
//   - Times come back in UTC, truncated to the microsecond (times before 1970 are truncated
//     towards the past); the zero time comes back as the zero time.
//   - JSON documents come back equal as JSON values (not necessarily byte for byte); a nil
//     json.RawMessage comes back nil, and a document non-nil, even the JSON literal null.
//     (An empty, non-nil json.RawMessage is no JSON document; drivers may store it as nil.)
//   - Strings compare bytewise: ListTaskInstances orders task IDs as Go compares strings.
//   - ListRuns returns runs without QueuedAt last; its default Limit is 100.
//   - A write naming a missing parent (a task instance whose run does not exist, a try
//     whose task instance does not exist) fails with an error wrapping store.ErrNotFound,
//     and its whole batch is rolled back. CreateRun rejects task instances of another run.
//   - ListTries of a task instance that does not exist returns no tries and no error.
//   - The default pool has 128 slots when a database is created; it can be updated but not
//     deleted (DeletePool returns an error other than ErrNotFound).
//   - Keys (DAG ID, run ID, task ID, pool name) must not be empty, in Batch.DeleteTIs too.
//   - Apply deletes Batch.DeleteTIs before any upsert, so a try in the batch of an instance
//     the batch deletes (and does not re-create) has no parent.
//   - Keys of the catalog (DAG ID, import error file, dataset URI, consumer DAG ID) must not
//     be empty either.
//   - DAGMeta.UpdatedAt is set by the store (the value given to UpsertDAG is ignored): when
//     the row is created, and when a write changes a field; an UpsertDAG that changes
//     nothing, or a SetPaused to the current value, leaves it. UpsertDAG keeps the
//     LastScheduledStart and LastScheduledEnd of an existing row, as it keeps IsPaused:
//     only SetLastScheduled writes them, so refreshing DAGs from their files cannot undo the
//     scheduler's bookkeeping.
//   - SetLastScheduled of a DAG the store does not know fails with store.ErrNotFound and
//     writes nothing, the run included; so does a run that exists (store.ErrAlreadyExists).
//   - ReplaceImportErrors is all or nothing and applies its errors in order (the last one of
//     a file wins); an error with a zero At gets the time it is recorded.
//   - Dataset event IDs are positive and increase in the order events are recorded, by
//     AddDatasetEvent and Apply alike, across reopening. An event given with a zero
//     Timestamp gets the time it is recorded, also set in the event. A write that fails
//     leaves the IDs of its events zero. Dataset.CreatedAt and UpdatedAt are set by the store.
//   - A consumer named twice in one event is queued once. ListQueuedEvents("") orders by
//     event ID, then consumer.
//   - TriggerFromQueue ignores IDs not queued for the run's DAG. If a task instance of a new
//     run exists, nothing is written and no event leaves the queue.
package storetest
