// Package model trains and saves complete models: the preprocessing
// pipeline, the fitted estimator, the signature of the input columns, and
// training metadata, in one versioned, self-describing JSON document that a
// serving process loads without the training code.
//
// # Format
//
// A saved model is a JSON object:
//
//	{
//	  "format": "weir.model", "format_version": 1,
//	  "kind": "ensemble.BoostingClassifier", "task": "classification",
//	  "signature": {"inputs": [{"name": "age", "type": "float"}, …],
//	                "features": ["age", "city=Paris", …],
//	                "target": {"name": "churn", "type": "string"},
//	                "classes": ["no", "yes"]},
//	  "preprocess": {"steps": [{"kind": "standard_scaler", "params": {…}}, …]},
//	  "estimator": {…fitted parameters of the kind…},
//	  "metadata": {"library_version": "0.1.0", "go_version": "go1.26.8",
//	               "created_at": "…", "rows": 1000,
//	               "data_fingerprint": "sha256:…", "params": {…}, "metrics": {…}}
//	}
//
// Numbers are written in the shortest form that reads back exactly, so a
// loaded model predicts bit for bit what the saved one did. Load refuses
// another format, a newer format_version, an unknown kind, and an
// estimator whose structure is inconsistent (a tree whose children point
// out of range, coefficients of the wrong length), so a corrupt file
// cannot make prediction panic.
//
// # Input checks
//
// Predict checks the frame against the signature before anything else: a
// missing column is an error wrapping frame.ErrNoColumn; a column of
// another type, a missing or non-finite value are errors naming the column
// and row.
package model
