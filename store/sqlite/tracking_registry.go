package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"

	"github.com/weirhq/weir/tracking"
	"github.com/weirhq/weir/tracking/search"
)

// modelRow is a registered model with its integer key.
type modelRow struct {
	id int64
	m  tracking.RegisteredModel
}

func scanModel(sc interface{ Scan(...any) error }) (modelRow, error) {
	var r modelRow
	err := sc.Scan(&r.id, &r.m.Name, &r.m.Description, &r.m.CreationTime, &r.m.LastUpdatedTime)
	return r, err
}

func scanModelVersion(sc interface{ Scan(...any) error }) (tracking.ModelVersion, int64, error) {
	var v tracking.ModelVersion
	var model, version int64
	err := sc.Scan(&v.Name, &model, &version, &v.CreationTime, &v.LastUpdatedTime, &v.Description, &v.UserID,
		&v.CurrentStage, &v.Source, &v.RunID, &v.RunLink, &v.Status, &v.StatusMessage)
	v.Version = strconv.FormatInt(version, 10)
	return v, model, err
}

// modelKey returns the key of the registered model name, through q.
func modelKey(ctx context.Context, q queryer, name string) (int64, error) {
	r, err := scanModel(q.QueryRowContext(ctx, query("TrackingGetModel"), name))
	if err != nil {
		return 0, fmt.Errorf("registered model %q: %w", name, interpretError(err))
	}
	return r.id, nil
}

// versionNumber parses a version number; a malformed one is not found.
func versionNumber(name, version string) (int64, error) {
	n, err := strconv.ParseInt(version, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%w: model version %q of %q: versions are positive integers", tracking.ErrInvalid, version, name)
	}
	return n, nil
}

// registry is the registry's content, loaded for one model or all.
type registry struct {
	models   []modelRow
	versions map[int64][]tracking.ModelVersion
}

