package dag

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/expr-lang/expr"
)

// TemplateContext is what templates of one task instance are evaluated against.
type TemplateContext struct {
	// DAGID, RunID and TaskID identify the task instance; RenderTask uses the task's ID
	// when TaskID is empty.
	DAGID, RunID, TaskID string
	// LogicalDate is the run's logical date; ds, ts and friends are derived from it in its
	// own location.
	LogicalDate time.Time
	// TryNumber counts tries from 1; MapIndex is the index of a mapped instance, -1 when
	// the task is not mapped.
	TryNumber, MapIndex int
	// Params are the run's resolved params (DAG.ResolveParams); Conf is its raw conf.
	Params, Conf map[string]any
	// Outputs maps fully qualified task IDs to their output values.
	Outputs map[string]any
	// Args are a mapped instance's arguments (partial merged with its item), nil when the
	// task is not mapped.
	Args map[string]any
	// DataIntervalStart and DataIntervalEnd are the run's data interval (zero: the logical
	// date).
	DataIntervalStart, DataIntervalEnd time.Time
	// TriggeringEvents maps dataset URIs to the events that triggered the run (Airflow's
	// triggering_dataset_events), nil when none.
	TriggeringEvents map[string]any
	// Secrets looks up the variables and connections templates read (var, conn), when
	// they are rendered; nil makes such templates fail.
	Secrets SecretLookup
}

// vars returns the template variables of the context, typed as compileEnv declares them.
func (c *TemplateContext) vars(taskID string) map[string]any {
	ld := c.LogicalDate
	params, conf := c.Params, c.Conf
	if params == nil {
		params = map[string]any{}
	}
	if conf == nil {
		conf = map[string]any{}
	}
	args := c.Args
	if args == nil {
		args = map[string]any{}
	}
	dis, die := c.DataIntervalStart, c.DataIntervalEnd
	if dis.IsZero() {
		dis, die = ld, ld
	}
	trig := c.TriggeringEvents
	if trig == nil {
		trig = map[string]any{}
	}
	return map[string]any{
		"var": map[string]any{"value": map[string]any{}, "json": map[string]any{}}, "conn": map[string]any{}, secretsKey: c.Secrets,
		"data_interval_start": dis.UTC().Format(time.RFC3339), "data_interval_end": die.UTC().Format(time.RFC3339),
		"triggering_dataset_events": trig,
		"args":                      args, "zip": zipFunc, "zip_longest": zipLongestFunc, "concat": concatFunc,
		"params": params, "conf": conf, "outputs": nestOutputs(c.Outputs),
		"run_id": c.RunID, "dag_id": c.DAGID, "task_id": taskID,
		"map_index": c.MapIndex, "try_number": c.TryNumber,
		"logical_date": ld.Format(time.RFC3339), "ts": ld.Format(time.RFC3339),
		"ds": ld.Format("2006-01-02"), "ds_nodash": ld.Format("20060102"),
		"ts_nodash": ld.Format("20060102T150405"),
	}
}

// nestOutputs returns the outputs by full task ID, plus nested maps by group, so that
// outputs["prep.scale"] and outputs.prep.scale both work.
func nestOutputs(outputs map[string]any) map[string]any {
	out := make(map[string]any, len(outputs))
	for id, v := range outputs {
		out[id] = v
	}
	for _, id := range sortedMapKeys(outputs) {
		parts := strings.Split(id, ".")
		if len(parts) < 2 {
			continue
		}
		m := out
		for _, g := range parts[:len(parts)-1] {
			sub, ok := m[g].(map[string]any)
			if !ok {
				if _, taken := m[g]; taken {
					m = nil
					break
				}
				sub = map[string]any{}
				m[g] = sub
			}
			m = sub
		}
		if m != nil {
			if _, taken := m[parts[len(parts)-1]]; !taken {
				m[parts[len(parts)-1]] = outputs[id]
			}
		}
	}
	return out
}

