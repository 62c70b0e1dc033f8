package mlflowapi

import "testing"

// Enum fields given as numbers, as protobuf's JSON parsing (MLflow's parse_dict) accepts
// them and as Go clients built on generated protobuf structs send them: RunStatus
// FINISHED = 3 and KILLED = 5, ViewType ACTIVE_ONLY = 1, DELETED_ONLY = 2, ALL = 3
// (service.proto). Issue 12, point 9.
func TestEnumsAsNumbers(t *testing.T) {
	t.Parallel()
	replay(t, setup(t), []exchange{
		{"POST", "experiments/create", `{"name": "enums"}`, 200, `{"experiment_id": "$exp"}`},
		{"POST", "runs/create", `{"experiment_id": "${exp}", "start_time": 1700000000000}`, 200,
			`{"run": {"info": {"run_id": "$run", "status": "RUNNING"}}}`},
		{"POST", "runs/update", `{"run_id": "${run}", "status": 3, "end_time": 1700000001000}`, 200,
			`{"run_info": {"run_id": "${run}", "status": "FINISHED"}}`},
		{"POST", "runs/update", `{"run_id": "${run}", "status": "5"}`, 200,
			`{"run_info": {"status": "KILLED"}}`},
		{"POST", "runs/update", `{"run_id": "${run}", "status": 9}`, 400,
			`{"error_code": "INVALID_PARAMETER_VALUE", "message": "~'status'"}`},
		{"POST", "runs/update", `{"run_id": "${run}", "status": [3]}`, 400,
			`{"error_code": "INVALID_PARAMETER_VALUE", "message": "~'status'"}`},
		{"POST", "runs/delete", `{"run_id": "${run}"}`, 200, `{}`},
		{"POST", "runs/search", `{"experiment_ids": ["${exp}"], "run_view_type": 1}`, 200, `{}`},
		{"POST", "runs/search", `{"experiment_ids": ["${exp}"], "run_view_type": 2}`, 200,
			`{"runs": [{"info": {"run_id": "${run}", "lifecycle_stage": "deleted"}}]}`},
		{"POST", "runs/search", `{"experiment_ids": ["${exp}"], "run_view_type": 3}`, 200,
			`{"runs": [{"info": {"run_id": "${run}"}}]}`},
		{"GET", "runs/search?experiment_ids=${exp}&run_view_type=3", ``, 200,
			`{"runs": [{"info": {"run_id": "${run}"}}]}`},
		{"POST", "runs/search", `{"experiment_ids": ["${exp}"], "run_view_type": 7}`, 400,
			`{"error_code": "INVALID_PARAMETER_VALUE", "message": "~'run_view_type'"}`},
		{"POST", "experiments/delete", `{"experiment_id": "${exp}"}`, 200, `{}`},
		{"POST", "experiments/search", `{"view_type": 2}`, 200,
			`{"experiments": [{"experiment_id": "${exp}", "lifecycle_stage": "deleted"}]}`},
		{"POST", "experiments/search", `{"view_type": 3}`, 200,
			`{"experiments": [{"experiment_id": "0"}, {"experiment_id": "${exp}"}]}`},
		{"GET", "experiments/search?view_type=2", ``, 200,
			`{"experiments": [{"experiment_id": "${exp}"}]}`},
	})
}
