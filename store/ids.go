package store

import (
	"errors"
	"fmt"
)

// The identifiers of runs and task instances become folder and file names (task logs are
// HOME/logs/DAG/RUN/TASK[.map-I].try-N.log) and query arguments, so every store driver and
// the engine check them with the functions below, whoever calls (CLI, REST API, SDK,
// scheduler). The rules follow Airflow's: its default allowed_run_id_pattern
// ^[A-Za-z0-9_.~:+-]+$, its KEY_REGEX ^[\w.-]+$ for DAG and task IDs, and its 250-character
// ID_LEN.

// ErrInvalidID is wrapped by every error of the ID checks (ValidateDAGID and the others).
var ErrInvalidID = errors.New("invalid id")

// MaxIDLen is the longest DAG ID and run ID, in bytes (Airflow's ID_LEN).
const MaxIDLen = 250

// MaxTaskIDLen is the longest task ID, in bytes: a task's log file name adds
// ".map-I.try-N.log" to it and must fit the 255-byte file name limit of common file
// systems.
const MaxTaskIDLen = 200

// Rules of the ID checks, as their errors state them.
const (
	dagIDRule  = "must match [A-Za-z0-9_.-]{1,250} and not be . or .."
	runIDRule  = "must match [A-Za-z0-9_.~:+-]{1,250} and not be ., .. or ~"
	taskIDRule = "must match [A-Za-z0-9_.-]{1,200} and not be . or .."
)

// ValidateDAGID checks a DAG ID: 1 to 250 letters, digits, '_', '.' and '-', and not "." or
// "..". The error wraps ErrInvalidID and names the value and the rule.
func ValidateDAGID(id string) error {
	return checkID("dag id", id, MaxIDLen, false, dagIDRule)
}

// ValidateRunID checks a run ID: 1 to 250 letters, digits, '_', '.', '~', ':', '+' and
// '-', and not ".", ".." or "~" (the REST API's "every run"). Every ID weir generates passes ("manual__2026-12-02T02:19:03.000Z",
// "scheduled__2026-12-02T00:00:00Z", "backfill__…", "dataset_triggered__42", with an
// optional ".1a2b3c" suffix). The error wraps ErrInvalidID and names the value and the rule.
func ValidateRunID(id string) error {
	return checkID("run id", id, MaxIDLen, true, runIDRule)
}

// ValidateTaskID checks a task ID (with its groups: "group.task"): 1 to 200 letters,
// digits, '_', '.' and '-', and not "." or "..". The error wraps ErrInvalidID and names the
// value and the rule.
func ValidateTaskID(id string) error {
	return checkID("task id", id, MaxTaskIDLen, false, taskIDRule)
}

// ValidateMapIndex checks a map index: -1 (not mapped) or a position, 0 or more.
func ValidateMapIndex(i int) error {
	if i < -1 {
		return fmt.Errorf("%w: map index %d: must be -1 (not mapped) or 0 or more", ErrInvalidID, i)
	}
	return nil
}

// ValidateRunKey checks the DAG ID and run ID that name a run.
func ValidateRunKey(dagID, runID string) error {
	if err := ValidateDAGID(dagID); err != nil {
		return err
	}
	return ValidateRunID(runID)
}

// ValidateTIKey checks the IDs and map index that name a task instance.
func ValidateTIKey(dagID, runID, taskID string, mapIndex int) error {
	if err := ValidateRunKey(dagID, runID); err != nil {
		return err
	}
	if err := ValidateTaskID(taskID); err != nil {
		return err
	}
	return ValidateMapIndex(mapIndex)
}

// checkID checks id against the rule; run IDs also allow '~', ':' and '+' ("~" alone is
// refused for every ID: it stands for "every" in REST paths). It loops over the
// bytes rather than using a regular expression: the engine checks every row it writes.
func checkID(what, id string, maxLen int, run bool, rule string) error {
	ok := len(id) > 0 && len(id) <= maxLen && id != "." && id != ".." && id != "~"
	for i := 0; ok && i < len(id); i++ {
		switch c := id[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '_', c == '.', c == '-':
		case run && (c == '~' || c == ':' || c == '+'):
		default:
			ok = false
		}
	}
	if ok {
		return nil
	}
	shown := id
	if len(shown) > 80 {
		shown = shown[:80] + "…"
	}
	reason := ""
	if len(id) > maxLen {
		reason = fmt.Sprintf(" (it has %d bytes)", len(id))
	}
	return fmt.Errorf("%w: %s %q%s: %s", ErrInvalidID, what, shown, reason, rule)
}
