package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/weirhq/weir/store"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// Config tunes a Store. The zero value is valid: every zero field takes its default.
type Config struct {
	// BusyTimeout is how long a statement waits for a lock another process holds (another
	// weir process or a CLI on the same file) before failing with SQLITE_BUSY. Writers of
	// one Store never wait on each other this way: they queue for its single write
	// connection. Default 5 s; it is rounded down to whole milliseconds.
	BusyTimeout time.Duration
	// MaxReadConns is the size of the read connection pool, the number of reads that run
	// in parallel; further reads wait for a free connection. Default 4.
	MaxReadConns int
	// JournalSizeLimit caps the size, in bytes, to which the write-ahead log file is
	// truncated after a checkpoint; the log may grow past it between checkpoints. Default
	// 64 MiB.
	JournalSizeLimit int64
	// CheckpointInterval is how often a background connection checkpoints the write-ahead
	// log into the database file (PRAGMA wal_checkpoint(PASSIVE)). Commits never checkpoint
	// themselves, so the checkpoint's fsync stays off the engine's commit path. Default
	// 250 ms.
	CheckpointInterval time.Duration
	// Now returns the current time, for the times the store records itself: when a DAG's
	// metadata changed, when a dataset was first and last updated, and the time of a dataset
	// event or import error given without one. Default time.Now.
	Now func() time.Time
}

// Defaults of Config's fields.
const (
	// DefaultBusyTimeout is Config.BusyTimeout's default, 5 s.
	DefaultBusyTimeout = 5 * time.Second
	// DefaultMaxReadConns is Config.MaxReadConns' default, 4 connections.
	DefaultMaxReadConns = 4
	// DefaultJournalSizeLimit is Config.JournalSizeLimit's default, 64 MiB.
	DefaultJournalSizeLimit = 64 << 20
)

// withDefaults returns a copy of c (nil means the zero Config) with zero fields set to
// their defaults, or an error for a value out of range.
func (c *Config) withDefaults() (Config, error) {
	var out Config
	if c != nil {
		out = *c
	}
	if out.BusyTimeout == 0 {
		out.BusyTimeout = DefaultBusyTimeout
	}
	if out.MaxReadConns == 0 {
		out.MaxReadConns = DefaultMaxReadConns
	}
	if out.JournalSizeLimit == 0 {
		out.JournalSizeLimit = DefaultJournalSizeLimit
	}
	if out.Now == nil {
		out.Now = time.Now
	}
	return out, out.validate()
}

func (c *Config) validate() error {
	if c.BusyTimeout < 0 {
		return fmt.Errorf("sqlite: BusyTimeout %v is negative", c.BusyTimeout)
	}
	if c.MaxReadConns < 0 {
		return fmt.Errorf("sqlite: MaxReadConns %d is negative", c.MaxReadConns)
	}
	if c.JournalSizeLimit < 0 {
		return fmt.Errorf("sqlite: JournalSizeLimit %d is negative", c.JournalSizeLimit)
	}
	return nil
}

