package mlflowapi

import "testing"

// A GET without a query string carries its parameters in a JSON body, as the codeocean
// go-mlflow client sends GetHistory and List; MLflow's handlers read that body
// (handlers.py, _get_request_message: a GET's args when it has any, else the JSON body).
// A GET with a query string is read from the query string alone, as MLflow does.
// Issue 12, point 10.
func TestGETWithJSONBody(t *testing.T) {
	t.Parallel()
	replay(t, setup(t), []exchange{
		{"POST", "experiments/create", `{"name": "get-body"}`, 200, `{"experiment_id": "$exp"}`},
		{"POST", "runs/create", `{"experiment_id": "${exp}", "start_time": 1700000000000}`, 200,
			`{"run": {"info": {"run_id": "$run"}}}`},
		{"POST", "runs/log-metric", `{"run_id": "${run}", "key": "loss", "value": 0.25, "timestamp": 1700000000001, "step": 1}`, 200, `{}`},
		{"GET", "metrics/get-history", `{"run_id": "${run}", "metric_key": "loss"}`, 200,
			`{"metrics": [{"key": "loss", "value": 0.25, "step": 1}]}`},
		{"GET", "experiments/list", `{"view_type": 1}`, 200,
			`{"experiments": [{"experiment_id": "${exp}", "name": "get-body"}]}`},
		{"GET", "experiments/get", `{"experiment_id": "${exp}"}`, 200,
			`{"experiment": {"experiment_id": "${exp}"}}`},
		{"GET", "runs/get", `{"run_id": "${run}"}`, 200, `{"run": {"info": {"run_id": "${run}"}}}`},
		// The query string wins and the body is not read.
		{"GET", "experiments/get?experiment_id=${exp}", `{"experiment_id": "424242"}`, 200,
			`{"experiment": {"experiment_id": "${exp}"}}`},
		{"GET", "metrics/get-history", `{"metric_key": "loss"}`, 400,
			`{"error_code": "INVALID_PARAMETER_VALUE", "message": "~'run_id'"}`},
	})
}
