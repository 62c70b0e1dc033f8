package api_test

import (
	"context"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/weirhq/weir/api"
	"github.com/weirhq/weir/api/client"
	"github.com/weirhq/weir/store"
)

func TestHealthAndVersion(t *testing.T) {
	t.Parallel()
	beat := time.Now()
	e := setup(t, func(c *api.Config) { c.SchedulerHeartbeat = func() time.Time { return beat } })
	h, err := e.c.Health(context.Background())
	if err != nil || h.Metadatabase.Status != "healthy" || h.Scheduler.Status == nil || *h.Scheduler.Status != "healthy" ||
		h.Scheduler.LatestSchedulerHeartbeat == nil {
		t.Errorf("health %+v, %v", h, err)
	}
	old := setup(t, func(c *api.Config) { c.SchedulerHeartbeat = func() time.Time { return beat.Add(-time.Hour) } })
	if h, _ := old.c.Health(context.Background()); h.Scheduler.Status == nil || *h.Scheduler.Status != "unhealthy" {
		t.Errorf("old heartbeat: %+v", h)
	}
	var raw map[string]map[string]any
	e2 := setup(t)
	e2.json("GET", "/health", "", 200, &raw)
	if raw["scheduler"]["status"] != nil || raw["metadatabase"]["status"] != "healthy" {
		t.Errorf("no scheduler: %v", raw)
	}
	v, err := e.c.Version(context.Background())
	if err != nil || v.Version != "1.2.3" || v.GitVersion != nil {
		t.Errorf("version %+v, %v", v, err)
	}
}

