package engine

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/weirhq/weir/dag"
	"github.com/weirhq/weir/executor"
	"github.com/weirhq/weir/store"
)

// Result caching (a task with cache: true).
//
// Right before a try of a cached task runs — in the try's goroutine, after its templates
// were rendered — the engine computes the try's cache key: "sha256:" and the hex SHA-256 of
// the canonical JSON (object keys sorted, no spaces) of a CacheInputs. If the store holds
// an entry under the key, the try does not run: it succeeds with the entry's output, and
// the instance records the key and the instance it reused (CachedFrom). Otherwise the try
// runs, and if it succeeds, its entry is written in the same guarded batch as its success,
// so an entry exists exactly for results that were committed. Failures, skips and
// reschedules are never cached.
//
// What the key covers, and what it does not, is documented in docs/dag-yaml.md ("Result
// caching"); the rule for file arguments is fileArgs'.

// CacheKeyVersion is the first field of every key's inputs: changing how keys are built
// changes it, so old entries are never reused by mistake.
const CacheKeyVersion = "weir-cache-1"

// CacheInputs is what a cache key is the hash of.
type CacheInputs struct {
	// Version is CacheKeyVersion.
	Version string `json:"v"`
	// DAGID and TaskID name the task: two tasks never share entries.
	DAGID  string `json:"dag_id"`
	TaskID string `json:"task_id"`
	// Task is the task's definition after rendering (every template replaced by its value),
	// without its scheduling options (retries, pool, priority, callbacks, timeout, SLA,
	// track, cache), which do not change what the task computes.
	Task json.RawMessage `json:"task"`
	// Args are a mapped instance's arguments.
	Args json.RawMessage `json:"args,omitempty"`
	// Params are the run's params (command tasks see all of them in $WEIR_PARAMS).
	Params json.RawMessage `json:"params,omitempty"`
	// Upstream maps each direct upstream task to "sha256:<hex>" of its output's canonical
	// JSON (a data set an upstream ML step wrote is described in its output by URI and
	// content hash, so its content is covered). Hashes, not outputs, keep an entry's
	// recorded inputs small.
	Upstream map[string]string `json:"upstream,omitempty"`
	// Files maps each file input — an inlet, an input the task's kind declares, a file
	// argument of a command, a path in the fields of a kind that declares no inputs — to
	// its content hash ("sha256:<hex>"; a folder's is the hash
	// of its files' relative names and hashes), "missing" when a declared local input does
	// not exist, or "uri" for a URI whose content weir cannot see (keyed by its text only).
	Files map[string]string `json:"files,omitempty"`
}

// cacheResult is what a try of a cached task tells the loop besides its result.
type cacheResult struct {
	// key is the try's cache key, "" when the try was not cached.
	key string
	// inputs is the canonical JSON the key hashes.
	inputs json.RawMessage
	// from names the instance whose result was reused, "" when the try ran.
	from string
	// trackingRun is the tracking run of the try that ran, or of the reused result.
	trackingRun string
}

// cacheKey computes the key of a try whose task was rendered into job.Task.
func cacheKey(job *executor.Job, args json.RawMessage, kinds *dag.Kinds) (string, json.RawMessage, error) {
	in := CacheInputs{Version: CacheKeyVersion, DAGID: job.DAGID, TaskID: job.TaskID, Args: args}
	t := *job.Task
	t.TaskOptions = dag.TaskOptions{}
	var err error
	if in.Task, err = json.Marshal(&t); err != nil {
		return "", nil, fmt.Errorf("encode the task's definition: %w", err)
	}
	if len(job.Params) > 0 {
		if in.Params, err = json.Marshal(job.Params); err != nil {
			return "", nil, fmt.Errorf("encode the run's params: %w", err)
		}
	}
	if len(job.Inputs) > 0 {
		in.Upstream = make(map[string]string, len(job.Inputs))
		for id, out := range job.Inputs {
			if len(out) == 0 {
				out = json.RawMessage("null")
			}
			canon, err := canonicalJSON(out)
			if err != nil {
				return "", nil, fmt.Errorf("the output of upstream %s: %w", id, err)
			}
			sum := sha256.Sum256(canon)
			in.Upstream[id] = "sha256:" + hex.EncodeToString(sum[:])
		}
	}
	files := map[string]string{}
	kindInputs, kindDeclares := kinds.Inputs(job.Task)
	declared := append(append([]string(nil), job.Task.Inlets...), kindInputs...)
	for _, ref := range declared {
		if _, done := files[ref]; done {
			continue
		}
		h, err := hashInput(ref, job.Dir)
		if err != nil {
			return "", nil, err
		}
		files[ref] = h
	}
	var words []string
	wd := job.Dir
	switch {
	case job.Task.Kind == dag.KindCommand && job.Task.Command != nil:
		wd = commandDir(job)
		words = fileArgs(job.Task.Command)
	case !kindDeclares:
		words = specStrings(in.Task)
	}
	for _, w := range words {
		if _, done := files[w]; done {
			continue
		}
		p := w
		if !filepath.IsAbs(p) {
			p = filepath.Join(wd, p)
		}
		if fi, err := os.Stat(p); err != nil || !fi.Mode().IsRegular() {
			continue
		}
		h, err := hashFile(p)
		if err != nil {
			return "", nil, fmt.Errorf("file argument %s: %w", w, err)
		}
		files[w] = h
	}
	if len(files) > 0 {
		in.Files = files
	}
	raw, err := json.Marshal(in)
	if err != nil {
		return "", nil, fmt.Errorf("encode the cache inputs: %w", err)
	}
	canon, err := canonicalJSON(raw)
	if err != nil {
		return "", nil, fmt.Errorf("encode the cache inputs: %w", err)
	}
	sum := sha256.Sum256(canon)
	return "sha256:" + hex.EncodeToString(sum[:]), canon, nil
}

