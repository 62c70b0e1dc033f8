package predlog

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/weirhq/weir/store"
)

// Prediction is one prediction of a served model, as the serving path hands it to Record.
type Prediction struct {
	// ID names the prediction; the client posts its label under it. Record generates one
	// (NewID) when empty, but then the client cannot know it: serving should set it and
	// return it with the answer.
	ID string
	// Endpoint is the name of the deployment's endpoint that answered. Required.
	Endpoint string
	// ModelName and ModelVersion are the registered model and version that answered.
	ModelName, ModelVersion string
	// Inputs is the request's inputs and Output the model's answer, as JSON; nil when not
	// recorded. Record keeps the slices: the caller must not modify them afterwards.
	Inputs, Output json.RawMessage
	// LatencyMicros is how long the prediction took, in microseconds.
	LatencyMicros int64
	// Time is when the prediction was made; Record sets it from Config.Clock when zero.
	Time time.Time
	// Shadow marks the prediction of a mirrored model: logged, not returned to the client.
	Shadow bool
}

// Store is the part of store.Store the writer uses.
type Store interface {
	// InsertPredictions records predictions in one transaction (store.Store's semantics).
	InsertPredictions(ctx context.Context, ps []*store.Prediction) error
	// PutServeErrors records counts of failed requests (store.Store's semantics).
	PutServeErrors(ctx context.Context, cs []*store.ServeErrorCount) error
}

// Config configures a Writer. Zero fields take their defaults.
type Config struct {
	// Store receives the batches. Required.
	Store Store
	// QueueSize is how many predictions may wait for the flusher; Record drops a prediction
	// that finds the queue full. Default 65536 (DefaultQueueSize).
	QueueSize int
	// BatchSize is how many predictions one transaction commits at most; the flusher
	// commits as soon as a batch is full. Default 512 (DefaultBatchSize).
	BatchSize int
	// FlushInterval is the longest a recorded prediction waits before the flusher commits
	// a partial batch, and how often drops are reported. Default 1 s (DefaultFlushInterval).
	FlushInterval time.Duration
	// WriteTimeout bounds each batch's commit. Default 30 s.
	WriteTimeout time.Duration
	// SampleRate is the fraction of predictions recorded, in (0, 1]; 0 means the default,
	// 1 (every prediction). A negative value records none, except for the endpoints of
	// EndpointSampleRates.
	SampleRate float64
	// EndpointSampleRates overrides SampleRate per endpoint name, in [0, 1]: 0 records
	// none of that endpoint's predictions.
	EndpointSampleRates map[string]float64
	// Logger receives the writer's logs (drops, failed batches). Default: discard.
	Logger *slog.Logger
	// Clock returns the current time, for predictions given without one. Default time.Now.
	Clock func() time.Time
}

// Defaults of Config's fields.
const (
	// DefaultQueueSize is Config.QueueSize's default.
	DefaultQueueSize = 65536
	// DefaultBatchSize is Config.BatchSize's default.
	DefaultBatchSize = 512
	// DefaultFlushInterval is Config.FlushInterval's default.
	DefaultFlushInterval = time.Second
	// DefaultWriteTimeout is Config.WriteTimeout's default.
	DefaultWriteTimeout = 30 * time.Second
)

