package mlflowapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/weirhq/weir/internal/webhook"

	"github.com/weirhq/weir/tracking"
)

// Config configures an API.
type Config struct {
	// Store holds experiments, runs and the registry. Required.
	Store tracking.Store
	// Artifacts holds the proxied artifacts. If nil, New opens ArtifactRoot and Close
	// closes it.
	Artifacts tracking.ArtifactStore
	// ArtifactRoot is a local folder or a gocloud.dev/blob URL (s3://…, gs://…, mem://),
	// used when Artifacts is nil. Default $WEIR_HOME/artifacts, or ~/.weir/artifacts when
	// WEIR_HOME is unset.
	ArtifactRoot string
	// MaxArtifactBytes bounds one uploaded artifact file. Default 5 GiB; negative means no
	// limit.
	MaxArtifactBytes int64
	// MaxRequestBytes bounds a JSON request body. Default 1 MiB (MLflow's limit of a
	// log-batch request is 1 MB).
	MaxRequestBytes int64
	// Now is the clock for times the server fills in. Default time.Now.
	Now func() time.Time
	// Logger receives internal errors. Default slog.Default().
	Logger *slog.Logger
	// WebhookClient sends registry webhooks' deliveries. Default: an http.Client with a
	// 10 s timeout that refuses to connect to a loopback, private, link-local, multicast or
	// unspecified address unless WebhookAllowPrivateIPs (MLflow's default too: a webhook
	// must not make the server reach into its own network).
	WebhookClient *http.Client
	// WebhookAllowPrivateIPs lets the default WebhookClient deliver to private addresses
	// (MLflow's MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS), for receivers inside the network.
	WebhookAllowPrivateIPs bool
	// WebhookRetries is how many times a delivery is retried after a connection error, 429
	// or 5xx. Default 3; negative means none.
	WebhookRetries int
	// WebhookRetryDelay is the wait before the first retry, doubled before each next one.
	// Default 1 s.
	WebhookRetryDelay time.Duration
}

// Defaults of Config's fields.
const (
	DefaultMaxArtifactBytes = 5 << 30
	DefaultMaxRequestBytes  = 1 << 20
)

func (c *Config) validate() error {
	if c.Store == nil {
		return errors.New("mlflowapi: Config.Store is required")
	}
	if c.MaxRequestBytes < 0 {
		return fmt.Errorf("mlflowapi: MaxRequestBytes %d is negative", c.MaxRequestBytes)
	}
	return nil
}

// DefaultArtifactRoot returns Config.ArtifactRoot's default: $WEIR_HOME/artifacts, or
// ~/.weir/artifacts.
func DefaultArtifactRoot() string {
	home := os.Getenv("WEIR_HOME")
	if home == "" {
		if h, err := os.UserHomeDir(); err == nil {
			home = filepath.Join(h, ".weir")
		} else {
			home = ".weir"
		}
	}
	return filepath.Join(home, "artifacts")
}

// API serves MLflow's REST API. Create it with New.
type API struct {
	svc        *tracking.Service
	art        tracking.ArtifactStore
	ownArt     bool
	maxBody    int64
	log        *slog.Logger
	mux        *http.ServeMux
	artMaxSize int64
	now        func() time.Time

	// Webhook deliveries under way, and their context, ended by Close; hookMu guards
	// hookClosed and the start of a delivery (hooks.Add), so none starts once Close waits.
	hookMu      sync.Mutex
	hookClosed  bool
	hooks       sync.WaitGroup
	hookCtx     context.Context
	hookCancel  context.CancelFunc
	hookClient  *http.Client
	hookRetries int
	hookDelay   time.Duration
	closeOnce   sync.Once
}

