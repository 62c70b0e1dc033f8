package mlflowapi

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// The calls an MLflow 3 client makes to log a model in a run and find it again, in its
// order and shapes (mlflow/store/tracking/rest_store.py: create_logged_model,
// log_outputs, finalize_logged_model, get_logged_model, search_logged_models,
// set_logged_model_tags, delete_logged_model_tag, log_logged_model_params,
// delete_logged_model; methods and paths as service.proto declares them), with the model's
// files uploaded through the artifact proxy to the model's artifact_uri. Issue 12,
// point 17.
func TestLoggedModelsAsMLflow3LogsThem(t *testing.T) {
	t.Parallel()
	h := setup(t)
	replay(t, h, []exchange{
		{"POST", "experiments/create", `{"name": "mlflow3"}`, 200, `{"experiment_id": "$exp"}`},
		{"POST", "runs/create", `{"experiment_id": "${exp}", "start_time": 1700000000000, "run_name": "train"}`, 200,
			`{"run": {"info": {"run_id": "$run"}}}`},
		{"POST", "logged-models", `{"experiment_id": "${exp}", "name": "model", "model_type": "sklearn", "source_run_id": "${run}", "params": [{"key": "alpha", "value": "0.1"}], "tags": [{"key": "mlflow.user", "value": "ann"}]}`, 200,
			`{"model": {"info": {"model_id": "$model", "experiment_id": "${exp}", "name": "model", "status": "LOGGED_MODEL_PENDING", "model_type": "sklearn", "source_run_id": "${run}", "artifact_uri": "$uri", "creation_timestamp_ms": "*", "last_updated_timestamp_ms": "*", "tags": [{"key": "mlflow.user", "value": "ann"}]}, "data": {"params": [{"key": "alpha", "value": "0.1"}]}}}`},
		{"PUT", "/api/2.0/mlflow-artifacts/artifacts/${exp}/models/${model}/artifacts/MLmodel", "artifact_path: model\nflavors: {}\n", 200, `{}`},
		{"POST", "runs/outputs", `{"run_id": "${run}", "models": [{"model_id": "${model}", "step": 0}]}`, 200, `{}`},
		{"PATCH", "logged-models/${model}", `{"model_id": "${model}", "status": "LOGGED_MODEL_READY"}`, 200,
			`{"model": {"info": {"model_id": "${model}", "status": "LOGGED_MODEL_READY"}}}`},
		{"GET", "logged-models/${model}", ``, 200,
			`{"model": {"info": {"model_id": "${model}", "status": "LOGGED_MODEL_READY", "artifact_uri": "${uri}"}}}`},
		{"GET", "runs/get?run_id=${run}", ``, 200,
			`{"run": {"outputs": {"model_outputs": [{"model_id": "${model}", "step": 0}]}}}`},
		// runs:/RUN/model resolves through a search by source run and name.
		{"POST", "logged-models/search", `{"experiment_ids": ["${exp}"], "filter": "source_run_id='${run}' AND name='model'", "max_results": 2, "order_by": [{"field_name": "creation_timestamp", "ascending": false}]}`, 200,
			`{"models": [{"info": {"model_id": "${model}"}}]}`},
		{"POST", "logged-models/search", `{"experiment_ids": ["${exp}"], "filter": "name='other'"}`, 200, `{}`},
		{"PATCH", "logged-models/${model}/tags", `{"tags": [{"key": "stage", "value": "dev"}]}`, 200, `{}`},
		{"DELETE", "logged-models/${model}/tags/stage", ``, 200, `{}`},
		{"POST", "logged-models/${model}/params", `{"model_id": "${model}", "params": [{"key": "depth", "value": "3"}]}`, 200, `{}`},
		{"POST", "logged-models/${model}/params", `{"model_id": "${model}", "params": [{"key": "depth", "value": "4"}]}`, 400,
			`{"error_code": "INVALID_PARAMETER_VALUE", "message": "~depth"}`},
		{"GET", "/ajax-api/2.0/mlflow/logged-models/${model}/artifacts/directories", ``, 200,
			`{"root_uri": "${uri}", "files": [{"path": "MLmodel", "is_dir": false}]}`},
		{"PATCH", "logged-models/${model}", `{"status": 9}`, 400, `{"error_code": "INVALID_PARAMETER_VALUE", "message": "~status"}`},
		{"GET", "logged-models/m-00000000000000000000000000000000", ``, 404, `{"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "*"}`},
		{"GET", "logged-models", ``, 405, `{"error_code": "BAD_REQUEST", "message": "*"}`},
		// Registering the logged model (mlflow.register_model("models:/m-…")).
		{"POST", "registered-models/create", `{"name": "iris"}`, 200, `{"registered_model": {"name": "iris"}}`},
		{"POST", "model-versions/create", `{"name": "iris", "source": "models:/${model}", "run_id": "${run}", "model_id": "${model}"}`, 200,
			`{"model_version": {"name": "iris", "version": "1", "model_id": "${model}", "source": "models:/${model}"}}`},
		{"GET", "model-versions/get-download-uri?name=iris&version=1", ``, 200, `{"artifact_uri": "${uri}"}`},
		{"GET", "logged-models/${model}", ``, 200,
			`{"model": {"info": {"tags": [{"key": "mlflow.modelVersions", "value": "[{\"name\":\"iris\",\"version\":\"1\"}]"}]}}}`},
		{"POST", "model-versions/create", `{"name": "iris", "source": "models:/m-nope", "model_id": "m-nope"}`, 404,
			`{"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "*"}`},
		{"DELETE", "logged-models/${model}", ``, 200, `{}`},
		{"GET", "logged-models/${model}", ``, 404, `{"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "~not found"}`},
	})
}

// The UI reads a logged model's file through logged-models/{id}/artifacts/files.
func TestLoggedModelArtifactFile(t *testing.T) {
	t.Parallel()
	h := setup(t)
	m := h.ok("POST", "/api/2.0/mlflow/logged-models", map[string]any{"experiment_id": "0"})
	id, _ := get(m, "model", "info", "model_id").(string)
	if id == "" || get(m, "model", "info", "artifact_uri") != "mlflow-artifacts:/0/models/"+id+"/artifacts" {
		t.Fatalf("created: %v", m)
	}
	if resp, _ := h.raw("PUT", "/api/2.0/mlflow-artifacts/artifacts/0/models/"+id+"/artifacts/model.pkl", strings.NewReader("weights")); resp.StatusCode != 200 {
		t.Fatalf("upload: %d", resp.StatusCode)
	}
	req, _ := http.NewRequestWithContext(t.Context(), "GET", h.srv.URL+"/ajax-api/2.0/mlflow/logged-models/"+id+"/artifacts/files?artifact_file_path=model.pkl", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != "weights" {
		t.Fatalf("file: %d %q", resp.StatusCode, b)
	}
	if resp, body := h.raw("GET", "/api/2.0/mlflow/logged-models/"+id+"/artifacts/files?artifact_file_path=../../x", nil); resp.StatusCode != 400 {
		t.Errorf("escaping path: %d %s", resp.StatusCode, body)
	}
}