// Store is the SQLite implementation of store.Store. It is safe for concurrent use; see the
// package documentation for its concurrency model and durability guarantees.
type Store struct {
	path string
	now  func() time.Time
	// w is the write pool: one connection, whose transactions begin IMMEDIATE.
	w *sql.DB
	// r is the read pool, whose connections are query-only.
	r *sql.DB
	// ck is the checkpointer's connection; ckStop ends its loop, ckDone says it ended;
	// checkpoints counts the checkpoints it ran.
	ck          *sql.DB
	ckStop      chan struct{}
	ckDone      chan struct{}
	checkpoints atomic.Int64
	// writeStmts are the hot tracking writes, prepared on w at Open; read-only afterwards.
	writeStmts map[string]*sql.Stmt
	// metricLog counts the rows of metric_log (see writeDeferred).
	metricLog atomic.Int64
	// metricLogMax is the count at which metric_log is moved (metricLogMerge).
	metricLogMax int64
	// groupCh feeds groupLoop, which groupStop ends and groupDone says ended.
	groupCh   chan groupReq
	groupStop chan struct{}
	groupDone chan struct{}

	// Write statements, prepared on w's connection once and reused by every transaction.
	insertRun, upsertRun, insertTI, upsertTI, deleteTI, upsertTry *sql.Stmt
	// upsertTIs and upsertTries upsert rowsPerStmt rows in one statement.
	upsertTIs, upsertTries, insertTIs *sql.Stmt
	// upsertRendered and upsertRendereds write a try's rendered fields, one row or
	// rowsPerStmt rows per execution.
	upsertRendered, upsertRendereds *sql.Stmt
	upsertPool, deletePool          *sql.Stmt
	// upsertCache writes the cache entries of a batch (Apply).
	upsertCache *sql.Stmt

	// Read statements, prepared on r; each read connection prepares them on first use.
	getRun, getTI, listTries, getPool, listPools *sql.Stmt

	// Statements of the catalog (DAG metadata, import errors, datasets and their events),
	// prepared on first use (see Store.lazy): most processes use few of them, and preparing
	// a statement costs more than anything else in opening a store.
	upsertDAG, setPaused, setLastScheduled, getDAG, listDAGs     lazyStmt
	upsertImportError, deleteImportError, listImportErrors       lazyStmt
	upsertDataset, insertEvent, queueEvent, dequeueEvents        lazyStmt
	listDatasets, listQueued, listAllQueued                      lazyStmt
	getCache, listCache, deleteCache                             lazyStmt
	listDeployments, getDeployment, putDeployment, delDeployment lazyStmt
	// The prediction log's statements; insertPreds inserts rowsPerStmt rows at once.
	insertPred, insertPreds, getPred, setPredLabel lazyStmt

	// The variants of the list queries, prepared on first use (most are never used).
	listRuns   [8]lazyStmt  // indexed by runFilter.index
	countRuns  [8]lazyStmt  // indexed by runFilter.index
	listTIs    [32]lazyStmt // indexed by tiFilter.index
	countTIs   [16]lazyStmt // indexed by tiFilter.index (no Page)
	listEvents [8]lazyStmt  // indexed by eventFilter.index
	listPreds  [64]lazyStmt // indexed by predFilter.index

	// Statements of leases and guards, prepared on first use: a store whose writers use no
	// leases (tracking only) never prepares them.
	acquireLease, getLease, renewLease, heartbeatRun lazyStmt
	getRunW, listRunTIsW                             lazyStmt
	guardMu                                          sync.Mutex
	guards                                           *guardSet

	closeOnce sync.Once
	closeErr  error
}

var _ store.Store = (*Store)(nil)

// Open opens the SQLite database at path, creating the file and its parent directories if
// missing, and brings its schema up to date (see package documentation). cfg may be nil
// for the defaults. The context bounds the opening only, not the Store's life. Close the
// Store when done.
func Open(ctx context.Context, path string, cfg *Config) (*Store, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if path == "" || path == ":memory:" || strings.HasPrefix(path, "file:") {
		return nil, fmt.Errorf("sqlite: path %q: want a file path", path)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o755); err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	s := &Store{path: abs, now: c.Now}
	if err := s.open(ctx, c); err != nil {
		_ = s.closeDBs()
		return nil, fmt.Errorf("sqlite: open %s: %w", abs, err)
	}
	return s, nil
}

// Path returns the absolute path of the database file.
func (s *Store) Path() string { return s.path }

