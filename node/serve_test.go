package node_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/weirhq/weir/ml/frame"
	"github.com/weirhq/weir/ml/linear"
	"github.com/weirhq/weir/ml/model"
	"github.com/weirhq/weir/store"
)

// TestServerServesDeployments: a deployment written to the store by another process (here,
// straight to the store) is picked up by the server's poller and answered on both
// protocols behind the server's HTTP guard.
func TestServerServesDeployments(t *testing.T) {
	t.Parallel()
	e := setup(t, nil)
	f, err := frame.New(frame.NewFloat("x", []float64{1, 2, 3, 4}, nil), frame.NewFloat("y", []float64{2, 4, 6, 8}, nil))
	if err != nil {
		t.Fatal(err)
	}
	m, err := model.Train(f, model.Config{Target: "y", Estimator: &linear.LinearRegression{}})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "model.json")
	if err := m.SaveFile(path); err != nil {
		t.Fatal(err)
	}
	if err := e.st.PutDeployment(context.Background(), &store.Deployment{Name: "double", Model: "file://" + path}); err != nil {
		t.Fatal(err)
	}
	base := "http://" + e.srv.Addr()
	e.eventually("the deployment to be served", func() bool {
		resp, err := http.Get(base + "/serve/double/ping")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	post := func(path, body string) (int, string, http.Header) {
		resp, err := http.Post(base+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), resp.Header
	}
	code, body, h := post("/serve/double/invocations", `{"instances": [5, 6]}`)
	var got struct{ Predictions []float64 }
	if err := json.Unmarshal([]byte(body), &got); err != nil || code != 200 || len(got.Predictions) != 2 ||
		got.Predictions[0] < 9.999 || got.Predictions[0] > 10.001 || h.Get("X-Weir-Prediction-Id") == "" {
		t.Fatalf("invocations: %d %s (%v), want predictions [10 12] and a prediction id", code, body, err)
	}
	code, body, _ = post("/v2/models/double/infer", `{"inputs": [{"name": "x", "shape": [1], "datatype": "FP64", "data": [1]}]}`)
	if code != 200 || !strings.Contains(body, `"model_name":"double"`) {
		t.Fatalf("v2 infer: %d %s", code, body)
	}
	if code, body, _ = post("/serve/double/invocations", `{"instances": [{"z": 1}]}`); code != 400 || !strings.Contains(body, `column \"x\"`) {
		t.Fatalf("bad request: %d %s, want 400 naming column x", code, body)
	}
}
