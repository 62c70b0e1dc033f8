// Package ensemble fits tree ensembles: random forests (ForestClassifier,
// ForestRegressor, scikit-learn's RandomForest*) and gradient-boosted trees
// (BoostingClassifier, BoostingRegressor, in the manner of scikit-learn's
// HistGradientBoosting*), on the binned trees of ml/tree.
//
// # Model
//
// A forest grows each tree on a bootstrap sample with a random subset of
// features per split and averages the trees' leaf values (class
// frequencies or means). Trees are grown in parallel, one per core, and
// each tree draws from its own random stream derived from Seed and the
// tree's index, so a forest is the same whatever the number of cores.
//
// Boosting fits trees one after another to the gradients and Hessians of
// the loss (squared error for regression, log-loss for classification:
// binomial with one tree per round, multinomial with one tree per class per
// round) and adds LearningRate times each tree's Newton step. Its
// parallelism is inside a tree: histograms of large nodes are built per
// feature on all cores. Boosting uses no randomness unless Subsample
// (GradientBoosting's row subsampling) or EarlyStopping (scikit-learn
// HistGradientBoosting's validation split and stopping rule) is set; both
// draw from Seed.
//
// Both accept missing values (NaN) in X, with a direction learned per
// split (see ml/tree), sample weights (FitWeighted) and, for classifiers,
// class weights (ClassWeight); FeatureImportances gives impurity (forest)
// or gain (boosting) importances.
//
// # Errors
//
// Fit rejects the same bad input as ml/linear (empty, infinite values,
// length mismatch, a single class) and invalid options (*ml.ParamError); Predict rejects a matrix
// with the wrong number of columns.
package ensemble
