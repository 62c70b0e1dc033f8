// Package ml is the root of weir's machine-learning library: tabular data
// frames (ml/frame), data-quality expectations (ml/quality), preprocessing
// (ml/preprocess), models (ml/linear, ml/tree, ml/ensemble, ml/cluster),
// metrics (ml/metrics) and the saved-model format (ml/model).
//
// Results are checked against scikit-learn on its bundled data sets with
// fixtures produced by ml/testdata/gen_fixtures.py; the Go tests need no
// Python.
package ml

// Version is the version of the ML library recorded in saved models.
const Version = "0.1.0"
