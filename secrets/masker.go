package secrets

import (
	"bytes"
	"encoding/json"
	"io"
	"slices"
	"strings"
	"sync"
)

// SensitiveFields are the names whose values are hidden: a variable whose key contains one
// (case-insensitive), a connection extra's field, a JSON field of a task's output. They
// are Airflow's DEFAULT_SENSITIVE_FIELDS (airflow/_shared/secrets_masker).
var SensitiveFields = []string{"access_token", "api_key", "apikey", "authorization", "passphrase", "passwd", "password",
	"private_key", "proxies", "secret", "token", "keyfile_dict", "service_account"}

// MinLength is the length under which a value is not masked (Airflow's [logging]
// min_length_masked_secret, 5): masking "on" or "1" everywhere would garble logs and tell
// little.
const MinLength = 5

// Mask replaces every secret in what the masker redacts, as Airflow's.
const Mask = "***"

// skipMasking are values never masked, whatever they belong to (Airflow skips "airflow").
var skipMasking = []string{"airflow"}

// ShouldHide reports whether the value of a field or variable of this name is hidden: the
// name, lower case, contains one of SensitiveFields (Airflow's should_hide_value_for_key).
func ShouldHide(name string) bool {
	name = strings.ToLower(strings.TrimSpace(name))
	for _, s := range SensitiveFields {
		if strings.Contains(name, s) {
			return true
		}
	}
	return false
}

// Masker replaces secret values with "***" (Airflow's SecretsMasker): the values of
// variables and connections that tasks read are added to it, and it redacts task logs, task
// outputs and errors before they are written or served. It is safe for concurrent use.
type Masker struct {
	mu      sync.RWMutex
	secrets map[string]bool
	r       *strings.Replacer // nil when there is no secret
	maxLen  int
}

// NewMasker returns a masker with no secret.
func NewMasker() *Masker { return &Masker{secrets: map[string]bool{}} }

// Add registers a secret value. With a name (a variable's key, an extra's field), the value
// is registered only if ShouldHide(name); values shorter than MinLength are not.
func (m *Masker) Add(value, name string) {
	if m == nil || value == "" || len(value) < MinLength || slices.Contains(skipMasking, strings.ToLower(value)) {
		return
	}
	if name != "" && !ShouldHide(name) {
		return
	}
	// Adaptations (Airflow's secret_mask_adapter): the forms a value takes inside a JSON
	// string and in a URI.
	forms := []string{value, quote(value)}
	if b, err := json.Marshal(value); err == nil {
		forms = append(forms, string(b[1:len(b)-1]))
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	added := false
	for _, f := range forms {
		if !m.secrets[f] {
			m.secrets[f] = true
			added = true
		}
	}
	if added {
		m.rebuild()
	}
}

// AddValue registers the strings of a JSON-like value: in a map, a field's value is
// registered when its key is sensitive (Airflow's add_mask of a dict).
func (m *Masker) AddValue(v any, name string) {
	switch x := v.(type) {
	case string:
		m.Add(x, name)
	case map[string]any:
		for k, e := range x {
			m.AddValue(e, k)
		}
	case []any:
		for _, e := range x {
			m.AddValue(e, name)
		}
	}
}

// rebuild makes the replacer; longer secrets first, so a secret containing another is
// replaced whole.
func (m *Masker) rebuild() {
	list := make([]string, 0, len(m.secrets))
	for s := range m.secrets {
		list = append(list, s)
	}
	slices.SortFunc(list, func(a, b string) int {
		if len(a) != len(b) {
			return len(b) - len(a)
		}
		return strings.Compare(a, b)
	})
	pairs := make([]string, 0, 2*len(list))
	for _, s := range list {
		pairs = append(pairs, s, Mask)
	}
	m.r = strings.NewReplacer(pairs...)
	m.maxLen = len(list[0])
}

// Len returns how many secrets the masker holds.
func (m *Masker) Len() int {
	if m == nil {
		return 0
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	return len(m.secrets)
}

func (m *Masker) replacer() (*strings.Replacer, int) {
	if m == nil {
		return nil, 0
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.r, m.maxLen
}

// Redact returns s with every secret replaced by "***".
func (m *Masker) Redact(s string) string {
	r, _ := m.replacer()
	if r == nil {
		return s
	}
	return r.Replace(s)
}

// RedactValue returns a copy of a JSON-like value with secrets replaced in its strings,
// and every string under a sensitive key replaced whole (Airflow's redact), up to depth 5.
func (m *Masker) RedactValue(v any, name string) any { return m.redact(v, name, 0) }

func (m *Masker) redact(v any, name string, depth int) any {
	if depth > 5 {
		return v
	}
	if name != "" && ShouldHide(name) {
		return redactAll(v, depth)
	}
	switch x := v.(type) {
	case string:
		return m.Redact(x)
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = m.redact(e, k, depth+1)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = m.redact(e, "", depth+1)
		}
		return out
	}
	return v
}

func redactAll(v any, depth int) any {
	if depth > 5 {
		return Mask
	}
	switch x := v.(type) {
	case string:
		return Mask
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = redactAll(e, depth+1)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = redactAll(e, depth+1)
		}
		return out
	}
	return v
}

// RedactJSON returns a JSON document (a task's output) with every registered secret
// replaced inside its strings; a document holding none is returned as it is, byte for byte.
// Unlike RedactValue, it does not hide values by their keys' names: an output field named
// "max_tokens" keeps its value. A document that does not parse is redacted as text.
func (m *Masker) RedactJSON(doc json.RawMessage) json.RawMessage {
	if doc == nil || m.Redact(string(doc)) == string(doc) {
		return doc
	}
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return json.RawMessage(m.Redact(string(doc)))
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m.redactStrings(v)); err != nil {
		return json.RawMessage(m.Redact(string(doc)))
	}
	return bytes.TrimRight(buf.Bytes(), "\n")
}

// redactStrings returns v with Redact applied to every string, keys included.
func (m *Masker) redactStrings(v any) any {
	switch x := v.(type) {
	case string:
		return m.Redact(x)
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[m.Redact(k)] = m.redactStrings(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = m.redactStrings(e)
		}
		return out
	}
	return v
}

// Writer returns a writer that redacts what it passes to w, line by line (a secret split
// across two writes is still found; a line longer than 64 KiB is cut there). Close writes
// what is left of the last line.
func (m *Masker) Writer(w io.Writer) *Writer { return &Writer{m: m, w: w} }

// Writer redacts a stream (a task's stdout and stderr) before it reaches its destination.
type Writer struct {
	m   *Masker
	w   io.Writer
	mu  sync.Mutex
	buf []byte
}

const maxLine = 64 << 10

// Write implements io.Writer: complete lines are redacted and written, the rest kept.
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	cut := bytes.LastIndexAny(w.buf, "\n\r") + 1 // a progress bar's \r ends a line too
	if cut == 0 && len(w.buf) > maxLine {
		// Keep the tail a secret could still be split across.
		_, n := w.m.replacer()
		cut = max(len(w.buf)-n, 0)
	}
	if cut > 0 {
		if _, err := io.WriteString(w.w, w.m.Redact(string(w.buf[:cut]))); err != nil {
			return 0, err
		}
		w.buf = append(w.buf[:0], w.buf[cut:]...)
	}
	return len(p), nil
}

// Close writes the rest, redacted. It does not close the destination.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.buf) == 0 {
		return nil
	}
	_, err := io.WriteString(w.w, w.m.Redact(string(w.buf)))
	w.buf = w.buf[:0]
	return err
}
