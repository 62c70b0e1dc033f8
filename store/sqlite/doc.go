// Package sqlite is the SQLite driver of store.Store, on modernc.org/sqlite (pure Go, no
// cgo). It is weir's embedded store: one file, no server.
//
// # Schema
//
// The schema is created and upgraded by the numbered migrations embedded from
// migration/NNN_name.up.sql. Open applies those the database has not recorded in its
// schema_migrations table, all in one transaction: a failed migration changes nothing, and
// processes opening one file at once apply each migration exactly once. Open refuses a
// database that records a migration this binary does not know (a newer weir migrated it).
// The first migration creates the default pool, store.DefaultPool, with 128 slots.
//
// Every query is in the embedded query/*.sql files, one per "-- name: Name" marker. The list
// queries are text/templates whose variants, one per combination of filters present, are
// prepared on first use, so each filter combination gets its own plan and index.
//
// Times are stored as INTEGER unix microseconds, NULL for the zero time (0 also reads as the
// zero time, so the instant 1970-01-01T00:00:00Z itself cannot be stored); they are returned
// in UTC, truncated to the microsecond. JSON documents are TEXT, stored as given (not
// validated); a nil or empty json.RawMessage is stored as NULL and returned as nil.
//
// Times the store records itself (DAGMeta.UpdatedAt, Dataset.CreatedAt and UpdatedAt, the
// time of an event or import error given without one) come from Config.Now.
//
// # Dataset events
//
// Dataset events have increasing IDs (AUTOINCREMENT: never reused). Recording one, by
// AddDatasetEvent or in an Apply, writes the dataset, the event and one dataset_queue row
// per consumer DAG in the caller's transaction; an Apply without events runs no statement
// for them. TriggerFromQueue is one transaction even when the run exists: the run's insert
// fails alone (a failed statement undoes only its own changes in SQLite), the queue rows
// are deleted and committed, and then store.ErrAlreadyExists is returned.
//
// # Tracking
//
// Store.Tracking returns the tracking.Store of the same file (experiments, runs, metrics,
// the model registry), a separate type sharing the Store's pools and group commit.
// Searches follow package tracking/search: experiments and the registry are loaded and
// searched in memory there; a runs/search is planned there and rendered here by the
// TrackingSearchRuns template of query/tracking.sql.
//
// # Leases and guards
//
// Run leases are rows of run_leases (migration 005), kept after release so the epoch only
// grows. Their statements and the guards of Apply are in query/leases.sql, plain SQL a
// PostgreSQL driver can run as written (with $n placeholders): acquisition is one INSERT …
// ON CONFLICT DO UPDATE … WHERE (free, expired, or at the take-over epoch) RETURNING epoch;
// the epoch and run-state guards are one UPDATE of the lease row matching the expected epoch
// (and, by EXISTS, the run's state), checked by rows affected, which under PostgreSQL also
// locks the lease row until the commit — every writer of a run takes that lock first, so it
// serializes them; instance guards are
// one SELECT per 32 instances joining a VALUES list, run after the run's guards. In SQLite
// the transaction holds the database's write lock from its start (IMMEDIATE), so guards and
// writes see and change one state. A batch with no guards runs none of these statements,
// and the guard statements are prepared on first use.
//
// # Concurrency
//
// A Store has two connection pools on the same file, in WAL (write-ahead log) mode:
//
//   - One write connection. Every write (Apply, CreateRun, UpsertDAG, AddDatasetEvent, …) takes it
//     in turn, queueing in database/sql for it, and runs in a transaction begun IMMEDIATE,
//     which takes SQLite's write lock at once. Writers of one Store therefore never meet
//     SQLITE_BUSY nor a failed lock upgrade; their statements are prepared once and reused.
//   - A pool of query-only read connections (Config.MaxReadConns). In WAL mode readers and
//     the writer do not block each other; each read method is one statement, which sees one
//     consistent snapshot including every write that returned before it started.
//
// Other processes may open the same file (a CLI reading while a server runs): SQLite's locks
// serialize their writers, and a writer waits up to Config.BusyTimeout for another process's
// write lock before failing. WAL needs shared memory, so every process must run on the same
// host: never put the database on a network file system.
//
// Cancellation: a write waits for the write connection only as long as its context allows,
// and checks the context before each statement and before committing; a canceled write is
// rolled back. The statements themselves are not interrupted (each writes one row).
//
// # Durability
//
// synchronous=NORMAL: a commit appends the transaction to the write-ahead log with write(2)
// and does not wait for fsync, which is what keeps a small Apply near 100 µs. A transaction
// whose commit returned survives the death of the process at any moment (kill -9, a panic,
// OOM kill): the operating system holds the written data and the next Open recovers it from
// the log. A crash of the operating system or a loss of power may lose the transactions
// committed since the last checkpoint, but never leaves the database corrupt or a
// transaction half applied. Checkpoints, which copy the log into the database file and
// fsync it, run automatically when the log passes 1000 pages (4 MiB), inside the commit
// that crosses the threshold, which therefore takes longer; after one, the log file is
// truncated to Config.JournalSizeLimit.
package sqlite
