package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/weirhq/weir/api/client"
	"github.com/weirhq/weir/secrets"
	"github.com/weirhq/weir/store"
)

// secretRoutes are the variables and connections endpoints. As Airflow's API, answers
// mask secrets ("***": a secret variable's value, a connection's password, the extra's
// sensitive fields) for every caller; the reveal operations (POST, so a read-only token
// cannot call them, and under the admin routes) answer them in clear.
func (a *API) secretRoutes() []route {
	return []route{
		{"GET", "/variables", a.listVariables},
		{"POST", "/variables", a.postVariable},
		{"GET", "/variables/{variable_key}", a.getVariable},
		{"DELETE", "/variables/{variable_key}", a.deleteVariable},
		{"POST", "/variables/{variable_key}/reveal", a.revealVariable},
		{"GET", "/connections", a.listConnections},
		{"POST", "/connections", a.postConnection},
		{"GET", "/connections/{connection_id}", a.getConnection},
		{"DELETE", "/connections/{connection_id}", a.deleteConnection},
		{"POST", "/connections/{connection_id}/reveal", a.revealConnection},
	}
}

// secretsService returns the service.
func (a *API) secretsService() (*secrets.Service, error) { return a.cfg.Secrets, nil }

func variableObject(v *secrets.Variable, reveal bool) client.Variable {
	o := client.Variable{Key: v.Key, Value: v.Value, Description: sp(v.Description), IsSecret: v.IsSecret}
	if !reveal && v.Sensitive() {
		o.Value, o.Masked = secrets.Mask, true
	}
	return o
}

func connectionObject(c *secrets.Connection, reveal bool) client.Connection {
	if !reveal {
		c = c.Masked()
	}
	o := client.Connection{ConnectionID: c.ConnID, ConnType: c.ConnType, Description: sp(c.Description),
		Host: sp(c.Host), Login: sp(c.Login), Schema: sp(c.Schema), Password: sp(c.Password), Extra: sp(c.ExtraJSON())}
	if c.Port != 0 {
		p := c.Port
		o.Port = &p
	}
	return o
}

// secretNotFound turns the service's ErrNotFound into a 404.
func secretNotFound(err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return notFound("%v", err)
	}
	return err
}

func (a *API) listVariables(w http.ResponseWriter, r *http.Request) error {
	svc, err := a.secretsService()
	if err != nil {
		return err
	}
	limit, offset, err := query(r.URL.Query()).page()
	if err != nil {
		return err
	}
	vs, err := svc.ListVariables(r.Context())
	if err != nil {
		return err
	}
	out := client.VariableCollection{Variables: []client.Variable{}, TotalEntries: len(vs)}
	for _, v := range paginate(vs, limit, offset) {
		out.Variables = append(out.Variables, variableObject(v, false))
	}
	return writeJSON(w, http.StatusOK, out)
}

func (a *API) variableAnswer(w http.ResponseWriter, r *http.Request, reveal bool) error {
	svc, err := a.secretsService()
	if err != nil {
		return err
	}
	v, err := svc.GetVariable(r.Context(), r.PathValue("variable_key"))
	if err != nil {
		return secretNotFound(err)
	}
	return writeJSON(w, http.StatusOK, variableObject(v, reveal))
}

func (a *API) getVariable(w http.ResponseWriter, r *http.Request) error {
	return a.variableAnswer(w, r, false)
}

func (a *API) revealVariable(w http.ResponseWriter, r *http.Request) error {
	return a.variableAnswer(w, r, true)
}

func (a *API) postVariable(w http.ResponseWriter, r *http.Request) error {
	svc, err := a.secretsService()
	if err != nil {
		return err
	}
	var body struct {
		Key         *string `json:"key"`
		Value       *string `json:"value"`
		Description *string `json:"description"`
		IsSecret    bool    `json:"is_secret"`
		Masked      bool    `json:"masked"`
	}
	if err := decodeBody(r, &body, true); err != nil {
		return err
	}
	switch {
	case body.Key == nil || *body.Key == "":
		return badField("key", "required")
	case body.Value == nil:
		return badField("value", "required")
	case body.Masked || *body.Value == secrets.Mask:
		return badField("value", `"***" is a masked value, not a value: send the value itself`)
	}
	v := &secrets.Variable{Key: *body.Key, Value: *body.Value, IsSecret: body.IsSecret}
	if body.Description != nil {
		v.Description = *body.Description
	}
	if err := svc.SetVariable(r.Context(), v); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, variableObject(v, false))
}

