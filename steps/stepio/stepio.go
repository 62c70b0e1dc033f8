package stepio

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/weirhq/weir/audit"
	"github.com/weirhq/weir/auth"
	"github.com/weirhq/weir/executor"
	"github.com/weirhq/weir/ml/frame"
	"github.com/weirhq/weir/store"
	"github.com/weirhq/weir/tracking"
)

// Deps are what the ML steps need from the node that runs them.
type Deps struct {
	// Artifacts is the artifact store data sets, models and tracking artifacts are written
	// to. Required by every step.
	Artifacts tracking.ArtifactStore
	// ArtifactRoot is the location Artifacts was opened at (a local folder, or a
	// gocloud.dev/blob URL): URIs of written files are built from it.
	ArtifactRoot string
	// Tracking is the tracking service (experiments, runs, the model registry); nil when
	// the node has no tracking store: steps then log nothing and model.register fails.
	Tracking *tracking.Service
	// Store is the orchestrator's store, where model.deploy writes deployments and the ML
	// steps record what they change in the audit log (IO.Audit); nil: model.deploy fails
	// and nothing is audited. kinds.Builtin sets it from kinds.Deps.Store when unset.
	Store store.Store
}

// IO is a try's view of Deps: where its files go and its tracking run.
type IO struct {
	deps Deps
	job  *executor.Job
}

// New returns the IO of one try.
func New(deps Deps, job *executor.Job) (*IO, error) {
	if deps.Artifacts == nil {
		return nil, errors.New("ML steps need an artifact store (node.Config wires $WEIR_HOME/artifacts by default)")
	}
	return &IO{deps: deps, job: job}, nil
}

// Job returns the try.
func (o *IO) Job() *executor.Job { return o.job }

// Deps returns the dependencies.
func (o *IO) Deps() Deps { return o.deps }

// Column describes one column of a data set.
type Column struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// Dataset describes a data set a step wrote: where it is, its schema, its row count and
// the SHA-256 of its content (what result caching keys on).
type Dataset struct {
	// URI is the data set's location: file:///… or an object-store URL.
	URI string `json:"uri"`
	// Format is the file format ("parquet").
	Format string `json:"format"`
	// Rows is the number of rows.
	Rows int `json:"rows"`
	// Columns is the schema, in column order.
	Columns []Column `json:"columns"`
	// Hash is "sha256:<hex>" of the file's bytes.
	Hash string `json:"hash"`
}

// dir is the try's folder in the artifact store.
func (o *IO) dir() string {
	task := o.job.TaskID
	if o.job.MapIndex >= 0 {
		task += "." + strconv.Itoa(o.job.MapIndex)
	}
	return path.Join("steps", o.job.DAGID, o.job.RunID, task)
}

// URI returns the absolute URI of a path of the artifact store.
func (o *IO) URI(p string) string {
	root := o.deps.ArtifactRoot
	if u, err := url.Parse(root); err == nil && len(u.Scheme) > 1 && u.Scheme != "file" {
		u.Path = path.Join("/", u.Path, p)
		return u.String()
	}
	root = strings.TrimPrefix(root, "file://")
	if abs, err := filepath.Abs(root); err == nil {
		root = abs
	}
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(filepath.Join(root, p))}).String()
}

// storePath returns the artifact-store path of a URI this store wrote, and false for any
// other location.
func (o *IO) storePath(uri string) (string, bool) {
	base := o.URI("")
	if !strings.HasSuffix(base, "/") {
		base += "/"
	}
	if u, err := url.Parse(base); err == nil && u.RawQuery != "" {
		return "", false // object-store URLs with queries are read through frame.Open
	}
	if !strings.HasPrefix(uri, base) {
		return "", false
	}
	p := strings.TrimPrefix(uri, base)
	if p == "" || strings.Contains(p, "..") {
		return "", false
	}
	return p, true
}

// WriteFrame writes f as Parquet under the try's folder as <name>.parquet, with its
// sidecar description, and returns the description.
func (o *IO) WriteFrame(ctx context.Context, name string, f *frame.Frame) (*Dataset, error) {
	return o.WriteFrameAs(ctx, name, f, "parquet")
}

// WriteFrameAs is WriteFrame in a format: "parquet" (or "") or "csv".
func (o *IO) WriteFrameAs(ctx context.Context, name string, f *frame.Frame, format string) (*Dataset, error) {
	var buf bytes.Buffer
	switch format {
	case "", "parquet":
		format = "parquet"
		if err := frame.WriteParquet(&buf, f); err != nil {
			return nil, fmt.Errorf("write data set %s: %w", name, err)
		}
	case "csv":
		if err := frame.WriteCSV(&buf, f); err != nil {
			return nil, fmt.Errorf("write data set %s: %w", name, err)
		}
	default:
		return nil, fmt.Errorf("write data set %s: format %q: use parquet or csv", name, format)
	}
	sum := sha256.Sum256(buf.Bytes())
	p := path.Join(o.dir(), name+"."+format)
	if _, err := o.deps.Artifacts.Put(ctx, p, bytes.NewReader(buf.Bytes())); err != nil {
		return nil, fmt.Errorf("write data set %s: %w", name, err)
	}
	ds := &Dataset{URI: o.URI(p), Format: format, Rows: f.NumRows(), Hash: "sha256:" + hex.EncodeToString(sum[:])}
	for _, c := range f.Columns() {
		ds.Columns = append(ds.Columns, Column{Name: c.Name(), Type: c.Type().String()})
	}
	meta, _ := json.MarshalIndent(ds, "", "  ")
	if _, err := o.deps.Artifacts.Put(ctx, p+".meta.json", bytes.NewReader(meta)); err != nil {
		return nil, fmt.Errorf("write data set %s: %w", name, err)
	}
	return ds, nil
}

