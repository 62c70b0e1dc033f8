package search

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/weirhq/weir/tracking"
)

// DefaultLoggedModelResults is the page size of SearchLoggedModels when MaxResults is 0.
const DefaultLoggedModelResults = 100

// loggedModelAttributes are the attributes logged-model filters and order_by take, and
// whether each is numeric.
var loggedModelAttributes = map[string]bool{
	"name": false, "model_id": false, "model_type": false, "status": false, "source_run_id": false,
	"creation_timestamp": true, "creation_time": true, "last_updated_timestamp": true,
}

// LoggedModels returns the page of logged models p selects among those load returns (the
// live models of p's experiments, with tags and params, in any order). Filters take the
// attributes name, model_id, model_type, status, source_run_id, creation_timestamp and
// last_updated_timestamp, tags and params (not metrics: weir does not link metrics to
// logged models); a status compares with its enum name, with or without the
// LOGGED_MODEL_ prefix. The default order is creation time descending; ties go by ID.
func LoggedModels(ctx context.Context, p tracking.SearchLoggedModelsParams, load func(context.Context) ([]tracking.LoggedModel, error)) (*tracking.LoggedModelPage, error) {
	clauses, err := tracking.ParseFilter(p.Filter)
	if err != nil {
		return nil, err
	}
	for _, c := range clauses {
		switch c.Kind {
		case tracking.KindTag, tracking.KindParam:
		case tracking.KindAttribute:
			numeric, ok := loggedModelAttributes[c.Key]
			if !ok {
				return nil, fmt.Errorf("%w: filter: logged models are filtered on name, model_id, model_type, status, source_run_id, creation_timestamp, last_updated_timestamp, tags and params, not %s", tracking.ErrInvalid, c.Key)
			}
			if numeric && !c.IsNumber {
				return nil, fmt.Errorf("%w: filter: %s compares with a number", tracking.ErrInvalid, c.Key)
			}
		default:
			return nil, fmt.Errorf("%w: filter: logged models are not filtered on %s.%s (only attributes, tags and params)", tracking.ErrInvalid, c.Kind, c.Key)
		}
	}
	for _, o := range p.OrderBy {
		if _, ok := loggedModelAttributes[o.Field]; !ok {
			return nil, fmt.Errorf("%w: order_by %q: logged models order by name, model_id, model_type, status, source_run_id, creation_timestamp or last_updated_timestamp", tracking.ErrInvalid, o.Field)
		}
	}
	offset, err := tracking.DecodePageToken(p.PageToken)
	if err != nil {
		return nil, err
	}
	all, err := load(ctx)
	if err != nil {
		return nil, err
	}
	var out []tracking.LoggedModel
	for _, m := range all {
		if matchLoggedModel(&m, clauses) {
			out = append(out, m)
		}
	}
	slices.SortStableFunc(out, func(a, b tracking.LoggedModel) int {
		for _, o := range p.OrderBy {
			c := compareLoggedModels(o.Field, &a, &b)
			if !o.Ascending {
				c = -c
			}
			if c != 0 {
				return c
			}
		}
		if len(p.OrderBy) == 0 {
			if c := cmp.Compare(b.CreationTime, a.CreationTime); c != 0 {
				return c
			}
		}
		return strings.Compare(a.ID, b.ID)
	})
	page, next := tracking.Page(out, offset, pageSize(p.MaxResults, DefaultLoggedModelResults))
	return &tracking.LoggedModelPage{Models: page, NextPageToken: next}, nil
}

// loggedModelAttribute returns a string attribute of m.
func loggedModelAttribute(m *tracking.LoggedModel, key string) string {
	switch key {
	case "name":
		return m.Name
	case "model_id":
		return m.ID
	case "model_type":
		return m.ModelType
	case "status":
		return string(m.Status)
	default: // source_run_id
		return m.SourceRunID
	}
}

func compareLoggedModels(key string, a, b *tracking.LoggedModel) int {
	switch key {
	case "creation_timestamp", "creation_time":
		return cmp.Compare(a.CreationTime, b.CreationTime)
	case "last_updated_timestamp":
		return cmp.Compare(a.LastUpdatedTime, b.LastUpdatedTime)
	}
	return strings.Compare(loggedModelAttribute(a, key), loggedModelAttribute(b, key))
}

// matchLoggedModel reports whether m satisfies every clause (checked by LoggedModels).
func matchLoggedModel(m *tracking.LoggedModel, clauses []tracking.Clause) bool {
	for _, c := range clauses {
		switch c.Kind {
		case tracking.KindTag:
			v, ok := tagValue(m.Tags, c.Key)
			if !ok || !tracking.MatchString(c, v) {
				return false
			}
		case tracking.KindParam:
			i := slices.IndexFunc(m.Params, func(p tracking.Param) bool { return p.Key == c.Key })
			if i < 0 || !tracking.MatchString(c, m.Params[i].Value) {
				return false
			}
		default:
			switch c.Key {
			case "creation_timestamp", "creation_time":
				if !tracking.MatchNumber(c, float64(m.CreationTime)) {
					return false
				}
			case "last_updated_timestamp":
				if !tracking.MatchNumber(c, float64(m.LastUpdatedTime)) {
					return false
				}
			case "status":
				if c.IsNumber {
					return false
				}
				// Compared as the constant is written: with or without the prefix.
				v, constant := string(m.Status), c.Value
				if len(c.Values) > 0 {
					constant = c.Values[0]
				}
				if !strings.HasPrefix(strings.ToUpper(constant), "LOGGED_MODEL_") {
					v = strings.TrimPrefix(v, "LOGGED_MODEL_")
				}
				if !tracking.MatchString(c, v) {
					return false
				}
			default:
				if c.IsNumber || !tracking.MatchString(c, loggedModelAttribute(m, c.Key)) {
					return false
				}
			}
		}
	}
	return true
}
