package serve

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/weirhq/weir/ml/frame"
)

// The Open Inference Protocol (KServe V2), REST.

func v2Error(w http.ResponseWriter, status int, format string, args ...any) {
	writeJSON(w, status, map[string]string{"error": fmt.Sprintf(format, args...)})
}

// v2Tensor is a tensor of a V2 request or answer.
type v2Tensor struct {
	Name       string         `json:"name"`
	Shape      []int          `json:"shape"`
	Datatype   string         `json:"datatype"`
	Parameters map[string]any `json:"parameters,omitempty"`
	Data       any            `json:"data"`
}

type v2Request struct {
	ID         string           `json:"id,omitempty"`
	Parameters map[string]any   `json:"parameters,omitempty"`
	Inputs     []v2Tensor       `json:"inputs"`
	Outputs    []map[string]any `json:"outputs,omitempty"`
}

type v2Response struct {
	ModelName    string         `json:"model_name"`
	ModelVersion string         `json:"model_version,omitempty"`
	ID           string         `json:"id"`
	Parameters   map[string]any `json:"parameters,omitempty"`
	Outputs      []v2Tensor     `json:"outputs"`
}

type v2TensorMeta struct {
	Name     string `json:"name"`
	Datatype string `json:"datatype"`
	Shape    []int  `json:"shape"`
}

func v2Datatype(t frame.Type) string {
	switch t {
	case frame.Float:
		return "FP64"
	case frame.Int:
		return "INT64"
	case frame.Bool:
		return "BOOL"
	}
	return "BYTES"
}

func (s *Server) v2Server(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"name": "weir", "version": s.cfg.Version, "extensions": []string{}})
}

func (s *Server) v2Live(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]bool{"live": true})
}

// v2Ready is ready once the deployments were read and every endpoint's model is loaded.
func (s *Server) v2Ready(w http.ResponseWriter, r *http.Request) {
	ready := s.loaded.Load()
	for _, ep := range *s.eps.Load() {
		ready = ready && ep.primary != nil
	}
	status := http.StatusOK
	if !ready {
		status = http.StatusServiceUnavailable
	}
	writeJSON(w, status, map[string]bool{"ready": ready})
}

// v2Model finds the endpoint and, when the route names a version, the loaded model of that
// version; it writes the error answer and returns nil when there is none.
func (s *Server) v2Model(w http.ResponseWriter, r *http.Request) (*endpoint, *loadedModel) {
	ep, m, status, msg := s.v2Find(r)
	if status != 0 {
		v2Error(w, status, "%s", msg)
		return nil, nil
	}
	return ep, m
}

// v2Find is v2Model without the answer: on failure it returns the status and message to
// answer, and the endpoint when it exists.
func (s *Server) v2Find(r *http.Request) (ep *endpoint, m *loadedModel, status int, msg string) {
	name := r.PathValue("name")
	ep = s.endpoint(name)
	if ep == nil {
		return nil, nil, http.StatusNotFound, fmt.Sprintf("no model %q is deployed: create it with weir deploy %s --model REF", name, name)
	}
	v := r.PathValue("version")
	if v == "" {
		if ep.primary == nil {
			return ep, nil, http.StatusServiceUnavailable, notReady(ep)
		}
		return ep, nil, 0, ""
	}
	for _, m := range []*loadedModel{ep.primary, ep.canary, ep.shadow} {
		if m != nil && m.version == v {
			return ep, m, 0, ""
		}
	}
	return ep, nil, http.StatusNotFound, fmt.Sprintf("model %q has no loaded version %q", name, v)
}

func (s *Server) v2Metadata(w http.ResponseWriter, r *http.Request) {
	ep, m := s.v2Model(w, r)
	if ep == nil {
		return
	}
	if m == nil {
		m = ep.primary
	}
	var versions []string
	for _, x := range []*loadedModel{ep.primary, ep.canary, ep.shadow} {
		if x != nil && x.version != "" {
			versions = append(versions, x.version)
		}
	}
	var inputs []v2TensorMeta
	for _, in := range m.schema {
		inputs = append(inputs, v2TensorMeta{Name: in.Name, Datatype: v2Datatype(in.Type), Shape: []int{-1}})
	}
	outType := "FP64"
	switch m.output {
	case "labels":
		outType = "BYTES"
	case "clusters":
		outType = "INT64"
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"name": ep.d.Name, "versions": versions, "platform": m.platform,
		"inputs": inputs, "outputs": []v2TensorMeta{{Name: "predict", Datatype: outType, Shape: []int{-1}}},
		"parameters": map[string]any{"model": m.name, "version": m.version, "reference": ep.d.Model},
	})
}

func (s *Server) v2ModelReady(w http.ResponseWriter, r *http.Request) {
	ep, _ := s.v2Model(w, r)
	if ep == nil {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"name": ep.d.Name, "ready": true})
}

