package serve_test

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/weirhq/weir/ml/frame"
	"github.com/weirhq/weir/serve"
	"github.com/weirhq/weir/store"
	"github.com/weirhq/weir/tracking"
)

// expect returns what m predicts for the rows of x (k = i%3).
func expectRidge(t *testing.T, e *env, slope float64, xs ...float64) []float64 {
	t.Helper()
	m := ridgeModel(t, slope)
	k := make([]int64, len(xs))
	f, err := frame.New(frame.NewFloat("x", xs, nil), frame.NewInt("k", k, nil))
	if err != nil {
		t.Fatal(err)
	}
	p, err := m.Predict(f)
	if err != nil {
		t.Fatal(err)
	}
	return p.Values
}

func floats(t testing.TB, v any) []float64 {
	t.Helper()
	l, ok := v.([]any)
	if !ok {
		t.Fatalf("predictions %v are not a list", v)
	}
	out := make([]float64, len(l))
	for i, x := range l {
		out[i] = x.(float64)
	}
	return out
}

func sameFloats(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Abs(a[i]-b[i]) > 1e-9 {
			return false
		}
	}
	return true
}

func TestMLflowProtocol(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 1)
	v := e.register("ridge", ridgeModel(t, 2))
	e.alias("ridge", "champion", v)
	e.deploy(&store.Deployment{Name: "ridge", Model: "models:/ridge@champion"})
	want := expectRidge(t, e, 2, 3, 10)

	bodies := map[string]struct{ ctype, body string }{
		"dataframe_split":   {"application/json", `{"dataframe_split": {"columns": ["x", "k"], "data": [[3, 0], [10, 0]]}}`},
		"dataframe_records": {"application/json", `{"dataframe_records": [{"x": 3, "k": 0}, {"k": 0, "x": 10, "extra": "ignored"}]}`},
		"instances records": {"application/json", `{"instances": [{"x": 3, "k": 0}, {"x": 10, "k": 0}]}`},
		"instances rows":    {"application/json", `{"instances": [[3, 0], [10, 0]]}`},
		"inputs columns":    {"application/json", `{"inputs": {"x": [3, 10], "k": [0, 0]}, "params": {}}`},
		"csv":               {"text/csv", "k,x\n0,3\n0,10\n"},
	}
	ids := map[string]bool{}
	for name, b := range bodies {
		r := e.post("/serve/ridge/invocations", b.ctype, b.body)
		if r.status != http.StatusOK {
			t.Fatalf("%s: status %d %s", name, r.status, r.body)
		}
		got := floats(t, r.json(t)["predictions"])
		if !sameFloats(got, want) {
			t.Errorf("%s: predictions %v, want %v", name, got, want)
		}
		id := r.header.Get(serve.HeaderPredictionID)
		if id == "" || ids[id] {
			t.Errorf("%s: prediction id %q is empty or reused", name, id)
		}
		ids[id] = true
		if r.header.Get(serve.HeaderModelName) != "ridge" || r.header.Get(serve.HeaderModelVersion) != v {
			t.Errorf("%s: model headers %q %q, want ridge %s", name, r.header.Get(serve.HeaderModelName), r.header.Get(serve.HeaderModelVersion), v)
		}
	}

	bad := []struct {
		name, ctype, body, code string
		wants                   []string
	}{
		{"missing column", "application/json", `{"dataframe_split": {"columns": ["x"], "data": [[1]]}}`, "INVALID_PARAMETER_VALUE", []string{`column "k"`, "missing"}},
		{"wrong type", "application/json", `{"dataframe_split": {"columns": ["x", "k"], "data": [[1, 0], ["abc", 0]]}}`, "INVALID_PARAMETER_VALUE", []string{`column "x"`, "row 2", `"abc" is not a number`}},
		{"not an integer", "application/json", `{"dataframe_records": [{"x": 1, "k": 0}, {"x": 1, "k": 0}, {"x": 1, "k": 1.5}]}`, "INVALID_PARAMETER_VALUE", []string{`column "k"`, "row 3", "integer"}},
		{"record without column", "application/json", `{"dataframe_records": [{"x": 1, "k": 0}, {"x": 2}]}`, "INVALID_PARAMETER_VALUE", []string{`column "k"`, "row 2", "missing"}},
		{"null value", "application/json", `{"dataframe_split": {"columns": ["x", "k"], "data": [[1, 0], [null, 0]]}}`, "INVALID_PARAMETER_VALUE", []string{`"x"`, "row 2"}},
		{"csv wrong type", "text/csv", "x,k\n1,0\n2,zero\n", "INVALID_PARAMETER_VALUE", []string{`column "k"`, "row 2"}},
		{"malformed JSON", "application/json", `{"dataframe_split": `, "BAD_REQUEST", []string{"malformed JSON"}},
		{"two formats", "application/json", `{"instances": [], "inputs": []}`, "BAD_REQUEST", []string{"exactly one of"}},
		{"short row", "application/json", `{"dataframe_split": {"columns": ["x", "k"], "data": [[1, 0], [2]]}}`, "BAD_REQUEST", []string{"row 2"}},
		{"content type", "application/xml", `<x/>`, "BAD_REQUEST", []string{"text/csv"}},
	}
	for _, b := range bad {
		r := e.post("/serve/ridge/invocations", b.ctype, b.body)
		if r.status != http.StatusBadRequest {
			t.Errorf("%s: status %d %s, want 400", b.name, r.status, r.body)
			continue
		}
		m := r.json(t)
		if m["error_code"] != b.code {
			t.Errorf("%s: error_code %v, want %s (%s)", b.name, m["error_code"], b.code, r.body)
		}
		for _, w := range b.wants {
			if msg, _ := m["message"].(string); !strings.Contains(msg, w) {
				t.Errorf("%s: message %q does not contain %q", b.name, msg, w)
			}
		}
	}

	if r := e.get("/serve/ridge/ping"); r.status != http.StatusOK {
		t.Errorf("ping: %d %s", r.status, r.body)
	}
	if r := e.get("/serve/ridge/health"); r.status != http.StatusOK {
		t.Errorf("health: %d %s", r.status, r.body)
	}
	if r := e.get("/serve/ridge/version"); r.status != http.StatusOK || string(r.body) != "test" {
		t.Errorf("version: %d %q, want 200 test", r.status, r.body)
	}
	if r := e.post("/serve/nope/invocations", "application/json", `{"instances": [[1, 0]]}`); r.status != http.StatusNotFound ||
		r.json(t)["error_code"] != "RESOURCE_DOES_NOT_EXIST" {
		t.Errorf("unknown endpoint: %d %s, want 404 RESOURCE_DOES_NOT_EXIST", r.status, r.body)
	}
}