// validate sets the defaults of c's zero fields and checks the others.
func (c *Config) validate() error {
	if c.Store == nil {
		return errors.New("predlog: Config.Store is required")
	}
	if c.QueueSize == 0 {
		c.QueueSize = DefaultQueueSize
	}
	if c.BatchSize == 0 {
		c.BatchSize = DefaultBatchSize
	}
	if c.FlushInterval == 0 {
		c.FlushInterval = DefaultFlushInterval
	}
	if c.WriteTimeout == 0 {
		c.WriteTimeout = DefaultWriteTimeout
	}
	if c.SampleRate == 0 {
		c.SampleRate = 1
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Clock == nil {
		c.Clock = time.Now
	}
	switch {
	case c.QueueSize < 0:
		return fmt.Errorf("predlog: Config.QueueSize %d is negative: want 1 or more (0 for %d)", c.QueueSize, DefaultQueueSize)
	case c.BatchSize < 0:
		return fmt.Errorf("predlog: Config.BatchSize %d is negative: want 1 or more (0 for %d)", c.BatchSize, DefaultBatchSize)
	case c.FlushInterval < 0:
		return fmt.Errorf("predlog: Config.FlushInterval %v is negative", c.FlushInterval)
	case c.WriteTimeout < 0:
		return fmt.Errorf("predlog: Config.WriteTimeout %v is negative", c.WriteTimeout)
	case c.SampleRate > 1:
		return fmt.Errorf("predlog: Config.SampleRate %g is above 1: want a fraction in (0, 1]", c.SampleRate)
	}
	for e, r := range c.EndpointSampleRates {
		if r < 0 || r > 1 {
			return fmt.Errorf("predlog: Config.EndpointSampleRates[%q] = %g: want a fraction in [0, 1]", e, r)
		}
	}
	return nil
}

// Stats counts what a Writer did with the predictions it was given.
type Stats struct {
	// Recorded predictions were accepted into the queue.
	Recorded int64
	// SampledOut predictions were not kept, by the sample rate.
	SampledOut int64
	// Dropped predictions found the queue full or the writer stopped.
	Dropped int64
	// Written predictions were committed to the store.
	Written int64
	// Failed predictions were accepted but their batch failed to commit.
	Failed int64
	// Queued predictions wait in the queue now.
	Queued int
}

// Writer records predictions in batches, off the caller's path. Create it with New, then
// Start and Stop it; Record is safe for concurrent use.
type Writer struct {
	cfg   Config
	queue chan Prediction

	recorded, sampledOut, dropped, written, failed prometheus.Counter
	queued                                         prometheus.GaugeFunc
	serveErrors                                    *prometheus.CounterVec
	// Plain mirrors of the counters, for Stats (a prometheus.Counter cannot be read back
	// cheaply).
	nRecorded, nSampledOut, nDropped, nWritten, nFailed atomic.Int64

	// id names the writer in the rows of error counts it writes (store.ServeErrorCount).
	id string
	// errs are the error counts per minute not yet written or still current.
	errMu            sync.Mutex
	errs             map[errKey]*errBucket
	nErrorsUncounted int64

	mu       sync.Mutex
	started  bool
	stopped  atomic.Bool
	stop     chan struct{}
	done     chan struct{}
	stopOnce sync.Once
}

// New returns a writer; it flushes nothing until Start. Predictions recorded before Start
// wait in the queue.
func New(cfg Config) (*Writer, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	w := &Writer{cfg: cfg, queue: make(chan Prediction, cfg.QueueSize), stop: make(chan struct{}), done: make(chan struct{}),
		id: NewID(cfg.Clock()), errs: map[errKey]*errBucket{}}
	counter := func(name, help string) prometheus.Counter {
		return prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help})
	}
	w.recorded = counter("weir_predictions_recorded_total", "Predictions accepted into the prediction log's queue.")
	w.sampledOut = counter("weir_predictions_sampled_out_total", "Predictions not logged, by the sample rate.")
	w.dropped = counter("weir_predictions_dropped_total", "Predictions dropped because the prediction log's queue was full or the log stopped.")
	w.written = counter("weir_predictions_written_total", "Predictions committed to the store.")
	w.failed = counter("weir_predictions_write_failed_total", "Predictions lost because their batch failed to commit.")
	w.queued = prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "weir_prediction_log_queue_depth", Help: "Predictions waiting to be committed.",
	}, func() float64 { return float64(len(w.queue)) })
	w.serveErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "weir_serve_errors_total",
		Help: "Serving requests that failed, by deployment, model version (none when no model was chosen) and class (4xx: the client's fault, 5xx: the server's).",
	}, []string{"deployment", "version", "class"})
	return w, nil
}

