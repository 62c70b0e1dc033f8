package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/weirhq/weir/tracking"
	"github.com/weirhq/weir/tracking/search"
)

// loggedModelRow is a logged model with its integer key.
type loggedModelRow struct {
	key   int64
	model tracking.LoggedModel
}

func scanLoggedModel(sc interface{ Scan(...any) error }) (loggedModelRow, error) {
	var r loggedModelRow
	var exp int64
	var status string
	m := &r.model
	err := sc.Scan(&r.key, &m.ID, &exp, &m.Name, &m.ArtifactLocation, &m.CreationTime, &m.LastUpdatedTime,
		&m.ModelType, &m.SourceRunID, &status, &m.StatusMessage)
	m.ExperimentID = strconv.FormatInt(exp, 10)
	m.Status = tracking.LoggedModelStatus(status)
	return r, err
}

// CreateLoggedModel implements tracking.Store.
func (s *Tracking) CreateLoggedModel(ctx context.Context, p tracking.CreateLoggedModelParams) (*tracking.LoggedModel, error) {
	if p.ID == "" || p.Name == "" || p.ArtifactLocation == "" {
		return nil, fmt.Errorf("%w: a logged model needs an ID, a name and an artifact location", tracking.ErrInvalid)
	}
	exp, err := experimentKey(p.ExperimentID)
	if err != nil {
		return nil, err
	}
	now := p.Time
	if now == 0 {
		now = s.now().UnixMilli()
	}
	err = s.trackingWrite(ctx, func(tx *trackingTx) error {
		var stage string
		if err := tx.row("TrackingExperimentStage", []any{exp}, &stage); err != nil {
			return fmt.Errorf("experiment %q: %w", p.ExperimentID, err)
		}
		res, err := tx.execText(query("TrackingInsertLoggedModel"), p.ID, exp, p.Name, p.ArtifactLocation, now, p.ModelType, p.SourceRunID)
		if err != nil {
			return err
		}
		key, err := res.LastInsertId()
		if err != nil {
			return err
		}
		for _, t := range p.Tags {
			if _, err := tx.exec("TrackingSetLoggedModelTag", key, t.Key, t.Value); err != nil {
				return err
			}
		}
		return logModelParams(tx, key, p.ID, p.Params)
	})
	if err != nil {
		return nil, fmt.Errorf("logged model %q: %w", p.ID, err)
	}
	return s.GetLoggedModel(ctx, p.ID)
}

// logModelParams logs params of the model key, refusing a key logged with another value.
func logModelParams(tx *trackingTx, key int64, id string, params []tracking.Param) error {
	for _, p := range params {
		if _, err := tx.exec("TrackingInsertLoggedModelParam", key, p.Key, p.Value); err != nil {
			return err
		}
		var v string
		if err := tx.row("TrackingLoggedModelParam", []any{key, p.Key}, &v); err != nil {
			return err
		}
		if v != p.Value {
			return fmt.Errorf("%w: param %q of logged model %s was logged as %q; params cannot be changed, got %q", tracking.ErrInvalid, p.Key, id, v, p.Value)
		}
	}
	return nil
}

// GetLoggedModel implements tracking.Store.
func (s *Tracking) GetLoggedModel(ctx context.Context, id string) (*tracking.LoggedModel, error) {
	r, err := scanLoggedModel(s.r.QueryRowContext(ctx, query("TrackingGetLoggedModel"), id))
	if err != nil {
		return nil, fmt.Errorf("logged model %q: %w", id, interpretError(err))
	}
	ms, err := s.loadLoggedModels(ctx, []loggedModelRow{r})
	if err != nil {
		return nil, err
	}
	return &ms[0], nil
}