// New returns an API for cfg, opening the artifact store if cfg.Artifacts is nil.
func New(cfg Config) (*API, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if cfg.MaxArtifactBytes == 0 {
		cfg.MaxArtifactBytes = DefaultMaxArtifactBytes
	}
	if cfg.MaxArtifactBytes < 0 {
		cfg.MaxArtifactBytes = 0
	}
	if cfg.MaxRequestBytes == 0 {
		cfg.MaxRequestBytes = DefaultMaxRequestBytes
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.WebhookClient == nil {
		cfg.WebhookClient = webhook.Client(cfg.WebhookAllowPrivateIPs, "set WebhookAllowPrivateIPs to deliver inside the network")
	}
	if cfg.WebhookRetries == 0 {
		cfg.WebhookRetries = 3
	}
	if cfg.WebhookRetryDelay <= 0 {
		cfg.WebhookRetryDelay = time.Second
	}
	a := &API{
		svc:         tracking.NewService(cfg.Store, tracking.ServiceConfig{Now: cfg.Now}),
		art:         cfg.Artifacts,
		maxBody:     cfg.MaxRequestBytes,
		log:         cfg.Logger,
		artMaxSize:  cfg.MaxArtifactBytes,
		now:         cfg.Now,
		hookClient:  cfg.WebhookClient,
		hookRetries: max(cfg.WebhookRetries, 0),
		hookDelay:   cfg.WebhookRetryDelay,
	}
	a.hookCtx, a.hookCancel = context.WithCancel(context.Background())
	if a.art == nil {
		root := cfg.ArtifactRoot
		if root == "" {
			root = DefaultArtifactRoot()
		}
		art, err := tracking.OpenArtifactStore(context.Background(), root, cfg.MaxArtifactBytes)
		if err != nil {
			return nil, fmt.Errorf("mlflowapi: %w", err)
		}
		a.art, a.ownArt = art, true
	}
	a.mux = http.NewServeMux()
	a.routes()
	return a, nil
}

// Service returns the tracking service the API writes through.
func (a *API) Service() *tracking.Service { return a.svc }

// Artifacts returns the artifact store of the proxy.
func (a *API) Artifacts() tracking.ArtifactStore { return a.art }

// Close ends the webhook deliveries under way (waiting for them to return) and closes the
// artifact store if New opened it. It is idempotent.
func (a *API) Close() error {
	var err error
	a.closeOnce.Do(func() {
		a.hookMu.Lock()
		a.hookClosed = true
		a.hookMu.Unlock()
		a.hookCancel()
		a.hooks.Wait()
		if a.ownArt {
			err = a.art.Close()
		}
	})
	return err
}

// Handler returns the handler of /api/2.0/mlflow/..., /api/2.0/mlflow-artifacts/... and
// their /ajax-api/ twins; other paths get ENDPOINT_NOT_FOUND. A path with a "." or ".."
// segment gets 400 (see RefuseDotSegments).
func (a *API) Handler() http.Handler { return RefuseDotSegments(a.mux) }

// Prefixes are the URL path prefixes the API serves; a server mounts Handler at each.
var Prefixes = []string{"/api/2.0/mlflow/", "/api/2.0/mlflow-artifacts/", "/ajax-api/2.0/mlflow/", "/ajax-api/2.0/mlflow-artifacts/"}

// RefuseDotSegments answers 400 INVALID_PARAMETER_VALUE, as MLflow's validate_path_is_safe
// does, to a request under one of Prefixes whose path has a "." or ".." segment (raw or
// percent-encoded), and passes every other request to next. Put it in front of any
// http.ServeMux that routes to the API: a ServeMux answers such a path with a redirect to
// the cleaned path (a 307 that a client follows to another artifact than it named).
func RefuseDotSegments(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hasDotSegment(r.URL.Path) && slices.ContainsFunc(Prefixes, func(p string) bool {
			return strings.HasPrefix(r.URL.Path, p) || r.URL.Path+"/" == p
		}) {
			writeError(w, http.StatusBadRequest, "INVALID_PARAMETER_VALUE",
				fmt.Sprintf("Invalid path %q: it has a '.' or '..' segment; name the artifact by its path from the root", r.URL.Path))
			return
		}
		next.ServeHTTP(w, r)
	})
}

func hasDotSegment(p string) bool {
	for seg := range strings.SplitSeq(p, "/") {
		if seg == "." || seg == ".." {
			return true
		}
	}
	return false
}

// endpoint is a handler of one API call: it decodes its request, does its work and
// returns the response body (nil for {}), or an error.
type endpoint func(r *http.Request) (any, error)

