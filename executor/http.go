package executor

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
)

// HTTP sends the request of an http task. The output is
// {"status": code, "headers": {...}, "body": <JSON value, or the text>}.
type HTTP struct {
	// Client sends the request; nil means http.DefaultClient.
	Client *http.Client
}

// maxHTTPBody bounds how much of a response is read.
const maxHTTPBody = 16 << 20

// Run sends the request and checks the status code.
func (h HTTP) Run(ctx context.Context, job *Job) Result {
	spec := job.Task.HTTP
	if spec == nil {
		return Result{Outcome: FailedNoRetry, Err: fmt.Errorf("task %s has no http spec", job.TaskID)}
	}
	method := spec.Method
	if method == "" {
		method = http.MethodGet
	}
	var body io.Reader
	if spec.Body != "" {
		body = strings.NewReader(spec.Body)
	}
	req, err := http.NewRequestWithContext(ctx, method, spec.URL, body)
	if err != nil {
		return Result{Outcome: FailedNoRetry, Err: fmt.Errorf("http request: %w", err)}
	}
	for k, v := range spec.Headers {
		req.Header.Set(k, v)
	}
	client := h.Client
	if client == nil {
		client = http.DefaultClient
	}
	fmt.Fprintf(job.Log, "%s %s\n", method, spec.URL)
	resp, err := client.Do(req)
	if err != nil {
		return Result{Outcome: Failed, Err: fmt.Errorf("%s %s: %w", method, spec.URL, err)}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxHTTPBody))
	if err != nil {
		return Result{Outcome: Failed, Err: fmt.Errorf("read response of %s %s: %w", method, spec.URL, err)}
	}
	fmt.Fprintf(job.Log, "%s\n", resp.Status)
	logBody := raw
	if len(logBody) > 4096 {
		logBody = logBody[:4096]
	}
	fmt.Fprintf(job.Log, "%s\n", logBody)
	ok := resp.StatusCode >= 200 && resp.StatusCode < 300
	if len(spec.ExpectStatus) > 0 {
		ok = slices.Contains(spec.ExpectStatus, resp.StatusCode)
	}
	if !ok {
		want := "2xx"
		if len(spec.ExpectStatus) > 0 {
			want = fmt.Sprint(spec.ExpectStatus)
		}
		return Result{Outcome: Failed, Err: fmt.Errorf("%s %s: status %d, want %s (expect_status)", method, spec.URL, resp.StatusCode, want)}
	}
	out := struct {
		Status  int               `json:"status"`
		Headers map[string]string `json:"headers"`
		Body    any               `json:"body"`
	}{Status: resp.StatusCode, Headers: map[string]string{}}
	for k := range resp.Header {
		out.Headers[strings.ToLower(k)] = resp.Header.Get(k)
	}
	if json.Valid(raw) && len(raw) > 0 {
		out.Body = json.RawMessage(raw)
	} else {
		out.Body = string(raw)
	}
	b, err := json.Marshal(out)
	if err != nil {
		return Result{Outcome: Failed, Err: err}
	}
	return Result{Outcome: Succeeded, Output: b}
}
