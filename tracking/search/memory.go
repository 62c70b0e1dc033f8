package search

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/weirhq/weir/tracking"
)

// DefaultRegistryResults is the page size of registry searches when MaxResults is 0.
const DefaultRegistryResults = 100

// Experiments returns the page of experiments p selects among those load returns (every
// experiment, deleted ones included, in any order). Filters take name, creation_time,
// last_update_time and tags; order_by takes name, experiment_id, creation_time and
// last_update_time, by default creation time descending; ties go by ID.
func Experiments(ctx context.Context, p tracking.SearchExperimentsParams, load func(context.Context) ([]tracking.Experiment, error)) (*tracking.ExperimentPage, error) {
	clauses, err := tracking.ParseFilter(p.Filter)
	if err != nil {
		return nil, err
	}
	for _, c := range clauses {
		switch {
		case c.Kind == tracking.KindTag, c.Kind == tracking.KindAttribute && c.Key == "name":
		case c.Kind == tracking.KindAttribute && (c.Key == "creation_time" || c.Key == "last_update_time"):
			if !c.IsNumber {
				return nil, fmt.Errorf("%w: filter: %s compares with a number", tracking.ErrInvalid, c.Key)
			}
		default:
			return nil, fmt.Errorf("%w: filter: experiments are filtered on name, creation_time, last_update_time and tags, not %s.%s", tracking.ErrInvalid, c.Kind, c.Key)
		}
	}
	orders, err := attributeOrders(p.OrderBy, "experiments order by name, experiment_id, creation_time or last_update_time",
		"name", "experiment_id", "creation_time", "last_update_time")
	if err != nil {
		return nil, err
	}
	offset, err := tracking.DecodePageToken(p.PageToken)
	if err != nil {
		return nil, err
	}
	all, err := load(ctx)
	if err != nil {
		return nil, err
	}
	var out []tracking.Experiment
	for _, e := range all {
		if p.ViewType.Includes(e.LifecycleStage) && matchExperiment(&e, clauses) {
			out = append(out, e)
		}
	}
	sortByOrders(out, orders, func(key string, a, b *tracking.Experiment) int {
		switch key {
		case "name":
			return strings.Compare(a.Name, b.Name)
		case "experiment_id":
			return cmp.Compare(idNumber(a.ID), idNumber(b.ID))
		case "creation_time":
			return cmp.Compare(a.CreationTime, b.CreationTime)
		default: // last_update_time
			return cmp.Compare(a.LastUpdateTime, b.LastUpdateTime)
		}
	}, func(a, b *tracking.Experiment) int {
		if len(orders) == 0 {
			if c := cmp.Compare(b.CreationTime, a.CreationTime); c != 0 {
				return c
			}
		}
		return cmp.Compare(idNumber(a.ID), idNumber(b.ID))
	})
	page, next := tracking.Page(out, offset, pageSize(p.MaxResults, tracking.DefaultSearchResults))
	return &tracking.ExperimentPage{Experiments: page, NextPageToken: next}, nil
}

// matchExperiment reports whether e satisfies every clause (checked by Experiments). A
// name compared with a number matches nothing.
func matchExperiment(e *tracking.Experiment, clauses []tracking.Clause) bool {
	for _, c := range clauses {
		switch {
		case c.Kind == tracking.KindTag:
			v, ok := tagValue(e.Tags, c.Key)
			if !ok || !tracking.MatchString(c, v) {
				return false
			}
		case c.Key == "name":
			if c.IsNumber || !tracking.MatchString(c, e.Name) {
				return false
			}
		case c.Key == "creation_time":
			if !tracking.MatchNumber(c, float64(e.CreationTime)) {
				return false
			}
		default: // last_update_time
			if !tracking.MatchNumber(c, float64(e.LastUpdateTime)) {
				return false
			}
		}
	}
	return true
}

