// Package features holds the features.fit and features.transform task kinds: a
// preprocessing pipeline of package ml/preprocess (scalers, encoders, imputers, column
// selection) fitted on training data, saved as a JSON file in the artifact store, and
// applied later by its URI, so training and serving transform data identically.
//
// # The pipeline file
//
// features.fit writes pipeline.json:
//
//	{"format": "weir.features/1",
//	 "steps": [{"kind": "standard_scaler", "params": {...fitted...}}, ...],
//	 "inputs": [{"name": "age", "type": "float"}, ...],
//	 "keep": ["id"], "target": "y",
//	 "outputs": ["age", "sex=f", "sex=m"],
//	 "fitted_on": {"uri": ..., "rows": ..., "hash": ...}}
//
// Its "steps" are ml/preprocess's own encoding of a fitted Pipeline, so the file also
// decodes with json.Unmarshal into a preprocess.Pipeline. The rest records what the
// pipeline expects: Apply refuses data that lacks an input column or whose column has
// another type than the one fitted on (a string where a float was), naming the column.
//
// # Columns
//
// The pipeline sees only its inputs (by default every column but the target and the kept
// ones); its output columns come first, then the kept columns (identifiers, copied
// unchanged), then the target when the data has it (serving data need not).
package features

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/weirhq/weir/ml/frame"
	"github.com/weirhq/weir/ml/preprocess"
	"github.com/weirhq/weir/steps/stepio"
)

// Format is the format name of a pipeline file.
const Format = "weir.features/1"

// Step is one transform of a pipeline, as written in YAML.
type Step struct {
	// Kind names the transform (see Kinds).
	Kind string `yaml:"kind" doc:"standard_scaler, minmax_scaler, robust_scaler, imputer (or simple_imputer), onehot_encoder (or one_hot), ordinal_encoder (or ordinal), or select."`
	// Columns are the columns transformed (for select: kept); empty means the transform's
	// default (every numeric column for scalers, every string or bool column for
	// encoders, every column with missing values for the imputer).
	Columns []string `yaml:"columns,single" doc:"The columns transformed (select: kept, in order); default: every numeric column (scalers), string or bool column (encoders), column with missing values (imputer)."`
	// Strategy is the imputer's: mean, median, most_frequent or constant.
	Strategy string `yaml:"strategy" doc:"imputer: mean (default), median, most_frequent or constant."`
	// FillValue is the imputer's constant.
	FillValue string `yaml:"fill_value,lenient" doc:"imputer with strategy constant: the fill value."`
	// HandleUnknown is what encoders do with a category not seen in training.
	HandleUnknown string `yaml:"handle_unknown" doc:"onehot_encoder: ignore (default, all zeros) or error; ordinal_encoder: use_encoded_value (default) or error."`
	// Unknown is the ordinal encoder's code of an unknown category; nil means -1.
	Unknown *float64 `yaml:"unknown_value" doc:"ordinal_encoder: the code of an unknown category (default -1)."`
	// Low and High are the minmax scaler's target range; nil means 0 and 1.
	Low  *float64 `yaml:"low" doc:"minmax_scaler: the lower end of the range (default 0)."`
	High *float64 `yaml:"high" doc:"minmax_scaler: the upper end of the range (default 1)."`
}

// Kinds are the transform names a Step may use, and their aliases, mapped to ml/preprocess's
// names.
var Kinds = map[string]string{
	"standard_scaler": "standard_scaler",
	"minmax_scaler":   "minmax_scaler",
	"min_max_scaler":  "minmax_scaler",
	"robust_scaler":   "robust_scaler",
	"imputer":         "imputer",
	"simple_imputer":  "imputer",
	"onehot_encoder":  "onehot_encoder",
	"one_hot_encoder": "onehot_encoder",
	"one_hot":         "onehot_encoder",
	"onehot":          "onehot_encoder",
	"ordinal_encoder": "ordinal_encoder",
	"ordinal":         "ordinal_encoder",
	"select":          "select",
}

// StepError is an invalid step: Field is its YAML field ("kind", "strategy", ...).
type StepError struct {
	Field string
	Msg   string
}

func (e *StepError) Error() string { return e.Field + ": " + e.Msg }

