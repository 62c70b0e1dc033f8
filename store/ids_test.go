package store_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/weirhq/weir/store"
)

func TestValidateIDs(t *testing.T) {
	t.Parallel()
	good := map[string][]string{
		"run": {
			"manual__2026-12-02T02:19:03.000Z", "manual__2026-12-02T02:19:03.000Z.1a2b3c",
			"scheduled__2026-12-02T00:00:00Z", "scheduled__2026-12-02T00:00:00+02:00",
			"backfill__2026-01-01T00:00:00Z", "dataset_triggered__42", "my-run_1.v2~x", "...",
			strings.Repeat("r", store.MaxIDLen),
		},
		"dag":  {"etl", "my_dag-2", "a.b", strings.Repeat("d", store.MaxIDLen)},
		"task": {"t", "group.task", "g1.g2.t-3_x", strings.Repeat("t", store.MaxTaskIDLen)},
	}
	bad := map[string][]string{
		"run": {"", ".", "..", "~", "../x", "../../../escaped", "a/b", `a\b`, "a b", "a\x00b", "é",
			strings.Repeat("r", store.MaxIDLen+1), "$(id)", "a\nb"},
		"dag":  {"", ".", "..", "../x", "a/b", "a:b", "a~b", strings.Repeat("d", store.MaxIDLen+1)},
		"task": {"", ".", "..", "../x", "a/b", "a:b", "t+1", strings.Repeat("t", store.MaxTaskIDLen+1)},
	}
	check := map[string]func(string) error{
		"run": store.ValidateRunID, "dag": store.ValidateDAGID, "task": store.ValidateTaskID,
	}
	for kind, ids := range good {
		for _, id := range ids {
			if err := check[kind](id); err != nil {
				t.Errorf("%s id %q refused: %v", kind, id, err)
			}
		}
	}
	for kind, ids := range bad {
		for _, id := range ids {
			err := check[kind](id)
			if err == nil {
				t.Errorf("%s id %q accepted", kind, id)
				continue
			}
			if !errors.Is(err, store.ErrInvalidID) {
				t.Errorf("%s id %q: error %v does not wrap ErrInvalidID", kind, id, err)
			}
			if msg := err.Error(); !strings.Contains(msg, kind+" id") || !strings.Contains(msg, "must match [A-Za-z0-9_.") {
				t.Errorf("%s id %q: error %q does not name the field and the rule", kind, id, msg)
			}
		}
	}
	err := store.ValidateRunID("../x")
	if want := `run id "../x": must match [A-Za-z0-9_.~:+-]{1,250} and not be ., .. or ~`; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q, want it to contain %q", err, want)
	}
	if err := store.ValidateMapIndex(-2); err == nil || !strings.Contains(err.Error(), "map index -2") {
		t.Errorf("map index -2: %v", err)
	}
	for _, i := range []int{-1, 0, 7} {
		if err := store.ValidateMapIndex(i); err != nil {
			t.Errorf("map index %d: %v", i, err)
		}
	}
	if err := store.ValidateTIKey("d", "r", "a/b", 0); err == nil || !strings.Contains(err.Error(), "task id") {
		t.Errorf("ValidateTIKey with a bad task id: %v", err)
	}
}