// ReadFrame reads a data set from a URI a step wrote, a local path (relative to the DAG
// file's folder) or a gocloud.dev/blob URL, in CSV, JSON lines or Parquet (by extension).
// It returns the data and its description; the hash is the content's, computed while
// reading, for files of this artifact store and local files.
func (o *IO) ReadFrame(ctx context.Context, uri string) (*frame.Frame, *Dataset, error) {
	if uri == "" {
		return nil, nil, errors.New("no data set given (an empty URI): check the template that names it")
	}
	if p, ok := o.storePath(uri); ok {
		rc, _, err := o.deps.Artifacts.Open(ctx, p)
		if err != nil {
			return nil, nil, fmt.Errorf("data set %s: %w", uri, err)
		}
		defer rc.Close()
		b, err := io.ReadAll(rc)
		if err != nil {
			return nil, nil, fmt.Errorf("data set %s: %w", uri, err)
		}
		format, err := frame.FormatOf(p)
		if err != nil {
			return nil, nil, err
		}
		f, err := readBytes(b, format)
		if err != nil {
			return nil, nil, fmt.Errorf("data set %s: %w", uri, err)
		}
		return f, describe(uri, string(format), f, b), nil
	}
	loc := uri
	if u, err := url.Parse(uri); err != nil || len(u.Scheme) <= 1 {
		if !filepath.IsAbs(loc) && o.job.Dir != "" {
			loc = filepath.Join(o.job.Dir, loc)
		}
	}
	f, err := frame.Open(ctx, loc, frame.ReadOptions{})
	if err != nil {
		return nil, nil, fmt.Errorf("data set %s: %w", uri, err)
	}
	ds := describe(uri, "", f, nil)
	if h, err := hashFile(loc); err == nil {
		ds.Hash = h
	}
	return f, ds, nil
}

func readBytes(b []byte, format frame.Format) (*frame.Frame, error) {
	switch format {
	case frame.ParquetFmt:
		return frame.ReadParquet(bytes.NewReader(b), int64(len(b)))
	case frame.CSV:
		return frame.ReadCSV(bytes.NewReader(b), frame.CSVOptions{})
	default:
		return frame.ReadJSONLines(bytes.NewReader(b), frame.JSONOptions{})
	}
}

func describe(uri, format string, f *frame.Frame, content []byte) *Dataset {
	ds := &Dataset{URI: uri, Format: format, Rows: f.NumRows()}
	for _, c := range f.Columns() {
		ds.Columns = append(ds.Columns, Column{Name: c.Name(), Type: c.Type().String()})
	}
	if content != nil {
		sum := sha256.Sum256(content)
		ds.Hash = "sha256:" + hex.EncodeToString(sum[:])
	}
	return ds
}

// WriteFile writes a file (a model, a report) under the try's folder and returns its URI.
func (o *IO) WriteFile(ctx context.Context, name string, content []byte) (string, error) {
	p := path.Join(o.dir(), name)
	if _, err := o.deps.Artifacts.Put(ctx, p, bytes.NewReader(content)); err != nil {
		return "", fmt.Errorf("write %s: %w", name, err)
	}
	return o.URI(p), nil
}

// ReadFile reads a file by URI: one this artifact store wrote, a local path (relative to
// the DAG file's folder) or a file:// URL.
func (o *IO) ReadFile(ctx context.Context, uri string) ([]byte, error) {
	if p, ok := o.storePath(uri); ok {
		rc, _, err := o.deps.Artifacts.Open(ctx, p)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", uri, err)
		}
		defer rc.Close()
		return io.ReadAll(rc)
	}
	loc := strings.TrimPrefix(uri, "file://")
	if !filepath.IsAbs(loc) && o.job.Dir != "" {
		loc = filepath.Join(o.job.Dir, loc)
	}
	return readLocal(loc)
}

// Tracked reports whether the try has a tracking run.
func (o *IO) Tracked() bool { return o.job.Tracking != nil && o.deps.Tracking != nil }

// LogParams logs params to the try's tracking run (nothing when untracked). Values are
// written as text; a param logged twice with the same value is fine.
func (o *IO) LogParams(ctx context.Context, params map[string]any) error {
	if !o.Tracked() || len(params) == 0 {
		return nil
	}
	var ps []tracking.Param
	for k, v := range params {
		ps = append(ps, tracking.Param{Key: k, Value: paramText(v)})
	}
	return o.deps.Tracking.LogParams(ctx, o.job.Tracking.RunID, ps...)
}

