package api

import (
	"context"
	"net/http"
	"time"

	"github.com/weirhq/weir/api/client"
	"github.com/weirhq/weir/schedule"
	"github.com/weirhq/weir/server"
)

// backfillBody is POST /dags/{dag_id}/backfill.
type backfillBody struct {
	FromDate *string `json:"from_date"`
	ToDate   *string `json:"to_date"`
}

// postBackfill starts, in the server's engine, one backfill run per data interval of the
// DAG's schedule starting between from_date and to_date, at most max_active_runs at a time
// (as `weir backfill` does locally), and answers at once with the runs' IDs; intervals
// that already have a backfill run are skipped.
func (a *API) postBackfill(w http.ResponseWriter, r *http.Request) error {
	var body backfillBody
	if err := decodeBody(r, &body, true); err != nil {
		return err
	}
	if body.FromDate == nil || body.ToDate == nil {
		return badField("from_date", "from_date and to_date are required")
	}
	from, err := parseTime("from_date", *body.FromDate)
	if err != nil {
		return err
	}
	to, err := parseTime("to_date", *body.ToDate)
	if err != nil {
		return err
	}
	if to.Before(from) {
		return badField("to_date", "before from_date")
	}
	dagID := r.PathValue("dag_id")
	d, ok := a.cfg.DAGs.DAG(dagID)
	if !ok {
		return notFound("DAG %s is not loaded: it cannot be backfilled", dagID)
	}
	if d.Schedule == "" {
		return badField("dag_id", "DAG %s has no schedule: a backfill needs one to know the data intervals", dagID)
	}
	tt, err := schedule.Parse(d.Schedule, d.Timezone)
	if err != nil {
		return badField("dag_id", "DAG %s: schedule %q: %v", dagID, d.Schedule, err)
	}
	ivs := tt.Intervals(from, to)
	if len(ivs) == 0 {
		return badField("from_date", "no data interval of %q starts between %s and %s", d.Schedule, from.Format(time.RFC3339), to.Format(time.RFC3339))
	}
	out := client.Backfill{DAGID: dagID, FromDate: from, ToDate: to, RunIDs: make([]string, 0, len(ivs))}
	for _, iv := range ivs {
		out.RunIDs = append(out.RunIDs, server.BackfillRunID(iv.Start))
	}
	// The backfill outlives the request; runs it created survive a server restart (the
	// engine resumes them), intervals not yet started then are not.
	go func() {
		if err := server.Backfill(context.WithoutCancel(r.Context()), a.cfg.Engine, d, from, to, nil); err != nil {
			a.cfg.Logger.Warn("api: backfill failed", "dag", dagID, "err", err)
		}
	}()
	return writeJSON(w, http.StatusAccepted, out)
}
