package auth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/weirhq/weir/store"
)

// Try names one try of a task: the owner of a minted task token, and the actor of what the
// task changes in the audit log.
type Try struct {
	DAGID     string
	RunID     string
	TaskID    string
	MapIndex  int // -1 when the task is not mapped
	TryNumber int
}

// Name is the try's principal name: "task:dag/run/task#try", with "[i]" after the task
// of a mapped instance ("task:etl/manual__1/train[2]#1").
func (t Try) Name() string {
	s := "task:" + t.DAGID + "/" + t.RunID + "/" + t.TaskID
	if t.MapIndex >= 0 {
		s += fmt.Sprintf("[%d]", t.MapIndex)
	}
	return fmt.Sprintf("%s#%d", s, t.TryNumber)
}

// purgeEvery is how often Mint deletes expired task tokens (at most).
const purgeEvery = time.Minute

// Mint makes a token for the try with the scope, valid for ttl, and returns its secret
// and a function that revokes it (call it when the try ends). The store keeps the token's
// hash with the try (store.TaskTokenStore), so a restarted server still accepts it. The
// tokens of the instance's earlier tries are revoked here (a try whose process died with
// its server never revoked its own), and expired ones purged, at most once a minute. Its
// principal is of Kind task, named Try.Name. Task tokens never turn authentication on
// (they are not API tokens).
func (a *Authenticator) Mint(ctx context.Context, try Try, scope Scope, ttl time.Duration) (secret string, revoke func(), err error) {
	if _, err := ParseScope(string(scope)); err != nil {
		return "", nil, err
	}
	if ttl <= 0 {
		return "", nil, fmt.Errorf("auth: mint a token for %s: want a positive lifetime, got %v", try.Name(), ttl)
	}
	secret, err = NewSecret()
	if err != nil {
		return "", nil, err
	}
	now := a.cfg.Clock()
	a.mu.Lock()
	purge := now.Sub(a.purgedAt) >= purgeEvery || now.Before(a.purgedAt)
	if purge {
		a.purgedAt = now
	}
	a.mu.Unlock()
	if purge {
		if _, err := a.cfg.Store.PurgeTaskTokens(ctx, now); err != nil {
			return "", nil, fmt.Errorf("auth: %w", err)
		}
	}
	if err := a.cfg.Store.DeleteEarlierTaskTokens(ctx, try.DAGID, try.RunID, try.TaskID, try.MapIndex, try.TryNumber); err != nil {
		return "", nil, fmt.Errorf("auth: revoke the tokens of earlier tries of %s: %w", try.Name(), err)
	}
	a.mu.Lock()
	for k, c := range a.tasks {
		if c.try.DAGID == try.DAGID && c.try.RunID == try.RunID && c.try.TaskID == try.TaskID &&
			c.try.MapIndex == try.MapIndex && c.try.TryNumber < try.TryNumber {
			delete(a.tasks, k)
		}
	}
	a.mu.Unlock()
	h := Hash(secret)
	t := &store.TaskToken{Hash: h, DAGID: try.DAGID, RunID: try.RunID, TaskID: try.TaskID, MapIndex: try.MapIndex,
		TryNumber: try.TryNumber, Scope: string(scope), CreatedAt: now, ExpiresAt: now.Add(ttl)}
	if err := a.cfg.Store.CreateTaskToken(ctx, t); err != nil {
		return "", nil, fmt.Errorf("auth: mint a token for %s: %w", try.Name(), err)
	}
	st := a.cfg.Store
	return secret, func() {
		a.mu.Lock()
		delete(a.tasks, h)
		a.mu.Unlock()
		// Best effort: a token not deleted here still expires and is purged.
		_ = st.DeleteTaskToken(context.WithoutCancel(ctx), h)
	}, nil
}

// taskCacheTTL is how long a task token found in the store is trusted without reading it
// again: tasks send it with every request they make. A token revoked by this process is
// forgotten at once; one revoked by another process (a later try's, on the same store)
// stops working here within this time.
const taskCacheTTL = 5 * time.Second

// cachedTask is a task token read from the store.
type cachedTask struct {
	try     Try
	p       Principal
	expires time.Time // the token's expiry
	until   time.Time // when to read the store again
}

// taskToken returns the principal of a minted task token; found reports whether the hash
// is a task token's at all.
func (a *Authenticator) taskToken(ctx context.Context, h string) (p Principal, found bool, err error) {
	now := a.cfg.Clock()
	a.mu.Lock()
	c, ok := a.tasks[h]
	a.mu.Unlock()
	if ok && now.Before(c.until) && now.Before(c.expires) {
		return c.p, true, nil
	}
	t, err := a.cfg.Store.GetTaskToken(ctx, h)
	if errors.Is(err, store.ErrNotFound) {
		if ok {
			a.mu.Lock()
			delete(a.tasks, h)
			a.mu.Unlock()
		}
		return Principal{}, false, nil
	}
	if err != nil {
		return Principal{}, true, err
	}
	try := Try{DAGID: t.DAGID, RunID: t.RunID, TaskID: t.TaskID, MapIndex: t.MapIndex, TryNumber: t.TryNumber}
	if !now.Before(t.ExpiresAt) {
		return Principal{}, true, errUnauthorized("the token of " + try.Name() + " expired")
	}
	p = Principal{Name: try.Name(), Kind: KindTask, Role: TokenRole(t.Scope)}
	a.mu.Lock()
	if len(a.tasks) > 10_000 {
		clear(a.tasks)
	}
	a.tasks[h] = cachedTask{try: try, p: p, expires: t.ExpiresAt, until: now.Add(taskCacheTTL)}
	a.mu.Unlock()
	return p, true, nil
}