// LogMetrics logs metrics (step 0) to the try's tracking run.
func (o *IO) LogMetrics(ctx context.Context, metrics map[string]float64) error {
	if !o.Tracked() || len(metrics) == 0 {
		return nil
	}
	var ms []tracking.Metric
	now := o.deps.Tracking.NowMillis()
	for k, v := range metrics {
		ms = append(ms, tracking.Metric{Key: k, Value: v, Timestamp: now})
	}
	return o.deps.Tracking.LogMetrics(ctx, o.job.Tracking.RunID, ms...)
}

// LogArtifact writes a file into the try's tracking run's artifacts (where MLflow's UI and
// clients find it) and returns its artifact path; untracked tries write nothing.
func (o *IO) LogArtifact(ctx context.Context, name string, content []byte) (string, error) {
	if !o.Tracked() {
		return "", nil
	}
	p := path.Join(o.job.Tracking.ExperimentID, o.job.Tracking.RunID, "artifacts", name)
	if _, err := o.deps.Artifacts.Put(ctx, p, bytes.NewReader(content)); err != nil {
		return "", fmt.Errorf("log artifact %s: %w", name, err)
	}
	return name, nil
}

func paramText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return "None"
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// Try names the try this IO belongs to, as the audit log and task tokens name it.
func (o *IO) Try() auth.Try {
	j := o.job
	return auth.Try{DAGID: j.DAGID, RunID: j.RunID, TaskID: j.TaskID, MapIndex: j.MapIndex, TryNumber: j.TryNumber}
}

// Audit records in the audit log an action the step did in-process (registered a model
// version, moved an alias, wrote a deployment), with the try as the actor (audit.KindTask)
// and actionErr's text when the action failed. Without Deps.Store it records nothing; a
// failure to record is written to the try's log (the action itself is done).
func (o *IO) Audit(ctx context.Context, action, targetType, targetID string, details map[string]any, actionErr error) {
	if o.deps.Store == nil {
		return
	}
	if err := audit.Task(ctx, o.deps.Store, o.Try(), action, targetType, targetID, details, actionErr); err != nil && o.job.Log != nil {
		fmt.Fprintf(o.job.Log, "[weir] record %s of %s %s in the audit log: %v\n", action, targetType, targetID, err)
	}
}

// LogInput records a data set the try consumed as an MLflow dataset input of its tracking
// run (runs/log-inputs; nothing when untracked), purpose being the context tag MLflow's
// mlflow.log_input writes ("training", "eval"): the dataset's name (the file's base name),
// a digest (the first 8 hex digits of its SHA-256, as MLflow's digests are short), its
// source (the URI, MLflow's {"uri": …} source JSON), its schema as MLflow column specs and
// a profile with the row count. MLflow's UI and the lineage view show it on the run.
func (o *IO) LogInput(ctx context.Context, ds *Dataset, purpose string) error {
	if !o.Tracked() || ds == nil {
		return nil
	}
	name := path.Base(ds.URI)
	if ext := path.Ext(name); ext != "" && ext != name {
		name = strings.TrimSuffix(name, ext)
	}
	digest := strings.TrimPrefix(ds.Hash, "sha256:")
	if len(digest) > 8 {
		digest = digest[:8]
	}
	sourceType, uri := "local", ds.URI
	if u, err := url.Parse(ds.URI); err == nil && u.Scheme != "" && u.Scheme != "file" {
		sourceType = u.Scheme
	} else if err == nil && u.Scheme == "" {
		// A path relative to the DAG file's folder: the source names the file itself.
		p := ds.URI
		if !filepath.IsAbs(p) {
			p = filepath.Join(o.job.Dir, p)
		}
		if abs, err := filepath.Abs(p); err == nil {
			uri = (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String()
		}
	}
	type colspec struct {
		Type     string `json:"type"`
		Name     string `json:"name"`
		Required bool   `json:"required"`
	}
	mlType := map[string]string{"float": "double", "int": "long", "bool": "boolean", "string": "string", "time": "datetime"}
	cols := make([]colspec, 0, len(ds.Columns))
	for _, c := range ds.Columns {
		t := mlType[c.Type]
		if t == "" {
			t = c.Type
		}
		cols = append(cols, colspec{Type: t, Name: c.Name, Required: true})
	}
	source, _ := json.Marshal(map[string]string{"uri": uri})
	schema, _ := json.Marshal(map[string]any{"mlflow_colspec": cols})
	profile, _ := json.Marshal(map[string]int{"num_rows": ds.Rows})
	b, err := json.Marshal(map[string]string{"name": name, "digest": digest, "source_type": sourceType,
		"source": string(source), "schema": string(schema), "profile": string(profile)})
	if err != nil {
		return err
	}
	return o.deps.Tracking.LogInputs(ctx, o.job.Tracking.RunID, []tracking.DatasetInput{{
		Tags: []tracking.Tag{{Key: "mlflow.data.context", Value: purpose}}, Dataset: b}})
}
