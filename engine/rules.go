package engine

import (
	"github.com/weirhq/weir/dag"
	"github.com/weirhq/weir/store"
)

// Counts summarises the states of a task instance's direct upstream instances, as Airflow's
// trigger rule dependency counts them (ti_deps/deps/trigger_rule_dep.py).
type Counts struct {
	// Upstream is the number of upstream instances.
	Upstream int
	// Success, Skipped, Failed, UpstreamFailed, Removed count upstreams in each final state.
	Success        int
	Skipped        int
	Failed         int
	UpstreamFailed int
	Removed        int
	// Setups is the number of upstreams that are setup tasks; SetupSuccess and SetupSkipped
	// count those that succeeded or were skipped. Only all_done_setup_success reads them.
	Setups       int
	SetupSuccess int
	SetupSkipped int
}

// Add counts one upstream instance in state s; setup says whether its task is a setup.
func (c *Counts) Add(s store.TIState, setup bool) {
	c.Upstream++
	switch s {
	case store.TISuccess:
		c.Success++
	case store.TISkipped:
		c.Skipped++
	case store.TIFailed:
		c.Failed++
	case store.TIUpstreamFailed:
		c.UpstreamFailed++
	case store.TIRemoved:
		c.Removed++
	}
	if setup {
		c.Setups++
		switch s {
		case store.TISuccess:
			c.SetupSuccess++
		case store.TISkipped:
			c.SetupSkipped++
		}
	}
}

// Done is the number of upstreams in a final state (Airflow's "done").
func (c Counts) Done() int {
	return c.Success + c.Skipped + c.Failed + c.UpstreamFailed + c.Removed
}

// Decision is what a trigger rule makes of a task instance given its upstream counts.
type Decision int

// The decisions.
const (
	// Wait means the rule cannot decide yet: some upstream is still to finish.
	Wait Decision = iota
	// Run means the instance may be scheduled now.
	Run
	// Skip means the instance becomes skipped without running.
	Skip
	// UpstreamFailed means the instance becomes upstream_failed without running.
	UpstreamFailed
)

// String names the decision.
func (d Decision) String() string {
	return [...]string{"wait", "run", "skipped", "upstream_failed"}[d]
}

// Decide applies a trigger rule to the upstream counts of an unmapped task instance, with
// Airflow's semantics: first the instant state assignment (a rule may mark the instance
// skipped or upstream_failed before every upstream is done), then the condition to run.
// A task without upstreams, and any task with the "always" rule, runs at once.
func Decide(rule dag.TriggerRule, c Counts) Decision {
	if c.Upstream == 0 || rule == dag.Always {
		return Run
	}
	if d := instantState(rule, c); d != Wait {
		return d
	}
	if canRun(rule, c) {
		return Run
	}
	return Wait
}

// instantState is the state a rule assigns as soon as the counts allow, or Wait.
func instantState(rule dag.TriggerRule, c Counts) Decision {
	done := c.Done() >= c.Upstream
	failures := c.Failed + c.UpstreamFailed
	switch rule {
	case dag.AllSuccess, "":
		if failures > 0 {
			return UpstreamFailed
		}
		if c.Skipped > 0 {
			return Skip
		}
	case dag.AllFailed:
		if c.Success > 0 || c.Skipped > 0 {
			return Skip
		}
	case dag.OneSuccess:
		if done && c.Done() == c.Skipped {
			return Skip
		}
		if done && c.Success == 0 {
			return UpstreamFailed
		}
	case dag.OneFailed:
		if done && failures == 0 {
			return Skip
		}
	case dag.OneDone:
		if done && c.Failed == 0 && c.Success == 0 {
			return Skip
		}
	case dag.NoneFailed:
		if failures > 0 {
			return UpstreamFailed
		}
	case dag.NoneFailedMinOneSuccess:
		if failures > 0 {
			return UpstreamFailed
		}
		if c.Skipped == c.Upstream {
			return Skip
		}
	case dag.NoneSkipped:
		if c.Skipped > 0 {
			return Skip
		}
	case dag.AllSkipped:
		if c.Success > 0 || failures > 0 {
			return Skip
		}
	case dag.AllDoneMinOneSuccess:
		// Skipped upstreams do not count as done for this rule: any skip skips it.
		if c.Skipped > 0 {
			return Skip
		}
		if c.Success+failures+c.Removed >= c.Upstream && c.Success == 0 {
			return UpstreamFailed
		}
	case dag.AllDoneSetupSuccess:
		if done && c.Setups > 0 && c.SetupSkipped >= c.Setups {
			return Skip
		}
		if done && c.Setups > 0 && c.SetupSuccess == 0 {
			return UpstreamFailed
		}
	}
	return Wait
}

// canRun reports whether the rule's condition to run holds.
func canRun(rule dag.TriggerRule, c Counts) bool {
	done := c.Done() >= c.Upstream
	switch rule {
	case dag.AllSuccess, "":
		return c.Success >= c.Upstream
	case dag.AllFailed:
		return c.Failed+c.UpstreamFailed >= c.Upstream
	case dag.AllDone:
		return done
	case dag.OneSuccess:
		return c.Success > 0
	case dag.OneFailed:
		return c.Failed+c.UpstreamFailed > 0
	case dag.OneDone:
		return c.Success+c.Failed > 0
	case dag.NoneFailed, dag.NoneFailedMinOneSuccess:
		return c.Success+c.Skipped >= c.Upstream
	case dag.NoneSkipped:
		return done && c.Skipped == 0
	case dag.AllSkipped:
		return c.Skipped >= c.Upstream
	case dag.AllDoneMinOneSuccess:
		return c.Skipped == 0 && c.Success+c.Failed+c.UpstreamFailed+c.Removed >= c.Upstream && c.Success > 0
	case dag.AllDoneSetupSuccess:
		return done && (c.Setups == 0 || c.SetupSuccess > 0)
	}
	return false
}
