package mlflowapi

import "testing"

// Renaming a deleted experiment is refused with INVALID_STATE, as MLflow's stores do
// ("Cannot rename a non-active experiment."; INVALID_STATE maps to HTTP 500 in
// mlflow/exceptions.py). Issue 12, point 12.
func TestRenameDeletedExperiment(t *testing.T) {
	t.Parallel()
	replay(t, setup(t), []exchange{
		{"POST", "experiments/create", `{"name": "to-rename"}`, 200, `{"experiment_id": "$exp"}`},
		{"POST", "experiments/delete", `{"experiment_id": "${exp}"}`, 200, `{}`},
		{"POST", "experiments/update", `{"experiment_id": "${exp}", "new_name": "renamed"}`, 500,
			`{"error_code": "INVALID_STATE", "message": "~restore it"}`},
		{"GET", "experiments/get?experiment_id=${exp}", ``, 200,
			`{"experiment": {"name": "to-rename", "lifecycle_stage": "deleted"}}`},
		{"POST", "experiments/update", `{"experiment_id": "424242", "new_name": "renamed"}`, 404,
			`{"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "*"}`},
		{"POST", "experiments/restore", `{"experiment_id": "${exp}"}`, 200, `{}`},
		{"POST", "experiments/update", `{"experiment_id": "${exp}", "new_name": "renamed"}`, 200, `{}`},
		{"GET", "experiments/get?experiment_id=${exp}", ``, 200, `{"experiment": {"name": "renamed"}}`},
	})
}
