package live

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics holds the gauges of the latest result of each monitor.
type metrics struct {
	score, drifted, share, dataset, lastRun, predScore, perf *prometheus.GaugeVec
	failures                                                 *prometheus.CounterVec

	mu    sync.Mutex
	known map[string]bool // monitors with series
}

func newMetrics() *metrics {
	g := func(name, help string, labels ...string) *prometheus.GaugeVec {
		return prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, labels)
	}
	return &metrics{
		score:     g("weir_monitor_feature_drift_score", "The latest drift score of a feature (a p-value for ks, chisquare and z: drift when small; a distance otherwise: drift when large).", "monitor", "feature", "stattest"),
		drifted:   g("weir_monitor_feature_drifted", "1 when the feature drifted at the latest evaluation, else 0.", "monitor", "feature"),
		share:     g("weir_monitor_drift_share", "The share of drifted features at the latest evaluation.", "monitor"),
		dataset:   g("weir_monitor_dataset_drift", "1 when the monitor judged drift (data, prediction or performance) at the latest evaluation, else 0.", "monitor"),
		lastRun:   g("weir_monitor_last_run_timestamp_seconds", "When the monitor was last evaluated, in Unix seconds.", "monitor"),
		predScore: g("weir_monitor_prediction_drift_score", "The latest drift score of the model's predictions.", "monitor", "stattest"),
		perf:      g("weir_monitor_performance", "The model's metric on the labelled rows of the latest window.", "monitor", "metric"),
		known:     map[string]bool{},
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "weir_monitor_action_failures_total",
			Help: "Actions (webhooks, dataset events) that failed, by monitor and kind."}, []string{"monitor", "kind"}),
	}
}

func (m *metrics) all() []prometheus.Collector {
	return []prometheus.Collector{m.score, m.drifted, m.share, m.dataset, m.lastRun, m.predScore, m.perf, m.failures}
}

// observe replaces a monitor's gauges with those of its latest result.
func (m *metrics) observe(res *Result) {
	m.mu.Lock()
	m.known[res.Monitor] = true
	m.mu.Unlock()
	l := prometheus.Labels{"monitor": res.Monitor}
	for _, g := range []*prometheus.GaugeVec{m.score, m.drifted, m.predScore, m.perf} {
		g.DeletePartialMatch(l)
	}
	m.lastRun.With(l).Set(float64(res.Time.UnixMicro()) / 1e6)
	m.dataset.With(l).Set(b2f(res.Drift))
	if res.Data != nil {
		m.share.With(l).Set(res.Data.Share)
		for _, f := range res.Data.Features {
			m.score.WithLabelValues(res.Monitor, f.Column, string(f.Test)).Set(f.Score)
			m.drifted.WithLabelValues(res.Monitor, f.Column).Set(b2f(f.Drift))
		}
	}
	if res.Prediction != nil && res.Prediction.Feature != nil {
		m.predScore.WithLabelValues(res.Monitor, string(res.Prediction.Feature.Test)).Set(res.Prediction.Feature.Score)
	}
	if p := res.Performance; p != nil && hasKey(p.Metrics, p.Metric) {
		m.perf.WithLabelValues(res.Monitor, p.Metric).Set(p.Value)
	}
}

func (m *metrics) actionFailed(monitor, kind string) { m.failures.WithLabelValues(monitor, kind).Inc() }

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// Describe implements prometheus.Collector: register the Runner to export its metrics.
func (r *Runner) Describe(ch chan<- *prometheus.Desc) {
	for _, c := range r.metrics.all() {
		c.Describe(ch)
	}
}

// Collect implements prometheus.Collector.
func (r *Runner) Collect(ch chan<- prometheus.Metric) {
	for _, c := range r.metrics.all() {
		c.Collect(ch)
	}
}

// Forget drops a deleted monitor's metrics (the schedule also drops those of monitors
// no longer in the store).
func (r *Runner) Forget(monitor string) { r.metrics.forget(monitor) }

func (m *metrics) forget(monitor string) {
	m.mu.Lock()
	delete(m.known, monitor)
	m.mu.Unlock()
	l := prometheus.Labels{"monitor": monitor}
	for _, g := range []*prometheus.GaugeVec{m.score, m.drifted, m.share, m.dataset, m.lastRun, m.predScore, m.perf} {
		g.DeletePartialMatch(l)
	}
	m.failures.DeletePartialMatch(l)
}

// keepOnly forgets the monitors not in names.
func (m *metrics) keepOnly(names map[string]bool) {
	m.mu.Lock()
	var gone []string
	for n := range m.known {
		if !names[n] {
			gone = append(gone, n)
		}
	}
	m.mu.Unlock()
	for _, n := range gone {
		m.forget(n)
	}
}

func hasKey(m map[string]float64, k string) bool { _, ok := m[k]; return ok }
