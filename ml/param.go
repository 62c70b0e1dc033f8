package ml

import "fmt"

// ParamError reports a hyperparameter that an estimator refuses: NaN,
// infinite or out of its allowed range. Estimators return it (possibly
// wrapped) from Fit before touching the data, instead of clamping the
// value or replacing it by a default.
type ParamError struct {
	// Estimator is the estimator's type, such as "linear.Lasso".
	Estimator string
	// Field is the Go name of the option, such as "Alpha".
	Field string
	// Value is the refused value.
	Value any
	// Rule says what the value must be, such as "a finite number ≥ 0".
	Rule string
}

// Error returns "ESTIMATOR: FIELD is VALUE; it must be RULE".
func (e *ParamError) Error() string {
	return fmt.Sprintf("%s: %s is %v; it must be %s", e.Estimator, e.Field, e.Value, e.Rule)
}
