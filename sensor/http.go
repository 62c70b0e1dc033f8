package sensor

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/expr-lang/expr"

	"github.com/weirhq/weir/dag"
	"github.com/weirhq/weir/executor"
)

// maxSensorBody bounds how much of a response an http sensor reads; maxOutputBody is the
// largest body it puts in its output (larger ones are left out).
const (
	maxSensorBody = 4 << 20
	maxOutputBody = 64 << 10
)

// httpChecker holds once a request gets a status in expect_status (default any 2xx) and the
// condition, if any, is true of the response. Connection errors, other statuses and a
// condition that fails on this response mean "not yet". The output is {"status", "body"}.
func (s *Sensor) httpChecker(spec *dag.SensorSpec) (checker, error) {
	method := spec.Method
	if method == "" {
		method = http.MethodGet
	}
	if spec.URL == "" {
		return nil, fmt.Errorf("http sensor: no url")
	}
	if _, err := http.NewRequest(method, spec.URL, nil); err != nil {
		return nil, fmt.Errorf("http sensor: %w", err)
	}
	var cond func(dag.Response) (bool, error)
	if spec.Condition != "" {
		prog, err := dag.CompileResponseCondition(spec.Condition)
		if err != nil {
			return nil, fmt.Errorf("http sensor: condition: %w", err)
		}
		cond = func(r dag.Response) (bool, error) {
			v, err := expr.Run(prog, r)
			if err != nil {
				return false, err
			}
			b, _ := v.(bool)
			return b, nil
		}
	}
	target := method + " " + spec.URL
	return func(ctx context.Context) (poke, error) {
		req, err := http.NewRequestWithContext(ctx, method, spec.URL, nil)
		if err != nil {
			return poke{}, permanentf("http sensor: %w", err)
		}
		for k, v := range spec.Headers {
			req.Header.Set(k, v)
		}
		resp, err := s.deps.HTTPClient.Do(req)
		if err != nil {
			if ctx.Err() != nil {
				return poke{}, context.Cause(ctx)
			}
			return poke{status: fmt.Sprintf("%s: %v", target, err)}, nil
		}
		raw, err := io.ReadAll(io.LimitReader(resp.Body, maxSensorBody))
		resp.Body.Close()
		if err != nil {
			return poke{status: fmt.Sprintf("%s: read the response: %v", target, err)}, nil
		}
		ok := resp.StatusCode >= 200 && resp.StatusCode < 300
		want := "2xx"
		if len(spec.ExpectStatus) > 0 {
			ok = slices.Contains(spec.ExpectStatus, resp.StatusCode)
			want = fmt.Sprint(spec.ExpectStatus)
		}
		if !ok {
			return poke{status: fmt.Sprintf("%s: status %d, want %s", target, resp.StatusCode, want)}, nil
		}
		r := dag.Response{Status: resp.StatusCode, Headers: map[string]any{}, Body: string(raw)}
		for k := range resp.Header {
			r.Headers[strings.ToLower(k)] = resp.Header.Get(k)
		}
		if len(raw) > 0 && json.Valid(raw) {
			var v any
			if json.Unmarshal(raw, &v) == nil {
				r.Body = v
			}
		}
		if cond != nil {
			holds, err := cond(r)
			switch {
			case err != nil:
				return poke{status: fmt.Sprintf("%s: status %d, condition: %v", target, r.Status, firstLine(err.Error()))}, nil
			case !holds:
				return poke{status: fmt.Sprintf("%s: status %d, condition false", target, r.Status)}, nil
			}
		}
		out := map[string]any{"status": r.Status}
		if len(raw) <= maxOutputBody {
			out["body"] = r.Body
		}
		return poke{done: true, output: out, status: fmt.Sprintf("%s: status %d", target, r.Status)}, nil
	}, nil
}

// firstLine returns s up to its first newline (expr errors add a source snippet).
func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// exprChecker holds once the condition, evaluated against the template context, is truthy
// (false, null, 0, "", [] and {} are false, as for short_circuit). The output is
// {"value": v}. An evaluation error fails the try.
func (s *Sensor) exprChecker(job *executor.Job, spec *dag.SensorSpec) (checker, error) {
	if strings.TrimSpace(spec.Condition) == "" {
		return nil, fmt.Errorf("expr sensor: no condition")
	}
	tctx := job.Template
	return func(context.Context) (poke, error) {
		v, err := dag.EvalExpr(spec.Condition, tctx)
		if err != nil {
			return poke{}, fmt.Errorf("expr sensor: %w", err)
		}
		if !dag.Truthy(v) {
			return poke{status: fmt.Sprintf("%s is %s", spec.Condition, show(v))}, nil
		}
		return poke{done: true, output: map[string]any{"value": v}, status: fmt.Sprintf("%s is %s", spec.Condition, show(v))}, nil
	}, nil
}

// show writes a value compactly for the log.
func show(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	if len(b) > 80 {
		return string(b[:77]) + "..."
	}
	return string(b)
}
