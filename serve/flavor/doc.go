// Package flavor loads models made elsewhere behind one interface, Predictor, that serve
// answers requests with: weir's own model files (Weir), XGBoost boosters (JSON, UBJSON and
// the legacy binary format), LightGBM text models, and MLflow model directories (an
// MLmodel file naming the model's flavors, read by ReadMLmodel and opened by Open).
//
// Open picks a directory's flavor in this order: xgboost, lightgbm, then python_function
// or sklearn, which need Python: Options.Python is the hook that serves those (a pool of
// Python worker processes), and without it Open says how to enable them. OpenFile opens a
// bare booster file by its extension and content.
//
// Boosters are evaluated in Go, as XGBoost and LightGBM do: inputs are rounded to
// float32 before they meet a split (XGBoost's DMatrix holds float32), a missing value
// (null) follows the split's default direction, and XGBoost's sums are accumulated in
// float32, so answers agree with the libraries' own to about 1e-7.
package flavor
