// Package api serves weir's REST API under /api/v1: DAGs, DAG runs, task instances and their
// logs, datasets and their events, pools, the prediction log and its feedback (labels), health
// and version. The API is specified first, in openapi.yaml (embedded as Spec and served at
// /api/v1/openapi.json); handlers follow it, and
// the tests check every answer against it and that every operation in it has a test.
//
// # Model
//
// Paths, parameters and JSON field names are Airflow's stable REST API (v1) where Airflow has
// the resource, so scripts written against Airflow need few changes; weir's extras are more
// fields. The JSON objects are the types of package client, which is also the Go client.
//
// The API reads the store for what it shows, and acts through the server's engine, which
// executes every run the server owns:
//   - A trigger goes through engine.Engine.Trigger: params are validated first, and a value a
//     param's schema rejects is a 400 naming the param (field "conf.NAME").
//   - Marking a run or a task instance goes through engine.Engine.MarkRun and MarkTask when
//     the engine executes the run. A run it does not execute is marked in the store: a
//     finished run only changes state; an unfinished run whose process died has its
//     unfinished instances ended as the engine's mark would (success, or failed for running
//     ones and skipped for the rest). Marking a task instance of such a run also clears the
//     failed and upstream_failed tasks downstream of it and resumes the run in the engine, as
//     Airflow's mark does; a finished run's state changes only through that.
//   - Clearing uses engine.Clear and then engine.Engine.Resume, so the run executes again in
//     the server. A run still executing cannot be cleared: it is a 409 telling to wait or to
//     mark it first. A dry run (Airflow's default) runs engine.Clear against a store that
//     records the batch instead of applying it, so its answer is exactly what a real clear
//     would reset.
//   - A run that another live weir process executes (a `weir run` on the same store) is
//     never written to: marking or clearing it is a 409.
//
// # Errors
//
// Every error is an RFC 7807 application/problem+json object with Airflow's status, title,
// detail and type, plus a stable machine code and the field at fault (client.Error). Invalid
// input — bad JSON, unknown fields, wrong types, bad enum values, bad dates, negative limits —
// is a 400; an unknown DAG, run, task instance, dataset or pool is a 404; a name taken or a
// busy run is a 409; a body over Config.MaxBodyBytes is a 413. Only failures of the store or
// the engine are 500s, and they are logged.
//
// # Listings
//
// Lists are pages (limit, default 100 and at most 10000, and offset) with total_entries. The
// store has no count or offset, so a listing reads every matching row and cuts the page here:
// cheap for task instances of a run and for pools, linear in the number of runs or dataset
// events for those listings.
package api
