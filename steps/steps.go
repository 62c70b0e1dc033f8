package steps

import (
	"github.com/weirhq/weir/executor"
	"github.com/weirhq/weir/steps/features"
	"github.com/weirhq/weir/steps/quality"
	"github.com/weirhq/weir/steps/split"
	"github.com/weirhq/weir/steps/search"
	"github.com/weirhq/weir/steps/stepio"
)

// Registrations returns the ML steps, each one task kind, wired to deps.
func Registrations(deps stepio.Deps) []executor.Registration {
	return []executor.Registration{
		quality.Kind(deps),
		split.Kind(deps),
		features.FitKind(deps),
		features.TransformKind(deps),
		search.SearchKind(deps, search.Fallback), // search.Fallback: replace with steps/estimators at merge
		search.SelectKind(deps, search.Fallback),
	}
}
