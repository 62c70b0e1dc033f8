package sqlite

import (
	"context"
	"errors"
)

// errClosed is returned by writes that arrive after Close.
var errClosed = errors.New("sqlite: store closed")

// groupReq is one caller's share of a grouped write transaction.
type groupReq struct {
	ctx  context.Context
	fn   func(w *writer) error
	done chan error
}

// maxGroup caps how many callers share one grouped transaction.
const maxGroup = 64

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
	drain:
		for len(reqs) < maxGroup {
			select {
			case r := <-s.groupCh:
				reqs = append(reqs, r)
			default:
				break drain
			}
		}
		errs := make([]error, len(reqs))
		err := s.writeTx(context.Background(), func(w *writer) error {
			for i, r := range reqs {
				if err := r.ctx.Err(); err != nil {
					errs[i] = err
					continue
				}
				if _, err := w.tx.ExecContext(w.nc, "SAVEPOINT grouped"); err != nil {
					return interpretError(err)
				}
				if err := r.fn(&writer{ctx: r.ctx, nc: w.nc, tx: w.tx}); err != nil {
					errs[i] = err
					if _, err := w.tx.ExecContext(w.nc, "ROLLBACK TO grouped"); err != nil {
						return interpretError(err)
					}
				}
				if _, err := w.tx.ExecContext(w.nc, "RELEASE grouped"); err != nil {
					return interpretError(err)
				}
			}
			return nil
		})
		for i, r := range reqs {
			if err != nil && errs[i] == nil {
				errs[i] = err // the shared commit failed: nothing of it was written
			}
			r.done <- errs[i]
		}
	}
}
