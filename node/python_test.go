package node_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/weirhq/weir/node"
	"github.com/weirhq/weir/store"
	"github.com/weirhq/weir/store/sqlite"
	"github.com/weirhq/weir/tracking"
)

// pythonModels writes the scikit-learn models of serve/pyworker/testdata/make_models.py
// (pickles and MLmodel files as the Python mlflow client writes them, with scikit-learn's
// own answers) into a temporary folder, with Debian's Python.
func pythonModels(t testing.TB) string {
	t.Helper()
	out := t.TempDir()
	script, err := filepath.Abs("../serve/pyworker/testdata/make_models.py")
	if err != nil {
		t.Fatal(err)
	}
	if b, err := exec.Command("/usr/bin/python3", script, out).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s(scripts/ensure-deps.sh installs python3-sklearn and python3-cloudpickle)", script, err, b)
	}
	return out
}

// sklearnAnswers is what make_models.py records: held-out rows (by column) and
// scikit-learn's predictions for them.
type sklearnAnswers struct {
	Columns []string    `json:"columns"`
	Data    [][]float64 `json:"data"`
	Values  []float64   `json:"values"`
	Labels  []string    `json:"labels"`
}

// TestServerServesPythonLoggedModels: an sklearn model logged by the Python mlflow client
// (MLmodel + pickle), registered and deployed under an alias, is served by a server node
// through its Python workers and answers what scikit-learn answers; a request missing a
// column gets a 400 naming it; a classifier deployed by path answers scikit-learn's labels.
func TestServerServesPythonLoggedModels(t *testing.T) {
	t.Parallel()
	dir := pythonModels(t)
	ctx := context.Background()
	home := t.TempDir()
	st, err := sqlite.Open(ctx, filepath.Join(home, "weir.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	svc := tracking.NewService(st.Tracking(), tracking.ServiceConfig{})
	if _, err := svc.CreateRegisteredModel(ctx, tracking.CreateRegisteredModelParams{Name: "diabetes"}); err != nil {
		t.Fatal(err)
	}
	mv, err := svc.CreateModelVersion(ctx, tracking.CreateModelVersionParams{Name: "diabetes", Source: filepath.Join(dir, "diabetes_ridge")})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.SetRegisteredModelAlias(ctx, "diabetes", "champion", mv.Version); err != nil {
		t.Fatal(err)
	}
	srv, err := node.New(node.Config{Mode: node.ModeServer, Store: st, Tracking: st.Tracking(), Home: home, DAGsDir: t.TempDir(),
		Addr: "127.0.0.1:0", ServePollInterval: 50 * time.Millisecond, GracePeriod: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	for name, ref := range map[string]string{"diabetes": "models:/diabetes@champion", "iris": "file://" + filepath.Join(dir, "iris_forest")} {
		if err := st.PutDeployment(ctx, &store.Deployment{Name: name, Model: ref}); err != nil {
			t.Fatal(err)
		}
	}
	base := "http://" + srv.Addr()
	post := func(path, body string) (int, string) {
		resp, err := http.Post(base+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	split := func(a sklearnAnswers, drop string) string {
		var cols []string
		var keep []int
		for j, c := range a.Columns {
			if c != drop {
				cols, keep = append(cols, c), append(keep, j)
			}
		}
		rows := make([][]float64, len(a.Data[0]))
		for i := range rows {
			for _, j := range keep {
				rows[i] = append(rows[i], a.Data[j][i])
			}
		}
		b, _ := json.Marshal(map[string]any{"dataframe_split": map[string]any{"columns": cols, "data": rows}})
		return string(b)
	}
	answers := func(name string) sklearnAnswers {
		var a sklearnAnswers
		b, err := os.ReadFile(filepath.Join(dir, name+".json"))
		if err == nil {
			err = json.Unmarshal(b, &a)
		}
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	deadline := time.Now().Add(60 * time.Second)
	for _, name := range []string{"diabetes", "iris"} {
		for {
			resp, err := http.Get(base + "/serve/" + name + "/ping")
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					break
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("endpoint %s is not ready after 60 s", name)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}

	ridge := answers("diabetes_ridge")
	code, body := post("/serve/diabetes/invocations", split(ridge, ""))
	var got struct {
		Predictions []any `json:"predictions"`
	}
	if err := json.Unmarshal([]byte(body), &got); err != nil || code != 200 || len(got.Predictions) != len(ridge.Values) {
		t.Fatalf("diabetes: %d %s (%v), want %d predictions", code, body, err, len(ridge.Values))
	}
	for i, v := range got.Predictions {
		if f, ok := v.(float64); !ok || math.Abs(f-ridge.Values[i]) > 1e-9*math.Max(1, math.Abs(ridge.Values[i])) {
			t.Fatalf("diabetes row %d: %v, scikit-learn %v", i+1, v, ridge.Values[i])
		}
	}
	code, body = post("/serve/diabetes/invocations", split(ridge, ridge.Columns[2]))
	if code != 400 || !strings.Contains(body, fmt.Sprintf("%q", ridge.Columns[2])) && !strings.Contains(body, fmt.Sprintf(`\"%s\"`, ridge.Columns[2])) {
		t.Fatalf("missing column %s: %d %s, want 400 naming it", ridge.Columns[2], code, body)
	}

	forest := answers("iris_forest")
	code, body = post("/serve/iris/invocations", split(forest, ""))
	if err := json.Unmarshal([]byte(body), &got); err != nil || code != 200 || len(got.Predictions) != len(forest.Labels) {
		t.Fatalf("iris: %d %s (%v)", code, body, err)
	}
	for i, v := range got.Predictions {
		if fmt.Sprint(v) != forest.Labels[i] {
			t.Fatalf("iris row %d: %v, scikit-learn %s", i+1, v, forest.Labels[i])
		}
	}
}

// BenchmarkServePython measures single-row predictions of a Python-logged scikit-learn
// Ridge model served by a server node through its Python workers (2 by default), over
// real HTTP on loopback, with 8×GOMAXPROCS concurrent clients in the same process.
//
//	go test ./node -run '^$' -bench BenchmarkServePython -benchtime 5s
func BenchmarkServePython(b *testing.B) {
	dir := pythonModels(b)
	ctx := context.Background()
	home := b.TempDir()
	st, err := sqlite.Open(ctx, filepath.Join(home, "weir.db"), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	srv, err := node.New(node.Config{Mode: node.ModeServer, Store: st, Tracking: st.Tracking(), Home: home, DAGsDir: b.TempDir(),
		Addr: "127.0.0.1:0", ServePollInterval: 50 * time.Millisecond, GracePeriod: time.Second})
	if err != nil {
		b.Fatal(err)
	}
	if err := srv.Start(ctx); err != nil {
		b.Fatal(err)
	}
	defer srv.Stop()
	if err := st.PutDeployment(ctx, &store.Deployment{Name: "ridge", Model: "file://" + filepath.Join(dir, "diabetes_ridge")}); err != nil {
		b.Fatal(err)
	}
	var a sklearnAnswers
	raw, err := os.ReadFile(filepath.Join(dir, "diabetes_ridge.json"))
	if err == nil {
		err = json.Unmarshal(raw, &a)
	}
	if err != nil {
		b.Fatal(err)
	}
	row := make([]float64, len(a.Columns))
	for j := range a.Columns {
		row[j] = a.Data[j][0]
	}
	body, _ := json.Marshal(map[string]any{"dataframe_split": map[string]any{"columns": a.Columns, "data": [][]float64{row}}})
	url := "http://" + srv.Addr() + "/serve/ridge/invocations"
	tr := &http.Transport{MaxIdleConnsPerHost: 256, MaxIdleConns: 256}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	for deadline := time.Now().Add(60 * time.Second); ; {
		resp, err := client.Post(url, "application/json", strings.NewReader(string(body)))
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			b.Fatal("the Python model is not served after 60 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	var mu sync.Mutex
	var lat []time.Duration
	b.SetParallelism(8)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		local := make([]time.Duration, 0, 1024)
		for pb.Next() {
			t0 := time.Now()
			resp, err := client.Post(url, "application/json", strings.NewReader(string(body)))
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
			local = append(local, time.Since(t0))
		}
		mu.Lock()
		lat = append(lat, local...)
		mu.Unlock()
	})
	elapsed := time.Since(start)
	b.StopTimer()
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	q := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) }
	b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "req/s")
	b.ReportMetric(q(0.50), "p50-µs")
	b.ReportMetric(q(0.99), "p99-µs")
}
