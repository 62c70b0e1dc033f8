package audit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/user"
	"time"

	"github.com/weirhq/weir/auth"
	"github.com/weirhq/weir/store"
)

// Actor kinds.
const (
	// KindToken is a request authenticated with an API token.
	KindToken = "token"
	// KindLocal is a local command writing the store directly, acting as the OS user.
	KindLocal = "local"
	// KindAnonymous is a request to a server without authentication.
	KindAnonymous = "anonymous"
	// KindSystem is weir itself (an approval's timeout).
	KindSystem = "system"
	// KindTask is a task acting on its own: a step kind writing the store in-process, or a
	// tracked task's request with the token minted for its try. The actor is the try
	// (auth.Try.Name: "task:dag/run/task[i]#try").
	KindTask = "task"
)

// Outcomes.
const (
	// OutcomeSuccess is an action that was done.
	OutcomeSuccess = "success"
	// OutcomeDenied is an action refused for lack of authentication or permission.
	OutcomeDenied = "denied"
	// OutcomeFailure is an action that failed.
	OutcomeFailure = "failure"
)

// canonical is the hashed form of an entry: its fields in a fixed order.
type canonical struct {
	ID         int64           `json:"id"`
	Time       string          `json:"time"`
	Actor      string          `json:"actor"`
	ActorKind  string          `json:"actor_kind"`
	Action     string          `json:"action"`
	TargetType string          `json:"target_type"`
	TargetID   string          `json:"target_id"`
	Details    json.RawMessage `json:"details"`
	RequestID  string          `json:"request_id"`
	RemoteAddr string          `json:"remote_addr"`
	Outcome    string          `json:"outcome"`
}

// Canonical returns the entry's canonical JSON: every field but the hashes, in a fixed
// order, the time in UTC with microseconds, the details compacted.
func Canonical(e *store.AuditEntry) []byte {
	c := canonical{ID: e.ID, Time: e.Time.UTC().Format("2006-01-02T15:04:05.000000Z"), Actor: e.Actor,
		ActorKind: e.ActorKind, Action: e.Action, TargetType: e.TargetType, TargetID: e.TargetID,
		RequestID: e.RequestID, RemoteAddr: e.RemoteAddr, Outcome: e.Outcome}
	if len(e.Details) > 0 && json.Valid(e.Details) {
		c.Details = e.Details // Marshal compacts it
	} else if len(e.Details) > 0 {
		b, _ := json.Marshal(string(e.Details)) // invalid JSON is hashed as a string
		c.Details = b
	}
	b, err := json.Marshal(c)
	if err != nil {
		panic("audit: encode an entry: " + err.Error()) // strings and valid JSON always encode
	}
	return b
}

// Hash returns the entry's chain hash: the hex SHA-256 of its PrevHash, a newline and its
// canonical JSON.
func Hash(e *store.AuditEntry) string {
	h := sha256.New()
	h.Write([]byte(e.PrevHash))
	h.Write([]byte{'\n'})
	h.Write(Canonical(e))
	return hex.EncodeToString(h.Sum(nil))
}

// Append appends e to the log of st (setting its ID and hashes). A zero Time is now; an
// empty Outcome is success.
func Append(ctx context.Context, st store.AuditStore, e *store.AuditEntry) error {
	if e.Outcome == "" {
		e.Outcome = OutcomeSuccess
	}
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	if err := st.AppendAudit(ctx, e, Hash); err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return nil
}

// Details encodes v (a map or struct) as an entry's details; nil for nil or on error.
func Details(v any) json.RawMessage {
	if v == nil {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	return b
}

// OSUser returns the name of the user running this process ("unknown" if none is known).
func OSUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	return "unknown"
}

// Local records an action a local command did by writing the store directly: the actor is
// the OS user (KindLocal), the outcome success, or failure with the error's text in the
// details when actionErr is not nil.
func Local(ctx context.Context, st store.AuditStore, action, targetType, targetID string, details map[string]any, actionErr error) error {
	e := &store.AuditEntry{Actor: OSUser(), ActorKind: KindLocal, Action: action, TargetType: targetType,
		TargetID: targetID, Outcome: OutcomeSuccess}
	if actionErr != nil {
		e.Outcome = OutcomeFailure
		if details == nil {
			details = map[string]any{}
		}
		details["error"] = actionErr.Error()
	}
	if details != nil {
		e.Details = Details(details)
	}
	return Append(ctx, st, e)
}

// Task records an action a task did in-process (a step kind writing the registry or the
// deployments): the actor is the try (KindTask), the outcome success, or failure with the
// error's text in the details when actionErr is not nil.
func Task(ctx context.Context, st store.AuditStore, try auth.Try, action, targetType, targetID string, details map[string]any, actionErr error) error {
	e := &store.AuditEntry{Actor: try.Name(), ActorKind: KindTask, Action: action, TargetType: targetType,
		TargetID: targetID, Outcome: OutcomeSuccess}
	if actionErr != nil {
		e.Outcome = OutcomeFailure
		if details == nil {
			details = map[string]any{}
		}
		details["error"] = actionErr.Error()
	}
	if details != nil {
		e.Details = Details(details)
	}
	return Append(ctx, st, e)
}

// BrokenError is a break in the chain: the first entry that does not fit.
type BrokenError struct {
	// ID is the entry's ID.
	ID int64
	// Reason says what does not fit.
	Reason string
}

// Error names the entry and what is wrong with it.
func (e *BrokenError) Error() string {
	return fmt.Sprintf("audit log broken at entry %d: %s", e.ID, e.Reason)
}

// ErrBroken is what a *BrokenError matches with errors.Is.
var ErrBroken = errors.New("audit log broken")

// Is makes errors.Is(err, ErrBroken) true.
func (e *BrokenError) Is(target error) bool { return target == ErrBroken }

// verifyPage is how many entries Verify reads at a time.
const verifyPage = 1000

// Lister reads the log: a store.AuditStore, or a client of a server's /api/v1/audit.
type Lister interface {
	ListAudit(ctx context.Context, f store.AuditFilter) ([]*store.AuditEntry, error)
}

// Verify walks the whole chain of st and returns how many entries it checked, and a
// *BrokenError naming the first entry that was edited, or follows a deleted or edited
// one.
func Verify(ctx context.Context, st Lister) (int, error) {
	var prevHash string
	var lastID int64
	n := 0
	for {
		page, err := st.ListAudit(ctx, store.AuditFilter{AfterID: lastID, Limit: verifyPage})
		if err != nil {
			return n, fmt.Errorf("audit: verify: %w", err)
		}
		for _, e := range page {
			switch {
			case e.ID != lastID+1:
				return n, &BrokenError{ID: e.ID, Reason: fmt.Sprintf("entries %d to %d are missing (deleted)", lastID+1, e.ID-1)}
			case e.PrevHash != prevHash:
				return n, &BrokenError{ID: e.ID, Reason: fmt.Sprintf("its prev_hash does not match entry %d's hash (entry %d was changed or replaced)", lastID, lastID)}
			case Hash(e) != e.Hash:
				return n, &BrokenError{ID: e.ID, Reason: "its content does not match its hash (the entry was changed after it was written)"}
			}
			prevHash, lastID = e.Hash, e.ID
			n++
		}
		if len(page) < verifyPage {
			return n, nil
		}
	}
}
