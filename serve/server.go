package serve

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	mrand "math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/weirhq/weir/executor"
	"github.com/weirhq/weir/ml/frame"
	"github.com/weirhq/weir/ml/model"
	"github.com/weirhq/weir/serve/flavor"
	"github.com/weirhq/weir/steps/stepio"
	"github.com/weirhq/weir/store"
)

// Config configures a Server.
type Config struct {
	// Store holds the deployments; required.
	Store store.Store
	// Models resolves model references: the tracking registry (for models:/ and runs:/)
	// and the artifact store. Artifacts is required.
	Models stepio.Deps
	// Sink receives every prediction; nil means NopSink.
	Sink PredictionSink
	// Errors receives every failed request of a deployment; nil counts none.
	Errors ErrorSink
	// PollInterval is how often the deployments are read from the store; 0 means 1s.
	PollInterval time.Duration
	// Seed seeds the traffic split between a deployment's model and its canary; 0 means
	// a random seed.
	Seed uint64
	// ShadowConcurrency bounds the shadow predictions running at once; a request that
	// finds them all busy is not mirrored (and counted in Stats). 0 means 64.
	ShadowConcurrency int
	// Version is the server's version, answered by /serve/{name}/version.
	Version string
	// Logger receives load errors and swaps; nil means slog.Default().
	Logger *slog.Logger
	// Flavors configures the models from elsewhere (MLflow model directories): its Python
	// hook serves the python_function and sklearn flavors; without it they do not load.
	Flavors flavor.Options
	// ModelDir is where models of a remote artifact store are copied to be opened; ""
	// means a temporary folder that Stop removes.
	ModelDir string
}

// Server serves the store's deployments. Build it with New, call Start to load the
// deployments and poll for changes, mount Handler, and Stop at the end.
type Server struct {
	cfg    Config
	io     *stepio.IO
	log    *slog.Logger
	sink   PredictionSink
	logIn  bool // the sink wants inputs and outputs (not NopSink)
	eps    atomic.Pointer[map[string]*endpoint]
	loaded atomic.Bool // the first Refresh ran

	refreshMu sync.Mutex
	cache     map[string]*loadedModel          // by resolved key and reference; guarded by refreshMu
	open      map[flavor.Predictor]bool        // every model loaded and not retired; guarded by refreshMu
	retiring  map[flavor.Predictor]*time.Timer // models closed soon; guarded by refreshMu

	tmpOnce sync.Once
	tmpDir  string
	tmpErr  error

	randMu sync.Mutex
	rand   *mrand.Rand

	idPrefix string
	idSeq    atomic.Uint64

	shadowSem     chan struct{}
	shadowWG      sync.WaitGroup
	shadowDropped atomic.Int64

	stopOnce sync.Once
	cancel   context.CancelFunc
	done     chan struct{}
}

// loadedModel is one model in memory.
type loadedModel struct {
	key      string // what identifies it: models:/NAME/VERSION, or the reference
	ref      string // the reference that led to it
	name     string // the registered model, or the reference
	version  string // the registered version, or ""
	pred     flavor.Predictor
	schema   frame.Schema // pred.Inputs(); empty: the request's columns as given
	inputs   []string     // the schema's names
	platform string       // what it is, for V2 metadata ("weir_linear.Ridge", "xgboost")
	output   string       // what it answers: "values", "labels" or "clusters"
}

// endpoint is the state of one deployment: swapped whole, never modified.
type endpoint struct {
	d       *store.Deployment
	primary *loadedModel // nil when it could not be loaded
	canary  *loadedModel
	shadow  *loadedModel
	err     error // why primary (or the canary, or the shadow) is not loaded
}

