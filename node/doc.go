// Package node is weir's composition root: it builds a weir node — the DAG registry, the
// dataset consumers, the engine with every task and sensor kind, the experiment tracker, the
// REST and MLflow APIs and, in server mode, the scheduler and the HTTP server — from one
// Config, each part once.
//
// Every entry point is a thin caller of New: `weir run` (ModeRun), `weir server`
// (ModeServer), `weir backfill` (ModeBackfill), `weir bench` (ModeBench) and the SDK's App
// (through the CLI). The modes differ only in what runs around the engine, never in how the
// engine is wired: the same kinds, the same dataset consumers (so a backfill of a producer
// queues its consumers' runs) and the same tracking in every mode. Wiring reports what a
// node was given, and a test holds every mode to the same.
//
// # Lifecycle
//
// New checks the Config and assembles the parts without starting anything. Start loads the
// DAG folder, starts the engine, resumes the runs a dead process left unfinished (server
// mode), and starts the scheduler, the folder watch and the HTTP server (server mode). Stop
// is soft and idempotent: no new runs or tries start, running tries get the grace period,
// then are stopped and recorded for retry.
//
// # Dataset events between processes
//
// The store is the source of truth: a task's outlet events and the events posted through
// the API are queued in the store, in the same transaction, for every DAG of the node's
// registry scheduled on them. A server's scheduler reads the queue on every tick, so events
// written by another process (a `weir backfill` or `weir run` on the same store) start the
// server's consumers within one tick interval; a wake-up in the same process only makes it
// sooner.
package node
