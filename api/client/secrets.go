package client

import (
	"context"
)

// Variable is an Airflow variable. In every answer but a reveal, the value of a secret
// variable (is_secret, or a key naming something sensitive such as "password" or
// "api_key") is "***".
type Variable struct {
	Key         string  `json:"key"`
	Value       string  `json:"value"`
	Description *string `json:"description"`
	IsSecret    bool    `json:"is_secret"`
	// Masked says the value shown is "***", not the value.
	Masked bool `json:"masked"`
}

// VariableCollection is a page of variables.
type VariableCollection struct {
	Variables    []Variable `json:"variables"`
	TotalEntries int        `json:"total_entries"`
}

// Connection is an Airflow connection. In every answer but a reveal, the password is "***"
// (when there is one) and the extra's sensitive fields are "***".
type Connection struct {
	ConnectionID string  `json:"connection_id"`
	ConnType     string  `json:"conn_type"`
	Description  *string `json:"description"`
	Host         *string `json:"host"`
	Login        *string `json:"login"`
	Schema       *string `json:"schema"`
	Port         *int    `json:"port"`
	Password     *string `json:"password"`
	// Extra is the extra JSON object as text, or nil.
	Extra *string `json:"extra"`
}

// ConnectionCollection is a page of connections.
type ConnectionCollection struct {
	Connections  []Connection `json:"connections"`
	TotalEntries int          `json:"total_entries"`
}

// ListVariables lists variables by key, secret values masked.
func (c *Client) ListVariables(ctx context.Context, o ListOptions) (*VariableCollection, error) {
	return call[VariableCollection](ctx, c, "GET", "/variables", o.values(), nil)
}

// GetVariable returns one variable, its value masked if secret.
func (c *Client) GetVariable(ctx context.Context, key string) (*Variable, error) {
	return call[Variable](ctx, c, "GET", path("variables", key), nil, nil)
}

// RevealVariable returns one variable with its value in clear (an admin token's right).
func (c *Client) RevealVariable(ctx context.Context, key string) (*Variable, error) {
	return call[Variable](ctx, c, "POST", path("variables", key, "reveal"), nil, map[string]any{})
}

// SetVariable creates or replaces a variable.
func (c *Client) SetVariable(ctx context.Context, v Variable) (*Variable, error) {
	return call[Variable](ctx, c, "POST", "/variables", nil, v)
}

// DeleteVariable deletes a variable.
func (c *Client) DeleteVariable(ctx context.Context, key string) error {
	return c.do(ctx, "DELETE", path("variables", key), nil, nil, nil)
}

// ListConnections lists connections by ID, secrets masked.
func (c *Client) ListConnections(ctx context.Context, o ListOptions) (*ConnectionCollection, error) {
	return call[ConnectionCollection](ctx, c, "GET", "/connections", o.values(), nil)
}

// GetConnection returns one connection, secrets masked.
func (c *Client) GetConnection(ctx context.Context, id string) (*Connection, error) {
	return call[Connection](ctx, c, "GET", path("connections", id), nil, nil)
}

// RevealConnection returns one connection with its password and extra in clear (an admin
// token's right).
func (c *Client) RevealConnection(ctx context.Context, id string) (*Connection, error) {
	return call[Connection](ctx, c, "POST", path("connections", id, "reveal"), nil, map[string]any{})
}

// PutConnection creates or replaces a connection.
func (c *Client) PutConnection(ctx context.Context, conn Connection) (*Connection, error) {
	return call[Connection](ctx, c, "POST", "/connections", nil, conn)
}

// DeleteConnection deletes a connection.
func (c *Client) DeleteConnection(ctx context.Context, id string) error {
	return c.do(ctx, "DELETE", path("connections", id), nil, nil, nil)
}
