package engine

import (
	"testing"

	"github.com/weirhq/weir/dag"
	"github.com/weirhq/weir/store"
)

// up builds Counts from upstream states; a state prefixed "setup:" is a setup upstream.
func up(states ...string) Counts {
	var c Counts
	for _, s := range states {
		setup := false
		if len(s) > 6 && s[:6] == "setup:" {
			setup, s = true, s[6:]
		}
		if s == "running" || s == "none" {
			c.Upstream++
			if setup {
				c.Setups++
			}
			continue
		}
		c.Add(store.TIState(s), setup)
	}
	return c
}

// TestDecide checks every trigger rule against Airflow's documented behaviour. Sources:
// Airflow docs core-concepts/dags.rst "Trigger Rules", and the propagation logic of
// ti_deps/deps/trigger_rule_dep.py (_evaluate_direct_relatives), as summarised in
// shared/reference/airflow-semantics.md.
func TestDecide(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		rule dag.TriggerRule
		ups  Counts
		want Decision
	}{
		// Any task without upstreams runs; "always" runs at once whatever the upstreams.
		{"no upstream runs", dag.AllSuccess, up(), Run},
		{"always ignores running upstream", dag.Always, up("running", "failed"), Run},

		// all_success (default): all upstreams succeeded; a failure marks upstream_failed at
		// once, a skip marks skipped at once, without waiting for the rest.
		{"all_success all ok", dag.AllSuccess, up("success", "success"), Run},
		{"all_success default rule name", "", up("success"), Run},
		{"all_success waits", dag.AllSuccess, up("success", "running"), Wait},
		{"all_success failed -> upstream_failed at once", dag.AllSuccess, up("failed", "running"), UpstreamFailed},
		{"all_success upstream_failed propagates", dag.AllSuccess, up("upstream_failed", "success"), UpstreamFailed},
		{"all_success skipped -> skipped at once", dag.AllSuccess, up("skipped", "running"), Skip},
		{"all_success failure wins over skip", dag.AllSuccess, up("skipped", "failed"), UpstreamFailed},

		// all_failed: all upstreams failed or upstream_failed; any success or skip skips it.
		{"all_failed all failed", dag.AllFailed, up("failed", "upstream_failed"), Run},
		{"all_failed waits", dag.AllFailed, up("failed", "running"), Wait},
		{"all_failed success -> skipped", dag.AllFailed, up("failed", "success"), Skip},
		{"all_failed skipped -> skipped", dag.AllFailed, up("skipped", "running"), Skip},

		// all_done: all upstreams done, whatever their state.
		{"all_done mixed", dag.AllDone, up("success", "failed", "skipped", "upstream_failed"), Run},
		{"all_done waits", dag.AllDone, up("failed", "running"), Wait},

		// all_done_min_one_success: all non-skipped upstreams done and at least one success;
		// a skipped upstream skips it (Airflow 3.1 behaviour, apache/airflow#59925).
		{"all_done_min_one_success success and failure", dag.AllDoneMinOneSuccess, up("success", "failed"), Run},
		{"all_done_min_one_success waits", dag.AllDoneMinOneSuccess, up("success", "running"), Wait},
		{"all_done_min_one_success no success -> upstream_failed", dag.AllDoneMinOneSuccess, up("failed", "upstream_failed"), UpstreamFailed},
		{"all_done_min_one_success skipped -> skipped", dag.AllDoneMinOneSuccess, up("success", "skipped"), Skip},

		// all_skipped: all upstreams skipped; any success, failure or upstream_failed skips it.
		{"all_skipped all skipped", dag.AllSkipped, up("skipped", "skipped"), Run},
		{"all_skipped waits", dag.AllSkipped, up("skipped", "running"), Wait},
		{"all_skipped success -> skipped", dag.AllSkipped, up("skipped", "success"), Skip},
		{"all_skipped failed -> skipped", dag.AllSkipped, up("failed", "running"), Skip},
		{"all_skipped upstream_failed -> skipped", dag.AllSkipped, up("upstream_failed"), Skip},

		// one_success: runs as soon as one upstream succeeded, without waiting; all done and
		// all skipped -> skipped; all done and none succeeded -> upstream_failed.
		{"one_success fires early", dag.OneSuccess, up("success", "running"), Run},
		{"one_success waits", dag.OneSuccess, up("failed", "running"), Wait},
		{"one_success all skipped -> skipped", dag.OneSuccess, up("skipped", "skipped"), Skip},
		{"one_success none succeeded -> upstream_failed", dag.OneSuccess, up("failed", "skipped"), UpstreamFailed},

		// one_failed: runs as soon as one upstream failed or upstream_failed; all done and
		// none failed -> skipped.
		{"one_failed fires early", dag.OneFailed, up("failed", "running"), Run},
		{"one_failed on upstream_failed", dag.OneFailed, up("upstream_failed", "running"), Run},
		{"one_failed waits", dag.OneFailed, up("success", "running"), Wait},
		{"one_failed none failed -> skipped", dag.OneFailed, up("success", "skipped"), Skip},

		// one_done: runs as soon as one upstream succeeded or failed; all done with neither
		// -> skipped.
		{"one_done on success", dag.OneDone, up("success", "running"), Run},
		{"one_done on failure", dag.OneDone, up("failed", "running"), Run},
		{"one_done waits on skip", dag.OneDone, up("skipped", "running"), Wait},
		{"one_done only skipped/upstream_failed -> skipped", dag.OneDone, up("skipped", "upstream_failed"), Skip},

		// none_failed: no upstream failed or upstream_failed (all succeeded or skipped; all
		// skipped still runs); a failure marks upstream_failed at once.
		{"none_failed success and skip", dag.NoneFailed, up("success", "skipped"), Run},
		{"none_failed all skipped still runs", dag.NoneFailed, up("skipped", "skipped"), Run},
		{"none_failed waits", dag.NoneFailed, up("success", "running"), Wait},
		{"none_failed failure -> upstream_failed", dag.NoneFailed, up("failed", "running"), UpstreamFailed},
		{"none_failed upstream_failed -> upstream_failed", dag.NoneFailed, up("upstream_failed", "success"), UpstreamFailed},

		// none_failed_min_one_success: no failure and at least one success; all skipped ->
		// skipped; a failure -> upstream_failed. The usual join after a branch.
		{"none_failed_min_one_success join after branch", dag.NoneFailedMinOneSuccess, up("success", "skipped"), Run},
		{"none_failed_min_one_success all skipped -> skipped", dag.NoneFailedMinOneSuccess, up("skipped", "skipped"), Skip},
		{"none_failed_min_one_success failure -> upstream_failed", dag.NoneFailedMinOneSuccess, up("failed", "success"), UpstreamFailed},
		{"none_failed_min_one_success waits", dag.NoneFailedMinOneSuccess, up("skipped", "running"), Wait},

		// none_skipped: all done and none skipped (failures allowed); a skip skips it at once.
		{"none_skipped with failures", dag.NoneSkipped, up("success", "failed", "upstream_failed"), Run},
		{"none_skipped waits", dag.NoneSkipped, up("success", "running"), Wait},
		{"none_skipped skip -> skipped at once", dag.NoneSkipped, up("skipped", "running"), Skip},

		// all_done_setup_success (teardowns): waits for all upstreams; runs when at least one
		// setup succeeded, also after the work failed; all setups skipped -> skipped; none
		// succeeded -> upstream_failed.
		{"teardown runs after work failed", dag.AllDoneSetupSuccess, up("setup:success", "failed"), Run},
		{"teardown waits for work", dag.AllDoneSetupSuccess, up("setup:success", "running"), Wait},
		{"teardown one of two setups succeeded", dag.AllDoneSetupSuccess, up("setup:success", "setup:failed", "success"), Run},
		{"teardown all setups skipped -> skipped", dag.AllDoneSetupSuccess, up("setup:skipped", "skipped"), Skip},
		{"teardown no setup succeeded -> upstream_failed", dag.AllDoneSetupSuccess, up("setup:failed", "upstream_failed"), UpstreamFailed},
		{"teardown setups failed and skipped -> upstream_failed", dag.AllDoneSetupSuccess, up("setup:failed", "setup:skipped"), UpstreamFailed},
		{"teardown without setups behaves as all_done", dag.AllDoneSetupSuccess, up("failed", "skipped"), Run},
	}
	seen := map[dag.TriggerRule]bool{}
	for _, tt := range tests {
		seen[tt.rule] = true
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Decide(tt.rule, tt.ups); got != tt.want {
				t.Errorf("Decide(%s, %+v) = %s, want %s", tt.rule, tt.ups, got, tt.want)
			}
		})
	}
	for _, r := range dag.TriggerRules {
		if !seen[r] {
			t.Errorf("trigger rule %s has no test case", r)
		}
	}
}