func (s *Store) open(ctx context.Context, c Config) error {
	busy := strconv.FormatInt(c.BusyTimeout.Milliseconds(), 10)
	var err error
	// The writer: WAL so readers never block it nor it them; synchronous=NORMAL, which in
	// WAL mode syncs only at checkpoints, so a commit is a write(2) to the log (it survives
	// the process dying, not the machine losing power); BEGIN IMMEDIATE so a transaction
	// takes the write lock at its start, never failing to upgrade a read lock midway.
	s.w, err = sql.Open("sqlite", dsn(s.path, url.Values{
		"_busy_timeout": {busy},
		"_journal_mode": {"WAL"},
		"_synchronous":  {"NORMAL"},
		"_foreign_keys": {"1"},
		"_txlock":       {"immediate"},
		// temp_store=MEMORY keeps statement sub-journals (upserts, foreign keys) off disk:
		// they only matter within a statement, and writing them cost a pwrite per page.
		// wal_autocheckpoint=0: the background checkpointer does it (see checkpointLoop).
		"_pragma": {"journal_size_limit=" + strconv.FormatInt(c.JournalSizeLimit, 10), "temp_store=MEMORY", "wal_autocheckpoint=0"},
	}))
	if err != nil {
		return err
	}
	s.w.SetMaxOpenConns(1)
	s.w.SetMaxIdleConns(1)
	s.w.SetConnMaxLifetime(0)
	s.w.SetConnMaxIdleTime(0)
	if err := migrate(ctx, s.w); err != nil {
		return err
	}

	// Readers are opened after the migration switched the file to WAL.
	s.r, err = sql.Open("sqlite", dsn(s.path, url.Values{
		"_busy_timeout": {busy},
		"_query_only":   {"1"},
	}))
	if err != nil {
		return err
	}
	s.r.SetMaxOpenConns(c.MaxReadConns)
	s.r.SetMaxIdleConns(c.MaxReadConns)
	s.r.SetConnMaxLifetime(0)
	s.r.SetConnMaxIdleTime(0)
	s.ck, err = sql.Open("sqlite", dsn(s.path, url.Values{
		"_busy_timeout": {busy},
		"_pragma":       {"journal_size_limit=" + strconv.FormatInt(c.JournalSizeLimit, 10)},
	}))
	if err != nil {
		return err
	}
	s.ck.SetMaxOpenConns(1)
	if err := s.prepare(ctx); err != nil {
		return err
	}
	if err := s.prepareTrackingWrites(); err != nil {
		return err
	}
	interval := c.CheckpointInterval
	if interval <= 0 {
		interval = 250 * time.Millisecond
	}
	s.ckStop, s.ckDone = make(chan struct{}), make(chan struct{})
	go s.checkpointLoop(interval)
	s.groupCh, s.groupStop, s.groupDone = make(chan groupReq), make(chan struct{}), make(chan struct{})
	go s.groupLoop()
	return nil
}

// checkpointLoop checkpoints the write-ahead log every interval, on its own connection,
// without blocking writers or readers (PASSIVE); a final checkpoint runs at Close.
func (s *Store) checkpointLoop(interval time.Duration) {
	defer close(s.ckDone)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-s.ckStop:
			return
		case <-t.C:
			if _, err := s.ck.Exec("PRAGMA wal_checkpoint(PASSIVE)"); err == nil {
				s.checkpoints.Add(1)
			}
		}
	}
}

// Checkpoints returns how many background checkpoints ran (for tests and metrics).
func (s *Store) Checkpoints() int64 { return s.checkpoints.Load() }

// dsn returns the data source name of the database file at the absolute path abs, with the
// driver parameters q.
func dsn(abs string, q url.Values) string {
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(abs), RawQuery: q.Encode()}
	return u.String()
}

func (s *Store) prepare(ctx context.Context) error {
	var err error
	prep := func(db *sql.DB, dst **sql.Stmt, sqlText string) {
		if err != nil {
			return
		}
		*dst, err = db.PrepareContext(ctx, sqlText)
	}
	prep(s.w, &s.insertRun, query("InsertRun"))
	prep(s.w, &s.upsertRun, query("UpsertRun"))
	prep(s.w, &s.insertTI, query("InsertTI"))
	prep(s.w, &s.upsertTI, query("UpsertTI"))
	prep(s.w, &s.deleteTI, query("DeleteTI"))
	prep(s.w, &s.upsertTry, query("UpsertTry"))
	prep(s.w, &s.upsertTIs, multiRow(query("UpsertTI"), rowsPerStmt))
	prep(s.w, &s.insertTIs, multiRow(query("InsertTI"), rowsPerStmt))
	prep(s.w, &s.upsertTries, multiRow(query("UpsertTry"), rowsPerStmt))
	prep(s.w, &s.upsertRendered, query("UpsertRenderedFields"))
	prep(s.w, &s.upsertRendereds, multiRow(query("UpsertRenderedFields"), rowsPerStmt))
	prep(s.w, &s.upsertPool, query("UpsertPool"))
	prep(s.w, &s.deletePool, query("DeletePool"))
	prep(s.w, &s.upsertCache, query("UpsertCacheEntry"))
	prep(s.r, &s.getRun, query("GetRun"))
	prep(s.r, &s.getTI, query("GetTI"))
	prep(s.r, &s.listTries, query("ListTries"))
	prep(s.r, &s.getPool, query("GetPool"))
	prep(s.r, &s.listPools, query("ListPools"))
	return err
}