// Describe implements prometheus.Collector: register the writer to export its counters.
func (w *Writer) Describe(ch chan<- *prometheus.Desc) {
	for _, c := range w.collectors() {
		c.Describe(ch)
	}
}

// Collect implements prometheus.Collector.
func (w *Writer) Collect(ch chan<- prometheus.Metric) {
	for _, c := range w.collectors() {
		c.Collect(ch)
	}
}

func (w *Writer) collectors() []prometheus.Collector {
	return []prometheus.Collector{w.recorded, w.sampledOut, w.dropped, w.written, w.failed, w.queued, w.serveErrors}
}

// Stats returns the writer's counts so far.
func (w *Writer) Stats() Stats {
	return Stats{Recorded: w.nRecorded.Load(), SampledOut: w.nSampledOut.Load(), Dropped: w.nDropped.Load(),
		Written: w.nWritten.Load(), Failed: w.nFailed.Load(), Queued: len(w.queue)}
}

// NewID returns a new prediction ID: a UUID version 7 (time-ordered by now's millisecond,
// then random), as text.
func NewID(now time.Time) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(now.UnixMilli())<<16|rand.Uint64()&0xffff)
	binary.BigEndian.PutUint64(b[8:], rand.Uint64())
	b[6] = b[6]&0x0f | 0x70 // version 7
	b[8] = b[8]&0x3f | 0x80 // variant 10
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:], b[10:])
	return string(s[:])
}

// sampled reports whether the prediction is kept by its endpoint's sample rate. The
// decision hashes the ID, so the same ID always gets the same answer.
func (w *Writer) sampled(p *Prediction) bool {
	rate := w.cfg.SampleRate
	if r, ok := w.cfg.EndpointSampleRates[p.Endpoint]; ok {
		rate = r
	}
	switch {
	case rate >= 1:
		return true
	case rate <= 0:
		return false
	}
	h := fnv.New64a()
	h.Write([]byte(p.ID))
	return float64(h.Sum64()>>11)/(1<<53) < rate
}

// Record offers a prediction to the log without waiting: it returns at once, having
// queued it, sampled it out, or dropped it (queue full, or the writer stopped), and
// counts which. It sets an empty ID (NewID) and a zero Time (Config.Clock).
func (w *Writer) Record(p Prediction) {
	if p.ID == "" || p.Time.IsZero() {
		now := w.cfg.Clock()
		if p.Time.IsZero() {
			p.Time = now
		}
		if p.ID == "" {
			p.ID = NewID(now)
		}
	}
	if !w.sampled(&p) {
		w.sampledOut.Inc()
		w.nSampledOut.Add(1)
		return
	}
	if w.stopped.Load() {
		w.drop()
		return
	}
	select {
	case w.queue <- p:
		w.recorded.Inc()
		w.nRecorded.Add(1)
	default:
		w.drop()
	}
}

func (w *Writer) drop() {
	w.dropped.Inc()
	w.nDropped.Add(1)
}

// Start starts the flusher. It returns an error if the writer was started or stopped
// before. The flusher runs until Stop or until ctx ends; either way it commits what is
// queued first.
func (w *Writer) Start(ctx context.Context) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.started {
		return errors.New("predlog: writer already started")
	}
	if w.stopped.Load() {
		return errors.New("predlog: writer stopped: create a new one with New")
	}
	w.started = true
	go w.run(ctx)
	return nil
}

// Stop stops accepting predictions, commits those queued and returns once they are
// committed (or failed). It is idempotent and safe to call on a writer never started,
// which then commits its queue itself. Records racing with Stop may be dropped.
func (w *Writer) Stop() {
	w.stopOnce.Do(func() {
		w.mu.Lock()
		w.stopped.Store(true)
		started := w.started
		w.mu.Unlock()
		if started {
			close(w.stop)
			<-w.done
			return
		}
		batch := make([]*store.Prediction, 0, w.cfg.BatchSize)
		w.drain(context.Background(), batch)
	})
}

