package serve

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// MaxBodyBytes is the largest request body a prediction request may have.
const MaxBodyBytes = 32 << 20

// Handler returns the HTTP handler of both protocols; see the package documentation for
// its routes. Mount it at /serve/ and /v2 (and /v2/).
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /serve/{name}/invocations", s.mlflowInvocations)
	mux.HandleFunc("GET /serve/{name}/ping", s.mlflowPing)
	mux.HandleFunc("GET /serve/{name}/health", s.mlflowPing)
	mux.HandleFunc("GET /serve/{name}/version", s.mlflowVersion)
	mux.HandleFunc("GET /v2", s.v2Server)
	mux.HandleFunc("GET /v2/health/live", s.v2Live)
	mux.HandleFunc("GET /v2/health/ready", s.v2Ready)
	mux.HandleFunc("GET /v2/models/{name}", s.v2Metadata)
	mux.HandleFunc("GET /v2/models/{name}/versions/{version}", s.v2Metadata)
	mux.HandleFunc("GET /v2/models/{name}/ready", s.v2ModelReady)
	mux.HandleFunc("GET /v2/models/{name}/versions/{version}/ready", s.v2ModelReady)
	mux.HandleFunc("POST /v2/models/{name}/infer", s.v2Infer)
	mux.HandleFunc("POST /v2/models/{name}/versions/{version}/infer", s.v2Infer)
	return mux
}

// Headers every prediction answer carries.
const (
	HeaderPredictionID = "X-Weir-Prediction-Id"
	HeaderModelName    = "X-Weir-Model-Name"
	HeaderModelVersion = "X-Weir-Model-Version"
)

func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			return nil, badBody("request body larger than %d bytes: send fewer rows per request", MaxBodyBytes)
		}
		return nil, badBody("reading the request body: %v", err)
	}
	return b, nil
}

// writeJSON answers v; if v cannot be encoded it answers a 500 and returns the error.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		err = fmt.Errorf("encode the answer: %w", err)
		http.Error(w, fmt.Sprintf(`{"error": %q}`, err.Error()), http.StatusInternalServerError)
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
	return nil
}

func setModelHeaders(w http.ResponseWriter, id string, m *loadedModel) {
	h := w.Header()
	h.Set(HeaderPredictionID, id)
	h.Set(HeaderModelName, m.name)
	h.Set(HeaderModelVersion, m.version)
}

// --- MLflow's scoring protocol ---

func mlflowError(w http.ResponseWriter, status int, code, msg string) {
	_ = writeJSON(w, status, map[string]string{"error_code": code, "message": msg})
}

func (s *Server) mlflowInvocations(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	name := r.PathValue("name")
	ep := s.endpoint(name)
	if ep == nil {
		mlflowError(w, http.StatusNotFound, "RESOURCE_DOES_NOT_EXIST", fmt.Sprintf("no deployment %q: create it with weir deploy %s --model REF", name, name))
		return
	}
	m := s.pick(ep)
	fail := func(status int, code, msg string) {
		mlflowError(w, status, code, msg)
		s.failed(ep, m, status, msg)
	}
	if m == nil {
		fail(http.StatusServiceUnavailable, "TEMPORARILY_UNAVAILABLE", notReady(ep))
		return
	}
	body, err := readBody(w, r)
	if err != nil {
		fail(http.StatusBadRequest, "BAD_REQUEST", err.Error())
		return
	}
	t, err := parseMLflow(r.Header.Get("Content-Type"), body, m.inputs)
	if err != nil {
		fail(http.StatusBadRequest, "BAD_REQUEST", err.Error())
		return
	}
	f, p, err := s.predict(r.Context(), m, t)
	if err != nil {
		if !isInputError(err) {
			fail(http.StatusInternalServerError, "INTERNAL_ERROR", err.Error())
			return
		}
		fail(http.StatusBadRequest, "INVALID_PARAMETER_VALUE", err.Error())
		return
	}
	res := &result{id: s.newID(), m: m, pred: p, frame: f, started: start}
	setModelHeaders(w, res.id, m)
	out := map[string]any{"predictions": predictions(p)}
	if err := writeJSON(w, http.StatusOK, out); err != nil {
		s.failed(ep, m, http.StatusInternalServerError, err.Error())
		return
	}
	s.record(ep, res, t)
}

func notReady(ep *endpoint) string {
	if ep.err != nil {
		return fmt.Sprintf("deployment %q is not ready: %v", ep.d.Name, ep.err)
	}
	return fmt.Sprintf("deployment %q is not ready: its model %s is not loaded yet", ep.d.Name, ep.d.Model)
}

func (s *Server) mlflowPing(w http.ResponseWriter, r *http.Request) {
	ep := s.endpoint(r.PathValue("name"))
	switch {
	case ep == nil:
		http.Error(w, fmt.Sprintf("no deployment %q\n", r.PathValue("name")), http.StatusNotFound)
	case ep.primary == nil:
		http.Error(w, notReady(ep)+"\n", http.StatusServiceUnavailable)
	default:
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, "\n")
	}
}

func (s *Server) mlflowVersion(w http.ResponseWriter, r *http.Request) {
	if s.endpoint(r.PathValue("name")) == nil {
		http.Error(w, fmt.Sprintf("no deployment %q\n", r.PathValue("name")), http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = io.WriteString(w, s.cfg.Version)
}
