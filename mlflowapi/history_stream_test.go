package mlflowapi

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/weirhq/weir/tracking"
)

// TestGetHistoryStreamed checks metrics/get-history as streamed from the SQLite store: the
// same bytes as the page marshalled whole (NaN and infinities as MLflow writes them),
// pages by max_results/page_token that add up to the whole history, an empty history as
// {}, and an unknown run still answered 404 with MLflow's error.
func TestGetHistoryStreamed(t *testing.T) {
	t.Parallel()
	h := setup(t)
	svc := h.api.Service()
	run, err := svc.CreateRun(t.Context(), tracking.CreateRunParams{ExperimentID: "0"})
	if err != nil {
		t.Fatal(err)
	}
	id := run.Info.RunID
	const points = 2500
	var ms []tracking.Metric
	for i := range points {
		v := float64(i) / 7
		switch i % 100 {
		case 1:
			v = math.NaN()
		case 2:
			v = math.Inf(1)
		case 3:
			v = math.Inf(-1)
		}
		ms = append(ms, tracking.Metric{Key: "l/oss", Value: v, Timestamp: int64(1000 + i), Step: int64(i)})
	}
	for i := 0; i < points; i += 500 {
		if err := svc.LogMetrics(t.Context(), id, ms[i:i+500]...); err != nil {
			t.Fatal(err)
		}
	}
	get := func(q url.Values) (int, string) {
		t.Helper()
		resp, err := http.Get(h.srv.URL + "/api/2.0/mlflow/metrics/get-history?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, string(b)
	}
	page, err := svc.GetMetricHistory(t.Context(), tracking.GetMetricHistoryParams{RunID: id, Key: "l/oss"})
	if err != nil {
		t.Fatal(err)
	}
	whole, _ := metricsResponse(page.Metrics, "").MarshalJSON()
	code, body := get(url.Values{"run_id": {id}, "metric_key": {"l/oss"}})
	if code != 200 || body != string(whole) {
		t.Fatalf("get-history: %d, %d bytes, want the %d bytes of the whole page", code, len(body), len(whole))
	}
	if !strings.Contains(body, `"value":"NaN"`) || !strings.Contains(body, `"value":"-Infinity"`) {
		t.Fatalf("get-history: non-finite values not written as MLflow does: %.300s", body)
	}

	// Pages of 1000: 1000, 1000, 500, with tokens between them, together the whole.
	var parts []string
	token := ""
	for n := 0; ; n++ {
		q := url.Values{"run_id": {id}, "metric_key": {"l/oss"}, "max_results": {"1000"}}
		if token != "" {
			q.Set("page_token", token)
		}
		code, body := get(q)
		if code != 200 {
			t.Fatalf("page %d: %d %s", n, code, body)
		}
		var p struct {
			Metrics []struct {
				Step int64 `json:"step"`
			} `json:"metrics"`
			Next string `json:"next_page_token"`
		}
		if err := json.Unmarshal([]byte(body), &p); err != nil {
			t.Fatalf("page %d: %v", n, err)
		}
		for i, m := range p.Metrics {
			if m.Step != int64(1000*n+i) {
				t.Fatalf("page %d point %d has step %d", n, i, m.Step)
			}
		}
		parts = append(parts, fmt.Sprint(len(p.Metrics)))
		if token = p.Next; token == "" {
			break
		}
	}
	if got := strings.Join(parts, ","); got != "1000,1000,500" {
		t.Fatalf("pages of %s points, want 1000,1000,500", got)
	}

	if code, body := get(url.Values{"run_id": {id}, "metric_key": {"absent"}}); code != 200 || body != "{}" {
		t.Fatalf("empty history: %d %s, want 200 {}", code, body)
	}
	if code, body := get(url.Values{"run_id": {"nope"}, "metric_key": {"m"}}); code != 404 || !strings.Contains(body, "RESOURCE_DOES_NOT_EXIST") {
		t.Fatalf("unknown run: %d %s, want 404 RESOURCE_DOES_NOT_EXIST", code, body)
	}
	if code, body := get(url.Values{"run_id": {id}, "metric_key": {"m"}, "page_token": {"%%%"}}); code != 400 || !strings.Contains(body, "INVALID_PARAMETER_VALUE") {
		t.Fatalf("bad token: %d %s, want 400 INVALID_PARAMETER_VALUE", code, body)
	}
}