func TestV2Protocol(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 1)
	v := e.register("ridge", ridgeModel(t, 3))
	e.alias("ridge", "champion", v)
	if r := e.get("/v2/health/ready"); r.status != http.StatusServiceUnavailable {
		t.Errorf("ready before the first refresh: %d %s, want 503", r.status, r.body)
	}
	e.deploy(&store.Deployment{Name: "ridge", Model: "models:/ridge@champion"})
	want := expectRidge(t, e, 3, 4, 5)

	for _, p := range []string{"/v2/health/live", "/v2/health/ready", "/v2/models/ridge/ready", "/v2/models/ridge/versions/" + v + "/ready", "/v2"} {
		if r := e.get(p); r.status != http.StatusOK {
			t.Errorf("GET %s: %d %s", p, r.status, r.body)
		}
	}
	meta := e.get("/v2/models/ridge").json(t)
	if meta["name"] != "ridge" || fmt.Sprint(meta["versions"]) != "["+v+"]" {
		t.Errorf("metadata %v: want name ridge, versions [%s]", meta, v)
	}
	if ins := fmt.Sprint(meta["inputs"]); !strings.Contains(ins, "name:x") || !strings.Contains(ins, "datatype:INT64") {
		t.Errorf("metadata inputs %s: want x and k (INT64)", ins)
	}

	for name, body := range map[string]string{
		"columns": `{"id": "req-1", "inputs": [{"name": "x", "shape": [2], "datatype": "FP64", "data": [4, 5]},
		                                       {"name": "k", "shape": [2, 1], "datatype": "INT64", "data": [[0], [0]]}]}`,
		"matrix": `{"id": "req-1", "inputs": [{"name": "input-0", "shape": [2, 2], "datatype": "FP64", "data": [[4, 0], [5, 0]]}]}`,
	} {
		for _, path := range []string{"/v2/models/ridge/infer", "/v2/models/ridge/versions/" + v + "/infer"} {
			r := e.post(path, "application/json", body)
			if r.status != http.StatusOK {
				t.Fatalf("%s %s: %d %s", name, path, r.status, r.body)
			}
			var resp struct {
				ModelName    string `json:"model_name"`
				ModelVersion string `json:"model_version"`
				ID           string
				Parameters   map[string]any
				Outputs      []struct {
					Name     string
					Shape    []int
					Datatype string
					Data     []float64
				}
			}
			if err := json.Unmarshal(r.body, &resp); err != nil {
				t.Fatal(err)
			}
			if resp.ModelName != "ridge" || resp.ModelVersion != v || resp.ID != "req-1" ||
				resp.Parameters["prediction_id"] != r.header.Get(serve.HeaderPredictionID) || r.header.Get(serve.HeaderPredictionID) == "" {
				t.Errorf("%s: answer %s: want model ridge v%s, id req-1, the prediction id in parameters and header", name, r.body, v)
			}
			if len(resp.Outputs) != 1 || resp.Outputs[0].Datatype != "FP64" || !sameFloats(resp.Outputs[0].Data, want) ||
				fmt.Sprint(resp.Outputs[0].Shape) != "[2]" {
				t.Errorf("%s: outputs %+v, want FP64 [2] %v", name, resp.Outputs, want)
			}
		}
	}

	bad := []struct{ name, path, body, want string }{
		{"missing column", "/v2/models/ridge/infer", `{"inputs": [{"name": "x", "shape": [1], "datatype": "FP64", "data": [1]}]}`, `column "k"`},
		{"wrong type", "/v2/models/ridge/infer", `{"inputs": [{"name": "x", "shape": [2], "datatype": "FP64", "data": [1, true]}, {"name": "k", "shape": [2], "datatype": "INT64", "data": [0, "a"]}]}`, `column "k", row 2`},
		{"shape", "/v2/models/ridge/infer", `{"inputs": [{"name": "x", "shape": [3], "datatype": "FP64", "data": [1]}]}`, "shape"},
		{"malformed", "/v2/models/ridge/infer", `{"inputs": [`, "malformed JSON"},
		{"no inputs", "/v2/models/ridge/infer", `{}`, "inputs"},
	}
	for _, b := range bad {
		r := e.post(b.path, "application/json", b.body)
		if r.status != http.StatusBadRequest {
			t.Errorf("%s: %d %s, want 400", b.name, r.status, r.body)
			continue
		}
		if msg, _ := r.json(t)["error"].(string); !strings.Contains(msg, b.want) {
			t.Errorf("%s: error %q does not contain %q", b.name, msg, b.want)
		}
	}
	for _, p := range []string{"/v2/models/nope", "/v2/models/ridge/versions/99", "/v2/models/nope/ready"} {
		if r := e.get(p); r.status != http.StatusNotFound || r.json(t)["error"] == nil {
			t.Errorf("GET %s: %d %s, want 404 with an error", p, r.status, r.body)
		}
	}
}