// Transformer returns the unfitted transform of s, or a *StepError naming the field
// that is wrong: an unknown kind, a field that does not apply to the kind, a bad value.
func (s Step) Transformer() (preprocess.Transformer, error) {
	kind, ok := Kinds[s.Kind]
	if !ok {
		if s.Kind == "" {
			return nil, &StepError{"kind", "missing: the transform (standard_scaler, onehot_encoder, imputer, ...)"}
		}
		return nil, &StepError{"kind", fmt.Sprintf("unknown transform %q (want standard_scaler, minmax_scaler, robust_scaler, imputer, onehot_encoder, ordinal_encoder or select)", s.Kind)}
	}
	only := func(field string, set bool, kinds ...string) error {
		if set && !slices.Contains(kinds, kind) {
			return &StepError{field, fmt.Sprintf("applies to %s only, not %s", strings.Join(kinds, " and "), kind)}
		}
		return nil
	}
	for _, err := range []error{
		only("strategy", s.Strategy != "", "imputer"),
		only("fill_value", s.FillValue != "", "imputer"),
		only("handle_unknown", s.HandleUnknown != "", "onehot_encoder", "ordinal_encoder"),
		only("unknown_value", s.Unknown != nil, "ordinal_encoder"),
		only("low", s.Low != nil, "minmax_scaler"),
		only("high", s.High != nil, "minmax_scaler"),
	} {
		if err != nil {
			return nil, err
		}
	}
	cols := slices.Clone(s.Columns)
	switch kind {
	case "standard_scaler":
		return &preprocess.StandardScaler{Columns: cols}, nil
	case "robust_scaler":
		return &preprocess.RobustScaler{Columns: cols}, nil
	case "minmax_scaler":
		lo, hi := 0.0, 1.0
		if s.Low != nil {
			lo = *s.Low
		}
		if s.High != nil {
			hi = *s.High
		}
		if !(lo < hi) {
			return nil, &StepError{"high", fmt.Sprintf("the range [%v, %v] is empty: high must be more than low", lo, hi)}
		}
		return &preprocess.MinMaxScaler{Columns: cols, Low: lo, High: hi}, nil
	case "imputer":
		st := s.Strategy
		switch st {
		case "":
			st = preprocess.Mean
		case preprocess.Mean, preprocess.Median, preprocess.MostFrequent:
		case preprocess.Constant:
			if s.FillValue == "" {
				return nil, &StepError{"fill_value", "missing: strategy constant needs the fill value"}
			}
		default:
			return nil, &StepError{"strategy", fmt.Sprintf("unknown strategy %q (want mean, median, most_frequent or constant)", st)}
		}
		if s.FillValue != "" && st != preprocess.Constant {
			return nil, &StepError{"fill_value", fmt.Sprintf("applies to strategy constant only, not %s", st)}
		}
		return &preprocess.Imputer{Columns: cols, Strategy: st, FillValue: s.FillValue}, nil
	case "onehot_encoder":
		if h := s.HandleUnknown; h != "" && h != "ignore" && h != "error" {
			return nil, &StepError{"handle_unknown", fmt.Sprintf("%q is not ignore or error", h)}
		}
		return &preprocess.OneHotEncoder{Columns: cols, HandleUnknown: s.HandleUnknown}, nil
	case "ordinal_encoder":
		if h := s.HandleUnknown; h != "" && h != "use_encoded_value" && h != "error" {
			return nil, &StepError{"handle_unknown", fmt.Sprintf("%q is not use_encoded_value or error", h)}
		}
		return &preprocess.OrdinalEncoder{Columns: cols, HandleUnknown: s.HandleUnknown, Unknown: s.Unknown}, nil
	default: // select
		if len(cols) == 0 {
			return nil, &StepError{"columns", "missing: select keeps the columns listed"}
		}
		return &preprocess.Select{Columns: cols}, nil
	}
}

// Fitted is a fitted pipeline and what it expects of its input: the content of a pipeline
// file.
type Fitted struct {
	// Pipeline is the fitted preprocessing.
	Pipeline *preprocess.Pipeline
	// Inputs are the columns the pipeline transforms, with the types it was fitted on.
	Inputs []stepio.Column
	// Keep are columns copied unchanged after the pipeline's outputs.
	Keep []string
	// Target is the label column, copied last when the data has it ("" when none).
	Target string
	// Outputs are the pipeline's output columns, in order (without Keep and Target).
	Outputs []string
	// FittedOn describes the training data.
	FittedOn *stepio.Dataset
}

type fittedJSON struct {
	Format   string          `json:"format"`
	Steps    json.RawMessage `json:"steps"`
	Inputs   []stepio.Column `json:"inputs"`
	Keep     []string        `json:"keep,omitempty"`
	Target   string          `json:"target,omitempty"`
	Outputs  []string        `json:"outputs"`
	FittedOn *stepio.Dataset `json:"fitted_on,omitempty"`
}

// MarshalJSON encodes the pipeline file.
func (p *Fitted) MarshalJSON() ([]byte, error) {
	b, err := json.Marshal(p.Pipeline)
	if err != nil {
		return nil, err
	}
	var steps struct {
		Steps json.RawMessage `json:"steps"`
	}
	if err := json.Unmarshal(b, &steps); err != nil {
		return nil, err
	}
	return json.MarshalIndent(fittedJSON{Format: Format, Steps: steps.Steps, Inputs: p.Inputs, Keep: p.Keep, Target: p.Target,
		Outputs: p.Outputs, FittedOn: p.FittedOn}, "", "  ")
}

