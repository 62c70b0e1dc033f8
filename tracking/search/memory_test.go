package search

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/weirhq/weir/tracking"
)

// loadOf returns a loader of items, or one that fails the test when items is nil (a
// search that must refuse its request before loading anything).
func loadOf[T any](t *testing.T, items []T) func(context.Context) ([]T, error) {
	return func(context.Context) ([]T, error) {
		if items == nil {
			t.Error("loaded although the request is invalid")
		}
		return items, nil
	}
}

func experiments() []tracking.Experiment {
	return []tracking.Experiment{
		{ID: "0", Name: "Default", LifecycleStage: tracking.StageActive, CreationTime: 10, LastUpdateTime: 50},
		{ID: "1", Name: "sales", LifecycleStage: tracking.StageActive, CreationTime: 30, LastUpdateTime: 30, Tags: []tracking.Tag{{Key: "team", Value: "data"}}},
		{ID: "2", Name: "search", LifecycleStage: tracking.StageDeleted, CreationTime: 20, LastUpdateTime: 60},
		{ID: "10", Name: "Shop", LifecycleStage: tracking.StageActive, CreationTime: 30, LastUpdateTime: 40, Tags: []tracking.Tag{{Key: "team", Value: "web"}}},
		{ID: "9", Name: "scores", LifecycleStage: tracking.StageActive, CreationTime: 40, LastUpdateTime: 10, Tags: []tracking.Tag{{Key: "team", Value: "data"}}},
	}
}

func experimentIDs(es []tracking.Experiment) string {
	ids := make([]string, len(es))
	for i, e := range es {
		ids[i] = e.ID
	}
	return strings.Join(ids, ",")
}

func TestExperiments(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name   string
		p      tracking.SearchExperimentsParams
		want   string
		errSub string // non-empty: the search is ErrInvalid with this in its message
	}{
		{name: "default order is creation time descending, then ID", want: "9,1,10,0"},
		{name: "deleted only", p: tracking.SearchExperimentsParams{ViewType: tracking.DeletedOnly}, want: "2"},
		{name: "all views", p: tracking.SearchExperimentsParams{ViewType: tracking.AllViews}, want: "9,1,10,2,0"},
		{name: "LIKE is case-sensitive", p: tracking.SearchExperimentsParams{Filter: "name LIKE 's%'"}, want: "9,1"},
		{name: "ILIKE ignores case", p: tracking.SearchExperimentsParams{Filter: "name ILIKE 's%'"}, want: "9,1,10"},
		{name: "tag", p: tracking.SearchExperimentsParams{Filter: "tags.team = 'data'"}, want: "9,1"},
		{name: "tag and time", p: tracking.SearchExperimentsParams{Filter: "tags.team = 'data' AND creation_time < 35"}, want: "1"},
		{name: "missing tag matches nothing, even with !=", p: tracking.SearchExperimentsParams{Filter: "tags.team != 'web'"}, want: "9,1"},
		{name: "name against a number matches nothing", p: tracking.SearchExperimentsParams{Filter: "name = 5"}, want: ""},
		{name: "last_update_time", p: tracking.SearchExperimentsParams{Filter: "last_update_time >= 40"}, want: "10,0"},
		{name: "order by name descending", p: tracking.SearchExperimentsParams{OrderBy: []string{"name DESC"}}, want: "9,1,10,0"},
		{name: "order by ID is numeric", p: tracking.SearchExperimentsParams{OrderBy: []string{"experiment_id DESC"}}, want: "10,9,1,0"},
		{name: "order ties go by ID ascending", p: tracking.SearchExperimentsParams{OrderBy: []string{"creation_time DESC"}}, want: "9,1,10,0"},
		{name: "order by last update", p: tracking.SearchExperimentsParams{OrderBy: []string{"last_update_time"}}, want: "9,1,10,0"},
		{name: "page", p: tracking.SearchExperimentsParams{MaxResults: 2, PageToken: tracking.EncodePageToken(1)}, want: "1,10"},
		{name: "unknown attribute", p: tracking.SearchExperimentsParams{Filter: "tags.team = 'x' AND artifact_location = 'y'"}, errSub: "experiments are filtered on"},
		{name: "time against a string", p: tracking.SearchExperimentsParams{Filter: "creation_time > '5'"}, errSub: "compares with a number"},
		{name: "bad order", p: tracking.SearchExperimentsParams{OrderBy: []string{"tags.team"}}, errSub: "experiments order by"},
		{name: "bad token", p: tracking.SearchExperimentsParams{PageToken: "nope"}, errSub: "page token"},
		{name: "bad filter", p: tracking.SearchExperimentsParams{Filter: "name = 'x' OR name = 'y'"}, errSub: "only AND"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			all := experiments()
			if c.errSub != "" {
				all = nil
			}
			page, err := Experiments(t.Context(), c.p, loadOf(t, all))
			if c.errSub != "" {
				if !errors.Is(err, tracking.ErrInvalid) || !strings.Contains(err.Error(), c.errSub) {
					t.Fatalf("err %v, want ErrInvalid with %q", err, c.errSub)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := experimentIDs(page.Experiments); got != c.want {
				t.Errorf("got %s, want %s", got, c.want)
			}
		})
	}
}

