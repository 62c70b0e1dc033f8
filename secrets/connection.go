package secrets

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"strconv"
	"strings"
)

// Connection is an Airflow connection in clear: how to reach an external system.
type Connection struct {
	ConnID      string `json:"conn_id"`
	ConnType    string `json:"conn_type"`
	Description string `json:"description,omitempty"`
	Host        string `json:"host,omitempty"`
	// Schema is the database of SQL systems (Airflow's name for it).
	Schema   string `json:"schema,omitempty"`
	Login    string `json:"login,omitempty"`
	Password string `json:"password,omitempty"`
	Port     int    `json:"port,omitempty"`
	// Extra is a JSON object of further settings, nil for none.
	Extra map[string]any `json:"extra,omitempty"`
}

// ParseURI returns the connection of an Airflow connection URI,
// "postgres://user:pass@host:5432/db?sslmode=require": the scheme is the type ("-" read
// as "_", "postgresql" as "postgres"), user and password the login and password
// (percent-decoded), the path the schema, and the query the extra (or, with __extra__, the
// extra's JSON), as Airflow's Connection(uri=…).
func ParseURI(id, uri string) (*Connection, error) {
	scheme, rest, ok := strings.Cut(uri, "://")
	if !ok || scheme == "" {
		return nil, fmt.Errorf("connection %s: URI %q has no scheme: want type://login:password@host:port/schema?extra", id, redactURI(uri))
	}
	u, err := url.Parse("x://" + rest)
	if err != nil {
		return nil, fmt.Errorf("connection %s: URI %q: %v", id, redactURI(uri), strings.ReplaceAll(err.Error(), rest, "…"))
	}
	c := &Connection{ConnID: id, ConnType: strings.ReplaceAll(scheme, "-", "_")}
	if c.ConnType == "postgresql" {
		c.ConnType = "postgres"
	}
	c.Host = u.Hostname()
	if p := u.Port(); p != "" {
		if c.Port, err = strconv.Atoi(p); err != nil {
			return nil, fmt.Errorf("connection %s: port %q is not a number", id, p)
		}
	}
	if u.User != nil {
		c.Login = u.User.Username()
		c.Password, _ = u.User.Password()
	}
	c.Schema = strings.TrimPrefix(u.Path, "/")
	q := u.Query()
	if ex := q.Get("__extra__"); ex != "" {
		if err := json.Unmarshal([]byte(ex), &c.Extra); err != nil {
			return nil, fmt.Errorf("connection %s: __extra__ is not a JSON object: %v", id, err)
		}
	} else if len(q) > 0 {
		c.Extra = map[string]any{}
		for k, v := range q {
			c.Extra[k] = v[len(v)-1]
		}
	}
	return c, nil
}

// redactURI hides the password of a URI for an error message.
func redactURI(uri string) string {
	if u, err := url.Parse(uri); err == nil && u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), Mask)
			return u.String()
		}
	}
	return uri
}

// URI returns the connection as an Airflow URI (Airflow's get_uri): the extra as query
// parameters when every value is a string, else as __extra__ JSON.
func (c *Connection) URI() string {
	var b strings.Builder
	b.WriteString(strings.ReplaceAll(strings.ToLower(c.ConnType), "_", "-"))
	b.WriteString("://")
	auth := ""
	if c.Login != "" {
		auth = quote(c.Login)
	}
	if c.Password != "" {
		auth += ":" + quote(c.Password)
	}
	if auth != "" {
		b.WriteString(auth + "@")
	}
	host := quote(c.Host)
	if c.Port != 0 {
		if host == "" && auth == "" {
			host = "@"
		}
		host += ":" + strconv.Itoa(c.Port)
	}
	if c.Schema != "" {
		host += "/" + quote(c.Schema)
	}
	b.WriteString(host)
	if len(c.Extra) > 0 {
		sep := "/?"
		if c.Schema != "" {
			sep = "?"
		}
		b.WriteString(sep)
		q := url.Values{}
		flat := true
		for k, v := range c.Extra {
			s, ok := v.(string)
			if !ok {
				flat = false
				break
			}
			q.Set(k, s)
		}
		if !flat {
			ex, _ := json.Marshal(c.Extra)
			q = url.Values{"__extra__": {string(ex)}}
		}
		b.WriteString(q.Encode())
	}
	return b.String()
}

// ExtraJSON returns the extra as a JSON object, "" for none.
func (c *Connection) ExtraJSON() string {
	if len(c.Extra) == 0 {
		return ""
	}
	b, _ := json.Marshal(c.Extra)
	return string(b)
}