func (a *API) routes() {
	for _, prefix := range []string{"/api/2.0/mlflow/", "/ajax-api/2.0/mlflow/"} {
		for path, ep := range a.endpoints() {
			a.mux.Handle(prefix+path, methodGuard(path, a.serve(ep)))
		}
	}
	for _, prefix := range []string{"/api/2.0/mlflow/", "/ajax-api/2.0/mlflow/"} {
		// A file's content, not JSON: the UI's view of a logged model's files.
		a.mux.Handle(prefix+"logged-models/{model_id}/artifacts/files", methodGuard("logged-models/{model_id}/artifacts/files", http.HandlerFunc(a.getLoggedModelArtifact)))
	}
	for _, prefix := range []string{"/api/2.0/mlflow-artifacts/artifacts", "/ajax-api/2.0/mlflow-artifacts/artifacts"} {
		a.mux.HandleFunc("GET "+prefix, a.listProxy)
		a.mux.HandleFunc("GET "+prefix+"/{path...}", a.download)
		a.mux.HandleFunc("PUT "+prefix+"/{path...}", a.upload)
		a.mux.HandleFunc("DELETE "+prefix+"/{path...}", a.deleteArtifact)
	}
	for _, prefix := range []string{"/api/2.0/mlflow-artifacts/mpu", "/ajax-api/2.0/mlflow-artifacts/mpu"} {
		a.mux.Handle("POST "+prefix+"/create/{path...}", a.serve(a.createMultipartUpload))
		a.mux.Handle("POST "+prefix+"/complete/{path...}", a.serve(a.completeMultipartUpload))
		a.mux.Handle("POST "+prefix+"/abort/{path...}", a.serve(a.abortMultipartUpload))
		a.mux.HandleFunc("PUT "+prefix+"/part/{upload_id}/{part_number}", a.uploadPart)
	}
	a.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "ENDPOINT_NOT_FOUND", fmt.Sprintf("no endpoint %s %s", r.Method, r.URL.Path))
	})
}

// endpoints maps each path under /api/2.0/mlflow/ to its handler.
func (a *API) endpoints() map[string]endpoint {
	return map[string]endpoint{
		"experiments/create":                      a.createExperiment,
		"experiments/get":                         a.getExperiment,
		"experiments/get-by-name":                 a.getExperimentByName,
		"experiments/search":                      a.searchExperiments,
		"experiments/list":                        a.listExperiments,
		"experiments/update":                      a.updateExperiment,
		"experiments/delete":                      a.deleteExperiment,
		"experiments/restore":                     a.restoreExperiment,
		"experiments/set-experiment-tag":          a.setExperimentTag,
		"experiments/delete-experiment-tag":       a.deleteExperimentTag,
		"runs/create":                             a.createRun,
		"runs/get":                                a.getRun,
		"runs/update":                             a.updateRun,
		"runs/delete":                             a.deleteRun,
		"runs/restore":                            a.restoreRun,
		"runs/search":                             a.searchRuns,
		"runs/log-metric":                         a.logMetric,
		"runs/log-parameter":                      a.logParam,
		"runs/log-batch":                          a.logBatch,
		"runs/set-tag":                            a.setTag,
		"runs/delete-tag":                         a.deleteTag,
		"runs/log-inputs":                         a.logInputs,
		"runs/log-model":                          a.logModel,
		"metrics/get-history":                     a.getHistory,
		"metrics/get-history-bulk-interval":       a.getHistoryBulkInterval,
		"artifacts/list":                          a.listArtifacts,
		"registered-models/create":                a.createModel,
		"registered-models/get":                   a.getModel,
		"registered-models/rename":                a.renameModel,
		"registered-models/update":                a.updateModel,
		"registered-models/delete":                a.deleteModel,
		"registered-models/search":                a.searchModels,
		"registered-models/get-latest-versions":   a.getLatestVersions,
		"registered-models/set-tag":               a.setModelTag,
		"registered-models/delete-tag":            a.deleteModelTag,
		"registered-models/alias":                 a.alias,
		"registered-models/get-by-alias":          a.getByAlias,
		"model-versions/create":                   a.createVersion,
		"model-versions/get":                      a.getVersion,
		"model-versions/update":                   a.updateVersion,
		"model-versions/delete":                   a.deleteVersion,
		"model-versions/search":                   a.searchVersions,
		"model-versions/transition-stage":         a.transitionStage,
		"model-versions/get-download-uri":         a.getDownloadURI,
		"model-versions/set-tag":                  a.setVersionTag,
		"model-versions/delete-tag":               a.deleteVersionTag,
		"registered-models/list":                  a.searchModels,
		"model-versions/get-latest-versions":      a.getLatestVersions,
		"experiments/get-experiment-by-name":      a.getExperimentByName,
		"runs/set-experiment-tag":                 a.setExperimentTag,
		"registered-models/get-model-version-uri": a.getDownloadURI,
		// MLflow 3: logged models and the models a run produced.
		"logged-models":                                  a.createLoggedModel,
		"logged-models/search":                           a.searchLoggedModels,
		"logged-models/{model_id}":                       a.loggedModel,
		"logged-models/{model_id}/tags":                  a.setLoggedModelTags,
		"logged-models/{model_id}/tags/{tag_key}":        a.deleteLoggedModelTag,
		"logged-models/{model_id}/params":                a.logLoggedModelParams,
		"logged-models/{model_id}/artifacts/directories": a.listLoggedModelArtifacts,
		"runs/outputs":                                   a.logOutputs,
		// MLflow 3.3: registry webhooks.
		"webhooks":                   a.webhooks,
		"webhooks/{webhook_id}":      a.webhook,
		"webhooks/{webhook_id}/test": a.testWebhook,
	}
}

