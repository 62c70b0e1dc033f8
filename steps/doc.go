// Package steps gathers the built-in ML steps: task kinds that check data quality, split
// data, fit and apply preprocessing, train, search, evaluate, register and score models
// with the Go ML library (package ml and its subpackages). Each kind lives in its own
// subpackage and is one executor.Registration; Registrations returns them all for
// kinds.Builtin.
//
// Steps pass data by reference: a data set or a model a step writes goes to the artifact
// store (package stepio), and the step's JSON output carries its URI, which downstream
// steps (or Python tasks) read through templates such as "{{ outputs.split.train }}". Small
// results (metrics, chosen parameters) stay in the JSON output. Every step is tracked by
// default: its params, metrics and artifacts go to a tracking run nested under the DAG
// run's parent run.
package steps