// New returns a Server; it reads nothing until Start or Refresh.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil {
		return nil, errors.New("serve: Config.Store is required (the deployments are stored there)")
	}
	io, err := stepio.New(cfg.Models, &executor.Job{})
	if err != nil {
		return nil, fmt.Errorf("serve: %w", err)
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = time.Second
	}
	if cfg.ShadowConcurrency <= 0 {
		cfg.ShadowConcurrency = 64
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s := &Server{cfg: cfg, io: io, log: cfg.Logger, sink: cfg.Sink, cache: map[string]*loadedModel{},
		open: map[flavor.Predictor]bool{}, retiring: map[flavor.Predictor]*time.Timer{},
		shadowSem: make(chan struct{}, cfg.ShadowConcurrency)}
	if s.sink == nil {
		s.sink = NopSink{}
	}
	_, nop := s.sink.(NopSink)
	s.logIn = !nop
	var b [8]byte
	_, _ = rand.Read(b[:])
	s.idPrefix = hex.EncodeToString(b[:])
	seed := cfg.Seed
	if seed == 0 {
		seed = mrand.Uint64()
	}
	s.rand = mrand.New(mrand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	empty := map[string]*endpoint{}
	s.eps.Store(&empty)
	return s, nil
}

// Start loads the deployments once (load errors are logged, not returned: an endpoint
// whose model cannot be loaded answers 503 until it can) and polls the store every
// PollInterval until Stop.
func (s *Server) Start(ctx context.Context) error {
	if s.done != nil {
		return errors.New("serve: Start called twice")
	}
	if err := s.Refresh(ctx); err != nil {
		s.log.Warn("serve: read deployments", "err", err)
	}
	ctx, s.cancel = context.WithCancel(context.WithoutCancel(ctx))
	s.done = make(chan struct{})
	go func() {
		defer close(s.done)
		t := time.NewTicker(s.cfg.PollInterval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if err := s.Refresh(ctx); err != nil && ctx.Err() == nil {
					s.log.Warn("serve: read deployments", "err", err)
				}
			}
		}
	}()
	return nil
}

// Stop ends the polling, waits for running shadow predictions and closes the models
// (stopping their processes, for Python flavors). It is idempotent and may be called on a
// Server never started. Stop the HTTP server first: requests after Stop may fail.
func (s *Server) Stop() {
	s.stopOnce.Do(func() {
		if s.cancel != nil {
			s.cancel()
			<-s.done
		}
		s.shadowWG.Wait()
		s.closeAll()
	})
}

// Refresh reads the deployments from the store, resolves their references (following
// aliases), loads the models not yet in memory and swaps in the endpoints that changed.
// A model that fails to load leaves its endpoint as it was (or not ready if it is new).
// The error is the store's; load errors are logged and reported by Status.
func (s *Server) Refresh(ctx context.Context) error {
	s.refreshMu.Lock()
	defer s.refreshMu.Unlock()
	ds, err := s.cfg.Store.ListDeployments(ctx)
	if err != nil {
		return err
	}
	old := *s.eps.Load()
	next := make(map[string]*endpoint, len(ds))
	used := map[string]bool{}
	changed := len(ds) != len(old)
	for _, d := range ds {
		prev := old[d.Name]
		ep := &endpoint{d: d}
		var errs []error
		load := func(ref string, prevM *loadedModel) *loadedModel {
			if ref == "" {
				return nil
			}
			m, err := s.load(ctx, ref)
			if err != nil {
				errs = append(errs, err)
				if prevM != nil && prevM.ref == ref {
					return prevM // keep serving what was loaded
				}
				return nil
			}
			return m
		}
		var pp, pc, ps *loadedModel
		if prev != nil {
			pp, pc, ps = prev.primary, prev.canary, prev.shadow
		}
		ep.primary = load(d.Model, pp)
		ep.canary = load(d.Canary, pc)
		ep.shadow = load(d.Shadow, ps)
		ep.err = errors.Join(errs...)
		for _, m := range []*loadedModel{ep.primary, ep.canary, ep.shadow} {
			if m != nil {
				used[m.key+"\n"+m.ref] = true
			}
		}
		if prev != nil && sameEndpoint(prev, ep) {
			next[d.Name] = prev
			continue
		}
		changed = true
		if ep.err != nil {
			s.log.Warn("serve: deployment not fully loaded", "endpoint", d.Name, "err", ep.err)
		}
		if ep.primary != nil {
			s.log.Info("serve: endpoint ready", "endpoint", d.Name, "model", ep.primary.name, "version", ep.primary.version)
		}
		next[d.Name] = ep
	}
	if changed {
		s.eps.Store(&next)
	}
	for k := range s.cache {
		if !used[k] {
			delete(s.cache, k)
		}
	}
	s.retire(next)
	s.loaded.Store(true)
	return nil
}

func sameEndpoint(a, b *endpoint) bool {
	return *a.d == *b.d && a.primary == b.primary && a.canary == b.canary && a.shadow == b.shadow &&
		(a.err == nil) == (b.err == nil)
}

