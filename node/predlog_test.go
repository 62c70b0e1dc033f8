package node_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/weirhq/weir/engine"
	"github.com/weirhq/weir/node"
	"github.com/weirhq/weir/store"
)

// A deployment's predictions reach the node's prediction log, and a label posted by id
// through the API lands on the recorded prediction.
func TestServedPredictionsAreLoggedAndLabelled(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dags, err := filepath.Abs("../examples/dags")
	if err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	st := openStore(t, home)
	n, err := node.New(node.Config{Mode: node.ModeServer, Store: st, Tracking: st.Tracking(), Home: home, DAGsDir: dags,
		Addr: "127.0.0.1:0", GracePeriod: time.Second, ServePollInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer n.Stop()
	// Train and register the possum model (champion), then deploy it.
	d, ok := n.Registry().DAG("possum")
	if !ok {
		t.Fatal("possum not loaded")
	}
	run, err := n.Engine().Trigger(ctx, d, engine.TriggerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if final, err := n.Engine().Wait(ctx, run.DAGID, run.RunID); err != nil || final.State != store.RunSuccess {
		t.Fatalf("possum: %v %v", final, err)
	}
	if err := st.PutDeployment(ctx, &store.Deployment{Name: "possum", Model: "models:/possum@champion"}); err != nil {
		t.Fatal(err)
	}
	base := "http://" + n.Addr()
	body := `{"dataframe_records": [{"totlngth": 88, "footlgth": 70, "hdlngth": 92, "age": 3, "Pop": "Vic", "sex": "f"}]}`
	var id string
	deadline := time.Now().Add(20 * time.Second)
	for id == "" {
		resp, err := http.Post(base+"/serve/possum/invocations", "application/json", bytes.NewBufferString(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == 200 {
			id = resp.Header.Get("X-Weir-Prediction-Id")
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the deployment never answered: %d", resp.StatusCode)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if id == "" {
		t.Fatal("no prediction id")
	}
	// The log writes off the request path: wait until the prediction is stored.
	var p *store.Prediction
	for p == nil {
		p, err = st.GetPrediction(ctx, id)
		if err != nil && time.Now().After(deadline) {
			t.Fatalf("prediction %s never logged: %v", id, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if p.Endpoint != "possum" || p.ModelName != "possum" || p.ModelVersion != "1" {
		t.Fatalf("logged %+v", p)
	}
	resp, err := http.Post(base+"/api/v1/predictions/"+id+"/feedback", "application/json", bytes.NewBufferString(`{"label": 36.5}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("feedback: %d", resp.StatusCode)
	}
	p, err = st.GetPrediction(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var label float64
	if err := json.Unmarshal(p.Label, &label); err != nil || label != 36.5 {
		t.Fatalf("label %s: %v", p.Label, err)
	}
}
