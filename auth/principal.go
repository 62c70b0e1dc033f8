package auth

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Kind says what sort of credential a Principal authenticated with.
type Kind string

// The kinds of principal.
const (
	// KindUser is a person who logged in with a user name and password (HTTP Basic or a
	// session cookie) or through OIDC.
	KindUser Kind = "user"
	// KindToken is an API token (Bearer, or the password of HTTP Basic).
	KindToken Kind = "token"
	// KindTask is a tracked task's short-lived token, minted by the node for one try.
	KindTask Kind = "task"
	// KindAnonymous is every request while authentication is off: it may do everything.
	KindAnonymous Kind = "anonymous"
)

// Role is what a principal may do everywhere (its global rights); grants add rights on
// single objects.
type Role string

// The roles. Each allows a set of Actions (see Role.Allows):
//
//	viewer       read
//	operator     read, operate
//	ml-engineer  read, ml
//	editor       read, operate, ml (what the old "write" token scope allowed)
//	admin        everything
const (
	// RoleViewer reads everything and changes nothing.
	RoleViewer Role = "viewer"
	// RoleOperator is a viewer who also runs DAGs: trigger, clear, mark, pause/unpause,
	// backfill, dataset events and pools.
	RoleOperator Role = "operator"
	// RoleMLEngineer is a viewer who also tracks and ships models: log runs, metrics and
	// artifacts, register models, move aliases, deploy, feed back on predictions.
	RoleMLEngineer Role = "ml-engineer"
	// RoleEditor is operator and ml-engineer together; the old "write" scope maps to it.
	RoleEditor Role = "editor"
	// RoleAdmin may do everything: users, grants, other users' tokens included.
	RoleAdmin Role = "admin"
)

// Roles lists the roles from least to most rights.
var Roles = []Role{RoleViewer, RoleOperator, RoleMLEngineer, RoleEditor, RoleAdmin}

// ParseRole returns the role named s, or an error listing the roles.
func ParseRole(s string) (Role, error) {
	if slices.Contains(Roles, Role(s)) {
		return Role(s), nil
	}
	return "", fmt.Errorf("auth: unknown role %q: want viewer, operator, ml-engineer, editor or admin", s)
}

// Action is a class of things a request does; a route needs one (see Authenticator.Need).
type Action string

// The actions.
const (
	// ActionRead reads anything.
	ActionRead Action = "read"
	// ActionOperate runs DAGs: trigger, clear, mark, pause/unpause, backfill, post dataset
	// events, manage pools.
	ActionOperate Action = "operate"
	// ActionML tracks and ships models: create/delete experiments and runs, log params,
	// metrics and artifacts, register models and versions, move aliases, deploy, post
	// prediction feedback.
	ActionML Action = "ml"
	// ActionAdmin manages users, grants and other users' tokens.
	ActionAdmin Action = "admin"
)

// Allows reports whether the role allows the action everywhere.
func (r Role) Allows(a Action) bool {
	switch r {
	case RoleAdmin:
		return true
	case RoleEditor:
		return a == ActionRead || a == ActionOperate || a == ActionML
	case RoleOperator:
		return a == ActionRead || a == ActionOperate
	case RoleMLEngineer:
		return a == ActionRead || a == ActionML
	case RoleViewer:
		return a == ActionRead
	}
	return false
}

// ScopeRole maps an old token scope onto its role: read → viewer, write → editor
// (operator and ml-engineer rights), admin → admin.
func ScopeRole(s Scope) Role {
	switch s {
	case ScopeRead:
		return RoleViewer
	case ScopeWrite:
		return RoleEditor
	case ScopeAdmin:
		return RoleAdmin
	}
	return ""
}

// ObjectKind names a kind of object a grant can name.
type ObjectKind string

// The kinds of object grants apply to.
const (
	// ObjectDAG is a DAG, named by its dag_id; grants name it by id ("dag:ID") or by one
	// of its tags ("dag-tag:TAG").
	ObjectDAG ObjectKind = "dag"
	// ObjectModel is a registered model, named by its name ("model:NAME").
	ObjectModel ObjectKind = "model"
	// ObjectExperiment is an MLflow experiment, named by its id ("experiment:ID"); its
	// runs, their metrics and artifacts belong to it.
	ObjectExperiment ObjectKind = "experiment"
)

// Object is the thing a request acts on, for grants. The zero Object is "no particular
// object": only the principal's role counts.
type Object struct {
	// Kind is the object's kind; "" for none.
	Kind ObjectKind
	// ID is the DAG id, model name or experiment id.
	ID string
	// Tags are a DAG's tags (grants "dag-tag:TAG" match them).
	Tags []string
}