// RenderTask returns a deep copy of t with every template field of its kind's spec (see
// KindDef: for example command argv items, script, env values and dir; http url, header
// values and body; a sensor's path, url, uri, dag_id, task_id and header values, not its
// condition, an expression) evaluated against c. Template fields holding JSON-like values
// (go args) are rendered recursively through maps and lists; with template:"value", a
// string that is exactly one "{{ expr }}" takes the expression's typed value and other
// strings are interpolated. In interpolation,
// strings are inserted as they are, numbers in plain decimal (1, 0.1), booleans as true or
// false, nil as nothing, and maps and lists as compact JSON. Errors (a List) name the task,
// the field and the template.
func RenderTask(t *Task, c *TemplateContext) (*Task, error) {
	if c == nil {
		c = &TemplateContext{MapIndex: -1}
	}
	taskID := c.TaskID
	if taskID == "" {
		taskID = t.ID
	}
	vars := c.vars(taskID)
	out := t.Clone()
	var errs List
	fail := func(field string, err error) {
		errs = append(errs, &Error{DAG: c.DAGID, Task: t.ID, Field: field, Msg: err.Error()})
	}
	if k := out.kindDef(); k != nil {
		if spec := k.spec(out); spec != nil {
			k.render(spec, c, vars, fail)
		}
	}
	if len(errs) > 0 {
		return nil, errs.err()
	}
	return out, nil
}

// RenderString evaluates the template s against c by interpolation (see RenderTask).
func RenderString(s string, c *TemplateContext) (string, error) {
	if !isTemplate(s) {
		return s, nil
	}
	if c == nil {
		c = &TemplateContext{MapIndex: -1}
	}
	return render(s, c.vars(c.TaskID))
}

// renderArg renders a go arg value in place (maps and lists are fresh copies already).
func renderArg(field string, v any, vars map[string]any, fail func(string, error)) any {
	switch x := v.(type) {
	case string:
		if !isTemplate(x) {
			return x
		}
		segs, terr := parseTemplate(x)
		if terr != nil {
			fail(field, terr)
			return x
		}
		if len(segs) == 1 && segs[0].expr {
			val, err := eval(segs[0].text, vars)
			if err != nil {
				fail(field, err)
				return x
			}
			return canonical(val)
		}
		s, err := interpolate(segs, vars)
		if err != nil {
			fail(field, err)
			return x
		}
		return s
	case map[string]any:
		for _, k := range sortedMapKeys(x) {
			x[k] = renderArg(field+"."+k, x[k], vars, fail)
		}
		return x
	case []any:
		for i := range x {
			x[i] = renderArg(index(field, i), x[i], vars, fail)
		}
		return x
	}
	return v
}

// render interpolates template s.
func render(s string, vars map[string]any) (string, error) {
	segs, terr := parseTemplate(s)
	if terr != nil {
		return "", terr
	}
	return interpolate(segs, vars)
}

func interpolate(segs []segment, vars map[string]any) (string, error) {
	var b strings.Builder
	for _, seg := range segs {
		if !seg.expr {
			b.WriteString(seg.text)
			continue
		}
		val, err := eval(seg.text, vars)
		if err != nil {
			return "", err
		}
		s, err := formatValue(val)
		if err != nil {
			return "", fmt.Errorf("{{ %s }}: %v", seg.text, err)
		}
		b.WriteString(s)
	}
	return b.String(), nil
}

// eval runs one expression with the cached program.
func eval(src string, vars map[string]any) (any, error) {
	if err := resolveSecrets(src, vars); err != nil {
		return nil, err
	}
	prog, err := compileExpr(src)
	if err == nil {
		var v any
		if v, err = expr.Run(prog, vars); err == nil {
			return v, nil
		}
	}
	msg, _ := exprMessage(err)
	return nil, fmt.Errorf("{{ %s }}: %s", src, msg)
}

// formatValue writes a value the way interpolation inserts it.
func formatValue(v any) (string, error) {
	switch x := v.(type) {
	case nil:
		return "", nil
	case string:
		return x, nil
	case bool:
		return strconv.FormatBool(x), nil
	case int:
		return strconv.Itoa(x), nil
	case int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return fmt.Sprint(x), nil
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), nil
	case float32:
		return strconv.FormatFloat(float64(x), 'f', -1, 32), nil
	case json.Number:
		return string(x), nil
	case time.Time:
		return x.Format(time.RFC3339Nano), nil
	case time.Duration:
		return x.String(), nil
	case fmt.Stringer:
		return x.String(), nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	return string(b), nil
}
