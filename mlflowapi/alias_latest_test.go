package mlflowapi

import "testing"

// The reserved alias "latest" resolves to the newest version whatever its stage, as MLflow
// 3.3 and later resolve models:/NAME@latest (mlflow/mlflow#17146, the read path for the
// reserved name); it cannot be set. Issue 12, point 11.
func TestAliasLatest(t *testing.T) {
	t.Parallel()
	replay(t, setup(t), []exchange{
		{"POST", "registered-models/create", `{"name": "newest"}`, 200, `{"registered_model": {"name": "newest"}}`},
		{"GET", "registered-models/alias?name=newest&alias=latest", ``, 404,
			`{"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "*"}`},
		{"POST", "model-versions/create", `{"name": "newest", "source": "mlflow-artifacts:/m1"}`, 200, `{"model_version": {"version": "1"}}`},
		{"POST", "model-versions/create", `{"name": "newest", "source": "mlflow-artifacts:/m2"}`, 200, `{"model_version": {"version": "2"}}`},
		{"POST", "model-versions/create", `{"name": "newest", "source": "mlflow-artifacts:/m3"}`, 200, `{"model_version": {"version": "3"}}`},
		{"POST", "model-versions/transition-stage", `{"name": "newest", "version": "2", "stage": "Production", "archive_existing_versions": false}`, 200, `{"model_version": {"name": "newest"}}`},
		{"POST", "model-versions/transition-stage", `{"name": "newest", "version": "3", "stage": "Archived", "archive_existing_versions": false}`, 200, `{"model_version": {"name": "newest"}}`},
		{"GET", "registered-models/alias?name=newest&alias=latest", ``, 200,
			`{"model_version": {"name": "newest", "version": "3", "source": "mlflow-artifacts:/m3"}}`},
		{"GET", "registered-models/alias?name=newest&alias=Latest", ``, 200,
			`{"model_version": {"version": "3"}}`},
		{"DELETE", "model-versions/delete", `{"name": "newest", "version": "3"}`, 200, `{}`},
		{"GET", "registered-models/alias", `{"name": "newest", "alias": "latest"}`, 200,
			`{"model_version": {"version": "2"}}`},
		{"POST", "registered-models/alias", `{"name": "newest", "alias": "latest", "version": "1"}`, 400,
			`{"error_code": "INVALID_PARAMETER_VALUE", "message": "~reserved"}`},
	})
}
