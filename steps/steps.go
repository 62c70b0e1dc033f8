package steps

import (
	"github.com/weirhq/weir/executor"
	"github.com/weirhq/weir/steps/evaluate"
	"github.com/weirhq/weir/steps/predict"
	"github.com/weirhq/weir/steps/register"
	"github.com/weirhq/weir/steps/stepio"
	"github.com/weirhq/weir/steps/train"
)

// Registrations returns the ML steps, each one task kind, wired to deps.
func Registrations(deps stepio.Deps) []executor.Registration {
	return []executor.Registration{
		train.Kind(deps),
		evaluate.Kind(deps),
		predict.Kind(deps),
		register.Kind(deps),
	}
}
