package cli

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/weirhq/weir/auth"
)

// oidcFlags are weir server's OIDC login options.
type oidcFlags struct {
	issuer, clientID, secretFile, redirect, userClaim, roleClaim, defaultRole string
	roleMap                                                                   []string
}

// addOIDCFlags adds the --oidc-* flags to c.
func addOIDCFlags(c *cobra.Command, f *oidcFlags) {
	fl := c.Flags()
	fl.StringVar(&f.issuer, "oidc-issuer", os.Getenv("WEIR_OIDC_ISSUER"), "OpenID Connect provider (issuer URL) for browser login at /api/v1/oidc/login ($WEIR_OIDC_ISSUER); off when empty")
	fl.StringVar(&f.clientID, "oidc-client-id", os.Getenv("WEIR_OIDC_CLIENT_ID"), "this server's client id at the OIDC provider ($WEIR_OIDC_CLIENT_ID)")
	fl.StringVar(&f.secretFile, "oidc-client-secret-file", "", "file holding the OIDC client secret (else $WEIR_OIDC_CLIENT_SECRET)")
	fl.StringVar(&f.redirect, "oidc-redirect-url", os.Getenv("WEIR_OIDC_REDIRECT_URL"), "callback URL registered at the provider, https://HOST/api/v1/oidc/callback (default: from the request's Host)")
	fl.StringVar(&f.userClaim, "oidc-user-claim", "", "ID token claim naming the weir user (default preferred_username, else email, else sub)")
	fl.StringVar(&f.roleClaim, "oidc-role-claim", "groups", "ID token claim holding the user's groups or roles")
	fl.StringSliceVar(&f.roleMap, "oidc-role-map", envList("WEIR_OIDC_ROLE_MAP"), "claim value=role pairs, for example ml-team=ml-engineer,ops=operator ($WEIR_OIDC_ROLE_MAP)")
	fl.StringVar(&f.defaultRole, "oidc-default-role", "", "role of a user no --oidc-role-map entry matches (default: refuse their login)")
}

// config returns the OIDC configuration, nil when --oidc-issuer is empty.
func (f *oidcFlags) config() (*auth.OIDCConfig, error) {
	if f.issuer == "" {
		return nil, nil
	}
	secret := os.Getenv("WEIR_OIDC_CLIENT_SECRET")
	if f.secretFile != "" {
		b, err := os.ReadFile(f.secretFile)
		if err != nil {
			return nil, fmt.Errorf("--oidc-client-secret-file: %w", err)
		}
		secret = strings.TrimSpace(string(b))
	}
	cfg := &auth.OIDCConfig{Issuer: f.issuer, ClientID: f.clientID, ClientSecret: secret, RedirectURL: f.redirect,
		UserClaim: f.userClaim, RoleClaim: f.roleClaim, DefaultRole: auth.Role(f.defaultRole), RoleMap: map[string]auth.Role{}}
	for _, kv := range f.roleMap {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("--oidc-role-map %q: want VALUE=ROLE, for example ml-team=ml-engineer", kv)
		}
		r, err := auth.ParseRole(v)
		if err != nil {
			return nil, fmt.Errorf("--oidc-role-map %q: %w", kv, err)
		}
		cfg.RoleMap[k] = r
	}
	return cfg, nil
}