// loadLoggedModels returns the models of rows with their tags and params.
func (s *Tracking) loadLoggedModels(ctx context.Context, rows []loggedModelRow) ([]tracking.LoggedModel, error) {
	out := make([]tracking.LoggedModel, len(rows))
	index := make(map[int64]*tracking.LoggedModel, len(rows))
	keys := make([]int64, len(rows))
	for i, r := range rows {
		out[i] = r.model
		index[r.key] = &out[i]
		keys[i] = r.key
	}
	if len(rows) == 0 {
		return out, nil
	}
	keysJSON, _ := json.Marshal(keys)
	for _, q := range []string{"TrackingLoggedModelTags", "TrackingLoggedModelParams"} {
		rs, err := s.r.QueryContext(ctx, query(q), string(keysJSON))
		if err != nil {
			return nil, err
		}
		for rs.Next() {
			var key int64
			var k, v string
			if err := rs.Scan(&key, &k, &v); err != nil {
				rs.Close()
				return nil, err
			}
			m := index[key]
			if q == "TrackingLoggedModelTags" {
				m.Tags = append(m.Tags, tracking.Tag{Key: k, Value: v})
			} else {
				m.Params = append(m.Params, tracking.Param{Key: k, Value: v})
			}
		}
		err = rs.Err()
		rs.Close()
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// loggedModelWrite runs fn on the key of a live logged model in a write transaction, then
// sets the model's last update time; ErrNotFound if there is no such model.
func (s *Tracking) loggedModelWrite(ctx context.Context, id string, fn func(tx *trackingTx, key int64) error) error {
	err := s.trackingWrite(ctx, func(tx *trackingTx) error {
		var key int64
		if err := tx.row("TrackingLoggedModelKey", []any{id}, &key); err != nil {
			return err
		}
		if err := fn(tx, key); err != nil {
			return err
		}
		_, err := tx.exec("TrackingTouchLoggedModel", key, s.now().UnixMilli())
		return err
	})
	if err != nil {
		return fmt.Errorf("logged model %q: %w", id, err)
	}
	return nil
}

// FinalizeLoggedModel implements tracking.Store.
func (s *Tracking) FinalizeLoggedModel(ctx context.Context, id string, status tracking.LoggedModelStatus) (*tracking.LoggedModel, error) {
	err := s.loggedModelWrite(ctx, id, func(tx *trackingTx, key int64) error {
		_, err := tx.exec("TrackingFinalizeLoggedModel", key, string(status), s.now().UnixMilli())
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.GetLoggedModel(ctx, id)
}

// DeleteLoggedModel implements tracking.Store.
func (s *Tracking) DeleteLoggedModel(ctx context.Context, id string) error {
	return s.loggedModelWrite(ctx, id, func(tx *trackingTx, key int64) error {
		_, err := tx.exec("TrackingDeleteLoggedModel", key, s.now().UnixMilli())
		return err
	})
}

// SearchLoggedModels implements tracking.Store: search.LoggedModels filters, sorts and
// pages the live models of the experiments, loaded whole (an experiment's models are few).
func (s *Tracking) SearchLoggedModels(ctx context.Context, p tracking.SearchLoggedModelsParams) (*tracking.LoggedModelPage, error) {
	if len(p.ExperimentIDs) == 0 {
		return nil, fmt.Errorf("%w: search logged models: name at least one experiment (experiment_ids)", tracking.ErrInvalid)
	}
	exps := make([]int64, 0, len(p.ExperimentIDs))
	for _, id := range p.ExperimentIDs {
		if k, err := experimentKey(id); err == nil {
			exps = append(exps, k)
		}
	}
	return search.LoggedModels(ctx, p, func(ctx context.Context) ([]tracking.LoggedModel, error) {
		expsJSON, _ := json.Marshal(exps)
		rs, err := s.r.QueryContext(ctx, query("TrackingListLoggedModels"), string(expsJSON))
		if err != nil {
			return nil, err
		}
		defer rs.Close()
		var rows []loggedModelRow
		for rs.Next() {
			r, err := scanLoggedModel(rs)
			if err != nil {
				return nil, err
			}
			rows = append(rows, r)
		}
		if err := rs.Err(); err != nil {
			return nil, err
		}
		return s.loadLoggedModels(ctx, rows)
	})
}

// SetLoggedModelTags implements tracking.Store.
func (s *Tracking) SetLoggedModelTags(ctx context.Context, id string, tags []tracking.Tag) error {
	return s.loggedModelWrite(ctx, id, func(tx *trackingTx, key int64) error {
		for _, t := range tags {
			if _, err := tx.exec("TrackingSetLoggedModelTag", key, t.Key, t.Value); err != nil {
				return err
			}
		}
		return nil
	})
}

// DeleteLoggedModelTag implements tracking.Store.
func (s *Tracking) DeleteLoggedModelTag(ctx context.Context, id, key string) error {
	return s.loggedModelWrite(ctx, id, func(tx *trackingTx, model int64) error {
		n, err := tx.exec("TrackingDeleteLoggedModelTag", model, key)
		if err == nil && n == 0 {
			err = fmt.Errorf("tag %q: %w", key, tracking.ErrNotFound)
		}
		return err
	})
}

// LogLoggedModelParams implements tracking.Store.
func (s *Tracking) LogLoggedModelParams(ctx context.Context, id string, params []tracking.Param) error {
	return s.loggedModelWrite(ctx, id, func(tx *trackingTx, key int64) error {
		return logModelParams(tx, key, id, params)
	})
}

// LogOutputs implements tracking.Store.
func (s *Tracking) LogOutputs(ctx context.Context, runID string, outputs []tracking.ModelOutput) error {
	return s.trackingWrite(ctx, func(tx *trackingTx) error {
		r, err := tx.activeRun(runID)
		if err != nil {
			return err
		}
		for _, o := range outputs {
			var key int64
			if err := tx.row("TrackingLoggedModelKey", []any{o.ModelID}, &key); err != nil {
				return fmt.Errorf("logged model %q: %w", o.ModelID, err)
			}
			if _, err := tx.exec("TrackingUpsertRunOutput", r.id, key, o.Step); err != nil {
				return err
			}
		}
		return nil
	})
}

// loadRunOutputs adds their outputs to runs (keyed by run key).
func (s *Tracking) loadRunOutputs(ctx context.Context, idsJSON string, index map[int64]*tracking.Run) error {
	rs, err := s.r.QueryContext(ctx, query("TrackingRunOutputs"), idsJSON)
	if err != nil {
		return err
	}
	defer rs.Close()
	for rs.Next() {
		var run int64
		var o tracking.ModelOutput
		if err := rs.Scan(&run, &o.ModelID, &o.Step); err != nil {
			return err
		}
		if r := index[run]; r != nil {
			r.Outputs = append(r.Outputs, o)
		}
	}
	return rs.Err()
}
