// Package sensor implements the "sensor" task kind: tasks that wait for a condition (a file
// or blob, a dataset event, another DAG's task or run, an HTTP response, an expression) and
// succeed once it holds, following Airflow's sensors.
//
// # Model
//
// A sensor checks its condition ("pokes") until it holds or its timeout passes. Each poke
// writes one line to the try's log ("poke 3: /data/x.csv not found; next in 30s").
//
//   - In poke mode (the default) one try loops: poke, then sleep the poke interval, holding
//     its executor slot; cancelling the try's context stops it at once.
//   - In reschedule mode a try pokes once. While the condition is false it returns
//     executor.Rescheduled with RescheduleAt = now + interval: the engine frees the slot,
//     does not count a try, and puts the instance in up_for_reschedule until then.
//
// The timeout (default 7 days) counts from the first poke: executor.Job.FirstStartedAt, which
// in reschedule mode is the first poke's start and otherwise the try's start. A poke at or
// past the deadline that finds the condition false ends the sensor: failed without retry
// (executor.FailedNoRetry), or skipped with soft_fail. The last wait is shortened so that
// one poke happens at the deadline. With exponential_backoff the wait after poke n is
// poke_interval × 2^(n−1); in reschedule mode n is 1 for a try's first start
// (executor.Job.Rescheduled false) and is otherwise estimated from the time since the first
// poke (at least 2), since rescheduled pokes are not counted anywhere.
//
// # Failures
//
// "Not yet" is not a failure: a missing file, a status outside expect_status, a connection
// refused, an http condition that is false or cannot be evaluated on this response, all
// mean the sensor pokes again. An external task in one of failed_states fails the sensor at
// once without retry (or skips it with soft_fail). A spec that cannot work (a bad glob, an
// unknown blob scheme, a missing store) fails without retry; a store error or an expr
// condition that cannot be evaluated fails the try, which may be retried.
//
// # Templates
//
// The engine renders a task's templates before the try (job.Template is the context). When
// it passes no context (its detection of templated tasks predates sensors), the sensor
// renders its own templates and evaluates expr conditions against a context built from the
// job and, when a store is given, from the run's record (conf, data interval, triggering
// events); outputs are then those of the direct upstreams only.
package sensor