// RegisteredModels returns the page of registered models p selects among those load
// returns (every model, with its tags). Filters take name and tags; order_by takes name,
// creation_timestamp and last_updated_timestamp; ties go by name. The page size defaults
// to DefaultRegistryResults.
func RegisteredModels(ctx context.Context, p tracking.SearchRegistryParams, load func(context.Context) ([]tracking.RegisteredModel, error)) (*tracking.RegisteredModelPage, error) {
	clauses, orders, offset, err := parseRegistrySearch(p, false)
	if err != nil {
		return nil, err
	}
	all, err := load(ctx)
	if err != nil {
		return nil, err
	}
	var out []tracking.RegisteredModel
	for _, m := range all {
		if matchRegistry(clauses, m.Name, m.Tags, nil) {
			out = append(out, m)
		}
	}
	sortByOrders(out, orders, func(key string, a, b *tracking.RegisteredModel) int {
		switch key {
		case "name":
			return strings.Compare(a.Name, b.Name)
		case "creation_timestamp":
			return cmp.Compare(a.CreationTime, b.CreationTime)
		default: // last_updated_timestamp
			return cmp.Compare(a.LastUpdatedTime, b.LastUpdatedTime)
		}
	}, func(a, b *tracking.RegisteredModel) int { return strings.Compare(a.Name, b.Name) })
	page, next := tracking.Page(out, offset, pageSize(p.MaxResults, DefaultRegistryResults))
	return &tracking.RegisteredModelPage{RegisteredModels: page, NextPageToken: next}, nil
}

// ModelVersions returns the page of model versions p selects among those load returns
// (every version of every model, with its tags). Filters take name, run_id, source_path,
// version_number (or version) and tags; order_by takes name, version_number,
// creation_timestamp and last_updated_timestamp; ties go by name, then version
// descending. The page size defaults to DefaultRegistryResults.
func ModelVersions(ctx context.Context, p tracking.SearchRegistryParams, load func(context.Context) ([]tracking.ModelVersion, error)) (*tracking.ModelVersionPage, error) {
	clauses, orders, offset, err := parseRegistrySearch(p, true)
	if err != nil {
		return nil, err
	}
	all, err := load(ctx)
	if err != nil {
		return nil, err
	}
	var out []tracking.ModelVersion
	for _, v := range all {
		if matchRegistry(clauses, v.Name, v.Tags, &v) {
			out = append(out, v)
		}
	}
	sortByOrders(out, orders, func(key string, a, b *tracking.ModelVersion) int {
		switch key {
		case "name":
			return strings.Compare(a.Name, b.Name)
		case "version_number":
			return cmp.Compare(idNumber(a.Version), idNumber(b.Version))
		case "creation_timestamp":
			return cmp.Compare(a.CreationTime, b.CreationTime)
		default: // last_updated_timestamp
			return cmp.Compare(a.LastUpdatedTime, b.LastUpdatedTime)
		}
	}, func(a, b *tracking.ModelVersion) int {
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		return cmp.Compare(idNumber(b.Version), idNumber(a.Version))
	})
	page, next := tracking.Page(out, offset, pageSize(p.MaxResults, DefaultRegistryResults))
	return &tracking.ModelVersionPage{ModelVersions: page, NextPageToken: next}, nil
}

// parseRegistrySearch parses and checks the filter, order and page token of a search of
// registered models or (versions) model versions.
func parseRegistrySearch(p tracking.SearchRegistryParams, versions bool) ([]tracking.Clause, []tracking.OrderBy, int, error) {
	clauses, err := tracking.ParseFilter(p.Filter)
	if err != nil {
		return nil, nil, 0, err
	}
	for i := range clauses {
		c := &clauses[i]
		switch {
		case c.Kind == tracking.KindTag, c.Kind == tracking.KindAttribute && c.Key == "name":
		case versions && c.Kind == tracking.KindAttribute && (c.Key == "run_id" || c.Key == "source_path"):
		case versions && c.Kind == tracking.KindAttribute && (c.Key == "version_number" || c.Key == "version"):
			if !c.IsNumber {
				return nil, nil, 0, fmt.Errorf("%w: filter: version_number compares with a number", tracking.ErrInvalid)
			}
			c.Key = "version_number"
		case versions:
			return nil, nil, 0, fmt.Errorf("%w: filter: unsupported key %s.%s: model versions are filtered on name, run_id, source_path, version_number and tags", tracking.ErrInvalid, c.Kind, c.Key)
		default:
			return nil, nil, 0, fmt.Errorf("%w: filter: unsupported key %s.%s: registered models are filtered on name and tags", tracking.ErrInvalid, c.Kind, c.Key)
		}
	}
	keys := []string{"name", "creation_timestamp", "last_updated_timestamp"}
	if versions {
		keys = append(keys, "version_number")
	}
	orders, err := attributeOrders(p.OrderBy, "unsupported key: the registry orders by "+strings.Join(keys, ", "), keys...)
	if err != nil {
		return nil, nil, 0, err
	}
	offset, err := tracking.DecodePageToken(p.PageToken)
	return clauses, orders, offset, err
}

