package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/weirhq/weir/store"
)

func scanUser(sc scanner) (*store.User, error) {
	u := new(store.User)
	err := sc.Scan(&u.Name, &u.PasswordHash, &u.Role, timeCol{&u.CreatedAt}, timeCol{&u.DisabledAt})
	return u, err
}

func scanGrant(sc scanner) (*store.Grant, error) {
	g := new(store.Grant)
	err := sc.Scan(&g.User, &g.Target, &g.Role, timeCol{&g.CreatedAt})
	return g, err
}

// exec runs one statement in a write transaction; what names it in errors. With
// mustHit, no row affected is ErrNotFound.
func (s *Store) exec(ctx context.Context, what string, mustHit bool, q string, args ...any) error {
	return s.writeTx(ctx, func(w *writer) error {
		if err := w.ctx.Err(); err != nil {
			return err
		}
		res, err := w.tx.ExecContext(w.nc, query(q), args...)
		if err != nil {
			return fmt.Errorf("%s: %w", what, interpretError(err))
		}
		if !mustHit {
			return nil
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("%s: %w", what, store.ErrNotFound)
		}
		return nil
	})
}

// CreateUser implements store.Store. The user needs a name and a role; a zero CreatedAt
// is the store's clock.
func (s *Store) CreateUser(ctx context.Context, u *store.User) error {
	if u == nil || u.Name == "" || u.Role == "" {
		return fmt.Errorf("sqlite: user %+v: want a name and a role", u)
	}
	if u.CreatedAt.IsZero() {
		u.CreatedAt = s.now()
	}
	return s.exec(ctx, "user "+u.Name, false, "InsertUser", u.Name, u.PasswordHash, u.Role, u.CreatedAt.UnixMicro(), int64Time(u.DisabledAt))
}

// GetUser implements store.Store.
func (s *Store) GetUser(ctx context.Context, name string) (*store.User, error) {
	u, err := scanUser(s.r.QueryRowContext(ctx, query("GetUser"), name))
	if err != nil {
		return nil, fmt.Errorf("user %s: %w", name, interpretError(err))
	}
	return u, nil
}

// ListUsers implements store.Store.
func (s *Store) ListUsers(ctx context.Context) ([]*store.User, error) {
	return queryAll(ctx, s, "list users", scanUser, "ListUsers")
}

// UpdateUser implements store.Store.
func (s *Store) UpdateUser(ctx context.Context, u *store.User) error {
	if u == nil || u.Name == "" || u.Role == "" {
		return fmt.Errorf("sqlite: user %+v: want a name and a role", u)
	}
	return s.exec(ctx, "user "+u.Name, true, "UpdateUser", u.PasswordHash, u.Role, int64Time(u.DisabledAt), u.Name)
}

// DeleteUser implements store.Store.
func (s *Store) DeleteUser(ctx context.Context, name string, at time.Time) error {
	if at.IsZero() {
		at = s.now()
	}
	return s.writeTx(ctx, func(w *writer) error {
		if err := w.ctx.Err(); err != nil {
			return err
		}
		res, err := w.tx.ExecContext(w.nc, query("DeleteUser"), name)
		if err != nil {
			return fmt.Errorf("delete user %s: %w", name, interpretError(err))
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return fmt.Errorf("user %s: no such user (see weir users list): %w", name, store.ErrNotFound)
		}
		if _, err := w.tx.ExecContext(w.nc, query("RevokeUserTokens"), at.UnixMicro(), name); err != nil {
			return fmt.Errorf("revoke the tokens of user %s: %w", name, interpretError(err))
		}
		return nil
	})
}

// CountActiveUsers implements store.Store.
func (s *Store) CountActiveUsers(ctx context.Context) (int, error) {
	var n int
	if err := s.r.QueryRowContext(ctx, query("CountActiveUsers")).Scan(&n); err != nil {
		return 0, fmt.Errorf("count users: %w", interpretError(err))
	}
	return n, nil
}

// PutGrant implements store.Store.
func (s *Store) PutGrant(ctx context.Context, g *store.Grant) error {
	if g == nil || g.User == "" || g.Target == "" || g.Role == "" {
		return fmt.Errorf("sqlite: grant %+v: want a user, a target and a role", g)
	}
	if g.CreatedAt.IsZero() {
		g.CreatedAt = s.now()
	}
	return s.exec(ctx, "grant to user "+g.User, false, "PutGrant", g.User, g.Target, g.Role, g.CreatedAt.UnixMicro())
}

// ListGrants implements store.Store.
func (s *Store) ListGrants(ctx context.Context, user string) ([]*store.Grant, error) {
	return queryAll(ctx, s, "list grants", scanGrant, "ListGrants", user, user)
}

// DeleteGrant implements store.Store.
func (s *Store) DeleteGrant(ctx context.Context, user, target string) error {
	return s.exec(ctx, "grant of user "+user+" on "+target+" (see weir grants list)", true, "DeleteGrant", user, target)
}

// CreateSession implements store.Store.
func (s *Store) CreateSession(ctx context.Context, se *store.Session) error {
	if se == nil || se.Hash == "" || se.User == "" || se.ExpiresAt.IsZero() {
		return fmt.Errorf("sqlite: session: want a hash, a user and an expiry")
	}
	if se.CreatedAt.IsZero() {
		se.CreatedAt = s.now()
	}
	return s.exec(ctx, "session of user "+se.User, false, "InsertSession", se.Hash, se.User, se.CreatedAt.UnixMicro(), se.ExpiresAt.UnixMicro())
}

// GetSession implements store.Store.
func (s *Store) GetSession(ctx context.Context, hash string) (*store.Session, error) {
	se := new(store.Session)
	err := s.r.QueryRowContext(ctx, query("GetSession"), hash).Scan(&se.Hash, &se.User, timeCol{&se.CreatedAt}, timeCol{&se.ExpiresAt})
	if err != nil {
		return nil, fmt.Errorf("session: %w", interpretError(err))
	}
	return se, nil
}

// DeleteSession implements store.Store.
func (s *Store) DeleteSession(ctx context.Context, hash string, at time.Time) error {
	if at.IsZero() {
		at = s.now()
	}
	return s.exec(ctx, "delete session", false, "DeleteSession", hash, at.UnixMicro())
}

// queryAll runs a read query and scans every row.
func queryAll[T any](ctx context.Context, s *Store, what string, scan func(scanner) (T, error), q string, args ...any) ([]T, error) {
	rows, err := s.r.QueryContext(ctx, query(q), args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, interpretError(err))
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, interpretError(err))
	}
	return out, nil
}