// lazyStmt is a statement prepared on first use.
type lazyStmt struct {
	mu   sync.Mutex
	stmt *sql.Stmt
}

// get returns the statement, preparing it on db with the SQL text sqlText returns if it is
// not yet. A failed preparation is retried by the next call.
func (l *lazyStmt) get(ctx context.Context, db *sql.DB, sqlText func() (string, error)) (*sql.Stmt, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.stmt != nil {
		return l.stmt, nil
	}
	q, err := sqlText()
	if err != nil {
		return nil, err
	}
	if l.stmt, err = db.PrepareContext(ctx, q); err != nil {
		return nil, err
	}
	return l.stmt, nil
}

// lazy returns the named query prepared on db (s.w for a write, s.r for a read), preparing
// it through l on first use. A write statement must be got before its transaction begins:
// preparing it takes the write connection, which the transaction holds.
func (s *Store) lazy(ctx context.Context, l *lazyStmt, db *sql.DB, name string) (*sql.Stmt, error) {
	st, err := l.get(ctx, db, func() (string, error) { return query(name), nil })
	if err != nil {
		return nil, fmt.Errorf("sqlite: prepare %s: %w", name, err)
	}
	return st, nil
}

// Close runs PRAGMA optimize and closes the connections. It is idempotent; calls after the
// first return the first's result. Methods called after Close fail.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		if s.groupStop != nil {
			close(s.groupStop)
			<-s.groupDone
		}
		if s.ckStop != nil {
			close(s.ckStop)
			<-s.ckDone
			_, _ = s.ck.Exec("PRAGMA wal_checkpoint(TRUNCATE)")
		}
		// Best effort: a failure to refresh statistics must not keep the store open.
		_, _ = s.w.Exec(query("Optimize"))
		s.closeErr = s.closeDBs()
	})
	return s.closeErr
}

func (s *Store) closeDBs() error {
	var errs []error
	if s.r != nil {
		errs = append(errs, s.r.Close())
	}
	if s.w != nil {
		errs = append(errs, s.w.Close())
	}
	if s.ck != nil {
		errs = append(errs, s.ck.Close())
	}
	return errors.Join(errs...)
}

// writeTx runs fn in a transaction on the write connection and commits it, or rolls it
// back if fn fails or ctx ends first.
//
// Only the wait for the write connection watches ctx directly. Statements run under a
// context that is never canceled, because the driver watches a cancelable context with a
// goroutine per statement, which would double the cost of a small Apply; w.exec checks ctx
// between statements instead, and writeTx checks it again before committing. Each statement
// is one row, so cancellation takes effect within microseconds.
func (s *Store) writeTx(ctx context.Context, fn func(w *writer) error) error {
	conn, err := s.w.Conn(ctx)
	if err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	defer conn.Close()
	nc := context.WithoutCancel(ctx)
	tx, err := conn.BeginTx(nc, nil)
	if err != nil {
		return fmt.Errorf("sqlite: begin: %w", err)
	}
	if err := fn(&writer{ctx: ctx, nc: nc, tx: tx}); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := ctx.Err(); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: commit: %w", err)
	}
	return nil
}

// writer runs the statements of one write transaction.
type writer struct {
	ctx context.Context // the caller's, checked before each statement
	nc  context.Context // ctx without its cancellation, given to the driver
	tx  *sql.Tx
	// deferred, in a grouped write, collects the metric points the group writes at its end.
	deferred *deferredPoints
}

// stmt returns the transaction's instance of a statement prepared on the write pool; it
// reuses the connection's prepared statement.
func (w *writer) stmt(st *sql.Stmt) *sql.Stmt { return w.tx.StmtContext(w.nc, st) }

// exec executes st with args unless the caller's context ended.
func (w *writer) exec(st *sql.Stmt, args ...any) error {
	if err := w.ctx.Err(); err != nil {
		return err
	}
	_, err := st.ExecContext(w.nc, args...)
	return err
}

// execResult is exec returning the statement's result.
func (w *writer) execResult(st *sql.Stmt, args ...any) (sql.Result, error) {
	if err := w.ctx.Err(); err != nil {
		return nil, err
	}
	return st.ExecContext(w.nc, args...)
}
