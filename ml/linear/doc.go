// Package linear fits linear models with scikit-learn's definitions:
// ordinary least squares (LinearRegression), L2-penalised least squares
// (Ridge), L1 and mixed penalties by coordinate descent (Lasso,
// ElasticNet), and L2-penalised logistic regression, binary or multinomial,
// by L-BFGS (LogisticRegression).
//
// # Model
//
// Models take the features as a rows × columns gonum matrix and the target
// as a slice; options are exported fields whose zero value is
// scikit-learn's default (options where zero is meaningful, such as Alpha,
// L1Ratio and Tol, are pointers: nil is the default, new(0.0) is zero),
// and the fitted parameters are exported fields
// too, so a fitted model marshals to JSON and predicts identically after
// unmarshalling. Fitting is deterministic: the partial sums computed in
// parallel are combined in a fixed order, so the same data give the same
// bits on any number of cores.
//
// # Objectives
//
//   - LinearRegression: min ||y - Xw - b||².
//   - Ridge: min ||y - Xw - b||² + Alpha·||w||².
//   - ElasticNet: min 1/(2n)·||y - Xw - b||² + Alpha·L1Ratio·||w||₁
//   - Alpha·(1-L1Ratio)/2·||w||²; Lasso is L1Ratio = 1.
//   - LogisticRegression: min Σ log-loss + 1/(2C)·||W||², with a softmax over
//     all classes when there are more than two; intercepts are not
//     penalised.
//
// # Errors
//
// Fit rejects an empty training set, NaN or infinite values (naming column
// and row), X and y of different lengths and, for classification, a target
// with a single class; Predict rejects a matrix with the wrong number of
// columns. None of them panic.
package linear
