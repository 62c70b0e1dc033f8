package engine

import (
	"crypto/sha1"
	"encoding/binary"
	"math"
	"strconv"
	"time"

	"github.com/weirhq/weir/dag"
)

// RetryDelay returns how long to wait before try number try+1, after try number try failed,
// with Airflow's rule (TaskInstance.next_retry_datetime): without exponential backoff the
// delay is retry_delay; with it, the delay is ceil(retry_delay × 2^(try−1)) seconds (at
// least 1 s) plus a jitter in [0, that) that is deterministic for the task instance and try,
// capped by max_retry_delay.
func RetryDelay(o EffectiveOptions, dagID, taskID string, logicalDate time.Time, try int) time.Duration {
	delay := o.RetryDelay
	if !o.ExponentialBackoff {
		return delay
	}
	minBackoff := math.Ceil(delay.Seconds() * math.Pow(2, float64(try-1)))
	if minBackoff < 1 {
		minBackoff = 1
	}
	limit := o.MaxRetryDelay.Seconds()
	if limit <= 0 {
		limit = math.MaxInt32
	}
	if minBackoff >= limit {
		return o.MaxRetryDelay
	}
	h := sha1.Sum([]byte(dagID + "#" + taskID + "#" + logicalDate.UTC().Format(time.RFC3339Nano) + "#" + strconv.Itoa(try)))
	jitter := float64(binary.BigEndian.Uint64(h[:8]) % uint64(minBackoff))
	secs := math.Min(minBackoff+jitter, limit)
	return time.Duration(secs * float64(time.Second))
}

// EffectiveOptions are a task's options after applying DAG defaults and built-in defaults.
type EffectiveOptions struct {
	Retries            int
	RetryDelay         time.Duration
	ExponentialBackoff bool
	MaxRetryDelay      time.Duration
	Timeout            time.Duration
	Pool               string
	PoolSlots          int
	PriorityWeight     int
	WeightRule         string
	OutputLimit        int
	OnFailure          []dag.Callback
	OnRetry            []dag.Callback
	OnSuccess          []dag.Callback
	SLA                time.Duration
	OnSLAMiss          []dag.Callback
	Track              bool
	// Cache is cache: true on a task that may be cached (dag.Cacheable).
	Cache bool
}

// Effective resolves the options of task t in DAG d: the task's own value, else the DAG's
// default, else the built-in default (dag.DAG.Resolve).
func Effective(d *dag.DAG, t *dag.Task) EffectiveOptions {
	o := d.Resolve(t)
	return EffectiveOptions{
		Retries:            *o.Retries,
		RetryDelay:         o.RetryDelay.D(),
		ExponentialBackoff: *o.RetryExponentialBackoff,
		MaxRetryDelay:      o.MaxRetryDelay.D(),
		Timeout:            o.Timeout.D(),
		Pool:               o.Pool,
		PoolSlots:          *o.PoolSlots,
		PriorityWeight:     *o.PriorityWeight,
		WeightRule:         o.WeightRule,
		OutputLimit:        *o.OutputLimit,
		OnFailure:          o.OnFailure,
		OnRetry:            o.OnRetry,
		OnSuccess:          o.OnSuccess,
		SLA:                o.SLA.D(),
		Track:              *o.Track,
		Cache:              *o.Cache && dag.Cacheable(t),
		OnSLAMiss:          o.OnSLAMiss,
	}
}
