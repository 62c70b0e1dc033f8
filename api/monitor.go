package api

import (
	"context"
	"net/http"
	"time"

	"github.com/weirhq/weir/api/client"
)

// schedulerHealthyWithin is how recent the scheduler's heartbeat must be for GET /health to
// call it healthy.
const schedulerHealthyWithin = 30 * time.Second

func (a *API) getOpenAPI(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/json")
	w.Write(a.specDoc)
	return nil
}

func (a *API) getHealth(w http.ResponseWriter, r *http.Request) error {
	var h client.HealthInfo
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	h.Metadatabase.Status = "healthy"
	if _, err := a.cfg.Store.ListPools(ctx); err != nil {
		a.cfg.Logger.Warn("api: health: the store does not answer", "err", err)
		h.Metadatabase.Status = "unhealthy"
	}
	if a.cfg.SchedulerHeartbeat != nil {
		beat := a.cfg.SchedulerHeartbeat()
		status := "unhealthy"
		if !beat.IsZero() && a.now().Sub(beat) < schedulerHealthyWithin {
			status = "healthy"
		}
		h.Scheduler.Status = &status
		h.Scheduler.LatestSchedulerHeartbeat = tp(beat)
	}
	return writeJSON(w, http.StatusOK, h)
}

func (a *API) getVersion(w http.ResponseWriter, r *http.Request) error {
	return writeJSON(w, http.StatusOK, client.VersionInfo{Version: a.cfg.Version})
}
