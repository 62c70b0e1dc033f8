package dag

import "time"

// Built-in task option defaults, applied when neither the task nor the DAG's defaults set
// the option. They follow Airflow's where Airflow has one.
const (
	// DefaultRetries is the number of retries of a failed try.
	DefaultRetries = 0
	// DefaultRetryDelay is the wait before the first retry (Airflow: 300 s).
	DefaultRetryDelay = 300 * time.Second
	// DefaultMaxRetryDelay caps the exponential backoff (Airflow: 24 h).
	DefaultMaxRetryDelay = 24 * time.Hour
	// DefaultPool is the pool of tasks that name none.
	DefaultPool = "default_pool"
	// DefaultPoolSlots is the number of pool slots one instance takes.
	DefaultPoolSlots = 1
	// DefaultPriorityWeight is a task's own priority weight.
	DefaultPriorityWeight = 1
	// DefaultWeightRule is how the effective priority is computed.
	DefaultWeightRule = "downstream"
	// DefaultOutputLimit is the maximum size of a task's JSON output, in bytes (1 MiB).
	DefaultOutputLimit = 1 << 20
)
