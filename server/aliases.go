package server

import (
	"context"
	"fmt"
	"slices"
	"sort"
)

// aliasState is what the registry knows of asset aliases (Airflow 3's AssetAlias): the
// URIs each alias resolved to (loaded from the store once, then kept up to date by
// LinkAlias) and the DAGs scheduled on each alias. Guarded by Registry.mu.
type aliasState struct {
	loaded    bool
	links     map[string][]string // alias → URIs, sorted
	consumers map[string][]string // alias → IDs of the DAGs scheduled on it, sorted
}

// loadAliasesLocked reads the alias links from the store the first time; r.mu is held.
func (r *Registry) loadAliasesLocked(ctx context.Context) error {
	if r.aliases.loaded {
		return nil
	}
	as, err := r.st.ListAssetAliases(ctx)
	if err != nil {
		return fmt.Errorf("read asset aliases: %w", err)
	}
	r.aliases.links = map[string][]string{}
	for _, a := range as {
		r.aliases.links[a.Alias] = append(r.aliases.links[a.Alias], a.URI)
	}
	r.aliases.loaded = true
	return nil
}

// aliasConsumersLocked recomputes which DAGs are scheduled on each alias; r.mu is held.
func (r *Registry) aliasConsumersLocked() {
	r.aliases.consumers = map[string][]string{}
	for _, d := range r.dags {
		for _, a := range d.Datasets.Aliases() {
			r.aliases.consumers[a] = append(r.aliases.consumers[a], d.ID)
		}
	}
	for a := range r.aliases.consumers {
		sort.Strings(r.aliases.consumers[a])
	}
}

// LinkAlias records that a task added dataset uri through asset alias (the store records
// it with the event) and returns the IDs of the DAGs scheduled on the alias, for which the
// event is queued: from now on the alias resolves to uri too.
func (r *Registry) LinkAlias(alias, uri string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.aliases.links == nil {
		r.aliases.links = map[string][]string{}
	}
	if l := r.aliases.links[alias]; !slices.Contains(l, uri) {
		l = append(l, uri)
		sort.Strings(l)
		r.aliases.links[alias] = l
	}
	return slices.Clone(r.aliases.consumers[alias])
}

// AliasLinks returns the URIs each asset alias resolves to.
func (r *Registry) AliasLinks() map[string][]string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make(map[string][]string, len(r.aliases.links))
	for a, l := range r.aliases.links {
		out[a] = slices.Clone(l)
	}
	return out
}

// aliasConsumersOfLocked returns the DAGs scheduled on an alias that resolves to uri; r.mu
// is held (read or write).
func (r *Registry) aliasConsumersOfLocked(uri string) []string {
	var out []string
	for a, ids := range r.aliases.consumers {
		if slices.Contains(r.aliases.links[a], uri) {
			out = append(out, ids...)
		}
	}
	return out
}