// load returns the model a reference leads to now, from the cache when its resolved
// version is already loaded.
func (s *Server) load(ctx context.Context, ref string) (*loadedModel, error) {
	key, err := s.resolve(ctx, ref)
	if err != nil {
		return nil, err
	}
	ck := key + "\n" + ref
	if m := s.cache[ck]; m != nil {
		return m, nil
	}
	for _, m := range s.cache {
		if m.key == key { // the same model through another reference
			c := *m
			c.ref = ref
			s.cache[ck] = &c
			return &c, nil
		}
	}
	pred, src, err := s.openModel(ctx, key)
	if err != nil {
		return nil, err
	}
	m := &loadedModel{key: key, ref: ref, name: src.Name, version: src.Version, pred: pred,
		schema: pred.Inputs(), platform: "unknown", output: "values"}
	if m.name == "" {
		m.name = ref
	}
	if d, ok := pred.(flavor.Describer); ok {
		m.platform, m.output = d.Describe()
	}
	for _, in := range m.schema {
		m.inputs = append(m.inputs, in.Name)
	}
	s.cache[ck] = m
	s.open[pred] = true
	return m, nil
}

// resolve turns a moving reference (models:/NAME@ALIAS, models:/NAME/latest) into the
// version it names now; other references are their own key.
func (s *Server) resolve(ctx context.Context, ref string) (string, error) {
	rest, ok := strings.CutPrefix(ref, "models:/")
	if !ok {
		return ref, nil
	}
	tr := s.cfg.Models.Tracking
	if tr == nil {
		return "", fmt.Errorf("model reference %s needs the tracking registry, and this server has no tracking store", ref)
	}
	if i := strings.LastIndex(rest, "@"); i > 0 {
		mv, err := tr.GetModelVersionByAlias(ctx, rest[:i], rest[i+1:])
		if err != nil {
			return "", fmt.Errorf("model reference %s: alias %q of model %q: %w", ref, rest[i+1:], rest[:i], err)
		}
		return "models:/" + rest[:i] + "/" + mv.Version, nil
	}
	if name, ok := strings.CutSuffix(rest, "/latest"); ok {
		vs, err := tr.GetLatestVersions(ctx, name, nil)
		if err != nil {
			return "", fmt.Errorf("model reference %s: model %q: %w", ref, name, err)
		}
		best := -1
		for _, v := range vs {
			if n, err := strconv.Atoi(v.Version); err == nil && n > best {
				best = n
			}
		}
		if best < 0 {
			return "", fmt.Errorf("model reference %s: model %q has no versions", ref, name)
		}
		return "models:/" + name + "/" + strconv.Itoa(best), nil
	}
	return ref, nil
}

// EndpointStatus describes a served endpoint.
type EndpointStatus struct {
	// Deployment is the stored deployment.
	Deployment store.Deployment `json:"deployment"`
	// Ready says the primary model is loaded.
	Ready bool `json:"ready"`
	// Model and Version name the primary model version; CanaryVersion and ShadowVersion
	// the others' ("" when none).
	Model         string `json:"model"`
	Version       string `json:"version"`
	CanaryVersion string `json:"canary_version,omitempty"`
	ShadowVersion string `json:"shadow_version,omitempty"`
	// Error says what could not be loaded.
	Error string `json:"error,omitempty"`
}

// Status returns the endpoints being served, by name.
func (s *Server) Status() []EndpointStatus {
	eps := *s.eps.Load()
	out := make([]EndpointStatus, 0, len(eps))
	for _, ep := range eps {
		st := EndpointStatus{Deployment: *ep.d, Ready: ep.primary != nil}
		if ep.primary != nil {
			st.Model, st.Version = ep.primary.name, ep.primary.version
		}
		if ep.canary != nil {
			st.CanaryVersion = ep.canary.version
		}
		if ep.shadow != nil {
			st.ShadowVersion = ep.shadow.version
		}
		if ep.err != nil {
			st.Error = ep.err.Error()
		}
		out = append(out, st)
	}
	sortStatus(out)
	return out
}

// ShadowDropped returns how many requests were not mirrored to a shadow model because
// ShadowConcurrency shadow predictions were already running.
func (s *Server) ShadowDropped() int64 { return s.shadowDropped.Load() }

func (s *Server) endpoint(name string) *endpoint { return (*s.eps.Load())[name] }

// pick chooses the model answering a request: the canary with probability
// CanaryWeight/100, else the primary.
func (s *Server) pick(ep *endpoint) *loadedModel {
	if ep.canary != nil && ep.d.CanaryWeight > 0 {
		s.randMu.Lock()
		r := s.rand.IntN(100)
		s.randMu.Unlock()
		if r < ep.d.CanaryWeight {
			return ep.canary
		}
	}
	return ep.primary
}

func (s *Server) newID() string {
	return s.idPrefix + "-" + strconv.FormatUint(s.idSeq.Add(1), 16)
}

// result is one prediction of a request.
type result struct {
	id      string
	m       *loadedModel
	pred    *model.Prediction
	frame   *frame.Frame
	started time.Time
}

