package api

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"unicode"

	"github.com/weirhq/weir/api/client"
	"github.com/weirhq/weir/store"
)

// poolUse counts the slots of a pool taken by instances in each state.
type poolUse struct{ running, queued, scheduled int }

// poolUses counts, per pool, the slots taken by running, queued and scheduled instances.
func (a *API) poolUses(ctx context.Context) (map[string]poolUse, error) {
	tis, err := a.cfg.Store.ListTaskInstances(ctx, store.ListTIParams{
		States: []store.TIState{store.TIRunning, store.TIQueued, store.TIScheduled}})
	if err != nil {
		return nil, err
	}
	m := map[string]poolUse{}
	for _, ti := range tis {
		name := ti.Pool
		if name == "" {
			name = store.DefaultPool
		}
		u := m[name]
		switch ti.State {
		case store.TIRunning:
			u.running += ti.PoolSlots
		case store.TIQueued:
			u.queued += ti.PoolSlots
		case store.TIScheduled:
			u.scheduled += ti.PoolSlots
		}
		m[name] = u
	}
	return m, nil
}

func (a *API) listPools(w http.ResponseWriter, r *http.Request) error {
	limit, offset, err := query(r.URL.Query()).page()
	if err != nil {
		return err
	}
	ctx := r.Context()
	pools, err := a.cfg.Store.ListPools(ctx)
	if err != nil {
		return err
	}
	uses, err := a.poolUses(ctx)
	if err != nil {
		return err
	}
	out := client.PoolCollection{Pools: []client.Pool{}, TotalEntries: len(pools)}
	for _, p := range paginate(pools, limit, offset) {
		out.Pools = append(out.Pools, poolObject(p, uses[p.Name]))
	}
	return writeJSON(w, http.StatusOK, out)
}

// poolAnswer answers one pool as stored now.
func (a *API) poolAnswer(w http.ResponseWriter, ctx context.Context, name string) error {
	p, err := a.cfg.Store.GetPool(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return notFound("no pool %q", name)
	}
	if err != nil {
		return err
	}
	uses, err := a.poolUses(ctx)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, poolObject(p, uses[name]))
}

func (a *API) getPool(w http.ResponseWriter, r *http.Request) error {
	return a.poolAnswer(w, r.Context(), r.PathValue("pool_name"))
}

// poolBody is POST /pools and PATCH /pools/{pool_name}.
type poolBody struct {
	Name            *string `json:"name"`
	Slots           *int    `json:"slots"`
	Description     *string `json:"description"`
	IncludeDeferred *bool   `json:"include_deferred"`
}

// check checks the fields present.
func (b *poolBody) check() error {
	if b.Name != nil {
		n := *b.Name
		switch {
		case n == "":
			return badField("name", "must not be empty")
		case len(n) > 256:
			return badField("name", "longer than 256 characters")
		case strings.ContainsFunc(n, func(c rune) bool { return c == '/' || unicode.IsControl(c) }):
			return badField("name", "%q: must not hold / or control characters", n)
		}
	}
	if b.Slots != nil && *b.Slots < -1 {
		return badField("slots", "want -1 (unlimited) or more, got %d", *b.Slots)
	}
	if b.IncludeDeferred != nil && *b.IncludeDeferred {
		return badField("include_deferred", "not supported: weir does not defer tasks")
	}
	return nil
}

func (a *API) postPool(w http.ResponseWriter, r *http.Request) error {
	var body poolBody
	if err := decodeBody(r, &body, true); err != nil {
		return err
	}
	if body.Name == nil {
		return badField("name", "required")
	}
	if body.Slots == nil {
		return badField("slots", "required: the number of slots, -1 for unlimited")
	}
	if err := body.check(); err != nil {
		return err
	}
	ctx := r.Context()
	if _, err := a.cfg.Store.GetPool(ctx, *body.Name); err == nil {
		return conflict(client.CodeAlreadyExists, "pool %q exists already: change it with PATCH", *body.Name)
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	p := &store.Pool{Name: *body.Name, Slots: *body.Slots}
	if body.Description != nil {
		p.Description = *body.Description
	}
	if err := a.cfg.Store.UpsertPool(ctx, p); err != nil {
		return err
	}
	return a.poolAnswer(w, ctx, p.Name)
}

func (a *API) patchPool(w http.ResponseWriter, r *http.Request) error {
	mask, err := query(r.URL.Query()).enumList("update_mask", []string{"slots", "description", "name", "include_deferred"})
	if err != nil {
		return err
	}
	var body poolBody
	if err := decodeBody(r, &body, true); err != nil {
		return err
	}
	if err := body.check(); err != nil {
		return err
	}
	name := r.PathValue("pool_name")
	if body.Name != nil && *body.Name != name {
		return badField("name", "a pool cannot be renamed: create %q and delete %q", *body.Name, name)
	}
	inMask := func(f string) bool { return len(mask) == 0 || slices.Contains(mask, f) }
	if len(mask) > 0 && slices.Contains(mask, "slots") && body.Slots == nil {
		return badField("slots", "in update_mask but not in the body")
	}
	ctx := r.Context()
	p, err := a.cfg.Store.GetPool(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return notFound("no pool %q", name)
	}
	if err != nil {
		return err
	}
	if body.Slots != nil && inMask("slots") {
		p.Slots = *body.Slots
	}
	if inMask("description") && (body.Description != nil || len(mask) > 0) {
		p.Description = ""
		if body.Description != nil {
			p.Description = *body.Description
		}
	}
	if err := a.cfg.Store.UpsertPool(ctx, p); err != nil {
		return err
	}
	return a.poolAnswer(w, ctx, name)
}

func (a *API) deletePool(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("pool_name")
	if name == store.DefaultPool {
		return badField("pool_name", "the default pool cannot be deleted")
	}
	err := a.cfg.Store.DeletePool(r.Context(), name)
	if errors.Is(err, store.ErrNotFound) {
		return notFound("no pool %q", name)
	}
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
