package sqlite

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/weirhq/weir/store"
)

// TaskSummaries implements store.RunViewStore: the database counts the instances by task
// and state (query TaskSummaries), and the rows of a task — one per state it has — are
// folded into its summary here.
func (s *Store) TaskSummaries(ctx context.Context, dagID, runID string) ([]*store.TaskSummary, error) {
	rows, err := s.r.QueryContext(ctx, query("TaskSummaries"), dagID, runID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: task summaries of run %s/%s: %w", dagID, runID, interpretError(err))
	}
	defer rows.Close()
	var out []*store.TaskSummary
	for rows.Next() {
		var (
			taskID, state     string
			n, minMap, maxMap int
			start, end        time.Time
		)
		if err := rows.Scan(&taskID, &state, intCol{&n}, intCol{&minMap}, intCol{&maxMap}, timeCol{&start}, timeCol{&end}); err != nil {
			return nil, fmt.Errorf("sqlite: task summaries of run %s/%s: %w", dagID, runID, err)
		}
		var sum *store.TaskSummary
		if len(out) > 0 && out[len(out)-1].TaskID == taskID {
			sum = out[len(out)-1]
		} else {
			sum = &store.TaskSummary{TaskID: taskID, States: map[store.TIState]int{}, FirstMapIndex: minMap}
			out = append(out, sum)
		}
		sum.Total += n
		sum.States[store.TIState(state)] += n
		sum.Mapped = sum.Mapped || maxMap >= 0
		sum.FirstMapIndex = min(sum.FirstMapIndex, minMap)
		if !start.IsZero() && (sum.StartedAt.IsZero() || start.Before(sum.StartedAt)) {
			sum.StartedAt = start
		}
		if end.After(sum.EndedAt) {
			sum.EndedAt = end
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: task summaries of run %s/%s: %w", dagID, runID, interpretError(err))
	}
	for _, sum := range out {
		sum.State = store.WorstState(sum.States)
	}
	return out, nil
}

// writeRenderedTx upserts a batch's rendered fields in w's transaction, rowsPerStmt rows per
// execution of a prepared statement (a mapped task's 10,000 tries write in ~300 statements).
// The first write of a run of a task with KeepRuns prunes the task's older runs (query
// PruneRenderedFields) after the upsert: a statement per new run of a task, not per instance.
func (s *Store) writeRenderedTx(w *writer, rfs []*store.RenderedFields, args []any) error {
	if len(rfs) == 0 {
		return nil
	}
	type runTask struct{ dag, run, task string }
	type tryKey struct {
		ti  store.TIKey
		try int
	}
	checked := map[runTask]bool{}
	var prune []*store.RenderedFields
	seen := make(map[tryKey]struct{}, len(rfs))
	distinct := true
	for _, rf := range rfs {
		if rf == nil {
			return errors.New("sqlite: nil rendered fields")
		}
		key := tiKey(rf.DAGID, rf.RunID, rf.TaskID, rf.MapIndex)
		if err := store.ValidateTIKey(rf.DAGID, rf.RunID, rf.TaskID, rf.MapIndex); err != nil {
			return fmt.Errorf("sqlite: rendered fields of %q: %w", key, err)
		}
		if rf.TryNumber < 1 || !json.Valid(rf.Fields) || len(rf.Fields) == 0 || rf.Fields[0] != '{' {
			return fmt.Errorf("sqlite: rendered fields of %s try %d: want a try number of 1 or more and a JSON object", key, rf.TryNumber)
		}
		k := tryKey{store.TIKey{DAGID: rf.DAGID, RunID: rf.RunID, TaskID: rf.TaskID, MapIndex: rf.MapIndex}, rf.TryNumber}
		if _, dup := seen[k]; dup {
			distinct = false // one statement cannot upsert a row twice: these go one by one
		}
		seen[k] = struct{}{}
		rt := runTask{rf.DAGID, rf.RunID, rf.TaskID}
		if rf.KeepRuns > 0 && !checked[rt] {
			checked[rt] = true
			var had bool
			if err := w.tx.QueryRowContext(w.nc, query("HasRenderedFields"), rf.DAGID, rf.RunID, rf.TaskID).Scan(&had); err != nil {
				return fmt.Errorf("rendered fields of %s: %w", key, interpretError(err))
			}
			if !had {
				prune = append(prune, rf)
			}
		}
	}
	rows := rfs
	if distinct {
		var err error
		if rows, args, err = execChunks(w, s.upsertRendereds, rows, args, appendRenderedArgs, renderedName, "rendered fields"); err != nil {
			return err
		}
	}
	if len(rows) > 0 {
		st := w.stmt(s.upsertRendered)
		for _, rf := range rows {
			args = appendRenderedArgs(args[:0], rf)
			if err := w.exec(st, args...); err != nil {
				err = interpretError(err)
				if errors.Is(err, store.ErrNotFound) {
					return fmt.Errorf("%s: task instance: %w", renderedName(rf), err)
				}
				return fmt.Errorf("%s: %w", renderedName(rf), err)
			}
		}
	}
	for _, rf := range prune {
		if _, err := w.tx.ExecContext(w.nc, query("PruneRenderedFields"), rf.DAGID, rf.TaskID, int64(rf.KeepRuns)); err != nil {
			return fmt.Errorf("prune the rendered fields of task %s of DAG %s: %w", rf.TaskID, rf.DAGID, interpretError(err))
		}
	}
	return nil
}

func appendRenderedArgs(args []any, rf *store.RenderedFields) []any {
	return append(args, rf.DAGID, rf.RunID, rf.TaskID, int64(rf.MapIndex), int64(rf.TryNumber), jsonArg(rf.Fields), rf.RenderedAt.UnixMicro())
}

func renderedName(rf *store.RenderedFields) string {
	return fmt.Sprintf("rendered fields of try %d of %s", rf.TryNumber, tiKey(rf.DAGID, rf.RunID, rf.TaskID, rf.MapIndex))
}

// GetRenderedFields implements store.RunViewStore.
func (s *Store) GetRenderedFields(ctx context.Context, dagID, runID, taskID string, mapIndex, tryNumber int) (*store.RenderedFields, error) {
	rf := new(store.RenderedFields)
	var fields string
	err := s.r.QueryRowContext(ctx, query("GetRenderedFields"), dagID, runID, taskID, int64(mapIndex), int64(tryNumber)).
		Scan(&rf.DAGID, &rf.RunID, &rf.TaskID, intCol{&rf.MapIndex}, intCol{&rf.TryNumber}, &fields, timeCol{&rf.RenderedAt})
	if err != nil {
		return nil, fmt.Errorf("rendered fields of %s try %d: %w", tiKey(dagID, runID, taskID, mapIndex), tryNumber, interpretError(err))
	}
	rf.Fields = json.RawMessage(fields)
	return rf, nil
}
