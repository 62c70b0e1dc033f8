package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/weirhq/weir/dag"
	"github.com/weirhq/weir/store"
)

// Registry holds the DAGs the server knows: those of the DAG folder, reloaded when files
// change, and those defined in Go. It is safe for concurrent use.
type Registry struct {
	// PausedAtCreation records a DAG seen for the first time as paused (Airflow's
	// core.dags_are_paused_at_creation); a DAG already in the store keeps its state.
	PausedAtCreation bool

	dir    string
	opts   dag.LoadOptions
	goDAGs []*dag.DAG
	st     store.Store
	log    *slog.Logger

	mu        sync.RWMutex
	dags      map[string]*dag.DAG
	files     map[string]fileState
	consumers map[string][]string
	aliases   aliasState
}

// fileState is what the registry remembers of one DAG file.
type fileState struct {
	mod  time.Time
	size int64
	ids  []string // the DAGs the file defined when it last loaded
	err  string
}

// NewRegistry returns a registry of the DAG folder dir (may be "" or missing when goDAGs
// exist) and the Go-defined DAGs.
func NewRegistry(dir string, opts dag.LoadOptions, goDAGs []*dag.DAG, st store.Store, log *slog.Logger) *Registry {
	return &Registry{dir: dir, opts: opts, goDAGs: goDAGs, st: st, log: log,
		dags: map[string]*dag.DAG{}, files: map[string]fileState{}, consumers: map[string][]string{}}
}

// Refresh loads new and changed files, drops the DAGs of removed ones, records import
// errors and DAG metadata in the store, and reports whether anything changed.
func (r *Registry) Refresh(ctx context.Context) (bool, error) {
	seen := map[string]bool{}
	var paths []string
	if r.dir != "" {
		entries, err := os.ReadDir(r.dir)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return false, fmt.Errorf("read the DAG folder %s: %w", r.dir, err)
		}
		for _, e := range entries {
			name := e.Name()
			if e.IsDir() || strings.HasPrefix(name, ".") || !(strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml")) {
				continue
			}
			paths = append(paths, filepath.Join(r.dir, name))
		}
	}
	sort.Strings(paths)
	r.mu.Lock()
	defer r.mu.Unlock()
	changed := false
	var importErrs []*store.ImportError
	now := time.Now().UTC()
	for _, p := range paths {
		seen[p] = true
		info, err := os.Stat(p)
		if err != nil {
			continue
		}
		old, known := r.files[p]
		if known && old.mod.Equal(info.ModTime()) && old.size == info.Size() {
			continue
		}
		changed = true
		d, err := dag.LoadFile(p, r.opts)
		st := fileState{mod: info.ModTime(), size: info.Size(), ids: old.ids}
		if err == nil && d != nil {
			if other := r.owner(d.ID, p); other != "" {
				err = fmt.Errorf("%s: dag_id %q is already defined in %s", p, d.ID, other)
			}
		}
		if err != nil {
			// Keep the file's last good DAGs; report the error.
			st.err = err.Error()
			importErrs = append(importErrs, &store.ImportError{File: p, Message: st.err, At: now})
			r.log.Warn("DAG file has errors; its last good version (if any) keeps running", "file", p, "err", err)
		} else {
			for _, id := range old.ids {
				if id != d.ID {
					delete(r.dags, id)
				}
			}
			r.dags[d.ID] = d
			st.ids = []string{d.ID}
			if old.err != "" {
				importErrs = append(importErrs, &store.ImportError{File: p, At: now})
			}
			r.log.Info("DAG loaded", "dag_id", d.ID, "file", p, "tasks", len(d.Tasks))
		}
		r.files[p] = st
	}
	for p, st := range r.files {
		if seen[p] {
			continue
		}
		changed = true
		for _, id := range st.ids {
			delete(r.dags, id)
			if err := r.st.UpsertDAG(ctx, &store.DAGMeta{DAGID: id, Source: p, IsActive: false}); err != nil {
				r.log.Warn("record a removed DAG", "dag_id", id, "err", err)
			}
			r.log.Info("DAG removed", "dag_id", id, "file", p)
		}
		if st.err != "" {
			importErrs = append(importErrs, &store.ImportError{File: p, At: now})
		}
		delete(r.files, p)
	}
	for _, d := range r.goDAGs {
		if _, ok := r.dags[d.ID]; !ok {
			r.dags[d.ID] = d
			changed = true
		}
	}
	if len(importErrs) > 0 {
		if err := r.st.ReplaceImportErrors(ctx, importErrs); err != nil {
			return changed, fmt.Errorf("record import errors: %w", err)
		}
	}
	if changed {
		r.consumers = map[string][]string{}
		for _, d := range r.dags {
			for _, uri := range d.Datasets.URIs() {
				r.consumers[uri] = append(r.consumers[uri], d.ID)
			}
			if err := r.st.UpsertDAG(ctx, &store.DAGMeta{DAGID: d.ID, Source: d.Source, Hash: hashDAG(d),
				Schedule: d.Schedule, IsActive: true, IsPaused: r.pausedAtCreation(d)}); err != nil {
				return changed, fmt.Errorf("record dag %s: %w", d.ID, err)
			}
		}
		for uri := range r.consumers {
			sort.Strings(r.consumers[uri])
		}
		r.aliasConsumersLocked()
	}
	if err := r.loadAliasesLocked(ctx); err != nil {
		return changed, err
	}
	return changed, nil
}

