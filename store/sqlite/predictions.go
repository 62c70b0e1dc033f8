package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/weirhq/weir/store"
)

// predRowsPerStmt is how many predictions one statement of InsertPredictions inserts (11
// parameters each, far below SQLite's 32,766): the prediction log commits batches of
// hundreds, and fewer, larger statements cost less per row.
const predRowsPerStmt = 128

// validatePrediction checks a prediction of a batch.
func validatePrediction(p *store.Prediction) error {
	if p == nil {
		return errors.New("sqlite: nil prediction")
	}
	if p.ID == "" || len(p.ID) > store.MaxIDLen {
		return fmt.Errorf("sqlite: prediction id %q: want 1 to %d bytes", p.ID, store.MaxIDLen)
	}
	if p.Endpoint == "" {
		return fmt.Errorf("sqlite: prediction %s: empty endpoint name", p.ID)
	}
	if p.Time.IsZero() {
		return fmt.Errorf("sqlite: prediction %s: zero time (set Prediction.Time)", p.ID)
	}
	return nil
}

// appendPredictionArgs appends the columns of p, in the order of InsertPrediction, to dst.
func appendPredictionArgs(dst []any, p *store.Prediction) []any {
	return append(dst, p.ID, p.Endpoint, p.ModelName, p.ModelVersion, jsonArg(p.Inputs), jsonArg(p.Output),
		p.LatencyMicros, p.Time.UnixMicro(), boolArg(p.Shadow), jsonArg(p.Label), int64Time(p.LabelledAt))
}

// int64Time returns t in unix microseconds, 0 for the zero time (a NOT NULL column).
func int64Time(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

func scanPrediction(sc scanner) (*store.Prediction, error) {
	p := new(store.Prediction)
	err := sc.Scan(&p.ID, &p.Endpoint, &p.ModelName, &p.ModelVersion, jsonCol{&p.Inputs}, jsonCol{&p.Output},
		&p.LatencyMicros, timeCol{&p.Time}, boolCol{&p.Shadow}, jsonCol{&p.Label}, timeCol{&p.LabelledAt})
	return p, err
}

// InsertPredictions implements store.Store. Every prediction needs an ID (at most
// store.MaxIDLen bytes), an endpoint and a time.
func (s *Store) InsertPredictions(ctx context.Context, ps []*store.Prediction) error {
	if len(ps) == 0 {
		return nil
	}
	for _, p := range ps {
		if err := validatePrediction(p); err != nil {
			return err
		}
	}
	one, err := s.lazy(ctx, &s.insertPred, s.w, "InsertPrediction")
	if err != nil {
		return err
	}
	var many *sql.Stmt
	if len(ps) >= predRowsPerStmt {
		many, err = s.insertPreds.get(ctx, s.w, func() (string, error) { return multiRow(query("InsertPrediction"), predRowsPerStmt), nil })
		if err != nil {
			return fmt.Errorf("sqlite: prepare InsertPrediction×%d: %w", predRowsPerStmt, err)
		}
	}
	return s.writeTx(ctx, func(w *writer) error {
		args := make([]any, 0, 11*predRowsPerStmt)
		rest := ps
		if many != nil {
			st := w.stmt(many)
			for ; len(rest) >= predRowsPerStmt; rest = rest[predRowsPerStmt:] {
				args = args[:0]
				for _, p := range rest[:predRowsPerStmt] {
					args = appendPredictionArgs(args, p)
				}
				if err := w.exec(st, args...); err != nil {
					return fmt.Errorf("insert predictions %s to %s: %w", rest[0].ID, rest[predRowsPerStmt-1].ID, interpretError(err))
				}
			}
		}
		if len(rest) == 0 {
			return nil
		}
		st := w.stmt(one)
		for _, p := range rest {
			if err := w.exec(st, appendPredictionArgs(args[:0], p)...); err != nil {
				return fmt.Errorf("insert prediction %s: %w", p.ID, interpretError(err))
			}
		}
		return nil
	})
}

// GetPrediction implements store.Store.
func (s *Store) GetPrediction(ctx context.Context, id string) (*store.Prediction, error) {
	st, err := s.lazy(ctx, &s.getPred, s.r, "GetPrediction")
	if err != nil {
		return nil, err
	}
	p, err := scanPrediction(st.QueryRowContext(ctx, id))
	if err != nil {
		return nil, fmt.Errorf("prediction %s: %w", id, interpretError(err))
	}
	return p, nil
}

// predFilter selects a variant of the ListPredictions template: each true field adds its
// condition.
type predFilter struct {
	Endpoint, ModelName, ModelVersion, Since, Until, Labelled bool
}

func (f predFilter) index() int {
	i := 0
	for bit, on := range []bool{f.Endpoint, f.ModelName, f.ModelVersion, f.Since, f.Until, f.Labelled} {
		if on {
			i |= 1 << bit
		}
	}
	return i
}

// ListPredictions implements store.Store.
func (s *Store) ListPredictions(ctx context.Context, f store.PredictionFilter) ([]*store.Prediction, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	v := predFilter{Endpoint: f.Endpoint != "", ModelName: f.ModelName != "", ModelVersion: f.ModelVersion != "",
		Since: !f.Since.IsZero(), Until: !f.Until.IsZero(), Labelled: f.Labelled}
	args := []any{sql.Named("limit", int64(limit))}
	if v.Endpoint {
		args = append(args, sql.Named("endpoint", f.Endpoint))
	}
	if v.ModelName {
		args = append(args, sql.Named("model_name", f.ModelName))
	}
	if v.ModelVersion {
		args = append(args, sql.Named("model_version", f.ModelVersion))
	}
	if v.Since {
		args = append(args, sql.Named("since", f.Since.UnixMicro()))
	}
	if v.Until {
		args = append(args, sql.Named("until", f.Until.UnixMicro()))
	}
	st, err := s.listPreds[v.index()].get(ctx, s.r, func() (string, error) { return renderQuery("ListPredictions", v) })
	if err != nil {
		return nil, fmt.Errorf("list predictions: %w", err)
	}
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return nil, fmt.Errorf("list predictions: %w", interpretError(err))
	}
	defer rows.Close()
	var out []*store.Prediction
	for rows.Next() {
		p, err := scanPrediction(rows)
		if err != nil {
			return nil, fmt.Errorf("list predictions: %w", err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list predictions: %w", interpretError(err))
	}
	return out, nil
}

// SetPredictionLabel implements store.Store. The label must be valid JSON.
func (s *Store) SetPredictionLabel(ctx context.Context, id string, label json.RawMessage, at time.Time) error {
	if len(label) == 0 || !json.Valid(label) {
		return fmt.Errorf("sqlite: prediction %s: label %q is not a JSON value", id, label)
	}
	if at.IsZero() {
		at = s.now()
	}
	st, err := s.lazy(ctx, &s.setPredLabel, s.w, "SetPredictionLabel")
	if err != nil {
		return err
	}
	return s.writeTx(ctx, func(w *writer) error {
		res, err := w.execResult(w.stmt(st), jsonArg(label), at.UnixMicro(), id)
		if err != nil {
			return fmt.Errorf("prediction %s: %w", id, interpretError(err))
		}
		n, err := res.RowsAffected()
		if err != nil {
			return fmt.Errorf("prediction %s: %w", id, err)
		}
		if n == 0 {
			return fmt.Errorf("prediction %s: %w", id, store.ErrNotFound)
		}
		return nil
	})
}
