package api

import (
	"errors"
	"net/http"
	"time"

	"github.com/weirhq/weir/api/client"
	"github.com/weirhq/weir/auth"
	"github.com/weirhq/weir/store"
)

// userRoutes are the routes of users, grants, tokens and sessions (package auth checks
// credentials; the server's authentication lets only admins reach /users and /grants).
func (a *API) userRoutes() []route {
	return []route{
		{"POST", "/login", a.postLogin},
		{"POST", "/logout", a.postLogout},
		{"GET", "/me", a.getMe},
		{"GET", "/users", a.listUsers},
		{"POST", "/users", a.postUser},
		{"GET", "/users/{user_name}", a.getUser},
		{"PATCH", "/users/{user_name}", a.patchUser},
		{"DELETE", "/users/{user_name}", a.deleteUser},
		{"GET", "/users/{user_name}/grants", a.listUserGrants},
		{"POST", "/users/{user_name}/grants", a.postGrant},
		{"DELETE", "/users/{user_name}/grants/{target}", a.deleteGrant},
		{"GET", "/grants", a.listAllGrants},
		{"GET", "/tokens", a.listTokens},
		{"POST", "/tokens", a.postToken},
		{"DELETE", "/tokens/{token_name}", a.deleteToken},
	}
}

// forbidden is a 403.
func forbidden(err error) *apiError {
	return &apiError{status: http.StatusForbidden, code: client.CodeForbidden, msg: err.Error()}
}

// needAdmin refuses a principal that is not an admin (the authentication refuses them
// first; this guards the handler when mounted without it).
func needAdmin(r *http.Request) error {
	if err := auth.Check(r.Context(), auth.ActionAdmin, auth.Object{}); err != nil {
		return forbidden(err)
	}
	return nil
}

func userObject(u *store.User) client.User {
	out := client.User{Name: u.Name, Role: u.Role, HasPassword: u.PasswordHash != "", Disabled: !u.DisabledAt.IsZero(), CreatedAt: u.CreatedAt.UTC()}
	if !u.DisabledAt.IsZero() {
		t := u.DisabledAt.UTC()
		out.DisabledAt = &t
	}
	return out
}

func grantObject(g *store.Grant) client.Grant {
	return client.Grant{User: g.User, Target: g.Target, Role: g.Role, CreatedAt: g.CreatedAt.UTC()}
}

// loginBody is POST /login.
type loginBody struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

func (a *API) postLogin(w http.ResponseWriter, r *http.Request) error {
	var body loginBody
	if err := decodeBody(r, &body, true); err != nil {
		return err
	}
	if body.Username == "" || body.Password == "" {
		return badField("username", "a login needs a username and a password")
	}
	p, err := a.cfg.Auth.Login(r, body.Username, body.Password)
	switch {
	case errors.Is(err, auth.ErrTooManyLogins):
		w.Header().Set("Retry-After", "60")
		return &apiError{status: http.StatusTooManyRequests, code: client.CodeTooManyRequests, msg: err.Error()}
	case errors.Is(err, auth.ErrBadLogin):
		return &apiError{status: http.StatusUnauthorized, code: client.CodeUnauthorized, msg: err.Error()}
	case err != nil:
		return err
	}
	csrf, err := a.cfg.Auth.StartSession(w, r, p.Name)
	if err != nil {
		return err
	}
	me := meObject(p)
	me.CSRFToken = csrf
	return writeJSON(w, http.StatusOK, me)
}

