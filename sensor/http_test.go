package sensor_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/weirhq/weir/dag"
	"github.com/weirhq/weir/executor"
	"github.com/weirhq/weir/sensor"
)

// jobServer answers /jobs/{id} with the responses queued in order, repeating the last one,
// and records the requests it got.
type jobServer struct {
	mu        sync.Mutex
	responses []response
	requests  []*http.Request
}

type response struct {
	status int
	body   string
}

func (j *jobServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	j.mu.Lock()
	j.requests = append(j.requests, r)
	resp := j.responses[0]
	if len(j.responses) > 1 {
		j.responses = j.responses[1:]
	}
	j.mu.Unlock()
	w.Header().Set("X-Job-State", "seen")
	w.WriteHeader(resp.status)
	_, _ = w.Write([]byte(resp.body))
}

func newServer(t *testing.T, responses ...response) (*jobServer, *httptest.Server, *http.Client) {
	t.Helper()
	js := &jobServer{responses: responses}
	srv := httptest.NewServer(js)
	client := srv.Client()
	t.Cleanup(func() {
		client.CloseIdleConnections()
		srv.Close()
	})
	return js, srv, client
}

func TestHTTP(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	t.Run("status then condition", func(t *testing.T) {
		t.Parallel()
		js, srv, client := newServer(t,
			response{503, "starting"},
			response{200, `{"state": "running"}`},
			response{200, `not json`},
			response{200, `{"state": "done", "rows": 7}`})
		s, _ := setup(sensor.Deps{HTTPClient: client})
		job, log := newJob(&dag.SensorSpec{Type: dag.SensorHTTP, URL: srv.URL + "/jobs/{{ ds_nodash }}", Method: "POST",
			Headers: map[string]string{"Authorization": "Bearer {{ run_id }}"}, PokeInterval: dag.Duration(5 * time.Second),
			Condition: `body.state == "done" && headers["x-job-state"] == "seen"`})
		res := s.Run(ctx, job)
		wantOutcome(t, res, executor.Succeeded)
		wantOutput(t, res, `{"status": 200, "body": {"state": "done", "rows": 7}}`)
		target := "POST " + srv.URL + "/jobs/20240131"
		wantLines(t, log,
			"poke 1: "+target+": status 503, want 2xx; next in 5s",
			"poke 2: "+target+": status 200, condition false; next in 5s",
			"poke 3: "+target+": status 200, condition: ",
			"poke 4: "+target+": status 200")
		js.mu.Lock()
		defer js.mu.Unlock()
		if len(js.requests) != 4 {
			t.Fatalf("%d requests, want 4", len(js.requests))
		}
		r := js.requests[0]
		if r.Method != "POST" || r.URL.Path != "/jobs/20240131" || r.Header.Get("Authorization") != "Bearer r" {
			t.Errorf("request %s %s, Authorization %q", r.Method, r.URL.Path, r.Header.Get("Authorization"))
		}
	})
	t.Run("expect_status", func(t *testing.T) {
		t.Parallel()
		_, srv, client := newServer(t, response{200, "busy"}, response{404, "gone"})
		s, _ := setup(sensor.Deps{HTTPClient: client})
		job, log := newJob(&dag.SensorSpec{Type: dag.SensorHTTP, URL: srv.URL, ExpectStatus: []int{404}})
		res := s.Run(ctx, job)
		wantOutcome(t, res, executor.Succeeded)
		wantOutput(t, res, `{"status": 404, "body": "gone"}`)
		wantLines(t, log, "status 200, want [404]", "status 404")
	})
	t.Run("connection refused is not yet", func(t *testing.T) {
		t.Parallel()
		_, srv, client := newServer(t, response{200, ""})
		url := srv.URL
		srv.Close()
		s, _ := setup(sensor.Deps{HTTPClient: client})
		job, log := newJob(&dag.SensorSpec{Type: dag.SensorHTTP, URL: url, Timeout: dag.Duration(2 * time.Minute), SoftFail: true})
		wantOutcome(t, s.Run(ctx, job), executor.Skipped)
		if l := log.Lines(); len(l) != 3 || !strings.Contains(l[0], "GET "+url+": ") {
			t.Errorf("log %q", l)
		}
	})
	t.Run("large body left out of the output", func(t *testing.T) {
		t.Parallel()
		_, srv, client := newServer(t, response{200, `"` + strings.Repeat("x", 100<<10) + `"`})
		s, _ := setup(sensor.Deps{HTTPClient: client})
		job, _ := newJob(&dag.SensorSpec{Type: dag.SensorHTTP, URL: srv.URL, Condition: "len(body) > 1000"})
		res := s.Run(ctx, job)
		wantOutcome(t, res, executor.Succeeded)
		wantOutput(t, res, `{"status": 200}`)
	})
}
