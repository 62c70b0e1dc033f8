package api

import (
	"context"
	"errors"
	"io/fs"
	"net/http"
	"slices"
	"strings"

	"github.com/weirhq/weir/api/client"
	"github.com/weirhq/weir/dag"
	"github.com/weirhq/weir/store"
)

// importErrorFiles returns the files that have an import error.
func (a *API) importErrorFiles(ctx context.Context) (map[string]bool, error) {
	errs, err := a.cfg.Store.ListImportErrors(ctx)
	if err != nil {
		return nil, err
	}
	m := make(map[string]bool, len(errs))
	for _, e := range errs {
		m[e.File] = true
	}
	return m, nil
}

// dagMeta returns a DAG's metadata, nil when the store has none.
func (a *API) dagMeta(ctx context.Context, id string) (*store.DAGMeta, error) {
	m, err := a.cfg.Store.GetDAG(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	return m, err
}

// findDAG returns what is known of a DAG: its loaded definition and its metadata (either
// may be nil, not both), or a 404.
func (a *API) findDAG(ctx context.Context, id string) (*dag.DAG, *store.DAGMeta, error) {
	d, _ := a.cfg.DAGs.DAG(id)
	m, err := a.dagMeta(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if d == nil && m == nil {
		return nil, nil, notFound("no DAG %q", id)
	}
	return d, m, nil
}

// dagExists is a 404 unless the DAG is loaded or the store knows it.
func (a *API) dagExists(ctx context.Context, id string) error {
	if _, ok := a.cfg.DAGs.DAG(id); ok {
		return nil
	}
	_, _, err := a.findDAG(ctx, id)
	return err
}

func (a *API) listDAGs(w http.ResponseWriter, r *http.Request) error {
	q := query(r.URL.Query())
	limit, offset, err := q.page()
	if err != nil {
		return err
	}
	order, err := q.enumList("order_by", []string{"dag_id", "-dag_id"})
	if err != nil {
		return err
	}
	onlyActive, err := q.bool("only_active")
	if err != nil {
		return err
	}
	paused, err := q.bool("paused")
	if err != nil {
		return err
	}
	tags := q["tags"]
	pattern := q.str("dag_id_pattern")

	ctx := r.Context()
	metas, err := a.cfg.Store.ListDAGs(ctx)
	if err != nil {
		return err
	}
	importErrs, err := a.importErrorFiles(ctx)
	if err != nil {
		return err
	}
	byID := make(map[string]*store.DAGMeta, len(metas))
	for _, m := range metas {
		byID[m.DAGID] = m
	}
	var all []client.DAG
	now := a.now()
	for _, d := range a.cfg.DAGs.DAGs() {
		all = append(all, dagObject(d, byID[d.ID], importErrs, now))
		delete(byID, d.ID)
	}
	if onlyActive != nil && !*onlyActive {
		for _, m := range byID {
			all = append(all, dagObject(nil, m, importErrs, now))
		}
	}
	out := all[:0]
	for _, o := range all {
		switch {
		case paused != nil && o.IsPaused != *paused:
		case pattern != "" && !strings.Contains(o.DAGID, pattern):
		case len(tags) > 0 && !slices.ContainsFunc(o.Tags, func(t client.Tag) bool { return slices.Contains(tags, t.Name) }):
		default:
			out = append(out, o)
		}
	}
	desc := len(order) > 0 && order[0] == "-dag_id"
	slices.SortFunc(out, func(x, y client.DAG) int {
		if desc {
			return strings.Compare(y.DAGID, x.DAGID)
		}
		return strings.Compare(x.DAGID, y.DAGID)
	})
	page := paginate(out, limit, offset)
	if page == nil {
		page = []client.DAG{}
	}
	return writeJSON(w, http.StatusOK, client.DAGCollection{DAGs: page, TotalEntries: len(out)})
}

// dagAnswer answers one DAG as it is now.
func (a *API) dagAnswer(w http.ResponseWriter, ctx context.Context, id string) error {
	d, m, err := a.findDAG(ctx, id)
	if err != nil {
		return err
	}
	importErrs, err := a.importErrorFiles(ctx)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, dagObject(d, m, importErrs, a.now()))
}

func (a *API) getDAG(w http.ResponseWriter, r *http.Request) error {
	return a.dagAnswer(w, r.Context(), r.PathValue("dag_id"))
}

// patchDAG pauses or unpauses a DAG. A loaded DAG the store has no row for yet (the server
// has not recorded it) gets one.
func (a *API) patchDAG(w http.ResponseWriter, r *http.Request) error {
	q := query(r.URL.Query())
	if _, err := q.enumList("update_mask", []string{"is_paused"}); err != nil {
		return err
	}
	var body struct {
		IsPaused *bool `json:"is_paused"`
	}
	if err := decodeBody(r, &body, true); err != nil {
		return err
	}
	if body.IsPaused == nil {
		return badField("is_paused", "required: true or false")
	}
	ctx := r.Context()
	id := r.PathValue("dag_id")
	d, m, err := a.findDAG(ctx, id)
	if err != nil {
		return err
	}
	if m == nil {
		err = a.cfg.Store.UpsertDAG(ctx, &store.DAGMeta{DAGID: d.ID, IsPaused: *body.IsPaused, Source: d.Source,
			Schedule: d.Schedule, IsActive: true, UpdatedAt: a.now()})
	} else {
		err = a.cfg.Store.SetPaused(ctx, id, *body.IsPaused)
	}
	if err != nil {
		return err
	}
	return a.dagAnswer(w, ctx, id)
}

func (a *API) getDAGSource(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("file_token")
	if _, ok := a.cfg.DAGs.DAG(id); !ok {
		return notFound("no DAG %q is loaded (the file token is the DAG ID)", id)
	}
	_, text, err := a.cfg.DAGs.Source(id)
	if errors.Is(err, fs.ErrNotExist) {
		return notFound("DAG %s has no source file: %v", id, err)
	}
	if err != nil {
		return err
	}
	if wantsJSON(r) {
		return writeJSON(w, http.StatusOK, map[string]string{"content": string(text)})
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write(text)
	return nil
}

// wantsJSON reports whether the Accept header asks for JSON (rather than text).
func wantsJSON(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "application/json")
}

func (a *API) listImportErrors(w http.ResponseWriter, r *http.Request) error {
	limit, offset, err := query(r.URL.Query()).page()
	if err != nil {
		return err
	}
	errs, err := a.cfg.Store.ListImportErrors(r.Context())
	if err != nil {
		return err
	}
	out := client.ImportErrorCollection{ImportErrors: []client.ImportError{}, TotalEntries: len(errs)}
	for _, e := range paginate(errs, limit, offset) {
		out.ImportErrors = append(out.ImportErrors, client.ImportError{Filename: e.File, StackTrace: e.Message, Timestamp: tp(e.At)})
	}
	return writeJSON(w, http.StatusOK, out)
}
