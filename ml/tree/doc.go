// Package tree grows CART decision trees (Classifier with the Gini
// criterion, Regressor with squared error) and provides the tree growing
// used by the ensembles in ml/ensemble.
//
// # Model
//
// Features are first binned (Binner): a feature with at most 256 distinct
// training values gets one bin per value, so its splits are the exact
// midpoints scikit-learn would consider; a feature with more values gets
// 256 quantile bins, as in scikit-learn's HistGradientBoosting and
// LightGBM. Large nodes find their best split by scanning per-bin
// histograms (the larger child's histogram is the parent's minus the
// smaller child's); nodes of at most 96 rows sort their rows instead, so
// deep trees stay fast.
//
// A Tree is stored as parallel arrays indexed by node, which marshal to
// JSON compactly and predict without pointer chasing. A split sends a row
// left when its value is ≤ Threshold, equivalently when its bin is ≤ Bin.
//
// Growing is deterministic: the only randomness is the per-split feature
// sampling (GrowConfig.MaxFeatures), drawn from GrowConfig.Seed. Ties
// between equally good splits go to the lowest feature index and bin.
package tree