func (a *API) postLogout(w http.ResponseWriter, r *http.Request) error {
	if err := a.cfg.Auth.EndSession(w, r); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func meObject(p auth.Principal) client.Me {
	me := client.Me{Name: p.Name, Kind: string(p.Kind), Role: string(p.Role), User: p.User, Grants: []client.Grant{}}
	for _, g := range p.Grants {
		me.Grants = append(me.Grants, client.Grant{User: p.User, Target: g.Target, Role: string(g.Role)})
	}
	return me
}

func (a *API) getMe(w http.ResponseWriter, r *http.Request) error {
	p, ok := auth.PrincipalFrom(r.Context())
	if !ok {
		p = auth.Principal{Name: "anonymous", Kind: auth.KindAnonymous, Role: auth.RoleAdmin}
	}
	me := meObject(p)
	me.CSRFToken = auth.CSRFToken(r)
	return writeJSON(w, http.StatusOK, me)
}

func (a *API) listUsers(w http.ResponseWriter, r *http.Request) error {
	if err := needAdmin(r); err != nil {
		return err
	}
	us, err := a.cfg.Store.ListUsers(r.Context())
	if err != nil {
		return err
	}
	out := client.UserCollection{Users: []client.User{}}
	for _, u := range us {
		out.Users = append(out.Users, userObject(u))
	}
	return writeJSON(w, http.StatusOK, out)
}

// userBody is POST /users.
type userBody struct {
	Name     string `json:"name"`
	Password string `json:"password"`
	Role     string `json:"role"`
}

func (a *API) postUser(w http.ResponseWriter, r *http.Request) error {
	if err := needAdmin(r); err != nil {
		return err
	}
	var body userBody
	if err := decodeBody(r, &body, true); err != nil {
		return err
	}
	role, err := auth.ParseRole(body.Role)
	if err != nil {
		return badField("role", "%v", err)
	}
	if body.Password != "" {
		if err := auth.ValidatePassword(body.Password); err != nil {
			return badField("password", "%v", err)
		}
	}
	u, err := auth.CreateUser(r.Context(), a.cfg.Store, body.Name, body.Password, role, a.cfg.Clock())
	if err != nil {
		if _, gerr := a.cfg.Store.GetUser(r.Context(), body.Name); gerr == nil {
			return conflict(client.CodeAlreadyExists, "%v", err)
		}
		return badField("name", "%v", err)
	}
	return writeJSON(w, http.StatusCreated, userObject(u))
}

func (a *API) getUser(w http.ResponseWriter, r *http.Request) error {
	if err := needAdmin(r); err != nil {
		return err
	}
	u, err := a.cfg.Store.GetUser(r.Context(), r.PathValue("user_name"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, userObject(u))
}

func (a *API) patchUser(w http.ResponseWriter, r *http.Request) error {
	if err := needAdmin(r); err != nil {
		return err
	}
	var body client.UserPatch
	if err := decodeBody(r, &body, true); err != nil {
		return err
	}
	ctx := r.Context()
	u, err := a.cfg.Store.GetUser(ctx, r.PathValue("user_name"))
	if err != nil {
		return err
	}
	if body.Role != nil {
		role, err := auth.ParseRole(*body.Role)
		if err != nil {
			return badField("role", "%v", err)
		}
		u.Role = string(role)
	}
	if body.Password != nil {
		h, err := auth.HashPassword(*body.Password)
		if err != nil {
			return badField("password", "%v", err)
		}
		u.PasswordHash = h
	}
	if body.Disabled != nil {
		switch {
		case *body.Disabled && u.DisabledAt.IsZero():
			u.DisabledAt = a.cfg.Clock()
		case !*body.Disabled:
			u.DisabledAt = time.Time{}
		}
	}
	if err := a.cfg.Store.UpdateUser(ctx, u); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, userObject(u))
}

func (a *API) deleteUser(w http.ResponseWriter, r *http.Request) error {
	if err := needAdmin(r); err != nil {
		return err
	}
	if err := a.cfg.Store.DeleteUser(r.Context(), r.PathValue("user_name"), a.cfg.Clock()); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) grantsAnswer(w http.ResponseWriter, r *http.Request, user string) error {
	if err := needAdmin(r); err != nil {
		return err
	}
	gs, err := a.cfg.Store.ListGrants(r.Context(), user)
	if err != nil {
		return err
	}
	out := client.GrantCollection{Grants: []client.Grant{}}
	for _, g := range gs {
		out.Grants = append(out.Grants, grantObject(g))
	}
	return writeJSON(w, http.StatusOK, out)
}

func (a *API) listAllGrants(w http.ResponseWriter, r *http.Request) error {
	return a.grantsAnswer(w, r, "")
}

func (a *API) listUserGrants(w http.ResponseWriter, r *http.Request) error {
	if err := needAdmin(r); err != nil {
		return err
	}
	if _, err := a.cfg.Store.GetUser(r.Context(), r.PathValue("user_name")); err != nil {
		return err
	}
	return a.grantsAnswer(w, r, r.PathValue("user_name"))
}

// grantBody is POST /users/{user_name}/grants.
type grantBody struct {
	Target string `json:"target"`
	Role   string `json:"role"`
}

func (a *API) postGrant(w http.ResponseWriter, r *http.Request) error {
	if err := needAdmin(r); err != nil {
		return err
	}
	var body grantBody
	if err := decodeBody(r, &body, true); err != nil {
		return err
	}
	if _, _, err := auth.ParseTarget(body.Target); err != nil {
		return badField("target", "%v", err)
	}
	role, err := auth.ParseRole(body.Role)
	if err != nil {
		return badField("role", "%v", err)
	}
	g := &store.Grant{User: r.PathValue("user_name"), Target: body.Target, Role: string(role), CreatedAt: a.cfg.Clock()}
	if err := a.cfg.Store.PutGrant(r.Context(), g); err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, grantObject(g))
}

