package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/weirhq/weir/store"
)

// defaultListLimit is ListRuns' limit when the caller sets none.
const defaultListLimit = 100

// scanner is a *sql.Row or *sql.Rows.
type scanner interface {
	Scan(dest ...any) error
}

// appendRunArgs appends the columns of r, in the order of the run queries, to dst.
func appendRunArgs(dst []any, r *store.DAGRun) []any {
	return append(dst,
		r.DAGID, r.RunID, timeArg(r.LogicalDate), r.RunType, string(r.State),
		jsonArg(r.Conf), jsonArg(r.Params), jsonArg(r.DAG), r.DAGHash,
		timeArg(r.QueuedAt), timeArg(r.StartedAt), timeArg(r.EndedAt), r.Owner, timeArg(r.HeartbeatAt),
		timeArg(r.DataIntervalStart), timeArg(r.DataIntervalEnd), jsonArg(r.TriggerEvents),
	)
}

func scanRun(sc scanner) (*store.DAGRun, error) {
	r := new(store.DAGRun)
	err := sc.Scan(&r.DAGID, &r.RunID, timeCol{&r.LogicalDate}, &r.RunType, (*string)(&r.State),
		jsonCol{&r.Conf}, jsonCol{&r.Params}, jsonCol{&r.DAG}, &r.DAGHash,
		timeCol{&r.QueuedAt}, timeCol{&r.StartedAt}, timeCol{&r.EndedAt}, &r.Owner, timeCol{&r.HeartbeatAt},
		timeCol{&r.DataIntervalStart}, timeCol{&r.DataIntervalEnd}, jsonCol{&r.TriggerEvents})
	if err != nil {
		return nil, err
	}
	return r, nil
}

func validateRun(r *store.DAGRun) error {
	if r == nil {
		return errors.New("sqlite: nil run")
	}
	if err := store.ValidateRunKey(r.DAGID, r.RunID); err != nil {
		return fmt.Errorf("sqlite: run %q of dag %q: %w", r.RunID, r.DAGID, err)
	}
	return nil
}

func validateTI(ti *store.TaskInstance) error {
	if ti == nil {
		return errors.New("sqlite: nil task instance")
	}
	if err := store.ValidateTIKey(ti.DAGID, ti.RunID, ti.TaskID, ti.MapIndex); err != nil {
		return fmt.Errorf("sqlite: task instance %q: %w", tiKey(ti.DAGID, ti.RunID, ti.TaskID, ti.MapIndex), err)
	}
	return nil
}

// CreateRun implements store.Store. It stores the run as given, a nil DAG as none. Every
// task instance must belong to run (same DAG ID and run ID). It fails with
// store.ErrAlreadyExists if the run, or one of the task instances, exists; then nothing is
// written.
func (s *Store) CreateRun(ctx context.Context, run *store.DAGRun, tis []*store.TaskInstance) error {
	if err := validateNewRun(run, tis); err != nil {
		return err
	}
	return s.writeTx(ctx, func(w *writer) error {
		_, err := s.createRunTx(w, run, tis)
		return err
	})
}

// validateNewRun checks the arguments of CreateRun and of the methods with its semantics.
func validateNewRun(run *store.DAGRun, tis []*store.TaskInstance) error {
	if err := validateRun(run); err != nil {
		return err
	}
	for _, ti := range tis {
		if err := validateTI(ti); err != nil {
			return err
		}
		if ti.DAGID != run.DAGID || ti.RunID != run.RunID {
			return fmt.Errorf("sqlite: create run %s/%s: task instance %s belongs to another run",
				run.DAGID, run.RunID, tiKey(ti.DAGID, ti.RunID, ti.TaskID, ti.MapIndex))
		}
	}
	return nil
}

