// Package metrics computes regression and classification metrics with the
// same definitions as scikit-learn's sklearn.metrics module.
//
// Every function checks its inputs and returns an error rather than
// panicking: slices of different lengths, empty inputs, and NaN or infinite
// values are reported with ErrLength, ErrEmpty and ErrNotFinite (wrapped, so
// use errors.Is).
//
// Classification metrics are generic over the label type: any ordered type
// (int, string, …) can be used. As in scikit-learn, labels are the sorted
// union of the labels in yTrue and yPred unless given explicitly.
package metrics
