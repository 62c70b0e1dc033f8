//go:build race

package ensemble_test

// raceEnabled is true under the race detector, which slows the tree
// growing about tenfold; the sklearn agreement tests then skip the large
// synthetic data sets (the small real ones still exercise every path).
const raceEnabled = true
