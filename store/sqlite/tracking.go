package sqlite

import (
	"database/sql"
	"time"

	"github.com/weirhq/weir/tracking"
)

// Tracking is the tracking.Store of a Store's database: experiments, runs, metrics and the
// model registry, in the same SQLite file as the DAG runs and sharing the Store's
// connections, write transactions and group commit. Get it with Store.Tracking; it is
// safe for concurrent use and lives as long as its Store (closing the Store closes it).
//
// Searches are planned, filtered, ordered and paged by package tracking/search; this type
// supplies the SQL (the TrackingSearchRuns template) and loads the rows.
type Tracking struct {
	db  *Store
	r   *sql.DB
	now func() time.Time
}

var _ tracking.Store = (*Tracking)(nil)

// Tracking returns the tracking store of the database. Every call returns a handle on the
// same data; it needs no closing of its own.
func (s *Store) Tracking() tracking.Store { return s.trackingStore() }

// trackingStore is Tracking as its concrete type.
func (s *Store) trackingStore() *Tracking { return &Tracking{db: s, r: s.r, now: s.now} }
