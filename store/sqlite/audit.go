package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/weirhq/weir/store"
)

func scanAudit(sc scanner) (*store.AuditEntry, error) {
	e := new(store.AuditEntry)
	err := sc.Scan(&e.ID, timeCol{&e.Time}, &e.Actor, &e.ActorKind, &e.Action, &e.TargetType, &e.TargetID,
		jsonCol{&e.Details}, &e.RequestID, &e.RemoteAddr, &e.Outcome, &e.PrevHash, &e.Hash)
	return e, err
}

// AppendAudit implements store.Store. The read of the last entry and the insert share one
// IMMEDIATE transaction, which holds the database's write lock: appends of every process
// on the file are serialised into one chain.
func (s *Store) AppendAudit(ctx context.Context, e *store.AuditEntry, hash func(e *store.AuditEntry) string) error {
	if e == nil || e.Actor == "" || e.Action == "" || e.Outcome == "" || hash == nil {
		return fmt.Errorf("sqlite: audit entry %+v: want an actor, an action, an outcome and a hash function", e)
	}
	if e.Time.IsZero() {
		e.Time = s.now()
	}
	e.Time = e.Time.UTC().Truncate(time.Microsecond) // as stored
	return s.writeTx(ctx, func(w *writer) error {
		if err := w.ctx.Err(); err != nil {
			return err
		}
		var last int64
		var prev string
		err := w.tx.QueryRowContext(w.nc, query("LastAudit")).Scan(&last, &prev)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("audit log: read the last entry: %w", interpretError(err))
		}
		e.ID, e.PrevHash = last+1, prev
		e.Hash = hash(e)
		_, err = w.tx.ExecContext(w.nc, query("InsertAudit"), e.ID, e.Time.UnixMicro(), e.Actor, e.ActorKind, e.Action,
			e.TargetType, e.TargetID, jsonArg(e.Details), e.RequestID, e.RemoteAddr, e.Outcome, e.PrevHash, e.Hash)
		if err != nil {
			return fmt.Errorf("audit log: append entry %d: %w", e.ID, interpretError(err))
		}
		return nil
	})
}

// ListAudit implements store.Store.
func (s *Store) ListAudit(ctx context.Context, f store.AuditFilter) ([]*store.AuditEntry, error) {
	action, prefix := f.Action, ""
	if len(action) > 0 && action[len(action)-1] == '*' {
		prefix = action[:len(action)-1]
		action = "\x00" // matches no action: the prefix decides
	}
	limit := int64(f.Limit)
	if limit <= 0 {
		limit = -1 // SQLite: no limit
	}
	q := "ListAudit"
	if f.Newest {
		q = "ListAuditNewest"
	}
	rows, err := s.r.QueryContext(ctx, query(q), f.Actor, action, prefix, int64Time(f.Since), int64Time(f.Until), f.AfterID, limit, f.BeforeID)
	if err != nil {
		return nil, fmt.Errorf("list the audit log: %w", interpretError(err))
	}
	defer rows.Close()
	var out []*store.AuditEntry
	for rows.Next() {
		e, err := scanAudit(rows)
		if err != nil {
			return nil, fmt.Errorf("list the audit log: %w", err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list the audit log: %w", interpretError(err))
	}
	return out, nil
}