// serve adapts an endpoint to HTTP: JSON out, errors in MLflow's shape.
func (a *API) serve(ep endpoint) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		resp, err := ep(r)
		if err != nil {
			a.writeErr(w, r, err)
			return
		}
		if resp == nil {
			resp = struct{}{}
		}
		if st, ok := resp.(streamer); ok {
			sw := &startWriter{w: w}
			if err := st.streamJSON(r.Context(), sw); err != nil {
				if !sw.started {
					a.writeErr(w, r, err)
					return
				}
				// Part of the body is sent: cut the connection so the client sees a
				// truncated response, never a short one that parses.
				a.log.Error("mlflowapi: response cut short", "method", r.Method, "path", r.URL.Path, "err", err)
				panic(http.ErrAbortHandler)
			}
			return
		}
		var b []byte
		if m, ok := resp.(json.Marshaler); ok {
			// Written by hand (metric histories): json.Marshal would scan it all again.
			b, err = m.MarshalJSON()
		} else {
			b, err = json.Marshal(resp)
		}
		if err != nil {
			a.writeErr(w, r, err)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(b)
	})
}

// startWriter writes a streamed response, setting its content type before the first byte;
// started says whether any was written.
type startWriter struct {
	w       http.ResponseWriter
	started bool
}

func (s *startWriter) Write(b []byte) (int, error) {
	if !s.started {
		s.started = true
		s.w.Header().Set("Content-Type", "application/json")
	}
	return s.w.Write(b)
}

// apiError is an error with MLflow's code and HTTP status.
type apiError struct {
	status int
	code   string
	msg    string
}

func (e *apiError) Error() string { return e.msg }

func invalidParam(format string, args ...any) error {
	return &apiError{http.StatusBadRequest, "INVALID_PARAMETER_VALUE", fmt.Sprintf(format, args...)}
}

func missing(name string) error {
	return invalidParam("Missing value for required parameter '%s'. See the API docs for more information about request parameters.", name)
}

// writeErr writes err in MLflow's error shape with its status.
func (a *API) writeErr(w http.ResponseWriter, r *http.Request, err error) {
	var ae *apiError
	switch {
	case errors.As(err, &ae):
		writeError(w, ae.status, ae.code, ae.msg)
	case errors.Is(err, tracking.ErrNotFound):
		writeError(w, http.StatusNotFound, "RESOURCE_DOES_NOT_EXIST", err.Error())
	case errors.Is(err, tracking.ErrAlreadyExists):
		writeError(w, http.StatusBadRequest, "RESOURCE_ALREADY_EXISTS", err.Error())
	case errors.Is(err, tracking.ErrInvalid), errors.Is(err, tracking.ErrArtifactTooLarge):
		writeError(w, http.StatusBadRequest, "INVALID_PARAMETER_VALUE", err.Error())
	case errors.Is(err, tracking.ErrInvalidState):
		// MLflow answers INVALID_STATE with 500 (mlflow/exceptions.py, ERROR_CODE_TO_HTTP_STATUS).
		writeError(w, http.StatusInternalServerError, "INVALID_STATE", err.Error())
	case errors.Is(err, context.Canceled):
		writeError(w, 499, "CANCELLED", err.Error())
	default:
		a.log.Error("mlflowapi: internal error", "method", r.Method, "path", r.URL.Path, "err", err)
		writeError(w, http.StatusInternalServerError, "INTERNAL_ERROR", err.Error())
	}
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	b, _ := json.Marshal(struct {
		ErrorCode string `json:"error_code"`
		Message   string `json:"message"`
	}{code, msg})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// decode reads a request's parameters into dst (a pointer to a struct with json tags):
// first the query string, then the JSON body over it — except for a GET (or HEAD) with a
// query string, whose body is ignored. A GET without a query string has its parameters in
// its body, as MLflow's handlers read it (_get_request_message: a GET's args when it has
// any, else the JSON body); some clients send GET that way.
func (a *API) decode(r *http.Request, dst any) error {
	if err := decodeQuery(r.URL.Query(), dst); err != nil {
		return err
	}
	isGet := r.Method == http.MethodGet || r.Method == http.MethodHead
	if (isGet && r.URL.RawQuery != "") || r.Body == nil || r.Body == http.NoBody {
		return nil
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, a.maxBody+1))
	if err != nil {
		return err
	}
	if int64(len(body)) > a.maxBody {
		return invalidParam("request body is larger than the limit of %d bytes", a.maxBody)
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, dst); err != nil {
		return jsonError(err)
	}
	return nil
}

