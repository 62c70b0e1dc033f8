package api_test

import (
	"context"
	"testing"
	"time"

	"github.com/weirhq/weir/api"
	"github.com/weirhq/weir/api/client"
	"github.com/weirhq/weir/dag"
	"github.com/weirhq/weir/store"
)

const hourlyDAG = `dag_id: hourly
schedule: "@hourly"
start_date: 2026-01-01
tasks:
  - {id: tick, script: echo tick}
`

// TestDAGNextRun: GET /dags and GET /dags/{id} answer Airflow's next_dagrun fields as the
// scheduler computes the next run: without catchup and with no run yet, the latest
// complete interval (due now); after it was scheduled, the following one; null for a
// DAG with no time schedule.
func TestDAGNextRun(t *testing.T) {
	t.Parallel()
	d, err := dag.LoadBytes("hourly.yaml", []byte(hourlyDAG), dag.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 4, 10, 30, 0, 0, time.UTC)
	e := setup(t, func(c *api.Config) {
		c.DAGs = append(c.DAGs.(api.StaticDAGs), d)
		c.Clock = func() time.Time { return now }
	})
	ctx := context.Background()
	at := func(h int) time.Time { return time.Date(2026, 3, 4, h, 0, 0, 0, time.UTC) }
	check := func(step string, o client.DAG, start, end time.Time) {
		t.Helper()
		for name, got := range map[string]*time.Time{"next_dagrun": o.NextDAGRun, "next_dagrun_data_interval_start": o.NextDAGRunDataIntervalStart,
			"next_dagrun_data_interval_end": o.NextDAGRunDataIntervalEnd, "next_dagrun_create_after": o.NextDAGRunCreateAfter} {
			want := start
			if name == "next_dagrun_data_interval_end" || name == "next_dagrun_create_after" {
				want = end
			}
			if got == nil || !got.Equal(want) {
				t.Errorf("%s: %s of %s is %v, want %s", step, name, o.DAGID, got, want)
			}
		}
	}
	var one client.DAG
	e.json("GET", "/dags/hourly", "", 200, &one)
	check("no run yet", one, at(9), at(10))

	// The scheduler created the 09:00 run: it records the DAG and its last interval.
	if err := e.st.UpsertDAG(ctx, &store.DAGMeta{DAGID: "hourly", Source: d.Source, Schedule: d.Schedule, IsActive: true, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if err := e.st.SetLastScheduled(ctx, "hourly", at(9), at(10), nil, nil); err != nil {
		t.Fatal(err)
	}
	e.json("GET", "/dags/hourly", "", 200, &one)
	check("after 09:00 was scheduled", one, at(10), at(11))

	var all client.DAGCollection
	e.json("GET", "/dags", "", 200, &all)
	seen := 0
	for _, o := range all.DAGs {
		switch o.DAGID {
		case "hourly":
			seen++
			check("GET /dags", o, at(10), at(11))
		case "hello":
			seen++
			if o.NextDAGRun != nil || o.NextDAGRunDataIntervalStart != nil || o.NextDAGRunDataIntervalEnd != nil || o.NextDAGRunCreateAfter != nil {
				t.Errorf("the manual DAG hello has a next run: %+v", o)
			}
		}
	}
	if seen != 2 {
		t.Errorf("GET /dags lacks hourly or hello: %+v", all.DAGs)
	}
}
