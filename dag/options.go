package dag

import "time"

// Built-in task option defaults, used when neither the task nor the DAG's defaults set an
// option. They follow Airflow's defaults.
const (
	// DefaultRetries is how many times a failed try is retried: none.
	DefaultRetries = 0
	// DefaultRetryDelay is the wait before the first retry: 300 seconds.
	DefaultRetryDelay = Duration(300 * time.Second)
	// DefaultRetryExponentialBackoff is false: every retry waits RetryDelay.
	DefaultRetryExponentialBackoff = false
	// DefaultMaxRetryDelay caps the exponential backoff delay: 24 hours.
	DefaultMaxRetryDelay = Duration(24 * time.Hour)
	// DefaultTimeout is the per-try time limit: zero, meaning none.
	DefaultTimeout = Duration(0)
	// DefaultPool is the pool a task takes its slots from.
	DefaultPool = "default_pool"
	// DefaultPoolSlots is how many pool slots one task instance takes.
	DefaultPoolSlots = 1
	// DefaultPriorityWeight is a task's own priority weight.
	DefaultPriorityWeight = 1
	// DefaultWeightRule is how the effective priority is computed: WeightDownstream.
	DefaultWeightRule = WeightDownstream
	// DefaultOutputLimit is the maximum size of a task's JSON output: 1 MiB.
	DefaultOutputLimit = 1 << 20
)

// Weight rules: how a task's effective priority is computed from priority weights.
const (
	// WeightDownstream adds the weights of all downstream tasks to the task's own weight, so
	// tasks that unblock more work go first (Airflow's default).
	WeightDownstream = "downstream"
	// WeightUpstream adds the weights of all upstream tasks, so runs that are further along
	// finish first.
	WeightUpstream = "upstream"
	// WeightAbsolute uses the task's own weight only.
	WeightAbsolute = "absolute"
)

// WeightRules lists the valid weight rules.
var WeightRules = []string{WeightDownstream, WeightUpstream, WeightAbsolute}

// Resolve returns the effective options of task t of d: each option set on the task wins,
// else the DAG's Defaults, else the built-in default (DefaultRetries, DefaultRetryDelay, ...).
// Every pointer of the result is non-nil and Pool and WeightRule are non-empty; callback
// lists are the task's when it has any, else the DAG defaults'. The result shares no memory
// with t or d.
func (d *DAG) Resolve(t *Task) TaskOptions {
	var def TaskOptions
	if d != nil {
		def = d.Defaults
	}
	var own TaskOptions
	if t != nil {
		own = t.TaskOptions
	}
	return TaskOptions{
		Retries:                 pick(own.Retries, def.Retries, DefaultRetries),
		RetryDelay:              pick(own.RetryDelay, def.RetryDelay, DefaultRetryDelay),
		RetryExponentialBackoff: pick(own.RetryExponentialBackoff, def.RetryExponentialBackoff, DefaultRetryExponentialBackoff),
		MaxRetryDelay:           pick(own.MaxRetryDelay, def.MaxRetryDelay, DefaultMaxRetryDelay),
		Timeout:                 pick(own.Timeout, def.Timeout, DefaultTimeout),
		Pool:                    pickString(own.Pool, def.Pool, DefaultPool),
		PoolSlots:               pick(own.PoolSlots, def.PoolSlots, DefaultPoolSlots),
		PriorityWeight:          pick(own.PriorityWeight, def.PriorityWeight, DefaultPriorityWeight),
		WeightRule:              pickString(own.WeightRule, def.WeightRule, DefaultWeightRule),
		OnFailure:               cloneCallbacks(pickList(own.OnFailure, def.OnFailure)),
		OnRetry:                 cloneCallbacks(pickList(own.OnRetry, def.OnRetry)),
		OnSuccess:               cloneCallbacks(pickList(own.OnSuccess, def.OnSuccess)),
		OutputLimit:             pick(own.OutputLimit, def.OutputLimit, DefaultOutputLimit),
		SLA:                     pick(own.SLA, def.SLA, Duration(0)),
		Track:                   pick(own.Track, def.Track, false),
		Cache:                   pick(own.Cache, def.Cache, false),
		OnSLAMiss:               cloneCallbacks(pickList(own.OnSLAMiss, def.OnSLAMiss)),
	}
}

// pick returns a fresh pointer to the first set value.
func pick[T any](own, def *T, builtin T) *T {
	v := builtin
	switch {
	case own != nil:
		v = *own
	case def != nil:
		v = *def
	}
	return &v
}

func pickString(own, def, builtin string) string {
	switch {
	case own != "":
		return own
	case def != "":
		return def
	}
	return builtin
}

func pickList(own, def []Callback) []Callback {
	if len(own) > 0 {
		return own
	}
	return def
}

// Cacheable reports whether a task's result may be cached (cache: true): not for sensors,
// whose result is the state of the world when they run, nor for the kinds the engine
// evaluates itself (branch, short_circuit, latest_only), which cost nothing to run again.
func Cacheable(t *Task) bool {
	switch t.Kind {
	case KindSensor, KindBranch, KindShortCircuit, KindLatestOnly:
		return false
	}
	return true
}
