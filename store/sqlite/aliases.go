package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/weirhq/weir/store"
)

// linkAlias records in w's transaction that alias resolves to uri (kept once, with the
// time of the first link).
func linkAlias(w *writer, alias, uri string, now time.Time) error {
	if err := w.ctx.Err(); err != nil {
		return err
	}
	if _, err := w.tx.ExecContext(w.nc, query("LinkAssetAlias"), alias, uri, timeArg(now)); err != nil {
		return fmt.Errorf("asset alias %s → %s: %w", alias, uri, interpretError(err))
	}
	return nil
}

// ListAssetAliases implements store.AliasStore.
func (s *Store) ListAssetAliases(ctx context.Context) ([]*store.AssetAlias, error) {
	rows, err := s.r.QueryContext(ctx, query("ListAssetAliases"))
	if err != nil {
		return nil, fmt.Errorf("sqlite: list asset aliases: %w", interpretError(err))
	}
	defer rows.Close()
	out := []*store.AssetAlias{}
	for rows.Next() {
		a := &store.AssetAlias{}
		if err := rows.Scan(&a.Alias, &a.URI, timeCol{&a.CreatedAt}); err != nil {
			return nil, fmt.Errorf("sqlite: list asset aliases: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}
