package storetest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/weirhq/weir/store"
)

func testMonitors(t *testing.T, setup setupFunc) {
	t.Run("PutGetListDelete", func(t *testing.T) {
		ctx, s := setup(t)
		if got, err := s.ListMonitors(ctx); err != nil || len(got) != 0 {
			t.Fatalf("ListMonitors on a new store = %v, %v; want none", got, err)
		}
		_, err := s.GetMonitor(ctx, "iris-drift")
		wantErrIs(t, "GetMonitor(missing)", err, store.ErrNotFound)
		wantErrIs(t, "DeleteMonitor(missing)", s.DeleteMonitor(ctx, "iris-drift"), store.ErrNotFound)
		if err := s.PutMonitor(ctx, &store.Monitor{Name: "bad name!", Endpoint: "iris"}); err == nil {
			t.Fatal("PutMonitor with an invalid name: no error")
		}
		if err := s.PutMonitor(ctx, &store.Monitor{Name: "x", Endpoint: ""}); err == nil {
			t.Fatal("PutMonitor without an endpoint: no error")
		}
		before := time.Now().Add(-time.Second)
		a := &store.Monitor{Name: "iris-drift", Endpoint: "iris", Spec: json.RawMessage(`{"window":{"rows":500}}`)}
		b := &store.Monitor{Name: "possum", Endpoint: "possum"}
		for _, m := range []*store.Monitor{b, a} {
			if err := s.PutMonitor(ctx, m); err != nil {
				t.Fatalf("PutMonitor(%s): %v", m.Name, err)
			}
			if m.CreatedAt.Before(before) || !m.UpdatedAt.Equal(m.CreatedAt) || !m.LastRunAt.IsZero() || m.Drifting {
				t.Fatalf("PutMonitor(%s) set %+v; want creation times now and no state", m.Name, m)
			}
		}
		list, err := s.ListMonitors(ctx)
		if err != nil || len(list) != 2 || list[0].Name != "iris-drift" || list[1].Name != "possum" {
			t.Fatalf("ListMonitors = %v, %v; want iris-drift, possum", list, err)
		}
		checkStruct(t, "monitor iris-drift", list[0], a)
		if string(list[0].Spec) != `{"window":{"rows":500}}` {
			t.Fatalf("spec = %s", list[0].Spec)
		}

		// State is kept by AddMonitorResult, and kept across a PutMonitor.
		r := &store.MonitorResult{Monitor: "iris-drift", Time: at(time.Minute), Drift: true, Fired: true, Result: json.RawMessage(`{"share":0.75}`)}
		if err := s.AddMonitorResult(ctx, r); err != nil {
			t.Fatalf("AddMonitorResult: %v", err)
		}
		created := a.CreatedAt
		a2 := &store.Monitor{Name: "iris-drift", Endpoint: "iris2", Spec: json.RawMessage(`{}`)}
		if err := s.PutMonitor(ctx, a2); err != nil {
			t.Fatalf("PutMonitor(update): %v", err)
		}
		if !a2.CreatedAt.Equal(created) || a2.Endpoint != "iris2" || !a2.Drifting ||
			!a2.LastRunAt.Equal(at(time.Minute).Truncate(time.Microsecond)) || !a2.LastFiredAt.Equal(a2.LastRunAt) {
			t.Fatalf("after update: %+v; want CreatedAt %v kept, endpoint iris2, the result's state kept", a2, created)
		}
		if err := s.DeleteMonitor(ctx, "iris-drift"); err != nil {
			t.Fatalf("DeleteMonitor: %v", err)
		}
		if got, err := s.ListMonitorResults(ctx, store.MonitorResultFilter{Monitor: "iris-drift"}); err != nil || len(got) != 0 {
			t.Fatalf("results after DeleteMonitor = %v, %v; want none", got, err)
		}
		if got, _ := s.ListMonitors(ctx); len(got) != 1 || got[0].Name != "possum" {
			t.Fatalf("after delete ListMonitors = %v, want possum only", got)
		}
	})
	t.Run("Results", func(t *testing.T) {
		ctx, s := setup(t)
		err := s.AddMonitorResult(ctx, &store.MonitorResult{Monitor: "missing", Time: at(0)})
		wantErrIs(t, "AddMonitorResult of a missing monitor", err, store.ErrNotFound)
		for _, name := range []string{"a", "b"} {
			if err := s.PutMonitor(ctx, &store.Monitor{Name: name, Endpoint: "e"}); err != nil {
				t.Fatal(err)
			}
		}
		// a: fired at 1m, drifting at 2m (no fire), back to normal at 3m.
		steps := []struct {
			d            time.Duration
			drift, fired bool
		}{{time.Minute, true, true}, {2 * time.Minute, true, false}, {3 * time.Minute, false, false}}
		var ids []int64
		for _, st := range steps {
			r := &store.MonitorResult{Monitor: "a", Time: at(st.d), Drift: st.drift, Fired: st.fired, Result: json.RawMessage(`{"d":1}`)}
			if err := s.AddMonitorResult(ctx, r); err != nil {
				t.Fatal(err)
			}
			if len(ids) > 0 && r.ID <= ids[len(ids)-1] {
				t.Fatalf("result IDs %v then %d: want increasing", ids, r.ID)
			}
			ids = append(ids, r.ID)
		}
		if err := s.AddMonitorResult(ctx, &store.MonitorResult{Monitor: "b", Time: at(90 * time.Second)}); err != nil {
			t.Fatal(err)
		}
		m, err := s.GetMonitor(ctx, "a")
		if err != nil {
			t.Fatal(err)
		}
		if m.Drifting || !m.LastRunAt.Equal(at(3*time.Minute).Truncate(time.Microsecond)) || !m.LastFiredAt.Equal(at(time.Minute).Truncate(time.Microsecond)) {
			t.Fatalf("monitor a state = drifting %v, last run %v, last fired %v; want false, 3m, 1m", m.Drifting, m.LastRunAt, m.LastFiredAt)
		}
		got, err := s.ListMonitorResults(ctx, store.MonitorResultFilter{Monitor: "a"})
		if err != nil || len(got) != 3 {
			t.Fatalf("ListMonitorResults(a) = %v, %v; want 3", got, err)
		}
		if got[0].ID != ids[2] || got[2].ID != ids[0] || !got[2].Fired || !got[2].Drift || got[0].Drift ||
			string(got[1].Result) != `{"d":1}` || !got[0].Time.Equal(at(3*time.Minute).Truncate(time.Microsecond)) {
			t.Fatalf("ListMonitorResults(a) = %+v %+v %+v; want newest first with their fields", *got[0], *got[1], *got[2])
		}
		got, _ = s.ListMonitorResults(ctx, store.MonitorResultFilter{Monitor: "a", Limit: 1})
		if len(got) != 1 || got[0].ID != ids[2] {
			t.Fatalf("Limit 1 = %v, want the newest", got)
		}
		got, _ = s.ListMonitorResults(ctx, store.MonitorResultFilter{Since: at(90 * time.Second)})
		if len(got) != 3 || got[2].Monitor != "b" {
			t.Fatalf("Since 90s over every monitor = %v; want a@3m, a@2m, b@90s", got)
		}
	})
}