func TestListDAGs(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := context.Background()
	// The store knows a DAG whose file is gone.
	if err := e.st.UpsertDAG(ctx, &store.DAGMeta{DAGID: "gone", Source: "dags/gone.yaml", IsActive: false, UpdatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.c.SetPaused(ctx, "fails", true); err != nil {
		t.Fatal(err)
	}
	ids := func(q string) ([]string, int) {
		t.Helper()
		var c client.DAGCollection
		e.json("GET", "/dags"+q, "", 200, &c)
		var out []string
		for _, d := range c.DAGs {
			out = append(out, d.DAGID)
		}
		return out, c.TotalEntries
	}
	for _, tc := range []struct {
		query string
		want  []string
		total int
	}{
		{"", []string{"consumer", "fails", "hello", "mapped", "producer", "slow"}, 6},
		{"?only_active=false", []string{"consumer", "fails", "gone", "hello", "mapped", "producer", "slow"}, 7},
		{"?limit=2&offset=1", []string{"fails", "hello"}, 6},
		{"?order_by=-dag_id&limit=1", []string{"slow"}, 6},
		{"?tags=api", []string{"hello"}, 1},
		{"?tags=demo&tags=nope", []string{"fails", "hello"}, 2},
		{"?paused=true", []string{"fails"}, 1},
		{"?paused=false&dag_id_pattern=o", []string{"consumer", "hello", "producer", "slow"}, 4},
	} {
		got, total := ids(tc.query)
		if !slices.Equal(got, tc.want) || total != tc.total {
			t.Errorf("%s: %v (total %d), want %v (total %d)", tc.query, got, total, tc.want, tc.total)
		}
	}
	list, err := e.c.ListDAGs(ctx, client.ListDAGsOptions{Tags: []string{"demo"}, All: true})
	if err != nil || list.TotalEntries != 2 {
		t.Errorf("client ListDAGs: %+v, %v", list, err)
	}
}

func TestGetAndPauseDAG(t *testing.T) {
	t.Parallel()
	e := setup(t)
	var d client.DAG
	e.json("GET", "/dags/hello", "", 200, &d)
	if d.DAGID != "hello" || d.IsPaused || !d.IsActive || d.FileToken != "hello" || d.Fileloc != "testdata/dags/hello.yaml" ||
		d.Description == nil || *d.Description != "Say hello" || len(d.Tags) != 2 || d.Tags[0].Name != "demo" ||
		!slices.Equal(d.TaskIDs, []string{"greet", "done"}) || !strings.Contains(string(d.Params["n"]), `"integer"`) {
		t.Errorf("hello: %+v", d)
	}
	e.json("GET", "/dags/consumer", "", 200, &d)
	if d.DatasetExpression == nil || *d.DatasetExpression != "s3://bucket/data.csv" || !strings.Contains(string(d.Datasets), "s3://") {
		t.Errorf("consumer: %+v", d)
	}
	e.json("PATCH", "/dags/hello?update_mask=is_paused", `{"is_paused":true}`, 200, &d)
	if !d.IsPaused {
		t.Errorf("not paused: %+v", d)
	}
	e.json("GET", "/dags/hello", "", 200, &d)
	if !d.IsPaused {
		t.Errorf("pause not kept: %+v", d)
	}
	// A paused DAG can still be triggered.
	e.trigger("hello", "while-paused")
	e.json("PATCH", "/dags/hello", `{"is_paused":false}`, 200, &d)
	if d.IsPaused {
		t.Errorf("not unpaused: %+v", d)
	}
	e.problem("GET", "/dags/nope", "", 404, client.CodeNotFound, "")
	e.problem("PATCH", "/dags/nope", `{"is_paused":true}`, 404, client.CodeNotFound, "")
	e.problem("PATCH", "/dags/hello", `{"is_paused":true,"description":"x"}`, 400, client.CodeUnknownField, "description")
	e.problem("PATCH", "/dags/hello?update_mask=description", `{"is_paused":true}`, 400, client.CodeInvalidField, "update_mask")
}

func TestDAGSource(t *testing.T) {
	t.Parallel()
	e := setup(t)
	want, err := os.ReadFile("testdata/dags/hello.yaml")
	if err != nil {
		t.Fatal(err)
	}
	a := e.do("GET", "/dagSources/hello", "")
	if a.status != 200 || string(a.body) != string(want) || !strings.HasPrefix(a.header.Get("Content-Type"), "text/plain") {
		t.Errorf("%d %q: %s", a.status, a.header.Get("Content-Type"), a.body)
	}
	a = e.do("GET", "/dagSources/hello", "", "Accept", "application/json")
	var j struct{ Content string }
	if err := json.Unmarshal(a.body, &j); err != nil || j.Content != string(want) {
		t.Errorf("JSON: %s", a.body)
	}
	src, err := e.c.DAGSource(context.Background(), "hello")
	if err != nil || string(src) != string(want) {
		t.Errorf("client DAGSource: %v", err)
	}
	e.problem("GET", "/dagSources/nope", "", 404, client.CodeNotFound, "")
}

func TestImportErrors(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := context.Background()
	at := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	err := e.st.ReplaceImportErrors(ctx, []*store.ImportError{
		{File: "testdata/dags/hello.yaml", Message: "hello.yaml:3:1: tasks: bad", At: at},
		{File: "dags/b.yaml", Message: "b.yaml:1:1: syntax", At: at},
	})
	if err != nil {
		t.Fatal(err)
	}
	var c client.ImportErrorCollection
	e.json("GET", "/importErrors", "", 200, &c)
	if c.TotalEntries != 2 || c.ImportErrors[0].Filename != "dags/b.yaml" || c.ImportErrors[0].StackTrace != "b.yaml:1:1: syntax" ||
		c.ImportErrors[0].Timestamp == nil || !c.ImportErrors[0].Timestamp.Equal(at) {
		t.Errorf("%+v", c)
	}
	e.json("GET", "/importErrors?limit=1&offset=1", "", 200, &c)
	if c.TotalEntries != 2 || len(c.ImportErrors) != 1 || c.ImportErrors[0].Filename != "testdata/dags/hello.yaml" {
		t.Errorf("page: %+v", c)
	}
	var d client.DAG
	e.json("GET", "/dags/hello", "", 200, &d)
	if !d.HasImportErrors {
		t.Errorf("hello has an import error: %+v", d)
	}
	got, err := e.c.ImportErrors(ctx, client.ListOptions{})
	if err != nil || got.TotalEntries != 2 {
		t.Errorf("client ImportErrors: %+v, %v", got, err)
	}
}

func TestNoRoute(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.problem("GET", "/nope", "", 404, client.CodeNotFound, "")
	e.problem("GET", "/dags/hello/nope", "", 404, client.CodeNotFound, "")
	p := e.problem("DELETE", "/dags/hello", "", 405, client.CodeMethodNotAllowed, "")
	if !strings.Contains(p.Detail, "GET") {
		t.Errorf("405 detail %q", p.Detail)
	}
	// Bodies over the limit are a 413.
	small := setup(t, func(c *api.Config) { c.MaxBodyBytes = 10 })
	small.problem("POST", "/pools", `{"name":"p","slots":1,"description":"long enough"}`, 413, client.CodeTooLarge, "")
}