func TestExperimentPagesCoverAllOnce(t *testing.T) {
	t.Parallel()
	for size := 1; size <= 5; size++ {
		var got []tracking.Experiment
		tok := ""
		for calls := 0; ; calls++ {
			if calls > 10 {
				t.Fatalf("size %d: pages never end", size)
			}
			p, err := Experiments(t.Context(), tracking.SearchExperimentsParams{ViewType: tracking.AllViews, MaxResults: size, PageToken: tok}, loadOf(t, experiments()))
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, p.Experiments...)
			if tok = p.NextPageToken; tok == "" {
				break
			}
		}
		if ids := experimentIDs(got); ids != "9,1,10,2,0" {
			t.Errorf("pages of %d: %s", size, ids)
		}
	}
}

func registry() ([]tracking.RegisteredModel, []tracking.ModelVersion) {
	models := []tracking.RegisteredModel{
		{Name: "churn", CreationTime: 20, LastUpdatedTime: 90, Tags: []tracking.Tag{{Key: "task", Value: "classify"}}},
		{Name: "price", CreationTime: 10, LastUpdatedTime: 30},
		{Name: "Prophet", CreationTime: 30, LastUpdatedTime: 30, Tags: []tracking.Tag{{Key: "task", Value: "forecast"}}},
	}
	versions := []tracking.ModelVersion{
		{Name: "churn", Version: "1", CreationTime: 21, LastUpdatedTime: 21, RunID: "r1", Source: "runs:/r1/model"},
		{Name: "churn", Version: "2", CreationTime: 25, LastUpdatedTime: 80, RunID: "r2", Source: "runs:/r2/model", Tags: []tracking.Tag{{Key: "ok", Value: "yes"}}},
		{Name: "churn", Version: "10", CreationTime: 26, LastUpdatedTime: 26, RunID: "r10", Source: "s3://b/m"},
		{Name: "price", Version: "1", CreationTime: 11, LastUpdatedTime: 11, RunID: "r1", Source: "s3://b/p"},
	}
	return models, versions
}

func TestRegisteredModels(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		p      tracking.SearchRegistryParams
		want   string
		errSub string
	}{
		{want: "Prophet,churn,price"}, // by name: bytes, so upper case first
		{p: tracking.SearchRegistryParams{Filter: "name LIKE 'p%'"}, want: "price"},
		{p: tracking.SearchRegistryParams{Filter: "name ILIKE 'p%'"}, want: "Prophet,price"},
		{p: tracking.SearchRegistryParams{Filter: "tags.task != 'classify'"}, want: "Prophet"},
		{p: tracking.SearchRegistryParams{OrderBy: []string{"creation_timestamp DESC"}}, want: "Prophet,churn,price"},
		{p: tracking.SearchRegistryParams{OrderBy: []string{"last_updated_timestamp"}}, want: "Prophet,price,churn"},
		{p: tracking.SearchRegistryParams{MaxResults: 1, PageToken: tracking.EncodePageToken(2)}, want: "price"},
		{p: tracking.SearchRegistryParams{Filter: "run_id = 'r1'"}, errSub: "registered models are filtered on name and tags"},
		{p: tracking.SearchRegistryParams{OrderBy: []string{"version_number"}}, errSub: "unsupported key"},
	} {
		models, _ := registry()
		if c.errSub != "" {
			models = nil
		}
		page, err := RegisteredModels(t.Context(), c.p, loadOf(t, models))
		if c.errSub != "" {
			if !errors.Is(err, tracking.ErrInvalid) || !strings.Contains(err.Error(), c.errSub) {
				t.Errorf("%+v: err %v, want ErrInvalid with %q", c.p, err, c.errSub)
			}
			continue
		}
		var names []string
		for _, m := range page.RegisteredModels {
			names = append(names, m.Name)
		}
		if got := strings.Join(names, ","); err != nil || got != c.want {
			t.Errorf("%+v: got %s, %v; want %s", c.p, got, err, c.want)
		}
	}
}