// jsonError turns a JSON decoding error into MLflow's INVALID_PARAMETER_VALUE, naming the
// field when a value has the wrong type or range (a path such as metrics.timestamp for a
// field of a list's element).
func jsonError(err error) error {
	var te *json.UnmarshalTypeError
	if !errors.As(err, &te) || te.Field == "" {
		return invalidParam("malformed JSON request body: %v", err)
	}
	want := "a " + te.Type.String()
	switch te.Type.Kind() {
	case reflect.Int64, reflect.Int:
		want = "an integer from -9223372036854775808 to 9223372036854775807"
	case reflect.Float64:
		want = "a number (or \"NaN\", \"Infinity\", \"-Infinity\")"
	case reflect.String:
		want = "a string"
		if te.Type == reflect.TypeFor[flexEnum]() {
			want = "an enum value's name or number"
		}
	case reflect.Slice:
		want = "a list"
	case reflect.Bool:
		want = "true or false"
	}
	return invalidParam("Invalid value %s for parameter '%s' supplied: want %s", te.Value, te.Field, want)
}

// decodeQuery sets dst's fields from the query string, by json tag: strings, int64-like
// and float fields from the first value, string slices from every value, booleans from
// "true"/"false".
func decodeQuery(q map[string][]string, dst any) error {
	if len(q) == 0 {
		return nil
	}
	v := reflect.ValueOf(dst).Elem()
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		vals, ok := q[name]
		if !ok || len(vals) == 0 {
			continue
		}
		f := v.Field(i)
		switch f.Kind() {
		case reflect.String:
			f.SetString(vals[0])
		case reflect.Int64, reflect.Int:
			var n flexInt
			if err := n.UnmarshalJSON([]byte(vals[0])); err != nil {
				return invalidParam("Invalid value %q for parameter '%s' supplied: want an integer from -9223372036854775808 to 9223372036854775807", vals[0], name)
			}
			f.SetInt(int64(n))
		case reflect.Float64:
			n, err := strconv.ParseFloat(vals[0], 64)
			if err != nil {
				return invalidParam("invalid value %q for parameter '%s': want a number", vals[0], name)
			}
			f.SetFloat(n)
		case reflect.Bool:
			b, err := strconv.ParseBool(vals[0])
			if err != nil {
				return invalidParam("invalid value %q for parameter '%s': want true or false", vals[0], name)
			}
			f.SetBool(b)
		case reflect.Pointer:
			if f.Type().Elem().Kind() == reflect.Int64 {
				var n flexInt
				if err := n.UnmarshalJSON([]byte(vals[0])); err != nil {
					return invalidParam("Invalid value %q for parameter '%s' supplied: want an integer from -9223372036854775808 to 9223372036854775807", vals[0], name)
				}
				p := reflect.New(f.Type().Elem())
				p.Elem().SetInt(int64(n))
				f.Set(p)
			}
		case reflect.Slice:
			if f.Type().Elem().Kind() == reflect.String {
				var all []string
				for _, x := range vals {
					all = append(all, x)
				}
				f.Set(reflect.ValueOf(all).Convert(f.Type()))
			}
		}
	}
	return nil
}
