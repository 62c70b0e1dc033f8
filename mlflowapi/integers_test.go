package mlflowapi

import "testing"

// Integers outside int64's range are refused (not stored as -9223372036854775808), and every
// invalid integer names its field, in a JSON body, inside a list, and in a query string.
// Issue 12, point 15.
func TestIntegersOutOfRange(t *testing.T) {
	t.Parallel()
	replay(t, setup(t), []exchange{
		{"POST", "runs/create", `{"experiment_id": "0", "start_time": 1700000000000}`, 200,
			`{"run": {"info": {"run_id": "$run"}}}`},
		{"POST", "runs/log-metric", `{"run_id": "${run}", "key": "m", "value": 1, "timestamp": 1e30, "step": 0}`, 400,
			`{"error_code": "INVALID_PARAMETER_VALUE", "message": "~'timestamp'"}`},
		{"POST", "runs/log-metric", `{"run_id": "${run}", "key": "m", "value": 1, "timestamp": 1, "step": 1e19}`, 400,
			`{"error_code": "INVALID_PARAMETER_VALUE", "message": "~'step'"}`},
		{"POST", "runs/log-metric", `{"run_id": "${run}", "key": "m", "value": 1, "timestamp": 1, "step": "9223372036854775808"}`, 400,
			`{"error_code": "INVALID_PARAMETER_VALUE", "message": "~'step'"}`},
		{"POST", "runs/log-metric", `{"run_id": "${run}", "key": "m", "value": 1, "timestamp": 1, "step": -9.3e18}`, 400,
			`{"error_code": "INVALID_PARAMETER_VALUE", "message": "~'step'"}`},
		{"POST", "runs/log-metric", `{"run_id": "${run}", "key": "m", "value": 1, "timestamp": 1.5}`, 400,
			`{"error_code": "INVALID_PARAMETER_VALUE", "message": "~'timestamp'"}`},
		{"POST", "runs/log-metric", `{"run_id": "${run}", "key": "m", "value": "x", "timestamp": 1}`, 400,
			`{"error_code": "INVALID_PARAMETER_VALUE", "message": "~'value'"}`},
		{"POST", "runs/log-batch", `{"run_id": "${run}", "metrics": [{"key": "m", "value": 1, "timestamp": 1e30, "step": 0}]}`, 400,
			`{"error_code": "INVALID_PARAMETER_VALUE", "message": "~'metrics.timestamp'"}`},
		{"POST", "runs/log-batch", `{"run_id": "${run}", "metrics": [{"key": "m", "value": "high", "timestamp": 1, "step": 0}]}`, 400,
			`{"error_code": "INVALID_PARAMETER_VALUE", "message": "~'metrics.value'"}`},
		{"POST", "runs/update", `{"run_id": "${run}", "end_time": 1e30}`, 400,
			`{"error_code": "INVALID_PARAMETER_VALUE", "message": "~'end_time'"}`},
		{"POST", "runs/create", `{"experiment_id": "0", "start_time": "soon"}`, 400,
			`{"error_code": "INVALID_PARAMETER_VALUE", "message": "~'start_time'"}`},
		{"GET", "metrics/get-history?run_id=${run}&metric_key=m&max_results=1e30", ``, 400,
			`{"error_code": "INVALID_PARAMETER_VALUE", "message": "~'max_results'"}`},
		// The largest int64 and the smallest still pass.
		{"POST", "runs/log-metric", `{"run_id": "${run}", "key": "m", "value": 1, "timestamp": 9223372036854775807, "step": -9223372036854775808}`, 200, `{}`},
		{"GET", "metrics/get-history?run_id=${run}&metric_key=m", ``, 200,
			`{"metrics": [{"key": "m", "timestamp": 9223372036854775807, "step": -9223372036854775808}]}`},
	})
}