// TemplateFields returns what a template reads of the connection ({{ conn.ID.host }}):
// Airflow's Connection fields, extra (the JSON text), extra_dejson (the object) and
// get_uri().
func (c *Connection) TemplateFields() map[string]any {
	extra := c.Extra
	if extra == nil {
		extra = map[string]any{}
	}
	uri := c.URI()
	return map[string]any{
		"conn_id": c.ConnID, "conn_type": c.ConnType, "description": c.Description, "host": c.Host,
		"schema": c.Schema, "login": c.Login, "password": c.Password, "port": c.Port,
		"extra": c.ExtraJSON(), "extra_dejson": maps.Clone(extra),
		"get_uri": func() string { return uri },
	}
}

// Field returns one field as text (env_from's conn:ID.FIELD): host, login, password, port,
// schema, extra, conn_type; "" (or "uri") for the URI.
func (c *Connection) Field(name string) string {
	switch name {
	case "host":
		return c.Host
	case "login":
		return c.Login
	case "password":
		return c.Password
	case "port":
		if c.Port == 0 {
			return ""
		}
		return strconv.Itoa(c.Port)
	case "schema":
		return c.Schema
	case "extra":
		return c.ExtraJSON()
	case "conn_type":
		return c.ConnType
	}
	return c.URI()
}

// mask registers the connection's secrets: the password always, the extra's values under
// sensitive keys (Airflow masks both when a connection is read).
func (c *Connection) mask(m *Masker) {
	m.Add(c.Password, "")
	m.AddValue(c.Extra, "")
}

// Masked returns a copy fit to show: the password "***" and the extra redacted by key
// name (what the API and `list` show).
func (c *Connection) Masked() *Connection {
	out := *c
	if out.Password != "" {
		out.Password = Mask
	}
	if c.Extra != nil {
		out.Extra, _ = NewMasker().RedactValue(c.Extra, "").(map[string]any)
	}
	return &out
}

// ParseConnectionJSON reads a connection from Airflow's JSON form (AIRFLOW_CONN_ID as JSON,
// an export file's entries): conn_type, host, login, password, schema, port, extra (an
// object or its JSON text), description.
func ParseConnectionJSON(id string, doc []byte) (*Connection, error) {
	var raw struct {
		ConnType    string          `json:"conn_type"`
		Description string          `json:"description"`
		Host        string          `json:"host"`
		Schema      string          `json:"schema"`
		Login       string          `json:"login"`
		Password    string          `json:"password"`
		Port        json.Number     `json:"port"`
		Extra       json.RawMessage `json:"extra"`
	}
	if err := json.Unmarshal(doc, &raw); err != nil {
		return nil, fmt.Errorf("connection %s: not a JSON object of conn_type, host, login, password, schema, port, extra: %v", id, err)
	}
	c := &Connection{ConnID: id, ConnType: raw.ConnType, Description: raw.Description, Host: raw.Host,
		Schema: raw.Schema, Login: raw.Login, Password: raw.Password}
	if raw.Port != "" {
		p, err := raw.Port.Int64()
		if err != nil {
			return nil, fmt.Errorf("connection %s: port %q is not a whole number", id, raw.Port)
		}
		c.Port = int(p)
	}
	if len(raw.Extra) > 0 && string(raw.Extra) != "null" {
		var s string
		ex := []byte(raw.Extra)
		if json.Unmarshal(raw.Extra, &s) == nil {
			if s == "" {
				return c, nil
			}
			ex = []byte(s)
		}
		if err := json.Unmarshal(ex, &c.Extra); err != nil {
			return nil, fmt.Errorf("connection %s: extra is not a JSON object: %v", id, err)
		}
	}
	return c, nil
}

// ParseConnectionValue reads a connection written as an Airflow URI or as its JSON form
// (a value starting with "{"), as AIRFLOW_CONN_<ID> may hold either.
func ParseConnectionValue(id, s string) (*Connection, error) {
	if strings.HasPrefix(strings.TrimSpace(s), "{") {
		return ParseConnectionJSON(id, []byte(s))
	}
	return ParseURI(id, strings.TrimSpace(s))
}

// quote percent-encodes everything but letters, digits and -._~ (Python's quote with
// safe="", as Airflow's get_uri).
func quote(s string) string { return strings.ReplaceAll(url.QueryEscape(s), "+", "%20") }

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
