package store

import (
	"context"
	"time"
)

// AssetAlias is one resolution of an asset alias (Airflow 3's AssetAlias): the alias
// stood for the dataset URI since CreatedAt, when a task first added the URI through it.
type AssetAlias struct {
	Alias     string
	URI       string
	CreatedAt time.Time
}

// AliasStore reads asset alias resolutions. They are written with the dataset events that
// make them: a DatasetEvent with SourceAlias set links its URI to that alias.
type AliasStore interface {
	// ListAssetAliases returns every alias resolution, by alias then URI.
	ListAssetAliases(ctx context.Context) ([]*AssetAlias, error)
}
