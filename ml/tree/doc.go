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
// # Missing values
//
// X may hold NaN, which means missing, in training and prediction (an
// infinite value is still an error), as in scikit-learn's
// HistGradientBoosting and its DecisionTree from 1.3. A feature with
// missing values at fit time gets one more bin for them, after its bins of
// values (so at most 255 bins of values). Each split of such a feature
// learns where the missing values go: the split search scans the bins
// from the left with the missing values on the right (which includes the
// split "every value left, only the missing values right", stored with
// Threshold math.MaxFloat64), then from the right with the missing values
// on the left, keeping the second only when strictly better. A split on a
// feature without missing values at fit time sends a missing value met at
// predict time to the child with more training rows (right on a tie).
// Tree.MissingLeft records the direction of each split. Prediction walks
// a row with NaN by LeafMissing; rows without NaN keep the faster Leaf
// and Leaves, so data without missing values are not slowed down.
//
// # Sample weights and importances
//
// FitWeighted weights each row's contribution to the class counts or
// sums (scikit-learn's sample_weight; MinSamplesLeaf still counts rows),
// and Classifier.ClassWeight multiplies the weights per class. A split's
// Gain is the decrease of impurity weighted by the node's weight, so
// FeatureImportances is scikit-learn's feature_importances_.
//
// Growing is deterministic: the only randomness is the per-split feature
// sampling (GrowConfig.MaxFeatures), drawn from GrowConfig.Seed. Ties
// between equally good splits go to the lowest feature index and bin.
package tree
