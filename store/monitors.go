package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// Monitor is a live monitor of a serving deployment (package monitor/live runs it): its
// definition, kept as JSON that the monitor package owns, and the state the runner keeps
// between evaluations.
type Monitor struct {
	// Name names the monitor; it follows the rules of DAG IDs (ValidateDAGID).
	Name string
	// Endpoint is the deployment whose predictions the monitor watches.
	Endpoint string
	// Spec is the monitor's definition (window, interval, tests, actions) as a JSON
	// object; package monitor/live defines and checks it.
	Spec json.RawMessage
	// CreatedAt and UpdatedAt are set by PutMonitor.
	CreatedAt, UpdatedAt time.Time
	// LastRunAt is the time of the latest stored result; zero before the first.
	LastRunAt time.Time
	// Drifting is the verdict of the latest stored result: actions fire on the
	// transition from false to true.
	Drifting bool
	// LastFiredAt is the time of the latest result that fired actions; zero if none did.
	LastFiredAt time.Time
}

// Check reports what is wrong with a monitor before it is stored.
func (m *Monitor) Check() error {
	if m == nil {
		return fmt.Errorf("monitor: nil")
	}
	if err := ValidateDAGID(m.Name); err != nil {
		return fmt.Errorf("monitor name: %w", err)
	}
	if m.Endpoint == "" {
		return fmt.Errorf("monitor %s: no endpoint: name the deployment it watches", m.Name)
	}
	if len(m.Spec) > 0 && !json.Valid(m.Spec) {
		return fmt.Errorf("monitor %s: spec is not valid JSON", m.Name)
	}
	return nil
}

// MonitorResult is one evaluation of a monitor.
type MonitorResult struct {
	// ID is set by AddMonitorResult: increasing within a store.
	ID int64
	// Monitor is the monitor's name.
	Monitor string
	// Time is when the evaluation ran.
	Time time.Time
	// Drift is the evaluation's verdict (data set drift, prediction drift or a
	// performance degradation).
	Drift bool
	// Fired says the evaluation fired the monitor's actions.
	Fired bool
	// Result is the full result document (per-feature statistics, prediction drift,
	// performance, actions and their delivery), as JSON.
	Result json.RawMessage
}

// MonitorResultFilter filters ListMonitorResults. Zero fields do not filter.
type MonitorResultFilter struct {
	// Monitor matches the monitor's name exactly.
	Monitor string
	// Since keeps results with Time >= Since.
	Since time.Time
	// Limit caps the number of results (default 100); newest first.
	Limit int
}

// MonitorStore keeps live monitors and their results.
type MonitorStore interface {
	// ListMonitors returns every monitor, by name.
	ListMonitors(ctx context.Context) ([]*Monitor, error)
	// GetMonitor returns one monitor or ErrNotFound.
	GetMonitor(ctx context.Context, name string) (*Monitor, error)
	// PutMonitor creates or replaces a monitor's definition (Name, Endpoint, Spec) after
	// checking it (Monitor.Check), keeping the state of an existing one (LastRunAt,
	// Drifting, LastFiredAt). It sets m's times and state as stored.
	PutMonitor(ctx context.Context, m *Monitor) error
	// DeleteMonitor removes a monitor and its results; ErrNotFound if missing.
	DeleteMonitor(ctx context.Context, name string) error
	// AddMonitorResult records a result and, in the same transaction, sets its monitor's
	// LastRunAt to r.Time, Drifting to r.Drift and, when r.Fired, LastFiredAt to r.Time.
	// It sets r.ID. ErrNotFound (wrapped) if the monitor is missing.
	AddMonitorResult(ctx context.Context, r *MonitorResult) error
	// ListMonitorResults returns the results matching the filter, newest (by Time) first,
	// ties by ID descending.
	ListMonitorResults(ctx context.Context, f MonitorResultFilter) ([]*MonitorResult, error)
}