// createRunTx inserts run and its task instances in w's transaction (CreateRun's writes). If
// the run exists, it fails with an error wrapping store.ErrAlreadyExists and runExists is
// true; the transaction is still usable, as a failed statement undoes only itself. If a task
// instance exists, the error wraps store.ErrAlreadyExists too but runExists is false, and the
// run was inserted: the caller must roll back.
func (s *Store) createRunTx(w *writer, run *store.DAGRun, tis []*store.TaskInstance) (runExists bool, err error) {
	args := appendRunArgs(make([]any, 0, 20), run) // reused by every row
	if err := w.exec(w.stmt(s.insertRun), args...); err != nil {
		err = interpretError(err)
		return errors.Is(err, store.ErrAlreadyExists), fmt.Errorf("run %s/%s: %w", run.DAGID, run.RunID, err)
	}
	if len(tis) == 0 {
		return false, nil
	}
	if tis, args, err = execChunks(w, s.insertTIs, tis, args, appendTIArgs, tiName, "task instances"); err != nil {
		return false, err
	}
	st := w.stmt(s.insertTI)
	for _, ti := range tis {
		args = appendTIArgs(args[:0], ti)
		if err := w.exec(st, args...); err != nil {
			return false, fmt.Errorf("task instance %s: %w",
				tiKey(ti.DAGID, ti.RunID, ti.TaskID, ti.MapIndex), interpretError(err))
		}
	}
	return false, nil
}

// GetRun implements store.Store.
func (s *Store) GetRun(ctx context.Context, dagID, runID string) (*store.DAGRun, error) {
	r, err := scanRun(s.getRun.QueryRowContext(ctx, dagID, runID))
	if err != nil {
		return nil, fmt.Errorf("run %s/%s: %w", dagID, runID, interpretError(err))
	}
	return r, nil
}

// ListRuns implements store.Store. A Limit of zero or less means the default, 100. Runs with
// equal QueuedAt are ordered by DAG ID, then run ID; runs with no QueuedAt come last.
func (s *Store) ListRuns(ctx context.Context, p store.ListRunsParams) ([]*store.DAGRun, error) {
	f := runFilter{DAGID: p.DAGID != "", RunID: p.RunID != "", States: len(p.States) > 0}
	limit := p.Limit
	if limit <= 0 {
		limit = defaultListLimit
	}
	args := append([]any{sql.Named("limit", int64(limit)), sql.Named("offset", int64(max(p.Offset, 0)))}, runFilterArgs(p, f)...)
	st, err := s.listRuns[f.index()].get(ctx, s.r, func() (string, error) { return renderQuery("ListRuns", f) })
	if err != nil {
		return nil, fmt.Errorf("list runs: %w", err)
	}
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return nil, fmt.Errorf("list runs: %w", interpretError(err))
	}
	defer rows.Close()
	out := make([]*store.DAGRun, 0, min(limit, 16))
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, fmt.Errorf("list runs: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list runs: %w", interpretError(err))
	}
	return out, nil
}

// CountRuns implements store.RunCounter.
func (s *Store) CountRuns(ctx context.Context, p store.ListRunsParams) (int, error) {
	f := runFilter{DAGID: p.DAGID != "", RunID: p.RunID != "", States: len(p.States) > 0}
	st, err := s.countRuns[f.index()].get(ctx, s.r, func() (string, error) { return renderQuery("CountRuns", f) })
	if err != nil {
		return 0, fmt.Errorf("count runs: %w", err)
	}
	var n int
	if err := st.QueryRowContext(ctx, runFilterArgs(p, f)...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count runs: %w", interpretError(err))
	}
	return n, nil
}

// runFilterArgs are the named arguments of the filters f selects.
func runFilterArgs(p store.ListRunsParams, f runFilter) []any {
	var args []any
	if f.DAGID {
		args = append(args, sql.Named("dag_id", p.DAGID))
	}
	if f.RunID {
		args = append(args, sql.Named("run_id", p.RunID))
	}
	if f.States {
		args = append(args, sql.Named("states", jsonList(p.States)))
	}
	return args
}

// jsonList encodes a list of strings as a JSON array, for json_each.
func jsonList[S ~string](l []S) string {
	b, err := json.Marshal(l)
	if err != nil {
		panic(err) // a []string always encodes
	}
	return string(b)
}

// index returns the position of f's variant in Store.listRuns.
func (f runFilter) index() int {
	i := 0
	if f.DAGID {
		i |= 1
	}
	if f.RunID {
		i |= 2
	}
	if f.States {
		i |= 4
	}
	return i
}