func TestNotReadyUntilModelExists(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 1)
	e.deploy(&store.Deployment{Name: "late", Model: "models:/late@champion"})
	if r := e.post("/serve/late/invocations", "application/json", `{"instances": [[1, 0]]}`); r.status != http.StatusServiceUnavailable ||
		!strings.Contains(string(r.body), "champion") {
		t.Errorf("invocations before the model exists: %d %s, want 503 naming the alias", r.status, r.body)
	}
	if r := e.get("/v2/health/ready"); r.status != http.StatusServiceUnavailable {
		t.Errorf("ready: %d, want 503", r.status)
	}
	if st := e.srv.Status(); len(st) != 1 || st[0].Ready || st[0].Error == "" {
		t.Errorf("Status = %+v, want one endpoint not ready with an error", st)
	}
	v := e.register("late", ridgeModel(t, 1))
	e.alias("late", "champion", v)
	if err := e.srv.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	if r := e.post("/serve/late/invocations", "application/json", `{"instances": [[1, 0]]}`); r.status != http.StatusOK {
		t.Errorf("invocations after registering: %d %s", r.status, r.body)
	}
	if err := e.st.DeleteDeployment(t.Context(), "late"); err != nil {
		t.Fatal(err)
	}
	if err := e.srv.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	if r := e.get("/serve/late/ping"); r.status != http.StatusNotFound {
		t.Errorf("ping after delete: %d, want 404", r.status)
	}
}

