package store

import (
	"fmt"
	"time"
)

// Deployment binds a serving endpoint to model references (package serve serves it).
type Deployment struct {
	// Name is the endpoint's name: /serve/NAME/invocations, /v2/models/NAME/infer. It
	// follows the rules of DAG IDs (ValidateDAGID).
	Name string
	// Model is the reference answering requests: models:/NAME@ALIAS, models:/NAME/VERSION,
	// runs:/RUN_ID/PATH or a model file's URI. An alias is followed as it moves.
	Model string
	// Canary is a second reference that answers CanaryWeight percent of the requests
	// (the challenger of a canary phase); empty for none.
	Canary string
	// CanaryWeight is the percentage (0 to 100) of requests Canary answers.
	CanaryWeight int
	// Shadow is a reference that sees every request; its answers are recorded, never
	// returned. Empty for none.
	Shadow string
	// Description is free text.
	Description string
	// CreatedAt and UpdatedAt are set by the store.
	CreatedAt, UpdatedAt time.Time
}

// Check reports what is wrong with a deployment before it is stored.
func (d *Deployment) Check() error {
	if d == nil {
		return fmt.Errorf("deployment: nil")
	}
	if err := ValidateDAGID(d.Name); err != nil {
		return fmt.Errorf("deployment name: %w", err)
	}
	if d.Model == "" {
		return fmt.Errorf("deployment %s: no model reference: give one such as models:/NAME@champion", d.Name)
	}
	if d.CanaryWeight < 0 || d.CanaryWeight > 100 {
		return fmt.Errorf("deployment %s: canary weight %d: want a percentage from 0 to 100", d.Name, d.CanaryWeight)
	}
	if d.Canary == "" && d.CanaryWeight != 0 {
		return fmt.Errorf("deployment %s: canary weight %d without a canary reference: give the canary's model reference too", d.Name, d.CanaryWeight)
	}
	return nil
}
