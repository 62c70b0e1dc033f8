package dag

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestResolveOptions(t *testing.T) {
	t.Parallel()
	d := mustLoad(t, `
defaults:
  retries: 2
  retry_delay: 30
  pool: shared
  cache: true
  on_failure: [{webhook: "http://h/fail"}]
tasks:
  - {id: plain, command: [echo]}
  - id: own
    command: [echo]
    retries: 0
    retry_delay: 1m
    retry_exponential_backoff: true
    max_retry_delay: 1h
    timeout: 10s
    pool: gpu
    pool_slots: 2
    priority_weight: 5
    weight_rule: absolute
    output_limit: 100
    cache: false
    on_failure: [{command: [page.sh]}]
`)
	i := func(v int) *int { return &v }
	dur := func(v time.Duration) *Duration { d := Duration(v); return &d }
	b := func(v bool) *bool { return &v }
	plain := d.Resolve(taskByID(t, d, "plain"))
	want := TaskOptions{Retries: i(2), RetryDelay: dur(30 * time.Second), RetryExponentialBackoff: b(false),
		MaxRetryDelay: dur(24 * time.Hour), Timeout: dur(0), Pool: "shared", PoolSlots: i(1), PriorityWeight: i(1),
		WeightRule: WeightDownstream, OnFailure: []Callback{{Webhook: "http://h/fail"}}, OutputLimit: i(1 << 20), SLA: dur(0), Track: b(false), Cache: b(true)}
	if !reflect.DeepEqual(plain, want) {
		t.Errorf("plain\n%+v\nwant\n%+v", plain, want)
	}
	own := d.Resolve(taskByID(t, d, "own"))
	want = TaskOptions{Retries: i(0), RetryDelay: dur(time.Minute), RetryExponentialBackoff: b(true),
		MaxRetryDelay: dur(time.Hour), Timeout: dur(10 * time.Second), Pool: "gpu", PoolSlots: i(2), PriorityWeight: i(5),
		WeightRule: WeightAbsolute, OnFailure: []Callback{{Command: []string{"page.sh"}}}, OutputLimit: i(100), SLA: dur(0), Track: b(false), Cache: b(false)}
	if !reflect.DeepEqual(own, want) {
		t.Errorf("own\n%+v\nwant\n%+v", own, want)
	}
	// Nothing set anywhere: the built-in defaults.
	none := (&DAG{}).Resolve(&Task{ID: "x"})
	if *none.Retries != DefaultRetries || *none.RetryDelay != DefaultRetryDelay || *none.MaxRetryDelay != DefaultMaxRetryDelay ||
		none.Pool != DefaultPool || *none.OutputLimit != DefaultOutputLimit || none.OnFailure != nil {
		t.Errorf("built-in %+v", none)
	}
	// The result shares nothing with the DAG.
	*plain.Retries = 9
	plain.OnFailure[0].Webhook = "changed"
	if *d.Defaults.Retries != 2 || d.Defaults.OnFailure[0].Webhook != "http://h/fail" {
		t.Error("Resolve returned memory of the DAG")
	}
}

func TestCacheRefusedOnSensors(t *testing.T) {
	t.Parallel()
	_, err := LoadBytes("c.yaml", []byte(`
defaults: {cache: true}
tasks:
  - {id: wait, sensor: {type: file, path: in.csv}}
  - {id: wait2, sensor: {type: file, path: in.csv}, cache: true}
  - {id: work, command: [echo], upstream: [wait, wait2]}
`), LoadOptions{})
	if err == nil || !strings.Contains(err.Error(), "c.yaml:5") || !strings.Contains(err.Error(), "cannot be cached") || strings.Contains(err.Error(), "c.yaml:4") {
		t.Fatalf("error %v, want one at c.yaml:5 (cache: true on a sensor), none at line 4 (the default)", err)
	}
}