// TestAliasSwapUnderLoad moves the alias while clients send requests without pause: no
// request fails, and every answer is wholly one version's (all rows, and the headers).
func TestAliasSwapUnderLoad(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 1)
	v1 := e.register("m", ridgeModel(t, 1))
	v2 := e.register("m", ridgeModel(t, 5))
	e.alias("m", "champion", v1)
	e.deploy(&store.Deployment{Name: "m", Model: "models:/m@champion"})
	xs := []float64{1, 2, 3, 4}
	want := map[string][]float64{v1: expectRidge(t, e, 1, xs...), v2: expectRidge(t, e, 5, xs...)}
	body := `{"dataframe_split": {"columns": ["x", "k"], "data": [[1, 0], [2, 0], [3, 0], [4, 0]]}}`

	stop := make(chan struct{})
	sawV2 := make(chan struct{})
	var once sync.Once
	var wg sync.WaitGroup
	var mu sync.Mutex
	counts := map[string]int{}
	var failures []string
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				r := do(t, e.http.Client(), "POST", e.http.URL+"/serve/m/invocations", "application/json", body)
				mu.Lock()
				ver := r.header.Get(serve.HeaderModelVersion)
				var got struct{ Predictions []float64 }
				err := json.Unmarshal(r.body, &got)
				if r.status != http.StatusOK || err != nil || !sameFloats(got.Predictions, want[ver]) {
					failures = append(failures, fmt.Sprintf("%d version %q %s", r.status, ver, r.body))
				}
				counts[ver]++
				n1 := counts[v1]
				mu.Unlock()
				if ver == v2 {
					once.Do(func() { close(sawV2) })
				}
				if n1 == 200 { // enough answers from v1 under load: move the alias
					e.alias("m", "champion", v2)
				}
			}
		}()
	}
	// The poller follows the alias, as it would for a `weir` process moving it.
	if err := e.srv.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	select {
	case <-sawV2:
	case <-time.After(30 * time.Second):
		t.Error("the endpoint never answered with version 2 after the alias moved")
	}
	// Keep the load on a little after the swap.
	mu.Lock()
	after := counts[v2] + 200
	mu.Unlock()
	for {
		mu.Lock()
		n := counts[v2]
		mu.Unlock()
		if n >= after || t.Failed() {
			break
		}
		<-time.After(time.Millisecond)
	}
	close(stop)
	wg.Wait()
	if len(failures) > 0 {
		t.Fatalf("%d of the answers failed or mixed versions, first: %s", len(failures), failures[0])
	}
	if counts[v1] < 200 || counts[v2] < 200 || len(counts) != 2 {
		t.Fatalf("answers by version %v: want ≥ 200 from each of %s and %s", counts, v1, v2)
	}
}

func TestCanarySplit(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 42)
	champ := e.register("m", ridgeModel(t, 1))
	chall := e.register("m", ridgeModel(t, 2))
	e.alias("m", "champion", champ)
	e.alias("m", "challenger", chall)
	e.deploy(&store.Deployment{Name: "m", Model: "models:/m@champion", Canary: "models:/m@challenger", CanaryWeight: 10})
	const n = 3000
	counts := map[string]int{}
	for range n {
		r := e.post("/serve/m/invocations", "application/json", `{"instances": [[1, 0]]}`)
		if r.status != http.StatusOK {
			t.Fatalf("%d %s", r.status, r.body)
		}
		counts[r.header.Get(serve.HeaderModelVersion)]++
	}
	// Binomial(3000, 0.1): mean 300, σ ≈ 16.4; ±4σ.
	if c := counts[chall]; c < 234 || c > 366 || counts[champ]+c != n {
		t.Fatalf("canary answered %d of %d requests (by version %v), want 10%% ± 4σ (234..366)", c, n, counts)
	}
	// Promotion is an alias move: the challenger becomes the champion, the canary ends.
	e.alias("m", "champion", chall)
	e.deploy(&store.Deployment{Name: "m", Model: "models:/m@champion"})
	for range 50 {
		if r := e.post("/serve/m/invocations", "application/json", `{"instances": [[1, 0]]}`); r.header.Get(serve.HeaderModelVersion) != chall {
			t.Fatalf("after promotion the answer came from version %s, want %s", r.header.Get(serve.HeaderModelVersion), chall)
		}
	}
	e.sink.mu.Lock()
	defer e.sink.mu.Unlock()
	if len(e.sink.all) != n+50 {
		t.Fatalf("the sink received %d predictions, want %d", len(e.sink.all), n+50)
	}
}

