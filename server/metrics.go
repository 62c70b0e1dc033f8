package server

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/weirhq/weir/engine"
)

// metrics are the server's Prometheus metrics.
type metrics struct {
	reg          *prometheus.Registry
	tiStates     *prometheus.CounterVec
	runStates    *prometheus.CounterVec
	schedDelay   prometheus.Histogram
	queueDelay   prometheus.Histogram
	importErrors prometheus.GaugeFunc
}

func newMetrics(eng *engine.Engine, reg *Registry) *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	m.tiStates = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "weir_task_instance_transitions_total",
		Help: "Task instance state transitions committed, by new state.",
	}, []string{"state"})
	m.runStates = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "weir_dag_run_transitions_total",
		Help: "DAG run state transitions committed, by new state.",
	}, []string{"state"})
	m.schedDelay = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "weir_scheduling_delay_seconds",
		Help:    "Delay between a run being due (its data interval's end, or its triggering dataset event) and its creation.",
		Buckets: []float64{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
	})
	m.queueDelay = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "weir_task_queue_delay_seconds",
		Help:    "Delay between a task instance becoming ready (scheduled) and its try starting.",
		Buckets: []float64{.0001, .0005, .001, .005, .01, .05, .1, .5, 1, 5, 30},
	})
	stat := func(name, help string, f func(engine.Stats) float64) prometheus.GaugeFunc {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, func() float64 { return f(eng.Stats()) })
	}
	m.importErrors = prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "weir_dag_import_errors", Help: "DAG files that failed to load.",
	}, func() float64 { return float64(len(reg.Errors())) })
	m.reg.MustRegister(m.tiStates, m.runStates, m.schedDelay, m.queueDelay, m.importErrors,
		stat("weir_dag_runs_active", "DAG runs being executed.", func(s engine.Stats) float64 { return float64(s.ActiveRuns) }),
		stat("weir_ready_queue_depth", "Task instances ready and waiting for a slot.", func(s engine.Stats) float64 { return float64(s.Ready) }),
		stat("weir_executor_slots_used", "Executor slots in use (running tries).", func(s engine.Stats) float64 { return float64(s.Running) }),
		stat("weir_executor_slots", "Executor slots (parallelism).", func(s engine.Stats) float64 { return float64(s.Parallelism) }),
		prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}),
	)
	return m
}

// observe counts one engine event.
func (m *metrics) observe(ev engine.Event) {
	if ev.TaskID == "" {
		m.runStates.WithLabelValues(string(ev.RunState)).Inc()
		return
	}
	m.tiStates.WithLabelValues(ev.State.String()).Inc()
	if ev.QueueDelay > 0 {
		m.queueDelay.Observe(ev.QueueDelay.Seconds())
	}
}
