package cli

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"time"

	"github.com/weirhq/weir/api"
	"github.com/weirhq/weir/mlflowapi"
	"github.com/weirhq/weir/server"
	"github.com/weirhq/weir/store"
	"github.com/weirhq/weir/tracking"
)

// mountAPI adds the REST API (/api/v1) to the server's HTTP mux.
func mountAPI(s *server.Server, mux *http.ServeMux) error {
	cfg := s.Config()
	a, err := api.New(api.Config{
		Store: cfg.Store, Engine: s.Engine, DAGs: s.Registry, Home: cfg.Home, Version: cfg.Version,
		Logger: cfg.Logger, Consumers: s.Registry.Consumers, OnDatasetEvent: s.Scheduler.Wake,
		SchedulerHeartbeat: s.Scheduler.Heartbeat,
	})
	if err != nil {
		return err
	}
	mux.Handle("/api/v1/", a.Handler())
	return mountMLflow(cfg.Store, cfg.Home, mux)
}

// mountMLflow adds MLflow's REST API and artifact proxy (/api/2.0/mlflow…), when the store
// holds tracking data.
func mountMLflow(st store.Store, home string, mux *http.ServeMux) error {
	ts, ok := tracking.Of(st)
	if !ok {
		return nil
	}
	m, err := mlflowapi.New(mlflowapi.Config{Store: ts, ArtifactRoot: filepath.Join(home, "artifacts")})
	if err != nil {
		return err
	}
	h := m.Handler()
	mux.Handle("/api/2.0/mlflow/", h)
	mux.Handle("/api/2.0/mlflow-artifacts/", h)
	mux.Handle("/ajax-api/2.0/mlflow/", h)
	return nil
}

// serveTracking serves MLflow's REST API on a loopback port for `weir run`, returning its
// URI and a function that stops it.
func serveTracking(st store.Store, home string) (string, func(), error) {
	mux := http.NewServeMux()
	if err := mountMLflow(st, home, mux); err != nil {
		return "", nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("serve the tracking API for tracked tasks: %w", err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}, nil
}

// dagTracked reports whether a DAG of the folder has a tracked task.
func (a *app) dagTracked(id string) bool {
	d, err := a.findDAG(id)
	if err != nil {
		return false
	}
	for _, t := range d.Tasks {
		if o := d.Resolve(t); o.Track != nil && *o.Track {
			return true
		}
	}
	return false
}
