package steps

import (
	"github.com/weirhq/weir/executor"
	"github.com/weirhq/weir/steps/deploy"
	"github.com/weirhq/weir/steps/estimators"
	"github.com/weirhq/weir/steps/evaluate"
	"github.com/weirhq/weir/steps/features"
	"github.com/weirhq/weir/steps/monitor"
	"github.com/weirhq/weir/steps/predict"
	"github.com/weirhq/weir/steps/quality"
	"github.com/weirhq/weir/steps/register"
	"github.com/weirhq/weir/steps/search"
	"github.com/weirhq/weir/steps/split"
	"github.com/weirhq/weir/steps/stepio"
	"github.com/weirhq/weir/steps/train"
)

// Registrations returns the ML steps, each one task kind, wired to deps, in pipeline
// order.
func Registrations(deps stepio.Deps) []executor.Registration {
	est := search.Estimators{New: estimators.New, Check: estimators.Check}
	return []executor.Registration{
		quality.Kind(deps),
		split.Kind(deps),
		features.FitKind(deps),
		features.TransformKind(deps),
		train.Kind(deps),
		search.SearchKind(deps, est),
		search.SelectKind(deps, est),
		evaluate.Kind(deps),
		register.Kind(deps),
		predict.Kind(deps),
		deploy.Kind(deps),
		monitor.Kind(deps),
	}
}
