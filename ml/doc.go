// Package ml is the root of weir's machine-learning library: tabular data
// frames (ml/frame), data-quality expectations (ml/quality), preprocessing
// (ml/preprocess), models (ml/linear, ml/tree, ml/ensemble, ml/cluster),
// metrics (ml/metrics), model inspection (ml/inspection) and the
// saved-model format (ml/model).
//
// Options follow one rule: the zero value of an estimator is scikit-
// learn's default. An option whose zero is a meaningful setting (a penalty
// Alpha, an L1Ratio, a tolerance) is a pointer, nil meaning the default
// and new(0.0) meaning zero; an option whose zero is not a valid setting
// (a number of trees, a depth) documents what 0 stands for. Fit never
// writes a default back into the options, and refuses a NaN or
// out-of-range option with a *ParamError naming the field and the rule.
// Estimators that scikit-learn fits with sample_weight have FitWeighted,
// and its classifiers with class_weight have a ClassWeight option.
//
// Results are checked against scikit-learn on its bundled data sets with
// fixtures produced by ml/testdata/gen_fixtures.py; the Go tests need no
// Python.
package ml

// Version is the version of the ML library recorded in saved models.
const Version = "0.1.0"