func TestModelVersions(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		p      tracking.SearchRegistryParams
		want   string
		errSub string
	}{
		{want: "churn/10,churn/2,churn/1,price/1"}, // name, then version descending
		{p: tracking.SearchRegistryParams{Filter: "run_id = 'r1'"}, want: "churn/1,price/1"},
		{p: tracking.SearchRegistryParams{Filter: "name = 'churn' AND version_number >= 2"}, want: "churn/10,churn/2"},
		{p: tracking.SearchRegistryParams{Filter: "version < 2"}, want: "churn/1,price/1"},
		{p: tracking.SearchRegistryParams{Filter: "source_path LIKE 's3://%'"}, want: "churn/10,price/1"},
		{p: tracking.SearchRegistryParams{Filter: "run_id IN ('r2', 'r10')"}, want: "churn/10,churn/2"},
		{p: tracking.SearchRegistryParams{Filter: "tags.ok = 'yes'"}, want: "churn/2"},
		{p: tracking.SearchRegistryParams{OrderBy: []string{"version_number"}}, want: "churn/1,price/1,churn/2,churn/10"},
		{p: tracking.SearchRegistryParams{OrderBy: []string{"last_updated_timestamp DESC"}}, want: "churn/2,churn/10,churn/1,price/1"},
		{p: tracking.SearchRegistryParams{MaxResults: 3}, want: "churn/10,churn/2,churn/1"},
		{p: tracking.SearchRegistryParams{Filter: "version_number = '2'"}, errSub: "compares with a number"},
		{p: tracking.SearchRegistryParams{Filter: "metrics.acc > 1"}, errSub: "model versions are filtered on"},
		{p: tracking.SearchRegistryParams{OrderBy: []string{"run_id"}}, errSub: "unsupported key"},
	} {
		_, versions := registry()
		if c.errSub != "" {
			versions = nil
		}
		page, err := ModelVersions(t.Context(), c.p, loadOf(t, versions))
		if c.errSub != "" {
			if !errors.Is(err, tracking.ErrInvalid) || !strings.Contains(err.Error(), c.errSub) {
				t.Errorf("%+v: err %v, want ErrInvalid with %q", c.p, err, c.errSub)
			}
			continue
		}
		var got []string
		for _, v := range page.ModelVersions {
			got = append(got, v.Name+"/"+v.Version)
		}
		if g := strings.Join(got, ","); err != nil || g != c.want {
			t.Errorf("%+v: got %s, %v; want %s", c.p, g, err, c.want)
		}
	}
}

func TestLatestVersions(t *testing.T) {
	t.Parallel()
	vs := []tracking.ModelVersion{
		{Version: "1", CurrentStage: tracking.StageProduction}, {Version: "2", CurrentStage: tracking.StageStaging},
		{Version: "3", CurrentStage: tracking.StageProduction}, {Version: "4", CurrentStage: tracking.StageNone},
	}
	for _, c := range []struct {
		stages []string
		want   string
	}{
		{nil, "None:4,Production:3,Staging:2"},
		{[]string{"production", "ARCHIVED"}, "Production:3"},
		{[]string{"Archived"}, ""},
	} {
		var got []string
		for _, v := range LatestVersions(vs, c.stages) {
			got = append(got, v.CurrentStage+":"+v.Version)
		}
		if g := strings.Join(got, ","); g != c.want {
			t.Errorf("stages %v: got %s, want %s", c.stages, g, c.want)
		}
	}
}
