package auth

import "context"

// Principal is who a request acts as: the name of its token and the role its scope gives.
// (Until users and roles exist, a token's scope stands for its role: read is "viewer",
// write "operator", admin "admin".)
type Principal struct {
	// Name is the token's name ("task" for the short-lived tokens of tracked tries).
	Name string
	// Kind says how the principal was known: "token".
	Kind string
	// Role is "viewer", "operator" or "admin".
	Role string
}

type principalKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the principal an authenticated request's context carries, and
// false when there is none (authentication is off, or the route is open).
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// roleOf returns the role a scope stands for.
func roleOf(s Scope) string {
	switch s {
	case ScopeRead:
		return "viewer"
	case ScopeWrite:
		return "operator"
	case ScopeAdmin:
		return "admin"
	}
	return ""
}