func (s *Server) v2Infer(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	ep, m, status, msg := s.v2Find(r)
	if status != 0 {
		v2Error(w, status, "%s", msg)
		if ep != nil {
			s.failed(ep, nil, status, msg)
		}
		return
	}
	if m == nil {
		m = s.pick(ep)
	}
	fail := func(status int, err error) {
		v2Error(w, status, "%v", err)
		s.failed(ep, m, status, err.Error())
	}
	body, err := readBody(w, r)
	if err != nil {
		fail(http.StatusBadRequest, err)
		return
	}
	var req v2Request
	if err := decodeJSON(body, &req); err != nil {
		fail(http.StatusBadRequest, err)
		return
	}
	t, err := v2Table(req.Inputs, m.schema)
	if err != nil {
		fail(http.StatusBadRequest, err)
		return
	}
	f, p, err := s.predict(r.Context(), m, t)
	if err != nil {
		status := http.StatusBadRequest
		if !isInputError(err) {
			status = http.StatusInternalServerError
		}
		fail(status, err)
		return
	}
	res := &result{id: s.newID(), m: m, pred: p, frame: f, started: start}
	setModelHeaders(w, res.id, m)
	resp := v2Response{ModelName: ep.d.Name, ModelVersion: m.version, ID: req.ID,
		Parameters: map[string]any{"prediction_id": res.id, "model": m.name}}
	if resp.ID == "" {
		resp.ID = res.id
	}
	n := f.NumRows()
	switch {
	case p.Labels != nil:
		resp.Outputs = append(resp.Outputs, v2Tensor{Name: "predict", Shape: []int{n}, Datatype: "BYTES", Data: p.Labels})
	case p.Clusters != nil:
		resp.Outputs = append(resp.Outputs, v2Tensor{Name: "predict", Shape: []int{n}, Datatype: "INT64", Data: p.Clusters})
	default:
		vals := p.Values
		if vals == nil {
			vals = []float64{}
		}
		resp.Outputs = append(resp.Outputs, v2Tensor{Name: "predict", Shape: []int{n}, Datatype: "FP64", Data: vals})
	}
	if p.Probabilities != nil && n > 0 {
		flat := make([]float64, 0, n*len(p.Probabilities[0]))
		for _, row := range p.Probabilities {
			flat = append(flat, row...)
		}
		resp.Outputs = append(resp.Outputs, v2Tensor{Name: "probabilities", Shape: []int{n, len(p.Probabilities[0])}, Datatype: "FP64", Data: flat})
	}
	if err := writeJSON(w, http.StatusOK, resp); err != nil {
		s.failed(ep, m, http.StatusInternalServerError, err.Error())
		return
	}
	s.record(ep, res, t)
}

// v2Table turns V2 input tensors into a table: one tensor per input column (shape [n] or
// [n, 1]), or one tensor of shape [n, k] holding the k inputs in the signature's order.
func v2Table(ins []v2Tensor, sig frame.Schema) (*table, error) {
	if len(ins) == 0 {
		return nil, badBody("inputs: none given; send one tensor per input column (%s)", schemaNames(sig))
	}
	known := map[string]bool{}
	for _, f := range sig {
		known[f.Name] = true
	}
	t := newTable()
	rows := -1
	for i, in := range ins {
		data := flatten(in.Data)
		if in.Name == "" {
			return nil, badBody("inputs[%d]: no name", i)
		}
		n := len(data)
		if len(in.Shape) > 0 {
			prod := 1
			for _, d := range in.Shape {
				prod *= d
			}
			if prod != len(data) {
				return nil, &InputError{Column: in.Name, Msg: fmt.Sprintf("shape %v holds %d values, data has %d", in.Shape, prod, len(data))}
			}
		}
		if !known[in.Name] && len(ins) == 1 && len(in.Shape) == 2 && in.Shape[1] == len(sig) && len(sig) > 0 {
			n = in.Shape[0]
			for j, f := range sig {
				col := make([]any, n)
				for r := range n {
					col[r] = data[r*len(sig)+j]
				}
				t.columns[f.Name] = col
			}
			t.setRows(n)
			return t, nil
		}
		if len(in.Shape) == 2 && in.Shape[1] != 1 {
			return nil, &InputError{Column: in.Name, Msg: fmt.Sprintf("shape %v: a column's tensor has shape [rows] or [rows, 1]", in.Shape)}
		}
		if rows >= 0 && n != rows {
			return nil, &InputError{Column: in.Name, Msg: fmt.Sprintf("%d values, other inputs have %d", n, rows)}
		}
		rows = n
		t.columns[in.Name] = data
		if len(sig) == 0 {
			t.order = append(t.order, in.Name) // a model without a signature takes them in this order
		}
	}
	t.setRows(rows)
	return t, nil
}

func flatten(v any) []any {
	switch x := v.(type) {
	case []any:
		nested := false
		for _, e := range x {
			if _, ok := e.([]any); ok {
				nested = true
				break
			}
		}
		if !nested {
			return x
		}
		var out []any
		for _, e := range x {
			out = append(out, flatten(e)...)
		}
		return out
	case nil:
		return nil
	}
	return []any{v}
}

func schemaNames(s frame.Schema) string {
	b, _ := json.Marshal(s)
	return string(b)
}
