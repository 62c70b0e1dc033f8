// Package audit keeps weir's audit log: who did what, to what, when, and how it ended.
//
// # Model
//
// The log is append-only (store.AuditStore). Each entry carries hash = hex SHA-256 of the
// previous entry's hash, a newline, and the entry's canonical JSON (Canonical: its fields
// in a fixed order, the ID included), so the entries form one chain. The store reads the
// last hash and inserts the entry in one transaction, so appends from many goroutines and
// from several processes on one database keep one chain.
//
// Verify walks the chain and names the first entry that does not fit: one whose content
// was edited (its hash no longer matches), or whose predecessor was deleted or edited (its
// prev_hash no longer matches, or its ID skips). What the chain cannot show: the deletion of
// the newest entries (the chain just ends earlier) and a rewrite of the whole chain from
// the edited entry on by someone who can write the database; keep exports (weir audit
// export) elsewhere to anchor it.
//
// # What is recorded
//
// Middleware records every state-changing HTTP request (any method but GET, HEAD and
// OPTIONS; MLflow's searches and its high-volume run logging are left out) once the handler
// returned: the actor (auth.PrincipalFrom, "anonymous" when authentication is off), an
// action named from the route (dag_run.trigger, or "POST /api/v1/..." for routes it has no
// name for, so routes added later are recorded without changes here), the target from the
// route's path values or the MLflow request's identifiers, the status and outcome, the
// request ID and the remote address. Request bodies are never stored: only their field
// names, and the values of a fixed list of identifier fields (Whitelist). Local commands
// that write the store directly record themselves with Local (the actor is the OS user);
// task kinds that change the registry or deployments in-process record themselves with Task
// (the actor is the try, KindTask, named as its minted token's principal is).
//
// # Failures
//
// A failed append is logged and does not change the answer already given: the action has
// happened. Verify's errors are *BrokenError when the chain is broken, other errors when
// the store cannot be read.
package audit
