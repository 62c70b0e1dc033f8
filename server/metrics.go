package server

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/weirhq/weir/engine"
)

// Metrics are a node's Prometheus metrics: task and run transitions, scheduling and queue
// delays, engine gauges and DAG import errors.
type Metrics struct {
	reg          *prometheus.Registry
	tiStates     *prometheus.CounterVec
	runStates    *prometheus.CounterVec
	schedDelay   prometheus.Histogram
	queueDelay   prometheus.Histogram
	importErrors prometheus.GaugeFunc
}

// NewMetrics returns the metrics of an engine and a DAG registry; feed them engine events
// with Observe and serve them with Handler.
func NewMetrics(eng *engine.Engine, reg *Registry) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
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

// Register adds collectors (the prediction log's counters) to the metrics served; it
// panics if one's metrics are registered already, a wiring error.
func (m *Metrics) Register(cs ...prometheus.Collector) { m.reg.MustRegister(cs...) }

// Handler serves the metrics in Prometheus' text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// ObserveSchedulingDelay records one scheduling delay, in seconds.
func (m *Metrics) ObserveSchedulingDelay(seconds float64) { m.schedDelay.Observe(seconds) }

// Observe counts one engine event. It is safe for concurrent use.
func (m *Metrics) Observe(ev engine.Event) {
	if ev.TaskID == "" {
		m.runStates.WithLabelValues(string(ev.RunState)).Inc()
		return
	}
	m.tiStates.WithLabelValues(ev.State.String()).Inc()
	if ev.QueueDelay > 0 {
		m.queueDelay.Observe(ev.QueueDelay.Seconds())
	}
}
