// Package store defines weir's metadata store: DAG runs, task instances and their tries,
// and pools, behind one narrow interface (Store). Each backend is its own package
// (store/sqlite now, PostgreSQL later) and must pass the shared conformance suite in
// store/storetest.
//
// The engine keeps the authoritative state machine in the store: every transition is
// committed (Apply) before anything acts on it, and many transitions share one Apply, which
// is how the engine stays fast. A process may die at any moment; what Apply committed
// survives and the next process continues from it.
//
// Drivers translate their errors into ErrNotFound and ErrAlreadyExists at the boundary, so
// callers test with errors.Is and never see a driver's error types.
package store
