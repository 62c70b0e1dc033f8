// Package predlog records the predictions of served models, off the request path, for
// feedback (labels posted later by prediction ID) and monitoring.
//
// # Model
//
// A Writer owns a bounded queue and one flusher goroutine. Record, called by the serving
// path for each prediction, decides whether the prediction is sampled (Config.SampleRate,
// per endpoint EndpointSampleRates; the decision hashes the prediction's ID, so it is
// reproducible), then offers it to the queue without waiting: if the queue is full the
// prediction is dropped and counted. The flusher takes predictions from the queue and
// commits them to the store in batches (store.Store.InsertPredictions), when a batch has
// Config.BatchSize predictions or every Config.FlushInterval, whichever comes first.
//
// Record never blocks and never fails; its cost is a hash, a channel send and a few atomic
// additions. The serving throughput is therefore bounded by the store's insert rate only
// when predictions arrive faster than the flusher commits them, and then the excess is
// dropped rather than slowing requests down.
//
// # Invariants and failures
//
//   - Every prediction Record accepted before Stop is committed by Stop, unless the store
//     fails: Stop drains the queue and flushes it.
//   - A prediction is counted exactly once, as recorded (accepted), sampled out, dropped
//     (queue full, or the writer stopped) or, after acceptance, written or failed.
//   - A failed batch is retried row by row when it failed on an ID already taken (a client
//     retry that reused an ID), so one duplicate costs only itself; other failures lose the
//     batch, count its rows as failed and are logged. There is no other retry: the log is a
//     best-effort record, and the serving path must not wait on it.
//   - Drops are reported as the Prometheus counter weir_predictions_dropped_total and
//     logged at most once per FlushInterval, with the count since the last report.
//
// # Failed requests
//
// RecordError counts a failed serving request (never a prediction): in the Prometheus
// counter weir_serve_errors_total{deployment,version,class} and in memory, per endpoint,
// minute, model version and class (4xx, 5xx), with the last message. Every FlushInterval,
// and at Stop, the flusher writes the counts that changed (store.PutServeErrors) under the
// writer's random ID. A count is a running total that the store keeps the larger of, so a
// failed write is simply repeated by the next flush and a repeated one changes nothing;
// each process writes only its own rows, so nodes sharing a store never contend. A
// written count is forgotten once its minute ended over a minute ago: a failure recorded
// later for that minute starts a new total that the stored one hides (it is lost, not
// double counted). Compare sums the rows per version.
package predlog
