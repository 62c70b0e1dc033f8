package dag

import (
	"slices"
)

// Clone returns a deep copy of t: no slice, map or pointer is shared with t.
func (t *Task) Clone() *Task {
	if t == nil {
		return nil
	}
	c := *t
	c.Upstream = slices.Clone(t.Upstream)
	if t.Command != nil {
		c.Command = mapSpecValues(t.Command, cloneValue).(*CommandSpec)
	}
	if t.HTTP != nil {
		c.HTTP = mapSpecValues(t.HTTP, cloneValue).(*HTTPSpec)
	}
	if t.Go != nil {
		c.Go = mapSpecValues(t.Go, cloneValue).(*GoSpec)
	}
	if t.Sensor != nil {
		c.Sensor = mapSpecValues(t.Sensor, cloneValue).(*SensorSpec)
	}
	c.Spec = mapSpecValues(t.Spec, cloneValue)
	c.TaskOptions = t.TaskOptions.clone()
	if t.Teardown != nil {
		td := *t.Teardown
		td.Setups = slices.Clone(t.Teardown.Setups)
		c.Teardown = &td
	}
	if t.Branch != nil {
		b := *t.Branch
		c.Branch = &b
	}
	if t.ShortCircuit != nil {
		sc := *t.ShortCircuit
		sc.IgnoreDownstreamTriggerRules = clonePtr(t.ShortCircuit.IgnoreDownstreamTriggerRules)
		c.ShortCircuit = &sc
	}
	c.Mapping = t.Mapping.clone()
	c.Outlets = slices.Clone(t.Outlets)
	c.OutletAliases = slices.Clone(t.OutletAliases)
	c.Inlets = slices.Clone(t.Inlets)
	return &c
}

// clone returns a deep copy of m.
func (m Mapping) clone() Mapping {
	c := m
	if m.Expand != nil {
		c.Expand = cloneValue(m.Expand).(map[string]any)
	}
	c.ExpandKwargs = cloneValue(m.ExpandKwargs)
	if m.Partial != nil {
		c.Partial = cloneValue(m.Partial).(map[string]any)
	}
	return c
}

// clone returns a deep copy of o.
func (o TaskOptions) clone() TaskOptions {
	c := o
	c.Retries = clonePtr(o.Retries)
	c.RetryDelay = clonePtr(o.RetryDelay)
	c.RetryExponentialBackoff = clonePtr(o.RetryExponentialBackoff)
	c.MaxRetryDelay = clonePtr(o.MaxRetryDelay)
	c.Timeout = clonePtr(o.Timeout)
	c.PoolSlots = clonePtr(o.PoolSlots)
	c.PriorityWeight = clonePtr(o.PriorityWeight)
	c.OutputLimit = clonePtr(o.OutputLimit)
	c.SLA = clonePtr(o.SLA)
	c.Track = clonePtr(o.Track)
	c.Cache = clonePtr(o.Cache)
	c.OnSLAMiss = cloneCallbacks(o.OnSLAMiss)
	c.OnFailure = cloneCallbacks(o.OnFailure)
	c.OnRetry = cloneCallbacks(o.OnRetry)
	c.OnSuccess = cloneCallbacks(o.OnSuccess)
	return c
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

func cloneCallbacks(cbs []Callback) []Callback {
	if cbs == nil {
		return nil
	}
	out := make([]Callback, len(cbs))
	for i, cb := range cbs {
		out[i] = Callback{Command: slices.Clone(cb.Command), Webhook: cb.Webhook}
	}
	return out
}

// cloneValue deep-copies a JSON-like value: maps and lists are copied, other values are
// returned as they are.
func cloneValue(v any) any { return mapLeaves(v, func(x any) any { return x }) }

// mapLeaves copies a JSON-like value, maps and lists included (a nil one stays nil), with
// every other value replaced by leaf(value).
func mapLeaves(v any, leaf func(any) any) any {
	switch x := v.(type) {
	case map[string]any:
		if x == nil {
			return x
		}
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = mapLeaves(e, leaf)
		}
		return m
	case []any:
		if x == nil {
			return x
		}
		l := make([]any, len(x))
		for i, e := range x {
			l[i] = mapLeaves(e, leaf)
		}
		return l
	default:
		return leaf(v)
	}
}