// owner returns the file (other than path) already defining dag id, or "".
func (r *Registry) owner(id, path string) string {
	for p, st := range r.files {
		if p == path {
			continue
		}
		for _, x := range st.ids {
			if x == id {
				return p
			}
		}
	}
	for _, d := range r.goDAGs {
		if d.ID == id {
			return d.Source
		}
	}
	return ""
}

// hashDAG is the version of a definition, as the engine's DAGHash.
func hashDAG(d *dag.DAG) string {
	b, _ := json.Marshal(d)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:6])
}

// DAGs returns the loaded DAGs, by ID.
func (r *Registry) DAGs() []*dag.DAG {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]*dag.DAG, 0, len(r.dags))
	for _, d := range r.dags {
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// DAG returns one loaded DAG.
func (r *Registry) DAG(id string) (*dag.DAG, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	d, ok := r.dags[id]
	return d, ok
}

// Source returns the file defining a DAG and its text.
func (r *Registry) Source(id string) (string, []byte, error) {
	d, ok := r.DAG(id)
	if !ok {
		return "", nil, fmt.Errorf("dag %q: %w", id, store.ErrNotFound)
	}
	if strings.HasPrefix(d.Source, "go:") || d.Source == "" {
		b, _ := json.MarshalIndent(d, "", "  ")
		return d.Source, b, nil
	}
	b, err := dag.ReadSource(d.Source) // at most dag.MaxFileSize, whatever the file became
	return d.Source, b, err
}

// Consumers returns the IDs of the DAGs scheduled on a dataset URI, directly or through an
// asset alias that resolves to it.
func (r *Registry) Consumers(uri string) []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := append([]string(nil), r.consumers[uri]...)
	for _, id := range r.aliasConsumersOfLocked(uri) {
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}

// Errors returns the current load errors by file.
func (r *Registry) Errors() map[string]string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := map[string]string{}
	for p, st := range r.files {
		if st.err != "" {
			out[p] = st.err
		}
	}
	return out
}

// pausedAtCreation is whether DAG d is recorded paused when first seen: its own
// is_paused_upon_creation, else the server's setting.
func (r *Registry) pausedAtCreation(d *dag.DAG) bool {
	if d.PausedUponCreation != nil {
		return *d.PausedUponCreation
	}
	return r.PausedAtCreation
}
