package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/weirhq/weir/store"
)

func testDeployments(t *testing.T, setup setupFunc) {
	t.Run("PutGetListDelete", func(t *testing.T) {
		ctx, s := setup(t)
		if got, err := s.ListDeployments(ctx); err != nil || len(got) != 0 {
			t.Fatalf("ListDeployments on a new store = %v, %v; want none", got, err)
		}
		if _, err := s.GetDeployment(ctx, "iris"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("GetDeployment(missing) error = %v, want ErrNotFound", err)
		}
		before := time.Now().Add(-time.Second)
		iris := &store.Deployment{Name: "iris", Model: "models:/iris@champion", Canary: "models:/iris@challenger",
			CanaryWeight: 10, Description: "canary phase"}
		possum := &store.Deployment{Name: "possum", Model: "models:/possum/3", Shadow: "models:/possum@challenger"}
		for _, d := range []*store.Deployment{possum, iris} {
			if err := s.PutDeployment(ctx, d); err != nil {
				t.Fatalf("PutDeployment(%s): %v", d.Name, err)
			}
			if d.CreatedAt.Before(before) || !d.UpdatedAt.Equal(d.CreatedAt) {
				t.Fatalf("PutDeployment(%s) set CreatedAt %v UpdatedAt %v, want now and equal", d.Name, d.CreatedAt, d.UpdatedAt)
			}
		}
		got, err := s.ListDeployments(ctx)
		if err != nil || len(got) != 2 {
			t.Fatalf("ListDeployments = %v, %v; want 2", got, err)
		}
		checkStruct(t, "deployment iris", got[0], iris)
		checkStruct(t, "deployment possum", got[1], possum)

		created := iris.CreatedAt
		iris2 := &store.Deployment{Name: "iris", Model: "models:/iris@challenger"}
		if err := s.PutDeployment(ctx, iris2); err != nil {
			t.Fatalf("PutDeployment(update): %v", err)
		}
		if !iris2.CreatedAt.Equal(created) || iris2.UpdatedAt.Before(created) {
			t.Fatalf("update: CreatedAt %v UpdatedAt %v, want CreatedAt kept (%v)", iris2.CreatedAt, iris2.UpdatedAt, created)
		}
		g, err := s.GetDeployment(ctx, "iris")
		if err != nil {
			t.Fatal(err)
		}
		checkStruct(t, "updated deployment iris", g, iris2)

		if err := s.DeleteDeployment(ctx, "iris"); err != nil {
			t.Fatalf("DeleteDeployment: %v", err)
		}
		if err := s.DeleteDeployment(ctx, "iris"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("second DeleteDeployment error = %v, want ErrNotFound", err)
		}
		if got, _ := s.ListDeployments(ctx); len(got) != 1 || got[0].Name != "possum" {
			t.Fatalf("after delete ListDeployments = %v, want possum only", got)
		}
	})
	t.Run("Invalid", func(t *testing.T) {
		ctx, s := setup(t)
		for _, d := range []*store.Deployment{
			{Name: "", Model: "m"},
			{Name: "a/b", Model: "m"},
			{Name: "x"},
			{Name: "x", Model: "m", Canary: "c", CanaryWeight: 101},
			{Name: "x", Model: "m", CanaryWeight: 10},
		} {
			if err := s.PutDeployment(ctx, d); err == nil {
				t.Errorf("PutDeployment(%+v) succeeded, want an error", d)
			}
		}
		if got, _ := s.ListDeployments(ctx); len(got) != 0 {
			t.Fatalf("invalid deployments were stored: %v", got)
		}
	})
}