// Parse decodes a pipeline file.
func Parse(b []byte) (*Fitted, error) {
	var raw fittedJSON
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("not a pipeline file written by features.fit (%w): pass {{ outputs.FIT_TASK.pipeline }}", err)
	}
	if raw.Format != Format {
		return nil, fmt.Errorf("pipeline file: format %q is not %s: is it a pipeline written by features.fit?", raw.Format, Format)
	}
	p := &preprocess.Pipeline{}
	if err := json.Unmarshal(b, p); err != nil {
		return nil, fmt.Errorf("pipeline file: %w", err)
	}
	return &Fitted{Pipeline: p, Inputs: raw.Inputs, Keep: raw.Keep, Target: raw.Target, Outputs: raw.Outputs, FittedOn: raw.FittedOn}, nil
}

// Fit fits steps on the inputs of f (every column but target and keep when inputs is
// empty) and returns the fitted pipeline and the transformed data. Errors name the
// step (steps[i]) and the column.
func Fit(f *frame.Frame, steps []Step, inputs, keep []string, target string) (*Fitted, *frame.Frame, error) {
	if f.NumRows() == 0 {
		return nil, nil, fmt.Errorf("the training data has no rows: a pipeline cannot be fitted on an empty training set")
	}
	for _, n := range append(append(slices.Clone(keep), target), inputs...) {
		if n == "" {
			continue
		}
		if _, err := f.Column(n); err != nil {
			return nil, nil, err
		}
	}
	if len(inputs) == 0 {
		for _, n := range f.Names() {
			if n != target && !slices.Contains(keep, n) {
				inputs = append(inputs, n)
			}
		}
	}
	x, err := f.Select(inputs...)
	if err != nil {
		return nil, nil, err
	}
	p := &preprocess.Pipeline{}
	for i, s := range steps {
		t, err := s.Transformer()
		if err != nil {
			return nil, nil, fmt.Errorf("steps[%d]: %w", i, err)
		}
		if err := t.Fit(x); err != nil {
			return nil, nil, fmt.Errorf("steps[%d] (%s): %w", i, t.Kind(), err)
		}
		if x, err = t.Transform(x); err != nil {
			return nil, nil, fmt.Errorf("steps[%d] (%s): %w", i, t.Kind(), err)
		}
		p.Steps = append(p.Steps, t)
	}
	fitted := &Fitted{Pipeline: p, Keep: keep, Target: target, Outputs: x.Names()}
	for _, n := range inputs {
		c, _ := f.Column(n)
		fitted.Inputs = append(fitted.Inputs, stepio.Column{Name: n, Type: c.Type().String()})
	}
	out, err := fitted.attach(x, f)
	if err != nil {
		return nil, nil, err
	}
	return fitted, out, nil
}

// Apply transforms f as the pipeline was fitted to: it checks that f has every input
// column with a compatible type (int and float are interchangeable), transforms them, and
// appends the kept columns and the target when f has it.
func (p *Fitted) Apply(f *frame.Frame) (*frame.Frame, error) {
	var names []string
	for _, in := range p.Inputs {
		c, err := f.Column(in.Name)
		if err != nil {
			return nil, fmt.Errorf("input %w: the pipeline was fitted on %s", err, inputNames(p.Inputs))
		}
		if got := c.Type().String(); !compatible(got, in.Type) {
			return nil, fmt.Errorf("column %q is %s but the pipeline was fitted on %s values (rule: the input schema); is there a value of another type in it?", in.Name, got, in.Type)
		}
		names = append(names, in.Name)
	}
	for _, n := range p.Keep {
		if !f.Has(n) {
			return nil, fmt.Errorf("kept column %q: %w", n, frame.ErrNoColumn)
		}
	}
	x, err := f.Select(names...)
	if err != nil {
		return nil, err
	}
	for i, t := range p.Pipeline.Steps {
		if x, err = t.Transform(x); err != nil {
			return nil, fmt.Errorf("steps[%d] (%s): %w", i, t.Kind(), err)
		}
	}
	return p.attach(x, f)
}

// attach appends the kept columns and the target (when f has it) of f to x.
func (p *Fitted) attach(x, f *frame.Frame) (*frame.Frame, error) {
	extra := slices.Clone(p.Keep)
	if p.Target != "" && f.Has(p.Target) {
		extra = append(extra, p.Target)
	}
	for _, n := range extra {
		if x.Has(n) {
			return nil, fmt.Errorf("column %q is both an output of the pipeline and a kept or target column: rename it, or leave it out of inputs", n)
		}
		c, err := f.Column(n)
		if err != nil {
			return nil, err
		}
		if x, err = x.With(c); err != nil {
			return nil, err
		}
	}
	return x, nil
}

func compatible(got, want string) bool {
	numeric := func(t string) bool { return t == "float" || t == "int" }
	return got == want || numeric(got) && numeric(want)
}

func inputNames(cols []stepio.Column) string {
	var out []string
	for _, c := range cols {
		out = append(out, c.Name)
	}
	return strings.Join(out, ", ")
}