// canonicalJSON rewrites a JSON document with object keys sorted and no insignificant
// space; numbers keep their text.
func canonicalJSON(b []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(out.Bytes(), "\n"), nil
}

// commandDir is the working folder of a command task, as executor.Command resolves it.
func commandDir(job *executor.Job) string {
	dir := job.Dir
	if d := job.Task.Command.Dir; d != "" {
		dir = d
		if !filepath.IsAbs(dir) && job.Dir != "" {
			dir = filepath.Join(job.Dir, dir)
		}
	}
	return dir
}

// maxArgLen bounds the words fileArgs looks at: longer ones are not paths.
const maxArgLen = 4096

// fileArgs returns the words of a rendered command that may name files: every element of
// its argv (the program included), and every word of its script — split at spaces and at
// the shell's operators ; | & < > ( ) and backquotes, with one pair of surrounding quotes
// removed — and, for a word "name=value" or "--flag=value", its value too. Words holding a
// "$" (a shell expansion weir cannot resolve), empty words and words over 4096 bytes are
// left out. The caller keeps those that name an existing regular file relative to the
// task's working folder; folders are never hashed as file arguments (declare them as
// inlets).
func fileArgs(c *dag.CommandSpec) []string {
	var words []string
	if len(c.Argv) > 0 {
		words = append(words, c.Argv...)
	} else {
		words = strings.FieldsFunc(c.Script, func(r rune) bool {
			switch r {
			case ' ', '\t', '\n', '\r', ';', '|', '&', '<', '>', '(', ')', '`':
				return true
			}
			return false
		})
		for i, w := range words {
			if len(w) >= 2 && (w[0] == '\'' || w[0] == '"') && w[len(w)-1] == w[0] {
				words[i] = w[1 : len(w)-1]
			}
		}
	}
	var out []string
	add := func(w string) {
		if w == "" || len(w) > maxArgLen || strings.ContainsAny(w, "$\x00") {
			return
		}
		out = append(out, w)
	}
	for _, w := range words {
		add(w)
		if _, v, ok := strings.Cut(w, "="); ok {
			add(v)
		}
	}
	return out
}

// taskFields are the task keys whose strings are not the kind's spec: specStrings skips
// them (inlets are hashed by their own rule).
var taskFields = map[string]bool{"task_id": true, "group": true, "kind": true, "upstream": true,
	"trigger_rule": true, "outlets": true, "inlets": true, "map_index_template": true, "teardown": true}

// specStrings returns the strings of a rendered task's JSON that may name files, for a
// kind that declares no inputs (KindDef.Inputs): every string value outside the task's own
// fields (taskFields), at any depth — a go task's args, a kind's fields — without a URL
// scheme ("s3://…", "file://…": data behind a URI arrives keyed through an upstream's output
// or an inlet), without "$", non-empty and at most 4096 bytes. The caller keeps those that
// name an existing regular file relative to the DAG file's folder.
func specStrings(task json.RawMessage) []string {
	var m map[string]any
	if json.Unmarshal(task, &m) != nil {
		return nil
	}
	var out []string
	var walk func(x any)
	walk = func(x any) {
		switch x := x.(type) {
		case string:
			if x == "" || len(x) > maxArgLen || strings.ContainsAny(x, "$\x00\n") {
				return
			}
			if u, err := url.Parse(x); err == nil && len(u.Scheme) > 1 {
				return
			}
			out = append(out, x)
		case map[string]any:
			keys := make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				walk(x[k])
			}
		case []any:
			for _, y := range x {
				walk(y)
			}
		}
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		if !taskFields[k] {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		walk(m[k])
	}
	return out
}

