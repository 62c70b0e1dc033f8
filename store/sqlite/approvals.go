package sqlite

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/weirhq/weir/store"
)

// listCol scans a JSON array of strings (TEXT) into *p; nil for an empty array.
type listCol struct{ p *[]string }

func (c listCol) Scan(src any) error {
	var b []byte
	switch v := src.(type) {
	case nil:
		*c.p = nil
		return nil
	case string:
		b = []byte(v)
	case []byte:
		b = v
	default:
		return fmt.Errorf("list column: unexpected %T", src)
	}
	var l []string
	if err := json.Unmarshal(b, &l); err != nil {
		return fmt.Errorf("list column: %w", err)
	}
	if len(l) == 0 {
		l = nil
	}
	*c.p = l
	return nil
}

// listArg returns the column value of l: a JSON array, "[]" for none.
func listArg(l []string) string {
	if len(l) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(l) // strings always encode
	return string(b)
}

func scanApproval(sc scanner) (*store.Approval, error) {
	a := new(store.Approval)
	var state string
	err := sc.Scan(&a.DAGID, &a.RunID, &a.TaskID, &a.MapIndex, &a.Subject, &a.Body, listCol{&a.Options},
		listCol{&a.Defaults}, boolCol{&a.Multiple}, jsonCol{&a.Params}, listCol{&a.AssignedUsers}, &a.AssignedRole,
		timeCol{&a.CreatedAt}, timeCol{&a.TimeoutAt}, &state, listCol{&a.ChosenOptions}, jsonCol{&a.ParamsInput},
		&a.Comment, &a.RespondedBy, &a.RespondedByKind, timeCol{&a.RespondedAt})
	a.State = store.ApprovalState(state)
	return a, err
}

// PutApproval implements store.Store.
func (s *Store) PutApproval(ctx context.Context, a *store.Approval) error {
	if a == nil || a.DAGID == "" || a.RunID == "" || a.TaskID == "" || len(a.Options) == 0 {
		return fmt.Errorf("sqlite: approval %+v: want a DAG, run and task ID and options", a)
	}
	if a.CreatedAt.IsZero() {
		a.CreatedAt = s.now()
	}
	a.State = store.ApprovalPending
	a.ChosenOptions, a.ParamsInput, a.Comment, a.RespondedBy, a.RespondedByKind = nil, nil, "", "", ""
	a.RespondedAt = time.Time{}
	key := tiKey(a.DAGID, a.RunID, a.TaskID, a.MapIndex)
	return s.writeTx(ctx, func(w *writer) error {
		if err := w.ctx.Err(); err != nil {
			return err
		}
		_, err := w.tx.ExecContext(w.nc, query("PutApproval"), a.DAGID, a.RunID, a.TaskID, a.MapIndex, a.Subject, a.Body,
			listArg(a.Options), listArg(a.Defaults), boolArg(a.Multiple), jsonArg(a.Params), listArg(a.AssignedUsers),
			a.AssignedRole, a.CreatedAt.UnixMicro(), int64Time(a.TimeoutAt))
		if err != nil {
			return fmt.Errorf("approval %s: %w", key, interpretError(err))
		}
		return nil
	})
}

// GetApproval implements store.Store.
func (s *Store) GetApproval(ctx context.Context, dagID, runID, taskID string, mapIndex int) (*store.Approval, error) {
	a, err := scanApproval(s.r.QueryRowContext(ctx, query("GetApproval"), dagID, runID, taskID, mapIndex))
	if err != nil {
		return nil, fmt.Errorf("approval %s: %w", tiKey(dagID, runID, taskID, mapIndex), interpretError(err))
	}
	return a, nil
}

// ListApprovals implements store.Store.
func (s *Store) ListApprovals(ctx context.Context, p store.ListApprovalsParams) ([]*store.Approval, error) {
	limit := p.Limit
	if limit <= 0 {
		limit = 100
	}
	rows, err := s.r.QueryContext(ctx, query("ListApprovals"), string(p.State), p.DAGID, p.RunID, limit)
	if err != nil {
		return nil, fmt.Errorf("list approvals: %w", interpretError(err))
	}
	defer rows.Close()
	var out []*store.Approval
	for rows.Next() {
		a, err := scanApproval(rows)
		if err != nil {
			return nil, fmt.Errorf("list approvals: %w", err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list approvals: %w", interpretError(err))
	}
	return out, nil
}

// RespondApproval implements store.Store.
func (s *Store) RespondApproval(ctx context.Context, dagID, runID, taskID string, mapIndex int, r store.ApprovalResponse) (*store.Approval, error) {
	key := tiKey(dagID, runID, taskID, mapIndex)
	if r.State != store.ApprovalResponded && r.State != store.ApprovalTimedOut {
		return nil, fmt.Errorf("sqlite: approval %s: an answer's state is responded or timed_out, not %q", key, r.State)
	}
	if r.RespondedAt.IsZero() {
		r.RespondedAt = s.now()
	}
	var out *store.Approval
	err := s.writeTx(ctx, func(w *writer) error {
		if err := w.ctx.Err(); err != nil {
			return err
		}
		res, err := w.tx.ExecContext(w.nc, query("RespondApproval"), string(r.State), listArg(r.ChosenOptions),
			jsonArg(r.ParamsInput), r.Comment, r.RespondedBy, r.RespondedByKind, r.RespondedAt.UnixMicro(),
			dagID, runID, taskID, mapIndex)
		if err != nil {
			return fmt.Errorf("answer approval %s: %w", key, interpretError(err))
		}
		a, err := scanApproval(w.tx.QueryRowContext(w.nc, query("GetApproval"), dagID, runID, taskID, mapIndex))
		if err != nil {
			err = interpretError(err)
			if errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("approval %s: no such approval request (see weir approvals list): %w", key, store.ErrNotFound)
			}
			return fmt.Errorf("approval %s: %w", key, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("approval %s was answered already (%s by %s at %s): %w", key, a.State, a.RespondedBy,
				a.RespondedAt.Format("2006-01-02T15:04:05Z"), store.ErrConflict)
		}
		out = a
		return nil
	})
	return out, err
}