func (a *API) deleteGrant(w http.ResponseWriter, r *http.Request) error {
	if err := needAdmin(r); err != nil {
		return err
	}
	if err := a.cfg.Store.DeleteGrant(r.Context(), r.PathValue("user_name"), r.PathValue("target")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// caller returns the request's principal and whether it is an admin (no principal: an
// in-process caller, trusted as one).
func caller(r *http.Request) (auth.Principal, bool) {
	p, ok := auth.PrincipalFrom(r.Context())
	return p, !ok || p.Role.Allows(auth.ActionAdmin)
}

func tokenObject(t *store.Token, now time.Time) client.Token {
	out := client.Token{Name: t.Name, Role: string(auth.TokenRole(t.Scope)), User: t.User, State: "active", CreatedAt: t.CreatedAt.UTC()}
	if !t.ExpiresAt.IsZero() {
		e := t.ExpiresAt.UTC()
		out.ExpiresAt = &e
		if !now.Before(t.ExpiresAt) {
			out.State = "expired"
		}
	}
	if !t.RevokedAt.IsZero() {
		rv := t.RevokedAt.UTC()
		out.RevokedAt, out.State = &rv, "revoked"
	}
	return out
}

func (a *API) listTokens(w http.ResponseWriter, r *http.Request) error {
	p, admin := caller(r)
	ts, err := a.cfg.Store.ListTokens(r.Context())
	if err != nil {
		return err
	}
	now := a.cfg.Clock()
	out := client.TokenCollection{Tokens: []client.Token{}}
	for _, t := range ts {
		if admin || p.User != "" && t.User == p.User {
			out.Tokens = append(out.Tokens, tokenObject(t, now))
		}
	}
	return writeJSON(w, http.StatusOK, out)
}

// tokenBody is POST /tokens.
type tokenBody struct {
	Name             string `json:"name"`
	Role             string `json:"role"`
	User             string `json:"user"`
	ExpiresInSeconds int64  `json:"expires_in_seconds"`
}

func (a *API) postToken(w http.ResponseWriter, r *http.Request) error {
	var body tokenBody
	if err := decodeBody(r, &body, true); err != nil {
		return err
	}
	if body.Name == "" {
		return badField("name", "a token needs a name")
	}
	if body.ExpiresInSeconds < 0 {
		return badField("expires_in_seconds", "want 0 (never) or more, got %d", body.ExpiresInSeconds)
	}
	p, admin := caller(r)
	user := body.User
	if user == "" {
		user = p.User
	}
	if !admin && (user == "" || user != p.User) {
		return forbidden(errors.New("only an admin may make a token for another user or for no user; omit \"user\" to make your own"))
	}
	ctx, now := r.Context(), a.cfg.Clock()
	ttl := time.Duration(body.ExpiresInSeconds) * time.Second
	var role auth.Role
	if body.Role != "" {
		var err error
		if role, err = auth.ParseRole(body.Role); err != nil {
			return badField("role", "%v", err)
		}
	}
	if !admin && role != "" && p.Role.Cap(role) != role {
		return forbidden(errors.New("a token cannot allow more than its maker: you are " + string(p.Role) + ", the token would be " + string(role)))
	}
	var secret string
	var t *store.Token
	var err error
	if user == "" {
		if role == "" {
			return badField("role", "a token of no user needs a role")
		}
		secret, t, err = auth.CreateWithRole(ctx, a.cfg.Store, body.Name, role, ttl, now)
	} else {
		if role == "" {
			u, err := a.cfg.Store.GetUser(ctx, user)
			if err != nil {
				return err
			}
			role = auth.Role(u.Role)
			if !admin {
				role = role.Cap(p.Role)
			}
		}
		secret, t, err = auth.CreateForUser(ctx, a.cfg.Store, body.Name, user, role, ttl, now)
	}
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return err
		}
		return conflict(client.CodeAlreadyExists, "%v", err)
	}
	return writeJSON(w, http.StatusCreated, client.NewToken{Token: tokenObject(t, now), Secret: secret})
}

func (a *API) deleteToken(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("token_name")
	p, admin := caller(r)
	ctx := r.Context()
	ts, err := a.cfg.Store.ListTokens(ctx)
	if err != nil {
		return err
	}
	var found *store.Token
	for _, t := range ts {
		if t.Name == name && t.RevokedAt.IsZero() {
			found = t
		}
	}
	if found == nil || !admin && (p.User == "" || found.User != p.User) {
		return notFound("no active token of yours is named %q (GET /api/v1/tokens lists them)", name)
	}
	if err := a.cfg.Store.RevokeToken(ctx, name, a.cfg.Clock()); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
