package sqlite

import (
	"context"
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
