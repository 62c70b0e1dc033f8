package api

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/weirhq/weir/api/client"
	"github.com/weirhq/weir/dag"
	"github.com/weirhq/weir/store"
)

// maxURILength bounds a dataset URI posted to the API, as Airflow's.
const maxURILength = 3000

// datasetObject describes a dataset with the loaded DAGs scheduled on it and the loaded
// tasks that update it.
//
// A DAG scheduled on an asset alias consumes the datasets the alias resolved to (links:
// alias → URIs, aliasLinks).
func (a *API) datasetObject(ds *store.Dataset, links map[string][]string) client.Dataset {
	o := client.Dataset{URI: ds.URI, CreatedAt: tp(ds.CreatedAt), UpdatedAt: tp(ds.UpdatedAt),
		ConsumingDAGs: []client.DAGReference{}, ProducingTasks: []client.TaskReference{}}
	dags := a.cfg.DAGs.DAGs()
	slices.SortFunc(dags, func(x, y *dag.DAG) int { return strings.Compare(x.ID, y.ID) })
	for _, d := range dags {
		if slices.Contains(d.Datasets.Resolve(links).URIs(), ds.URI) {
			o.ConsumingDAGs = append(o.ConsumingDAGs, client.DAGReference{DAGID: d.ID})
		}
		for _, t := range d.Tasks {
			if slices.Contains(t.Outlets, ds.URI) {
				o.ProducingTasks = append(o.ProducingTasks, client.TaskReference{DAGID: d.ID, TaskID: t.ID})
			}
		}
	}
	return o
}

// aliasLinks reads the URIs each asset alias resolved to.
func (a *API) aliasLinks(ctx context.Context) (map[string][]string, error) {
	as, err := a.cfg.Store.ListAssetAliases(ctx)
	if err != nil {
		return nil, err
	}
	links := map[string][]string{}
	for _, l := range as {
		links[l.Alias] = append(links[l.Alias], l.URI)
	}
	return links, nil
}

func (a *API) listDatasets(w http.ResponseWriter, r *http.Request) error {
	q := query(r.URL.Query())
	limit, offset, err := q.page()
	if err != nil {
		return err
	}
	pattern := q.str("uri_pattern")
	all, err := a.cfg.Store.ListDatasets(r.Context())
	if err != nil {
		return err
	}
	all = slices.DeleteFunc(all, func(ds *store.Dataset) bool { return !strings.Contains(ds.URI, pattern) })
	links, err := a.aliasLinks(r.Context())
	if err != nil {
		return err
	}
	out := client.DatasetCollection{Datasets: []client.Dataset{}, TotalEntries: len(all)}
	for _, ds := range paginate(all, limit, offset) {
		out.Datasets = append(out.Datasets, a.datasetObject(ds, links))
	}
	return writeJSON(w, http.StatusOK, out)
}

func (a *API) getDataset(w http.ResponseWriter, r *http.Request) error {
	uri := r.PathValue("uri")
	all, err := a.cfg.Store.ListDatasets(r.Context())
	if err != nil {
		return err
	}
	i := slices.IndexFunc(all, func(ds *store.Dataset) bool { return ds.URI == uri })
	if i < 0 {
		return notFound("no dataset %q (URL-encode the URI in the path)", uri)
	}
	links, err := a.aliasLinks(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, a.datasetObject(all[i], links))
}

func (a *API) listEvents(w http.ResponseWriter, r *http.Request) error {
	q := query(r.URL.Query())
	limit, offset, err := q.page()
	if err != nil {
		return err
	}
	mapIndex, err := q.int("source_map_index", -2, -1)
	if err != nil {
		return err
	}
	afterID, err := q.int("after_id", 0, 0)
	if err != nil {
		return err
	}
	runID, taskID := q.str("source_run_id"), q.str("source_task_id")
	evs, err := a.cfg.Store.ListDatasetEvents(r.Context(), store.ListEventsParams{
		URI: q.str("dataset_uri"), SourceDAGID: q.str("source_dag_id"), AfterID: int64(afterID), Limit: allRows})
	if err != nil {
		return err
	}
	evs = slices.DeleteFunc(evs, func(ev *store.DatasetEvent) bool {
		return (runID != "" && ev.SourceRunID != runID) || (taskID != "" && ev.SourceTaskID != taskID) ||
			(mapIndex != -2 && ev.SourceMapIndex != mapIndex)
	})
	out := client.DatasetEventCollection{DatasetEvents: []client.DatasetEvent{}, TotalEntries: len(evs)}
	for _, ev := range paginate(evs, limit, offset) {
		out.DatasetEvents = append(out.DatasetEvents, eventObject(ev))
	}
	return writeJSON(w, http.StatusOK, out)
}

// postEvent records an event from an external system, queued for the DAGs scheduled on its
// dataset, and wakes the scheduler.
func (a *API) postEvent(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		DatasetURI *string         `json:"dataset_uri"`
		Extra      json.RawMessage `json:"extra"`
	}
	if err := decodeBody(r, &body, true); err != nil {
		return err
	}
	if body.DatasetURI == nil {
		return badField("dataset_uri", "required")
	}
	uri := *body.DatasetURI
	switch {
	case uri == "":
		return badField("dataset_uri", "must not be empty")
	case len(uri) > maxURILength:
		return badField("dataset_uri", "longer than %d characters", maxURILength)
	case strings.ContainsFunc(uri, func(c rune) bool { return unicode.IsSpace(c) || unicode.IsControl(c) }):
		return badField("dataset_uri", "%q: must not hold spaces or control characters", uri)
	}
	if _, err := jsonObject("extra", body.Extra); err != nil {
		return err
	}
	ev := &store.DatasetEvent{URI: uri, SourceMapIndex: -1, Timestamp: a.now().Truncate(time.Microsecond), Consumers: a.cfg.Consumers(uri)}
	if extra := body.Extra; len(extra) > 0 && string(extra) != "null" {
		ev.Extra = []byte(extra)
	}
	if err := a.cfg.Store.AddDatasetEvent(r.Context(), ev); err != nil {
		return err
	}
	a.cfg.OnDatasetEvent()
	return writeJSON(w, http.StatusOK, eventObject(ev))
}
