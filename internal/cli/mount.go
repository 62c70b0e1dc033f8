package cli

import (
	"net/http"

	"github.com/weirhq/weir/api"
	"github.com/weirhq/weir/server"
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
	return nil
}
