package api_test

import (
	"context"
	"testing"

	"github.com/weirhq/weir/api/client"
)

func TestPools(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := context.Background()
	var p client.Pool
	e.json("POST", "/pools", `{"name":"gpu","slots":2,"description":"the GPUs"}`, 200, &p)
	if p.Name != "gpu" || p.Slots != 2 || p.OpenSlots != 2 || p.Description == nil || *p.Description != "the GPUs" {
		t.Errorf("created %+v", p)
	}
	e.problem("POST", "/pools", `{"name":"gpu","slots":3}`, 409, client.CodeAlreadyExists, "")
	e.json("GET", "/pools/gpu", "", 200, &p)
	if p.Slots != 2 {
		t.Errorf("get %+v", p)
	}
	e.json("PATCH", "/pools/gpu", `{"slots":-1}`, 200, &p)
	if p.Slots != -1 || p.OpenSlots != -1 || p.Description == nil {
		t.Errorf("patched slots %+v", p)
	}
	e.json("PATCH", "/pools/gpu?update_mask=description", `{"slots":5}`, 200, &p)
	if p.Slots != -1 || p.Description != nil {
		t.Errorf("patched with a mask %+v", p)
	}
	var c client.PoolCollection
	e.json("GET", "/pools", "", 200, &c)
	if c.TotalEntries != 2 || c.Pools[0].Name != "default_pool" || c.Pools[1].Name != "gpu" {
		t.Errorf("list %+v", c)
	}
	e.json("GET", "/pools?offset=1", "", 200, &c)
	if c.TotalEntries != 2 || len(c.Pools) != 1 {
		t.Errorf("page %+v", c)
	}
	if a := e.do("DELETE", "/pools/gpu", ""); a.status != 204 {
		t.Errorf("delete: %d %s", a.status, a.body)
	}
	e.problem("GET", "/pools/gpu", "", 404, client.CodeNotFound, "")
	e.problem("DELETE", "/pools/gpu", "", 404, client.CodeNotFound, "")
	e.problem("PATCH", "/pools/gpu", `{"slots":1}`, 404, client.CodeNotFound, "")
	e.problem("DELETE", "/pools/default_pool", "", 400, client.CodeInvalidField, "pool_name")
	e.problem("PATCH", "/pools/default_pool", `{"name":"other"}`, 400, client.CodeInvalidField, "name")

	// Through the client, and slot use by a running task.
	if _, err := e.c.CreatePool(ctx, "p2", 4, ""); err != nil {
		t.Fatal(err)
	}
	four := 8
	if got, err := e.c.UpdatePool(ctx, "p2", &four, nil); err != nil || got.Slots != 8 {
		t.Errorf("client UpdatePool: %+v, %v", got, err)
	}
	if err := e.c.DeletePool(ctx, "p2"); err != nil {
		t.Error(err)
	}
	if _, err := e.c.GetPool(ctx, "p2"); !client.IsCode(err, client.CodeNotFound) {
		t.Errorf("client GetPool of a deleted pool: %v", err)
	}
	if _, err := e.c.Trigger(ctx, "slow", client.TriggerRequest{DAGRunID: "s1"}); err != nil {
		t.Fatal(err)
	}
	if pools, err := e.c.ListPools(ctx, client.ListOptions{}); err != nil || len(pools.Pools) != 1 {
		t.Errorf("client ListPools: %+v, %v", pools, err)
	}
	e.c.MarkRun(ctx, "slow", "s1", "failed")
	e.wait("slow", "s1")
}