// loadRegistry loads the registered model name (all models if name is empty) with its
// versions, tags and aliases.
func (s *Tracking) loadRegistry(ctx context.Context, name string) (*registry, error) {
	reg := &registry{versions: map[int64][]tracking.ModelVersion{}}
	var filter any // NULL: every model
	if name != "" {
		r, err := scanModel(s.r.QueryRowContext(ctx, query("TrackingGetModel"), name))
		if err != nil {
			return nil, fmt.Errorf("registered model %q: %w", name, interpretError(err))
		}
		reg.models = []modelRow{r}
		filter = r.id
	} else {
		rows, err := s.r.QueryContext(ctx, query("TrackingListModels"))
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			r, err := scanModel(rows)
			if err != nil {
				rows.Close()
				return nil, err
			}
			reg.models = append(reg.models, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	byID := map[int64]*tracking.RegisteredModel{}
	for i := range reg.models {
		byID[reg.models[i].id] = &reg.models[i].m
	}
	// Versions.
	q, args := "TrackingListVersions", []any{}
	if filter != nil {
		q, args = "TrackingModelVersions", []any{filter}
	}
	if err := eachRow(ctx, s.r, q, args, func(rs *sql.Rows) error {
		v, model, err := scanModelVersion(rs)
		if err == nil {
			reg.versions[model] = append(reg.versions[model], v)
		}
		return err
	}); err != nil {
		return nil, err
	}
	if err := eachRow(ctx, s.r, "TrackingModelTags", []any{filter}, func(rs *sql.Rows) error {
		var model int64
		var t tracking.Tag
		if err := rs.Scan(&model, &t.Key, &t.Value); err != nil {
			return err
		}
		if m := byID[model]; m != nil {
			m.Tags = append(m.Tags, t)
		}
		return nil
	}); err != nil {
		return nil, err
	}
	if err := eachRow(ctx, s.r, "TrackingVersionTags", []any{filter}, func(rs *sql.Rows) error {
		var model, version int64
		var t tracking.Tag
		if err := rs.Scan(&model, &version, &t.Key, &t.Value); err != nil {
			return err
		}
		vs := reg.versions[model]
		if i := slices.IndexFunc(vs, func(v tracking.ModelVersion) bool { return v.Version == strconv.FormatInt(version, 10) }); i >= 0 {
			vs[i].Tags = append(vs[i].Tags, t)
		}
		return nil
	}); err != nil {
		return nil, err
	}
	if err := eachRow(ctx, s.r, "TrackingAliases", []any{filter}, func(rs *sql.Rows) error {
		var model, version int64
		var alias string
		if err := rs.Scan(&model, &alias, &version); err != nil {
			return err
		}
		v := strconv.FormatInt(version, 10)
		if m := byID[model]; m != nil {
			m.Aliases = append(m.Aliases, tracking.Alias{Alias: alias, Version: v})
		}
		vs := reg.versions[model]
		if i := slices.IndexFunc(vs, func(x tracking.ModelVersion) bool { return x.Version == v }); i >= 0 {
			vs[i].Aliases = append(vs[i].Aliases, alias)
		}
		return nil
	}); err != nil {
		return nil, err
	}
	for i := range reg.models {
		reg.models[i].m.LatestVersions = search.LatestVersions(reg.versions[reg.models[i].id], nil)
	}
	return reg, nil
}

// eachRow runs the named query and calls fn on each row.
func eachRow(ctx context.Context, q queryer, name string, args []any, fn func(*sql.Rows) error) error {
	rows, err := q.QueryContext(ctx, query(name), args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// CreateRegisteredModel implements tracking.Store.
func (s *Tracking) CreateRegisteredModel(ctx context.Context, p tracking.CreateRegisteredModelParams) (*tracking.RegisteredModel, error) {
	now := p.Time
	if now == 0 {
		now = s.now().UnixMilli()
	}
	err := s.trackingWrite(ctx, func(tx *trackingTx) error {
		res, err := tx.w.tx.ExecContext(tx.w.nc, query("TrackingInsertModel"), p.Name, p.Description, now)
		if err != nil {
			return interpretError(err)
		}
		id, err := res.LastInsertId()
		if err != nil {
			return err
		}
		for _, t := range p.Tags {
			if _, err := tx.exec("TrackingSetModelTag", id, t.Key, t.Value); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("registered model %q: %w", p.Name, err)
	}
	return s.GetRegisteredModel(ctx, p.Name)
}

// GetRegisteredModel implements tracking.Store.
func (s *Tracking) GetRegisteredModel(ctx context.Context, name string) (*tracking.RegisteredModel, error) {
	reg, err := s.loadRegistry(ctx, name)
	if err != nil {
		return nil, err
	}
	return &reg.models[0].m, nil
}

// modelWrite runs fn on the key of the registered model name in a write transaction.
func (s *Tracking) modelWrite(ctx context.Context, name string, fn func(tx *trackingTx, model int64) error) error {
	return s.trackingWrite(ctx, func(tx *trackingTx) error {
		id, err := modelKey(tx.w.nc, tx.w.tx, name)
		if err != nil {
			return err
		}
		return fn(tx, id)
	})
}

// RenameRegisteredModel implements tracking.Store.
func (s *Tracking) RenameRegisteredModel(ctx context.Context, name, newName string) (*tracking.RegisteredModel, error) {
	err := s.modelWrite(ctx, name, func(tx *trackingTx, model int64) error {
		if _, err := tx.exec("TrackingRenameModel", model, newName, s.now().UnixMilli()); err != nil {
			return fmt.Errorf("registered model %q: %w", newName, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.GetRegisteredModel(ctx, newName)
}

// UpdateRegisteredModel implements tracking.Store.
func (s *Tracking) UpdateRegisteredModel(ctx context.Context, name, description string) (*tracking.RegisteredModel, error) {
	err := s.modelWrite(ctx, name, func(tx *trackingTx, model int64) error {
		_, err := tx.exec("TrackingUpdateModel", model, description, s.now().UnixMilli())
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.GetRegisteredModel(ctx, name)
}

// DeleteRegisteredModel implements tracking.Store.
func (s *Tracking) DeleteRegisteredModel(ctx context.Context, name string) error {
	return s.modelWrite(ctx, name, func(tx *trackingTx, model int64) error {
		_, err := tx.exec("TrackingDeleteModel", model)
		return err
	})
}

// SetRegisteredModelTag implements tracking.Store.
func (s *Tracking) SetRegisteredModelTag(ctx context.Context, name string, tag tracking.Tag) error {
	return s.modelWrite(ctx, name, func(tx *trackingTx, model int64) error {
		_, err := tx.exec("TrackingSetModelTag", model, tag.Key, tag.Value)
		return err
	})
}

// DeleteRegisteredModelTag implements tracking.Store.
func (s *Tracking) DeleteRegisteredModelTag(ctx context.Context, name, key string) error {
	return s.modelWrite(ctx, name, func(tx *trackingTx, model int64) error {
		n, err := tx.exec("TrackingDeleteModelTag", model, key)
		if err == nil && n == 0 {
			err = fmt.Errorf("registered model %q tag %q: %w", name, key, tracking.ErrNotFound)
		}
		return err
	})
}

// SetRegisteredModelAlias implements tracking.Store.
func (s *Tracking) SetRegisteredModelAlias(ctx context.Context, name, alias, version string) error {
	n, err := versionNumber(name, version)
	if err != nil {
		return err
	}
	return s.modelWrite(ctx, name, func(tx *trackingTx, model int64) error {
		if _, err := tx.exec("TrackingSetAlias", model, alias, n); err != nil {
			return fmt.Errorf("model version %q of %q: %w", version, name, err)
		}
		return nil
	})
}

// DeleteRegisteredModelAlias implements tracking.Store.
func (s *Tracking) DeleteRegisteredModelAlias(ctx context.Context, name, alias string) error {
	return s.modelWrite(ctx, name, func(tx *trackingTx, model int64) error {
		n, err := tx.exec("TrackingDeleteAlias", model, alias)
		if err == nil && n == 0 {
			err = fmt.Errorf("alias %q of registered model %q: %w", alias, name, tracking.ErrNotFound)
		}
		return err
	})
}

// GetModelVersionByAlias implements tracking.Store.
func (s *Tracking) GetModelVersionByAlias(ctx context.Context, name, alias string) (*tracking.ModelVersion, error) {
	id, err := modelKey(ctx, s.r, name)
	if err != nil {
		return nil, err
	}
	var v int64
	if err := s.r.QueryRowContext(ctx, query("TrackingGetAlias"), id, alias).Scan(&v); err != nil {
		return nil, fmt.Errorf("alias %q of registered model %q: %w", alias, name, interpretError(err))
	}
	return s.GetModelVersion(ctx, name, strconv.FormatInt(v, 10))
}

// GetLatestVersions implements tracking.Store.
func (s *Tracking) GetLatestVersions(ctx context.Context, name string, stages []string) ([]tracking.ModelVersion, error) {
	reg, err := s.loadRegistry(ctx, name)
	if err != nil {
		return nil, err
	}
	return search.LatestVersions(reg.versions[reg.models[0].id], stages), nil
}

// CreateModelVersion implements tracking.Store.
func (s *Tracking) CreateModelVersion(ctx context.Context, p tracking.CreateModelVersionParams) (*tracking.ModelVersion, error) {
	now := p.Time
	if now == 0 {
		now = s.now().UnixMilli()
	}
	var version int64
	err := s.modelWrite(ctx, p.Name, func(tx *trackingTx, model int64) error {
		if err := tx.row("TrackingNextVersion", []any{model, now}, &version); err != nil {
			return err
		}
		if _, err := tx.exec("TrackingInsertVersion", model, version, now, p.Description, p.UserID, p.Source, p.RunID, p.RunLink); err != nil {
			return err
		}
		for _, t := range p.Tags {
			if _, err := tx.exec("TrackingSetVersionTag", model, version, t.Key, t.Value); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.GetModelVersion(ctx, p.Name, strconv.FormatInt(version, 10))
}

// GetModelVersion implements tracking.Store.
func (s *Tracking) GetModelVersion(ctx context.Context, name, version string) (*tracking.ModelVersion, error) {
	if _, err := versionNumber(name, version); err != nil {
		return nil, err
	}
	reg, err := s.loadRegistry(ctx, name)
	if err != nil {
		return nil, err
	}
	for _, v := range reg.versions[reg.models[0].id] {
		if v.Version == version {
			return &v, nil
		}
	}
	return nil, fmt.Errorf("model version %q of %q: %w", version, name, tracking.ErrNotFound)
}

// versionWrite runs fn on an existing version in a write transaction.
func (s *Tracking) versionWrite(ctx context.Context, name, version string, fn func(tx *trackingTx, model, version int64) error) error {
	n, err := versionNumber(name, version)
	if err != nil {
		return err
	}
	return s.modelWrite(ctx, name, func(tx *trackingTx, model int64) error {
		if _, _, err := scanModelVersion(tx.w.tx.QueryRowContext(tx.w.nc, query("TrackingGetVersion"), model, n)); err != nil {
			return fmt.Errorf("model version %q of %q: %w", version, name, interpretError(err))
		}
		return fn(tx, model, n)
	})
}

// UpdateModelVersion implements tracking.Store.
func (s *Tracking) UpdateModelVersion(ctx context.Context, name, version, description string) (*tracking.ModelVersion, error) {
	err := s.versionWrite(ctx, name, version, func(tx *trackingTx, model, v int64) error {
		_, err := tx.exec("TrackingUpdateVersion", model, v, description, s.now().UnixMilli())
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.GetModelVersion(ctx, name, version)
}

// DeleteModelVersion implements tracking.Store.
func (s *Tracking) DeleteModelVersion(ctx context.Context, name, version string) error {
	return s.versionWrite(ctx, name, version, func(tx *trackingTx, model, v int64) error {
		_, err := tx.exec("TrackingDeleteVersion", model, v)
		return err
	})
}

// TransitionModelVersionStage implements tracking.Store.
func (s *Tracking) TransitionModelVersionStage(ctx context.Context, name, version, stage string, archiveExisting bool) (*tracking.ModelVersion, error) {
	canon, err := tracking.CanonicalVersionStage(stage)
	if err != nil {
		return nil, err
	}
	err = s.versionWrite(ctx, name, version, func(tx *trackingTx, model, v int64) error {
		now := s.now().UnixMilli()
		if _, err := tx.exec("TrackingSetVersionStage", model, v, canon, now); err != nil {
			return err
		}
		if archiveExisting && (canon == tracking.StageStaging || canon == tracking.StageProduction) {
			if _, err := tx.exec("TrackingArchiveStage", model, canon, v, now); err != nil {
				return err
			}
		}
		_, err := tx.exec("TrackingTouchModel", model, now)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.GetModelVersion(ctx, name, version)
}

// SetModelVersionTag implements tracking.Store.
func (s *Tracking) SetModelVersionTag(ctx context.Context, name, version string, tag tracking.Tag) error {
	return s.versionWrite(ctx, name, version, func(tx *trackingTx, model, v int64) error {
		_, err := tx.exec("TrackingSetVersionTag", model, v, tag.Key, tag.Value)
		return err
	})
}

// DeleteModelVersionTag implements tracking.Store.
func (s *Tracking) DeleteModelVersionTag(ctx context.Context, name, version, key string) error {
	return s.versionWrite(ctx, name, version, func(tx *trackingTx, model, v int64) error {
		n, err := tx.exec("TrackingDeleteVersionTag", model, v, key)
		if err == nil && n == 0 {
			err = fmt.Errorf("model version %q of %q tag %q: %w", version, name, key, tracking.ErrNotFound)
		}
		return err
	})
}

// SearchRegisteredModels implements tracking.Store: search.RegisteredModels filters, sorts
// and pages the whole registry, which is small.
func (s *Tracking) SearchRegisteredModels(ctx context.Context, p tracking.SearchRegistryParams) (*tracking.RegisteredModelPage, error) {
	return search.RegisteredModels(ctx, p, func(ctx context.Context) ([]tracking.RegisteredModel, error) {
		reg, err := s.loadRegistry(ctx, "")
		if err != nil {
			return nil, err
		}
		out := make([]tracking.RegisteredModel, len(reg.models))
		for i, r := range reg.models {
			out[i] = r.m
		}
		return out, nil
	})
}

// SearchModelVersions implements tracking.Store, as SearchRegisteredModels.
func (s *Tracking) SearchModelVersions(ctx context.Context, p tracking.SearchRegistryParams) (*tracking.ModelVersionPage, error) {
	return search.ModelVersions(ctx, p, func(ctx context.Context) ([]tracking.ModelVersion, error) {
		reg, err := s.loadRegistry(ctx, "")
		if err != nil {
			return nil, err
		}
		var out []tracking.ModelVersion
		for _, r := range reg.models {
			out = append(out, reg.versions[r.id]...)
		}
		return out, nil
	})
}
