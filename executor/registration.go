package executor

import "github.com/weirhq/weir/dag"

// Registration is one task kind, complete: its definition for loading, validation and
// templates (its YAML fields as a Go struct, its checks, which fields are templates) and
// the Kind that runs it. A kind's package returns one (CommandKind, sensor.Kind, the ML
// kinds); package kinds gathers them into the set every mode of weir uses.
type Registration struct {
	// Def describes the kind to package dag.
	Def dag.KindDef
	// Run executes the kind's tasks.
	Run Kind
}

// CommandKind is the command kind: a program or a shell script run in a subprocess.
func CommandKind() Registration { return Registration{Def: dag.CommandKind(), Run: Command{}} }

// HTTPKind is the http kind: one HTTP request.
func HTTPKind() Registration { return Registration{Def: dag.HTTPKind(), Run: HTTP{}} }

// GoFuncKind is the go kind, calling the functions registered in funcs (nil: none).
func GoFuncKind(funcs *Funcs) Registration {
	if funcs == nil {
		funcs = NewFuncs()
	}
	return Registration{Def: dag.GoKind(), Run: GoKind{Funcs: funcs}}
}