func TestShadow(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 1)
	champ := e.register("m", ridgeModel(t, 1))
	shadow := e.register("m", ridgeModel(t, 7))
	e.alias("m", "champion", champ)
	e.deploy(&store.Deployment{Name: "m", Model: "models:/m@champion", Shadow: "models:/m/" + shadow})
	const n = 40
	ids := map[string]bool{}
	for i := range n {
		r := e.post("/serve/m/invocations", "application/json", fmt.Sprintf(`{"dataframe_records": [{"x": %d, "k": 0}]}`, i))
		if r.status != http.StatusOK || r.header.Get(serve.HeaderModelVersion) != champ {
			t.Fatalf("request %d: %d version %s %s: want 200 from the champion %s", i, r.status, r.header.Get(serve.HeaderModelVersion), r.body, champ)
		}
		var got struct{ Predictions []float64 }
		_ = json.Unmarshal(r.body, &got)
		if !sameFloats(got.Predictions, expectRidge(t, e, 1, float64(i))) {
			t.Fatalf("request %d answered %v: not the champion's answer", i, got.Predictions)
		}
		ids[r.header.Get(serve.HeaderPredictionID)] = true
	}
	primary, shadows := 0, 0
	for primary+shadows < 2*n {
		select {
		case p := <-e.sink.ch:
			if !ids[p.ID] {
				t.Fatalf("prediction %+v has an id no response carried", p)
			}
			var in struct {
				Columns []string
				Data    [][]float64
			}
			if err := json.Unmarshal(p.Inputs, &in); err != nil || len(in.Data) != 1 {
				t.Fatalf("prediction inputs %s: %v", p.Inputs, err)
			}
			var out struct{ Predictions []float64 }
			if err := json.Unmarshal(p.Output, &out); err != nil {
				t.Fatalf("prediction output %s: %v", p.Output, err)
			}
			slope, ver := 1.0, champ
			if p.Shadow {
				slope, ver = 7, shadow
				shadows++
			} else {
				primary++
			}
			if p.Version != ver || p.Model != "m" || p.Endpoint != "m" || p.Latency <= 0 || p.Time.IsZero() {
				t.Fatalf("prediction %+v: want model m version %s, a latency and a time", p, ver)
			}
			if !sameFloats(out.Predictions, expectRidge(t, e, slope, in.Data[0][0])) {
				t.Fatalf("%s prediction %s for inputs %s is not version %s's", map[bool]string{true: "shadow", false: "primary"}[p.Shadow], p.Output, p.Inputs, ver)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("the sink received %d primary and %d shadow predictions, want %d of each", primary, shadows, n)
		}
	}
	if primary != n || shadows != n {
		t.Fatalf("%d primary and %d shadow predictions, want %d each", primary, shadows, n)
	}
}

// TestBrokenVersionKeepsServingTheLoadedOne: when the alias moves to a version whose file
// cannot be read, the endpoint keeps answering with the version it has, and Status says why.
func TestBrokenVersionKeepsServingTheLoadedOne(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 1)
	v1 := e.register("m", ridgeModel(t, 1))
	e.alias("m", "champion", v1)
	e.deploy(&store.Deployment{Name: "m", Model: "models:/m@champion"})
	mv, err := e.tr.CreateModelVersion(t.Context(), tracking.CreateModelVersionParams{Name: "m", Source: "file:///nonexistent/model.json"})
	if err != nil {
		t.Fatal(err)
	}
	e.alias("m", "champion", mv.Version)
	if err := e.srv.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	r := e.post("/serve/m/invocations", "application/json", `{"instances": [[1, 0]]}`)
	if r.status != http.StatusOK || r.header.Get(serve.HeaderModelVersion) != v1 {
		t.Fatalf("after the alias moved to a broken version: %d version %q %s, want 200 from %s", r.status, r.header.Get(serve.HeaderModelVersion), r.body, v1)
	}
	if st := e.srv.Status(); len(st) != 1 || !st[0].Ready || st[0].Version != v1 || !strings.Contains(st[0].Error, "nonexistent") {
		t.Fatalf("Status = %+v, want ready on %s with an error naming the missing file", st, v1)
	}
}
