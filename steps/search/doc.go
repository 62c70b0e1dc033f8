// Package search holds the model.search and model.select task kinds: cross-validated
// hyperparameter search over a library estimator, and the choice of its best candidate.
//
// A grid or random search is a mapped task: its KindDef.Expand turns the spec into the
// list of candidates at load time, the loader makes that list the task's expand_kwargs,
// and the engine runs one instance per candidate, each a tracked try with its own tracking
// run (nested under the DAG run's parent run) holding the candidate's params and the mean
// and standard deviation of every metric over the folds. Each instance's output is one
// Candidate; a mapped task's output, seen from a downstream template, is the list of its
// instances' outputs, which model.select reads (candidates: "{{ outputs.search }}").
//
// Successive halving is iterative, so it runs inside one task: each round scores the
// remaining candidates on more rows (a prefix of one seeded shuffle) and keeps the best
// 1/factor of them. Each candidate still gets its own tracking run, nested under the
// task's, with its scores logged per round (the round is the metric's step).
//
// Folds are scikit-learn's KFold(cv) by default (consecutive rows, no shuffle), so scores
// equal cross_val_score's on the same rows; testdata/gen_reference.py writes the
// references the tests compare with. Every fold refits a new estimator through
// ml/model.Train and scores its predictions with ml/metrics. Bad input (a missing column,
// an empty data set, a one-class target, an unknown estimator or hyperparameter) fails
// the task without retries, naming the field.
//
// Estimators are built by name through Estimators; Fallback is a small built-in set
// standing in for package steps/estimators.
package search