func (a *API) deleteVariable(w http.ResponseWriter, r *http.Request) error {
	svc, err := a.secretsService()
	if err != nil {
		return err
	}
	if err := svc.DeleteVariable(r.Context(), r.PathValue("variable_key")); err != nil {
		return secretNotFound(err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) listConnections(w http.ResponseWriter, r *http.Request) error {
	svc, err := a.secretsService()
	if err != nil {
		return err
	}
	limit, offset, err := query(r.URL.Query()).page()
	if err != nil {
		return err
	}
	cs, err := svc.ListConnections(r.Context())
	if err != nil {
		return err
	}
	out := client.ConnectionCollection{Connections: []client.Connection{}, TotalEntries: len(cs)}
	for _, c := range paginate(cs, limit, offset) {
		out.Connections = append(out.Connections, connectionObject(c, false))
	}
	return writeJSON(w, http.StatusOK, out)
}

func (a *API) connectionAnswer(w http.ResponseWriter, r *http.Request, reveal bool) error {
	svc, err := a.secretsService()
	if err != nil {
		return err
	}
	c, err := svc.GetConnection(r.Context(), r.PathValue("connection_id"))
	if err != nil {
		return secretNotFound(err)
	}
	return writeJSON(w, http.StatusOK, connectionObject(c, reveal))
}

func (a *API) getConnection(w http.ResponseWriter, r *http.Request) error {
	return a.connectionAnswer(w, r, false)
}

func (a *API) revealConnection(w http.ResponseWriter, r *http.Request) error {
	return a.connectionAnswer(w, r, true)
}

func (a *API) postConnection(w http.ResponseWriter, r *http.Request) error {
	svc, err := a.secretsService()
	if err != nil {
		return err
	}
	var body client.Connection
	if err := decodeBody(r, &body, true); err != nil {
		return err
	}
	if body.ConnectionID == "" {
		return badField("connection_id", "required")
	}
	str := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	c := &secrets.Connection{ConnID: body.ConnectionID, ConnType: body.ConnType, Description: str(body.Description),
		Host: str(body.Host), Login: str(body.Login), Schema: str(body.Schema), Password: str(body.Password)}
	if c.Password == secrets.Mask {
		return badField("password", `"***" is a masked value, not a password: send the password itself`)
	}
	if body.Port != nil {
		c.Port = *body.Port
	}
	if ex := str(body.Extra); ex != "" {
		if err := json.Unmarshal([]byte(ex), &c.Extra); err != nil {
			return badField("extra", "not a JSON object: %v", err)
		}
		if strings.Contains(ex, `"`+secrets.Mask+`"`) {
			return badField("extra", `holds a masked value "***": send the values themselves`)
		}
	}
	if err := svc.PutConnection(r.Context(), c); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, connectionObject(c, false))
}

func (a *API) deleteConnection(w http.ResponseWriter, r *http.Request) error {
	svc, err := a.secretsService()
	if err != nil {
		return err
	}
	if err := svc.DeleteConnection(r.Context(), r.PathValue("connection_id")); err != nil {
		return secretNotFound(err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// masked returns h behind the secret masker for the routes that serve what tasks wrote
// (task instances' outputs and errors, task logs): the answer is buffered and every secret
// the masker holds replaced by "***" before it is sent. Tasks' logs, outputs and errors
// are masked when written already; this also hides a secret read after they were written.
func (a *API) masked(path string, h func(w http.ResponseWriter, r *http.Request) error) func(w http.ResponseWriter, r *http.Request) error {
	if a.cfg.Secrets == nil || !strings.Contains(path, "askInstances") {
		return h
	}
	m := a.cfg.Secrets.Masker()
	return func(w http.ResponseWriter, r *http.Request) error {
		if m.Len() == 0 {
			return h(w, r)
		}
		buf := &bufferedResponse{header: w.Header()}
		if err := h(buf, r); err != nil {
			return err
		}
		body := []byte(m.Redact(buf.body.String()))
		if !bytes.Equal(body, buf.body.Bytes()) {
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		}
		if buf.status == 0 {
			buf.status = http.StatusOK
		}
		w.WriteHeader(buf.status)
		_, _ = w.Write(body)
		return nil
	}
}

// bufferedResponse keeps an answer to rewrite it.
type bufferedResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferedResponse) Header() http.Header { return b.header }
func (b *bufferedResponse) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	return b.body.Write(p)
}
func (b *bufferedResponse) WriteHeader(code int) {
	if b.status == 0 {
		b.status = code
	}
}
