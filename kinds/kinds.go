// Package kinds assembles the task kinds weir runs: each kind is one
// executor.Registration (its YAML fields, checks and template fields as a dag.KindDef,
// plus its executor) returned by the kind's own package, and a Set gathers them. The
// composition root builds one Set with Builtin and hands the same Set to DAG loading
// (Set.LoadOptions) and to the engine (Set.Registry), so every mode of weir knows the same
// kinds. Nothing registers itself at init time: a kind exists in a process only when it is
// in the Set that process built.
//
// Adding a kind: write a package with a spec struct (tagged fields, see dag.KindDef), a
// Validate function and an executor.Kind, return them as an executor.Registration, and add
// it to Builtin (or pass it to Set.With). The dag package's model, loader and validator do
// not change.
package kinds

import (
	"github.com/weirhq/weir/approval"
	"github.com/weirhq/weir/dag"
	"github.com/weirhq/weir/executor"
	"github.com/weirhq/weir/sensor"
	"github.com/weirhq/weir/steps"
	"github.com/weirhq/weir/steps/stepio"
	"github.com/weirhq/weir/store"
)

// Deps are what the built-in kinds need from the rest of weir. Zero fields take the
// documented defaults.
type Deps struct {
	// Funcs are the Go functions go tasks call (nil: none registered).
	Funcs *executor.Funcs
	// Store is read by dataset and external_task sensors (nil: those fail without retry).
	Store store.Store
	// Sensor tunes the sensors (HTTP client, clock, bucket opener); its Store defaults to
	// Store.
	Sensor sensor.Deps
	// Steps are what the ML steps need (artifact store, tracking). Without an artifact store
	// the ML kinds still load and validate, and fail when run, saying why.
	Steps stepio.Deps
}

// Set is a set of task kinds: what loading and validating DAGs needs (LoadOptions) and what
// running their tasks needs (Registry), from the same registrations. It is immutable.
type Set struct {
	defs  *dag.Kinds
	regs  []executor.Registration
	funcs *executor.Funcs
}

// Builtin returns the set of the built-in kinds, in this order: command, http, go,
// sensor and approval, then the ML steps. The engine adds the kinds it evaluates itself
// (branch, short_circuit, latest_only).
func Builtin(deps Deps) *Set {
	if deps.Funcs == nil {
		deps.Funcs = executor.NewFuncs()
	}
	sd := deps.Sensor
	if sd.Store == nil {
		sd.Store = deps.Store
	}
	regs := []executor.Registration{
		executor.CommandKind(),
		executor.HTTPKind(),
		executor.GoFuncKind(deps.Funcs),
		sensor.Kind(sd),
		approval.Kind(approval.Deps{Store: deps.Store}),
	}
	if deps.Steps.Store == nil {
		deps.Steps.Store = deps.Store
	}
	regs = append(regs, steps.Registrations(deps.Steps)...)
	s, err := New(deps.Funcs, regs...)
	if err != nil {
		panic("kinds: built-in kinds: " + err.Error()) // a bug in the built-in registrations
	}
	return s
}

// New returns the set of regs, in order; funcs are the Go functions of Registry (nil: none).
// It fails when two registrations share a name or a task key, or a definition is invalid
// (see dag.NewKinds), or a registration has no executor.
func New(funcs *executor.Funcs, regs ...executor.Registration) (*Set, error) {
	if funcs == nil {
		funcs = executor.NewFuncs()
	}
	defs := make([]dag.KindDef, len(regs))
	for i, r := range regs {
		if r.Run == nil {
			return nil, &setError{r.Def.Name}
		}
		defs[i] = r.Def
	}
	ks, err := dag.NewKinds(defs...)
	if err != nil {
		return nil, err
	}
	return &Set{defs: ks, regs: append([]executor.Registration(nil), regs...), funcs: funcs}, nil
}

type setError struct{ name string }

func (e *setError) Error() string {
	return "task kind " + e.name + " has no executor: set Registration.Run"
}

// With returns a new set holding the kinds of s followed by regs.
func (s *Set) With(regs ...executor.Registration) (*Set, error) {
	return New(s.funcs, append(append([]executor.Registration(nil), s.regs...), regs...)...)
}

// Kinds returns the kind definitions, for dag.LoadOptions.Kinds.
func (s *Set) Kinds() *dag.Kinds { return s.defs }

// LoadOptions returns the options that load and validate DAGs with the set's kinds. Set
// GoFuncs on the result to also check go tasks' function names.
func (s *Set) LoadOptions() dag.LoadOptions { return dag.LoadOptions{Kinds: s.defs} }

// Registry returns a new executor registry holding the set's executors, for
// engine.Config.Kinds (the engine adds its own kinds to it, so each engine gets its own).
func (s *Set) Registry() *executor.Registry {
	r := executor.NewEmptyRegistry(s.funcs, s.defs)
	for _, reg := range s.regs {
		r.Register(reg.Def.Name, reg.Run)
	}
	return r
}

// Funcs returns the Go functions go tasks call.
func (s *Set) Funcs() *executor.Funcs { return s.funcs }

// Infos describes every kind of the set and its YAML fields, in order (for `weir kinds`).
func (s *Set) Infos() []dag.KindInfo { return s.defs.Infos() }
