package sqlite

import (
	"context"
	"fmt"

	"github.com/weirhq/weir/store"
)

func scanVariable(sc scanner) (*store.Variable, error) {
	v := new(store.Variable)
	var secret int64
	err := sc.Scan(&v.Key, &v.Value, &v.Description, &secret, timeCol{&v.UpdatedAt})
	v.IsSecret = secret != 0
	return v, err
}

func scanConnection(sc scanner) (*store.Connection, error) {
	c := new(store.Connection)
	err := sc.Scan(&c.ConnID, &c.ConnType, &c.Description, &c.Host, &c.Schema, &c.Login, &c.Port, &c.Password, &c.Extra, timeCol{&c.UpdatedAt})
	return c, err
}

// PutVariable implements store.Store.
func (s *Store) PutVariable(ctx context.Context, v *store.Variable) error {
	if v == nil || v.Key == "" {
		return fmt.Errorf("sqlite: put variable: the key is empty: %w", store.ErrInvalidID)
	}
	v.UpdatedAt = s.now()
	return s.writeTx(ctx, func(w *writer) error {
		if err := w.ctx.Err(); err != nil {
			return err
		}
		_, err := w.tx.ExecContext(w.nc, query("PutVariable"), v.Key, v.Value, v.Description, boolArg(v.IsSecret), v.UpdatedAt.UnixMicro())
		if err != nil {
			return fmt.Errorf("variable %s: %w", v.Key, interpretError(err))
		}
		return nil
	})
}

// GetVariable implements store.Store.
func (s *Store) GetVariable(ctx context.Context, key string) (*store.Variable, error) {
	v, err := scanVariable(s.r.QueryRowContext(ctx, query("GetVariable"), key))
	if err != nil {
		return nil, fmt.Errorf("variable %s: %w", key, interpretError(err))
	}
	return v, nil
}

// ListVariables implements store.Store.
func (s *Store) ListVariables(ctx context.Context) ([]*store.Variable, error) {
	rows, err := s.r.QueryContext(ctx, query("ListVariables"))
	if err != nil {
		return nil, fmt.Errorf("list variables: %w", interpretError(err))
	}
	defer rows.Close()
	var out []*store.Variable
	for rows.Next() {
		v, err := scanVariable(rows)
		if err != nil {
			return nil, fmt.Errorf("list variables: %w", err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list variables: %w", interpretError(err))
	}
	return out, nil
}

// DeleteVariable implements store.Store.
func (s *Store) DeleteVariable(ctx context.Context, key string) error {
	return s.deleteOne(ctx, query("DeleteVariable"), key, "variable", "weir variables list")
}

// PutConnection implements store.Store.
func (s *Store) PutConnection(ctx context.Context, c *store.Connection) error {
	if c == nil || c.ConnID == "" {
		return fmt.Errorf("sqlite: put connection: the connection ID is empty: %w", store.ErrInvalidID)
	}
	c.UpdatedAt = s.now()
	return s.writeTx(ctx, func(w *writer) error {
		if err := w.ctx.Err(); err != nil {
			return err
		}
		_, err := w.tx.ExecContext(w.nc, query("PutConnection"), c.ConnID, c.ConnType, c.Description, c.Host, c.Schema,
			c.Login, c.Port, c.Password, c.Extra, c.UpdatedAt.UnixMicro())
		if err != nil {
			return fmt.Errorf("connection %s: %w", c.ConnID, interpretError(err))
		}
		return nil
	})
}

// GetConnection implements store.Store.
func (s *Store) GetConnection(ctx context.Context, connID string) (*store.Connection, error) {
	c, err := scanConnection(s.r.QueryRowContext(ctx, query("GetConnection"), connID))
	if err != nil {
		return nil, fmt.Errorf("connection %s: %w", connID, interpretError(err))
	}
	return c, nil
}

// ListConnections implements store.Store.
func (s *Store) ListConnections(ctx context.Context) ([]*store.Connection, error) {
	rows, err := s.r.QueryContext(ctx, query("ListConnections"))
	if err != nil {
		return nil, fmt.Errorf("list connections: %w", interpretError(err))
	}
	defer rows.Close()
	var out []*store.Connection
	for rows.Next() {
		c, err := scanConnection(rows)
		if err != nil {
			return nil, fmt.Errorf("list connections: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list connections: %w", interpretError(err))
	}
	return out, nil
}

// DeleteConnection implements store.Store.
func (s *Store) DeleteConnection(ctx context.Context, connID string) error {
	return s.deleteOne(ctx, query("DeleteConnection"), connID, "connection", "weir connections list")
}

// deleteOne runs a DELETE of one row by key; ErrNotFound (wrapped) when none was deleted.
func (s *Store) deleteOne(ctx context.Context, q, key, what, listCmd string) error {
	return s.writeTx(ctx, func(w *writer) error {
		if err := w.ctx.Err(); err != nil {
			return err
		}
		res, err := w.tx.ExecContext(w.nc, q, key)
		if err != nil {
			return fmt.Errorf("delete %s %s: %w", what, key, interpretError(err))
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("%s %s: none has this name (see %s): %w", what, key, listCmd, store.ErrNotFound)
		}
		return nil
	})
}

// RewriteSecrets implements store.Store.
func (s *Store) RewriteSecrets(ctx context.Context, fn func(f store.SecretField, ciphertext string) (string, error)) (int, error) {
	n := 0
	err := s.writeTx(ctx, func(w *writer) error {
		vars, err := collect(w, query("ListVariables"), scanVariable)
		if err != nil {
			return err
		}
		conns, err := collect(w, query("ListConnections"), scanConnection)
		if err != nil {
			return err
		}
		for _, v := range vars {
			if v.Value == "" {
				continue
			}
			ct, err := fn(store.SecretField{Kind: "variable", ID: v.Key, Field: "value"}, v.Value)
			if err != nil {
				return err
			}
			if _, err := w.tx.ExecContext(w.nc, query("SetVariableValue"), ct, v.Key); err != nil {
				return fmt.Errorf("variable %s: %w", v.Key, interpretError(err))
			}
			n++
		}
		for _, c := range conns {
			pw, extra := c.Password, c.Extra
			for _, f := range []struct {
				name string
				p    *string
			}{{"password", &pw}, {"extra", &extra}} {
				if *f.p == "" {
					continue
				}
				if *f.p, err = fn(store.SecretField{Kind: "connection", ID: c.ConnID, Field: f.name}, *f.p); err != nil {
					return err
				}
				n++
			}
			if _, err := w.tx.ExecContext(w.nc, query("SetConnectionSecrets"), pw, extra, c.ConnID); err != nil {
				return fmt.Errorf("connection %s: %w", c.ConnID, interpretError(err))
			}
		}
		return w.ctx.Err()
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// collect reads every row of a query inside the write transaction.
func collect[T any](w *writer, q string, scan func(scanner) (T, error)) ([]T, error) {
	rows, err := w.tx.QueryContext(w.nc, q)
	if err != nil {
		return nil, interpretError(err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		x, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, rows.Err()
}
