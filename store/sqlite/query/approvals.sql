-- Queries on approval requests (approvals.go). Column orders are those of scanApproval.

-- name: PutApproval
INSERT OR REPLACE INTO approvals (dag_id, run_id, task_id, map_index, subject, body, options,
    defaults, multiple, params, assigned_users, assigned_role, created_at, timeout_at, state,
    chosen_options, params_input, comment, responded_by, responded_by_kind, responded_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', '[]', NULL, '', '', '', 0);

-- name: GetApproval
SELECT dag_id, run_id, task_id, map_index, subject, body, options, defaults, multiple, params,
    assigned_users, assigned_role, created_at, timeout_at, state, chosen_options, params_input,
    comment, responded_by, responded_by_kind, responded_at
FROM approvals
WHERE dag_id = ? AND run_id = ? AND task_id = ? AND map_index = ?;

-- name: ListApprovals
SELECT dag_id, run_id, task_id, map_index, subject, body, options, defaults, multiple, params,
    assigned_users, assigned_role, created_at, timeout_at, state, chosen_options, params_input,
    comment, responded_by, responded_by_kind, responded_at
FROM approvals
WHERE (?1 = '' OR state = ?1) AND (?2 = '' OR dag_id = ?2) AND (?3 = '' OR run_id = ?3)
ORDER BY created_at, dag_id, run_id, task_id, map_index
LIMIT ?4;

-- name: RespondApproval
UPDATE approvals
SET state = ?, chosen_options = ?, params_input = ?, comment = ?, responded_by = ?,
    responded_by_kind = ?, responded_at = ?
WHERE dag_id = ? AND run_id = ? AND task_id = ? AND map_index = ? AND state = 'pending';
