// Package executor runs task instances. The engine decides what runs and when; the executor
// only runs what it is handed and reports back.
//
// A kind's complete registration (Registration) pairs its executor with its dag.KindDef
// (YAML fields, checks, template fields); CommandKind, HTTPKind and GoFuncKind are the
// built-in ones, and package kinds gathers registrations into the set every mode uses.
//
// Task kinds form a registry (Registry): each kind ("command", "http", "go", and the ML kinds
// of later issues) implements Kind, and the engine looks the kind up by name. A Kind turns a
// Job (the rendered task, its context, its log writer) into a Result: success with a JSON
// output, failure (retryable or not), or skipped.
//
// The command kind runs a subprocess in its own process group, so a timeout or a cancelled
// run kills the whole group. Its output is the JSON the program writes to the file named by
// $WEIR_OUTPUT; it reads the outputs of its direct upstreams from the JSON file named by
// $WEIR_INPUTS.
package executor
