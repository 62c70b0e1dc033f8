// Package approval is the "approval" task kind: a human in the loop, modelled on Airflow
// 3.1's HITLOperator, ApprovalOperator and HITLBranchOperator. A task of the kind asks people
// a question (subject, body, options) and waits for one with the right role to answer with
// one option (or several, with multiple), a comment and the params it offers; the chosen
// options become the task's output.
//
// # Model
//
// The question is a store.Approval row, one per task instance (migration 014). The task's
// first start writes it as pending and returns executor.Rescheduled: the instance waits in
// up_for_reschedule without holding a worker slot, and pokes again every poke_interval
// (default 5 s, Airflow's HITLTrigger's), reading the row. An answer (Respond, called by the
// REST API and by `weir approvals approve|reject`) is written to the row in one transaction
// that accepts only the first answer; the API then wakes the instance in its engine
// (engine.WakeTask) so it goes on at once. Because the waiting state is the instance's
// up_for_reschedule in the store and the row, a server killed while waiting resumes waiting
// after a restart, and an answer given meanwhile is found at the first poke.
//
// # Outcomes
//
//   - An answer makes the task succeed with output {"chosen_options": [...],
//     "params_input": {...}, "comment": ..., "responded_by": ..., "responded_at": ...,
//     "timed_out": false}, so downstream templates read outputs.TASK.chosen_options.
//   - "Reject" (the option of the default [Approve, Reject]) succeeds too and skips the
//     direct downstream tasks, as Airflow's ApprovalOperator does (their own downstreams
//     then follow their trigger rules); with fail_on_reject the task fails instead.
//   - With branch, the chosen options (through options_mapping) name the downstream tasks
//     to follow; the others are skipped, as Airflow's HITLBranchOperator does.
//   - When timeout passes unanswered the defaults are taken as the answer (responded_by
//     "weir", timed_out true); without defaults the task fails without retry.
//
// # Who may answer
//
// A principal (auth.PrincipalFrom) whose role has the rights of the task's role (default
// operator: operator, editor or admin), and, when assigned_users is set, one of them.
// Without authentication (anonymous requests to a loopback server) and for local commands
// writing the store directly (their user can change the store file anyway) nobody is
// refused; the answerer is recorded either way.
package approval