// Grant gives a role on the objects its Target names, on top of the principal's global
// role: "dag:ID", "dag-tag:TAG", "model:NAME" or "experiment:ID".
type Grant struct {
	// Role is what the grant allows on its target.
	Role Role
	// Target names the objects: "dag:ID", "dag-tag:TAG", "model:NAME" or "experiment:ID".
	Target string
}

// ParseTarget checks a grant target and returns its kind prefix and value.
func ParseTarget(target string) (kind, value string, err error) {
	kind, value, ok := strings.Cut(target, ":")
	if ok && value != "" {
		switch kind {
		case "dag", "dag-tag", "model", "experiment":
			return kind, value, nil
		}
	}
	return "", "", fmt.Errorf("auth: grant target %q: want dag:ID, dag-tag:TAG, model:NAME or experiment:ID", target)
}

// Matches reports whether the grant's target names the object.
func (g Grant) Matches(o Object) bool {
	kind, value, err := ParseTarget(g.Target)
	if err != nil || o.Kind == "" {
		return false
	}
	switch kind {
	case "dag":
		return o.Kind == ObjectDAG && o.ID == value
	case "dag-tag":
		return o.Kind == ObjectDAG && slices.Contains(o.Tags, value)
	case "model":
		return o.Kind == ObjectModel && o.ID == value
	case "experiment":
		return o.Kind == ObjectExperiment && o.ID == value
	}
	return false
}

// Principal is who made a request, as the authentication found them. Handlers read it
// with PrincipalFrom (audit log, approvals) and check rights with Check or Principal.Can.
type Principal struct {
	// Name is the user's name, the token's name, "task" for a tracked try's token, or
	// "anonymous" while authentication is off.
	Name string
	// Kind is how the principal authenticated.
	Kind Kind
	// Role is the principal's global role. A token's role is its user's role capped by
	// its scope (an old token without a user: its scope's role).
	Role Role
	// User is the user a token belongs to ("" for none); for KindUser it is Name.
	User string
	// Grants are the user's grants, adding rights on single objects.
	Grants []Grant
}

// Can reports whether the principal may do the action on the object: when its global role
// allows the action, or a grant whose target matches the object gives a role that does.
// Grants only add rights; a principal with no grants has exactly its role's rights.
func (p Principal) Can(a Action, o Object) bool {
	if p.Role.Allows(a) {
		return true
	}
	for _, g := range p.Grants {
		if g.Role.Allows(a) && g.Matches(o) {
			return true
		}
	}
	return false
}

// HasGrantsFor reports whether any grant of the principal could match objects of the kind
// and give the action, that is whether resolving the request's object could change Can's
// answer.
func (p Principal) HasGrantsFor(a Action, kind ObjectKind) bool {
	for _, g := range p.Grants {
		k, _, err := ParseTarget(g.Target)
		if err != nil || !g.Role.Allows(a) {
			continue
		}
		if ObjectKind(strings.TrimSuffix(k, "-tag")) == kind {
			return true
		}
	}
	return false
}

type principalKey struct{}

// WithPrincipal returns ctx carrying the principal (the authentication middleware does
// this for every request it lets through).
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the principal of a request's context. Behind the server's
// authentication every request has one (Kind anonymous, Role admin while authentication
// is off); ok is false only outside it (in-process calls, the local CLI).
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// ErrForbidden is wrapped by Check's error when the principal lacks the right.
var ErrForbidden = errors.New("forbidden")

// Check returns nil when the context's principal may do the action on the object, else an
// error wrapping ErrForbidden that names who, what and on what (for a 403). Without a
// principal (in-process calls, the local CLI, which are trusted) it returns nil.
func Check(ctx context.Context, a Action, o Object) error {
	p, ok := PrincipalFrom(ctx)
	if !ok || p.Can(a, o) {
		return nil
	}
	on := ""
	if o.Kind != "" {
		on = " on " + string(o.Kind) + " " + o.ID
	}
	return fmt.Errorf("%w: %s %s (role %s) may not %s%s; an admin can change the role (weir users set-role) or add a grant (weir grants add)", ErrForbidden, p.Kind, p.Name, p.Role, a, on)
}

// actions returns the set of actions a role allows, one bit each.
func (r Role) actions() int {
	n := 0
	for i, a := range []Action{ActionRead, ActionOperate, ActionML, ActionAdmin} {
		if r.Allows(a) {
			n |= 1 << i
		}
	}
	return n
}

// Cap returns the role allowing what both r and o allow (their intersection: operator
// capped by ml-engineer is viewer; "" when they share nothing).
func (r Role) Cap(o Role) Role {
	both := r.actions() & o.actions()
	for _, c := range Roles {
		if c.actions() == both {
			return c
		}
	}
	return ""
}
