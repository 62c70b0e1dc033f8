-- name: LinkAssetAlias
-- ?1 alias, ?2 URI, ?3 time: the alias resolves to the URI (kept from its first link).
INSERT INTO asset_aliases (alias, uri, created_at) VALUES (?1, ?2, ?3)
ON CONFLICT DO NOTHING;

-- name: ListAssetAliases
SELECT alias, uri, created_at FROM asset_aliases ORDER BY alias, uri;