// run is the flusher: it commits full batches at once and partial ones every
// FlushInterval, reports drops, and drains the queue when stopped.
func (w *Writer) run(ctx context.Context) {
	defer close(w.done)
	flushCtx := context.WithoutCancel(ctx)
	t := time.NewTicker(w.cfg.FlushInterval)
	defer t.Stop()
	batch := make([]*store.Prediction, 0, w.cfg.BatchSize)
	var reportedDrops int64
	for {
		select {
		case p := <-w.queue:
			batch = append(batch, toStore(&p))
			if len(batch) >= w.cfg.BatchSize {
				batch = w.flush(flushCtx, batch)
			}
		case <-t.C:
			batch = w.flush(flushCtx, batch)
			w.flushErrors(flushCtx)
			if d := w.nDropped.Load(); d > reportedDrops {
				w.cfg.Logger.Warn("prediction log: predictions dropped (queue full); raise the queue size or lower the sample rate",
					"dropped", d-reportedDrops, "dropped_total", d, "queue_size", w.cfg.QueueSize)
				reportedDrops = d
			}
		case <-w.stop:
			w.drain(flushCtx, batch)
			return
		case <-ctx.Done():
			w.stopped.Store(true)
			w.drain(flushCtx, batch)
			return
		}
	}
}

// drain commits batch and everything queued, in batches.
func (w *Writer) drain(ctx context.Context, batch []*store.Prediction) {
	for {
		select {
		case p := <-w.queue:
			batch = append(batch, toStore(&p))
			if len(batch) >= w.cfg.BatchSize {
				batch = w.flush(ctx, batch)
			}
		default:
			w.flush(ctx, batch)
			w.flushErrors(ctx)
			return
		}
	}
}

// flush commits batch and returns it emptied. A batch that fails on a taken ID is retried
// row by row, skipping the duplicates; any other failure loses the batch and is logged.
func (w *Writer) flush(ctx context.Context, batch []*store.Prediction) []*store.Prediction {
	if len(batch) == 0 {
		return batch
	}
	ctx, cancel := context.WithTimeout(ctx, w.cfg.WriteTimeout)
	defer cancel()
	err := w.cfg.Store.InsertPredictions(ctx, batch)
	switch {
	case err == nil:
		w.wrote(int64(len(batch)))
	case errors.Is(err, store.ErrAlreadyExists):
		for _, p := range batch {
			err := w.cfg.Store.InsertPredictions(ctx, []*store.Prediction{p})
			switch {
			case err == nil:
				w.wrote(1)
			case errors.Is(err, store.ErrAlreadyExists):
				w.lost(1)
				w.cfg.Logger.Warn("prediction log: a prediction ID was recorded already; the later prediction is not written", "id", p.ID)
			default:
				w.lost(1)
				w.cfg.Logger.Error("prediction log: write a prediction", "id", p.ID, "err", err)
			}
		}
	default:
		w.lost(int64(len(batch)))
		w.cfg.Logger.Error("prediction log: a batch failed to commit; its predictions are lost", "count", len(batch), "err", err)
	}
	clear(batch)
	return batch[:0]
}

func (w *Writer) wrote(n int64) {
	w.written.Add(float64(n))
	w.nWritten.Add(n)
}

func (w *Writer) lost(n int64) {
	w.failed.Add(float64(n))
	w.nFailed.Add(n)
}

// toStore converts a queued prediction into the store's type.
func toStore(p *Prediction) *store.Prediction {
	return &store.Prediction{ID: p.ID, Endpoint: p.Endpoint, ModelName: p.ModelName, ModelVersion: p.ModelVersion,
		Inputs: p.Inputs, Output: p.Output, LatencyMicros: p.LatencyMicros, Time: p.Time, Shadow: p.Shadow}
}