// hashInput hashes a declared input: a local path (relative to dir) or a file:// URI is
// hashed by content ("missing" when it does not exist); any other URI is keyed by its text
// ("uri").
func hashInput(ref, dir string) (string, error) {
	p := ref
	if u, err := url.Parse(ref); err == nil && len(u.Scheme) > 1 {
		if u.Scheme != "file" {
			return "uri", nil
		}
		p = filepath.FromSlash(u.Path)
	} else if !filepath.IsAbs(p) && dir != "" {
		p = filepath.Join(dir, p)
	}
	fi, err := os.Stat(p)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "missing", nil
	case err != nil:
		return "", fmt.Errorf("input %s: %w", ref, err)
	case fi.IsDir():
		h, err := hashDir(p)
		if err != nil {
			return "", fmt.Errorf("input %s: %w", ref, err)
		}
		return h, nil
	}
	h, err := hashFile(p)
	if err != nil {
		return "", fmt.Errorf("input %s: %w", ref, err)
	}
	return h, nil
}

// hashFile returns "sha256:<hex>" of a file's content.
func hashFile(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// hashDir returns "sha256:<hex>" over the relative names and content hashes of the regular
// files under folder p, in name order (symbolic links are not followed).
func hashDir(p string) (string, error) {
	var lines []string
	err := filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		h, err := hashFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(p, path)
		lines = append(lines, filepath.ToSlash(rel)+"\x00"+h)
		return nil
	})
	if err != nil {
		return "", err
	}
	sort.Strings(lines)
	sum := sha256.Sum256([]byte(strings.Join(lines, "\n")))
	return "sha256:" + hex.EncodeToString(sum[:]), nil
}

// missingData returns the first file:// URI among the strings of a cached output (at any
// depth: the ML steps describe the data sets and models they wrote by URI) whose file no
// longer exists, or "" when every one does: such an entry is not reused.
func missingData(out json.RawMessage) string {
	if len(out) == 0 {
		return ""
	}
	var v any
	if err := json.Unmarshal(out, &v); err != nil {
		return ""
	}
	var walk func(x any) string
	walk = func(x any) string {
		switch x := x.(type) {
		case string:
			if strings.HasPrefix(x, "file://") {
				if u, err := url.Parse(x); err == nil && u.Path != "" {
					if _, err := os.Stat(filepath.FromSlash(u.Path)); errors.Is(err, fs.ErrNotExist) {
						return x
					}
				}
			}
		case map[string]any:
			for _, y := range x {
				if m := walk(y); m != "" {
					return m
				}
			}
		case []any:
			for _, y := range x {
				if m := walk(y); m != "" {
					return m
				}
			}
		}
		return ""
	}
	return walk(v)
}

// lookupCache computes the key of a rendered try and looks it up. It returns the key (""
// when it could not be computed: the try then runs uncached, and the log says why) and the
// entry to reuse (nil on a miss).
func (e *Engine) lookupCache(ctx context.Context, p *prepared, log io.Writer) (cacheResult, *store.CacheEntry) {
	job := p.job
	key, inputs, err := cacheKey(job, p.ti.Args, e.cfg.Kinds.Defs())
	if err != nil {
		fmt.Fprintf(log, "[weir] cache: cannot compute the cache key (%v); the task runs and its result is not cached\n", err)
		return cacheResult{}, nil
	}
	cr := cacheResult{key: key, inputs: inputs}
	if p.noCache {
		fmt.Fprintf(log, "[weir] cache: key %s; caching is off for this run (--no-cache): the task runs and its result is recorded\n", key)
		return cr, nil
	}
	ent, err := e.cfg.Store.GetCacheEntry(ctx, key)
	switch {
	case errors.Is(err, store.ErrNotFound):
		fmt.Fprintf(log, "[weir] cache: miss, key %s: the task runs\n", key)
		return cr, nil
	case err != nil:
		fmt.Fprintf(log, "[weir] cache: cannot read the cache (%v); the task runs\n", err)
		return cr, nil
	}
	if m := missingData(ent.Output); m != "" {
		fmt.Fprintf(log, "[weir] cache: key %s: the cached result of %s names %s, which no longer exists; the task runs\n", key, ent.Source(), m)
		return cr, nil
	}
	cr.from, cr.trackingRun = ent.Source(), ent.TrackingRunID
	return cr, ent
}