// predict checks the table against m's signature (a model without one takes the
// request's columns as given) and predicts. An *InputError is the caller's fault; other
// errors are the model's (a Python worker that failed).
func (s *Server) predict(ctx context.Context, m *loadedModel, t *table) (*frame.Frame, *model.Prediction, error) {
	var f *frame.Frame
	var err error
	if len(m.schema) > 0 {
		f, err = frameFor(t, m.schema)
	} else {
		f, err = frameAsGiven(t)
	}
	if err != nil {
		return nil, nil, err
	}
	p, err := m.pred.Predict(ctx, f)
	if err != nil {
		var ie *flavor.InputError
		if errors.As(err, &ie) {
			// Errors after frameFor's checks are about values (missing, non-finite).
			return nil, nil, &InputError{Msg: err.Error()}
		}
		return nil, nil, fmt.Errorf("model %s %s: %w", m.name, m.version, err)
	}
	if err := checkFinite(m, p); err != nil {
		return nil, nil, err
	}
	return f, p, nil
}

// checkFinite returns an error naming the first row whose answer is NaN or infinite: such
// an answer is the model's failure (a 500), and JSON cannot carry it.
func checkFinite(m *loadedModel, p *model.Prediction) error {
	bad := func(v float64) bool { return math.IsNaN(v) || math.IsInf(v, 0) }
	for i, v := range p.Values {
		if bad(v) {
			return fmt.Errorf("model %s %s answered %v for row %d: check the row's values against the training data's range", m.name, m.version, v, i+1)
		}
	}
	for i, row := range p.Probabilities {
		for _, v := range row {
			if bad(v) {
				return fmt.Errorf("model %s %s answered a probability of %v for row %d", m.name, m.version, v, i+1)
			}
		}
	}
	return nil
}

// failed hands a failed request of ep to the error sink; m is nil when no model was chosen.
func (s *Server) failed(ep *endpoint, m *loadedModel, status int, msg string) {
	if s.cfg.Errors == nil {
		return
	}
	e := FailedRequest{Endpoint: ep.d.Name, Status: status, Message: msg, Time: time.Now()}
	if m != nil {
		e.Model, e.Version = m.name, m.version
	}
	s.cfg.Errors.RecordError(e)
}

// isInputError says err is the request's fault (a 400), not the model's (a 500).
func isInputError(err error) bool {
	var ie *InputError
	return errors.As(err, &ie)
}

// record hands the prediction to the sink and mirrors the request to the shadow model.
func (s *Server) record(ep *endpoint, r *result, t *table) {
	if s.logIn {
		s.sink.Record(Prediction{ID: r.id, Endpoint: ep.d.Name, Model: r.m.name, Version: r.m.version,
			Inputs: frameJSON(r.frame), Output: outputJSON(r.m, r.pred), Latency: time.Since(r.started), Time: r.started})
	}
	if ep.shadow == nil {
		return
	}
	select {
	case s.shadowSem <- struct{}{}:
	default:
		s.shadowDropped.Add(1)
		return
	}
	s.shadowWG.Add(1)
	go func() {
		defer func() { <-s.shadowSem; s.shadowWG.Done() }()
		start := time.Now()
		sh := ep.shadow
		f, p, err := s.predict(context.Background(), sh, t)
		if err != nil {
			out, _ := json.Marshal(map[string]string{"error": err.Error()})
			s.sink.Record(Prediction{ID: r.id, Endpoint: ep.d.Name, Model: sh.name, Version: sh.version,
				Inputs: frameJSON(r.frame), Output: out, Latency: time.Since(start), Time: r.started, Shadow: true})
			return
		}
		s.sink.Record(Prediction{ID: r.id, Endpoint: ep.d.Name, Model: sh.name, Version: sh.version,
			Inputs: frameJSON(f), Output: outputJSON(sh, p), Latency: time.Since(start), Time: r.started, Shadow: true})
	}()
}

// predictions returns a prediction's per-row answers: values, labels or clusters.
func predictions(p *model.Prediction) any {
	switch {
	case p.Labels != nil:
		return p.Labels
	case p.Clusters != nil:
		return p.Clusters
	case p.Values != nil:
		return p.Values
	}
	return []any{}
}

func outputJSON(m *loadedModel, p *model.Prediction) json.RawMessage {
	out := map[string]any{"predictions": predictions(p)}
	if p.Probabilities != nil {
		out["probabilities"] = p.Probabilities
	}
	b, err := json.Marshal(out)
	if err != nil {
		return json.RawMessage(`null`)
	}
	return b
}

func sortStatus(st []EndpointStatus) {
	slices.SortFunc(st, func(a, b EndpointStatus) int { return strings.Compare(a.Deployment.Name, b.Deployment.Name) })
}
