package sqlite

import (
	"context"
	"runtime"

	"errors"
	"github.com/weirhq/weir/tracking"
)

// errClosed is returned by writes that arrive after Close.
var errClosed = errors.New("sqlite: store closed")

// groupReq is one caller's share of a grouped write transaction.
type groupReq struct {
	ctx  context.Context
	fn   func(w *writer) error
	done chan error
}

// The savepoint statements of a grouped transaction, prepared at Open with the hot
// tracking writes.
const (
	savepointSQL  = "SAVEPOINT grouped"
	releaseSQL    = "RELEASE grouped"
	rollbackToSQL = "ROLLBACK TO grouped"
)

// execPrepared runs text through its statement prepared at Open when there is one.
func (s *Store) execPrepared(w *writer, text string) error {
	var err error
	if st := s.writeStmts[text]; st != nil {
		_, err = w.stmt(st).ExecContext(w.nc)
	} else {
		_, err = w.tx.ExecContext(w.nc, text)
	}
	return interpretError(err)
}

// deferredPoints are metric points a grouped write leaves for the group to write at its
// end: the points of many requests then share a few multi-row statements.
type deferredPoints struct {
	points []pointRow // appended to metric_history
	latest []pointRow // upserted into latest_metrics, in order (a later row of a key wins if later)
}

// pointRow is a metric point of the run with key run.
type pointRow struct {
	run int64
	m   tracking.Metric
}

// add appends o's points.
func (d *deferredPoints) add(o *deferredPoints) {
	d.points = append(d.points, o.points...)
	d.latest = append(d.latest, o.latest...)
}

// maxGroup caps how many callers share one grouped transaction.
const maxGroup = 64

// maxGroupRounds caps how many times the loop yields to gather more callers before it
// writes a group.
const maxGroupRounds = 4

// groupWrite runs fn in a write transaction it may share with other concurrent callers: one
// goroutine takes every waiting request, runs each in its own SAVEPOINT (a failing one is
// rolled back alone and gets its own error) and commits them together. Many small
// concurrent writes — MLflow clients' log-batch calls — then share a commit instead of
// paying one each. fn must not keep the writer after it returns.
func (s *Store) groupWrite(ctx context.Context, fn func(w *writer) error) error {
	req := groupReq{ctx: ctx, fn: fn, done: make(chan error, 1)}
	select {
	case s.groupCh <- req:
	case <-ctx.Done():
		return ctx.Err()
	case <-s.groupDone:
		return errClosed
	}
	return <-req.done
}

// groupLoop serves groupWrite until Close.
func (s *Store) groupLoop() {
	defer close(s.groupDone)
	for {
		var first groupReq
		select {
		case first = <-s.groupCh:
		case <-s.groupStop:
			return
		}
		reqs := []groupReq{first}
		// Let the callers that are about to write get in line first, for as long as more
		// keep arriving: on a busy machine the loop would otherwise often commit each
		// request alone, and a commit (its write of the log) costs more than a request.
		for round := 0; round < maxGroupRounds && len(reqs) < maxGroup; round++ {
			runtime.Gosched()
			n := len(reqs)
		drain:
			for len(reqs) < maxGroup {
				select {
				case r := <-s.groupCh:
					reqs = append(reqs, r)
				default:
					break drain
				}
			}
			if len(reqs) == n {
				break
			}
		}
		errs := make([]error, len(reqs))
		// Alone, a request is its own transaction and needs no savepoint.
		solo := len(reqs) == 1
		ctx := context.Background()
		if solo {
			ctx = reqs[0].ctx
		}
		err := s.writeTx(ctx, func(w *writer) error {
			var points deferredPoints
			for i, r := range reqs {
				if err := r.ctx.Err(); err != nil {
					errs[i] = err
					continue
				}
				if !solo {
					if err := s.execPrepared(w, savepointSQL); err != nil {
						return err
					}
				}
				sub := &deferredPoints{}
				if err := r.fn(&writer{ctx: r.ctx, nc: w.nc, tx: w.tx, deferred: sub}); err != nil {
					errs[i] = err
					if solo {
						return err
					}
					if err := s.execPrepared(w, rollbackToSQL); err != nil {
						return err
					}
				} else {
					points.add(sub)
				}
				if !solo {
					if err := s.execPrepared(w, releaseSQL); err != nil {
						return err
					}
				}
			}
			// The metric points of the whole group, in as few statements as they fit.
			return s.writeDeferred(w, &points)
		})
		if solo && errs[0] != nil {
			err = nil
		}
		for i, r := range reqs {
			if err != nil && errs[i] == nil {
				errs[i] = err // the shared commit failed: nothing of it was written
			}
			r.done <- errs[i]
		}
	}
}