// matchRegistry reports whether a model (v nil) or version matches every clause (checked
// by parseRegistrySearch). Text attributes compare as text, even with a number.
func matchRegistry(clauses []tracking.Clause, name string, tags []tracking.Tag, v *tracking.ModelVersion) bool {
	for _, c := range clauses {
		var val string
		switch {
		case c.Kind == tracking.KindTag:
			t, ok := tagValue(tags, c.Key)
			if !ok {
				return false
			}
			val = t
		case c.Key == "name":
			val = name
		case c.Key == "run_id":
			val = v.RunID
		case c.Key == "source_path":
			val = v.Source
		default: // version_number
			n, _ := strconv.ParseFloat(v.Version, 64)
			if !tracking.MatchNumber(c, n) {
				return false
			}
			continue
		}
		if !tracking.MatchString(c, val) {
			return false
		}
	}
	return true
}

// attributeOrders parses order_by clauses that may only name the attributes keys; why
// explains a refusal.
func attributeOrders(clauses []string, why string, keys ...string) ([]tracking.OrderBy, error) {
	orders := make([]tracking.OrderBy, 0, len(clauses))
	for _, s := range clauses {
		o, err := tracking.ParseOrderBy(s)
		if err != nil {
			return nil, err
		}
		if o.Kind != tracking.KindAttribute || !slices.Contains(keys, o.Key) {
			return nil, fmt.Errorf("%w: order_by %q: %s", tracking.ErrInvalid, s, why)
		}
		orders = append(orders, o)
	}
	return orders, nil
}

// sortByOrders sorts items stably by the parsed order_by clauses, comparing one key with
// compareKey, then by tiebreak where every clause leaves two items equal.
func sortByOrders[T any](items []T, orders []tracking.OrderBy, compareKey func(key string, a, b *T) int, tiebreak func(a, b *T) int) {
	slices.SortStableFunc(items, func(a, b T) int {
		for _, o := range orders {
			c := compareKey(o.Key, &a, &b)
			if o.Desc {
				c = -c
			}
			if c != 0 {
				return c
			}
		}
		return tiebreak(&a, &b)
	})
}

// tagValue returns the value of tag key among tags (the last one if repeated).
func tagValue(tags []tracking.Tag, key string) (string, bool) {
	v, ok := "", false
	for _, t := range tags {
		if t.Key == key {
			v, ok = t.Value, true
		}
	}
	return v, ok
}

// idNumber orders numeric IDs ("10" after "9"); a malformed ID counts as 0.
func idNumber(id string) int64 {
	n, _ := strconv.ParseInt(id, 10, 64)
	return n
}

// pageSize is max, or def when max is 0 or less.
func pageSize(max, def int) int {
	if max <= 0 {
		return def
	}
	return max
}

// LatestVersions returns the latest version of each stage among vs (every version of one
// model, in version order), ordered by stage name: of the stages given (matched ignoring
// case), or of every stage if none is.
func LatestVersions(vs []tracking.ModelVersion, stages []string) []tracking.ModelVersion {
	latest := map[string]tracking.ModelVersion{}
	for _, v := range vs {
		if len(stages) > 0 && !slices.ContainsFunc(stages, func(s string) bool { return strings.EqualFold(s, v.CurrentStage) }) {
			continue
		}
		latest[v.CurrentStage] = v
	}
	out := make([]tracking.ModelVersion, 0, len(latest))
	for _, v := range latest {
		out = append(out, v)
	}
	slices.SortFunc(out, func(a, b tracking.ModelVersion) int { return strings.Compare(a.CurrentStage, b.CurrentStage) })
	return out
}
