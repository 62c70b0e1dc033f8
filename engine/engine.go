package engine

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/weirhq/weir/executor"
	"github.com/weirhq/weir/secrets"
	"github.com/weirhq/weir/store"
)

// Config configures an Engine. Zero fields take the documented defaults.
type Config struct {
	// Store is the metadata store. Required.
	Store store.Store
	// Kinds runs task instances. Default: executor.NewRegistry(nil) (no Go functions).
	Kinds *executor.Registry
	// Home is weir's home folder; task logs go under Home/logs, the input and output files
	// of tries under Home/tmp. Command tasks get its absolute path as $WEIR_HOME, by which
	// crash recovery tells this installation's orphaned tries from another's. Default ".weir".
	Home string
	// Parallelism is the number of task instances that may run at once, across all runs
	// and pools (Airflow's core.parallelism). Default 32.
	Parallelism int
	// CPUSlots is the number of instances of CPU-bound kinds (dag.KindDef.CPUBound: the ML
	// steps that train and score in weir's process) that may run at once, within
	// Parallelism. Default runtime.GOMAXPROCS(0).
	CPUSlots int
	// Logger receives the engine's own logs. Default: discard.
	Logger *slog.Logger
	// Clock returns the current time. Default time.Now.
	Clock func() time.Time
	// OnEvent, when set, is called from the engine loop after every committed transition of
	// a task instance or run. It must return quickly.
	OnEvent func(Event)
	// LeaseTTL is how long the lease of a run this engine owns lasts without a renewal: if
	// the engine stops renewing (it died, hung, or lost the store), another engine may take
	// the run over that long after the last renewal. An engine on this host whose process is
	// gone is taken over at once. Default 30 s.
	LeaseTTL time.Duration
	// HeartbeatInterval is how often the engine renews the leases of the runs it owns (and
	// records the heartbeat in them). It must be shorter than LeaseTTL, with room for a slow
	// store: default 5 s, or a third of LeaseTTL if that is shorter.
	HeartbeatInterval time.Duration
	// PoolRefreshInterval is how often pool sizes are re-read from the store. Default 10 s.
	PoolRefreshInterval time.Duration
	// CallbackTimeout bounds each callback delivery. Default 30 s.
	CallbackTimeout time.Duration
	// TaskEnv adds environment variables to every command task.
	TaskEnv map[string]string
	// Consumers returns the IDs of the DAGs scheduled on a dataset URI, so the events a
	// task's outlets emit are queued for them. Default: none.
	Consumers func(uri string) []string
	// LinkAlias, when set, is told that a task added dataset uri through an asset alias
	// (Task.OutletAliases) and returns the IDs of the DAGs scheduled on the alias, for which
	// the event is queued too. Default: none.
	LinkAlias func(alias, uri string) []string
	// OnDatasetEvents, when set, is called after dataset events were committed (the
	// scheduler wakes up).
	OnDatasetEvents func()
	// Tracker opens the tracking runs of tracked tasks; nil means tasks run untracked.
	Tracker Tracker
	// NoCache turns result reuse off: tasks with cache: true run every time (`weir run
	// --no-cache`); their successful results are still recorded, replacing older entries
	// of the same key. Default false.
	NoCache bool
	// Secrets resolves the variables and connections tasks read (templates' var and conn,
	// command env_from) and masks them in task logs, outputs, errors and recorded cache
	// inputs. Nil: tasks that read them fail.
	Secrets *secrets.Service
	// MaxTemplatedFieldLength caps the length, in characters, of each rendered field saved
	// when a try starts (Airflow's max_templated_field_length): a longer one is saved
	// truncated, saying so. Default 4096.
	MaxTemplatedFieldLength int
	// KeepRenderedRuns is how many runs of a task keep the rendered fields of their tries
	// (Airflow's num_dag_runs_to_keep_rendered_fields); older runs' are deleted when a newer
	// run's are first saved. Default store.DefaultKeepRenderedRuns (30); negative keeps all.
	KeepRenderedRuns int
}

// Defaults of Config's lease fields.
const (
	// DefaultLeaseTTL is Config.LeaseTTL's default, 30 s.
	DefaultLeaseTTL = 30 * time.Second
	// DefaultHeartbeatInterval is Config.HeartbeatInterval's default, 5 s.
	DefaultHeartbeatInterval = 5 * time.Second
)

func (c *Config) validate() error {
	if c.Store == nil {
		return errors.New("engine: Config.Store is required")
	}
	if c.Kinds == nil {
		c.Kinds = executor.NewRegistry(nil)
	}
	// The kinds the engine evaluates itself.
	c.Kinds.Register(KindBranch, exprKind{})
	c.Kinds.Register(KindShortCircuit, exprKind{})
	c.Kinds.Register(KindLatestOnly, noopKind{})
	if c.Home == "" {
		c.Home = ".weir"
	}
	if c.Parallelism <= 0 {
		c.Parallelism = 32
	}
	if c.CPUSlots <= 0 {
		c.CPUSlots = runtime.GOMAXPROCS(0)
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Clock == nil {
		c.Clock = time.Now
	}
	if c.LeaseTTL <= 0 {
		c.LeaseTTL = DefaultLeaseTTL
	}
	if c.HeartbeatInterval <= 0 {
		c.HeartbeatInterval = min(DefaultHeartbeatInterval, c.LeaseTTL/3)
	}
	if c.HeartbeatInterval >= c.LeaseTTL {
		return fmt.Errorf("engine: Config.HeartbeatInterval %v must be shorter than LeaseTTL %v, or leases expire between renewals", c.HeartbeatInterval, c.LeaseTTL)
	}
	if c.PoolRefreshInterval <= 0 {
		c.PoolRefreshInterval = 10 * time.Second
	}
	if c.CallbackTimeout <= 0 {
		c.CallbackTimeout = 30 * time.Second
	}
	if c.MaxTemplatedFieldLength <= 0 {
		c.MaxTemplatedFieldLength = DefaultMaxTemplatedFieldLength
	}
	if c.KeepRenderedRuns == 0 {
		c.KeepRenderedRuns = store.DefaultKeepRenderedRuns
	}
	return nil
}

// Event reports one committed transition. For a run transition TaskID is "".
type Event struct {
	Time     time.Time
	DAGID    string
	RunID    string
	TaskID   string
	MapIndex int
	// TryNumber is the instance's try number after the transition.
	TryNumber int
	// State is the instance's new state (task events).
	State store.TIState
	// RenderedMapIndex is a mapped instance's display name, "" when none.
	RenderedMapIndex string
	// RunState is the run's new state (run events).
	RunState store.RunState
	// Duration is how long the try or run took, for final states.
	Duration time.Duration
	// NextTryAt is when an up_for_retry instance will run again.
	NextTryAt time.Time
	// QueueDelay, for a try that starts, is how long the instance waited for a slot.
	QueueDelay time.Duration
	// Err is the failure or skip reason, "" when none.
	Err string
	// CacheKey is the cache key of a cached task's try (set when it ends), "" otherwise.
	CacheKey string
	// CachedFrom names the instance whose result a cache hit reused ("DAG/RUN/TASK"), ""
	// when the try ran.
	CachedFrom string
}

// Engine runs DAG runs. Create it with New, then Start it; Trigger and Resume hand it runs.
type Engine struct {
	cfg    Config
	owner  string
	host   string
	events chan any

	// Loop-owned state.
	runs     map[runKey]*runState
	ready    readyQueue
	seq      uint64
	slots    int
	cpuSlots int // running instances of CPU-bound kinds
	pools    map[string]*store.Pool
	poolUsed map[string]int
	cancels  map[*store.TaskInstance]context.CancelFunc
	retrying map[*store.TaskInstance]retryEntry
	// taskRunning counts running instances per DAG and task, for max_active_tis_per_dag.
	taskRunning map[string]int
	// draining stops dispatching; drained are told when nothing runs any more.
	draining bool
	drained  []chan error
	// slaWatch holds the deadlines of SLAs to check.
	slaWatch []slaEntry
	// statRuns, statReady and statRunning mirror loop state for Stats.
	statRuns, statReady, statRunning atomic.Int64
	batch                            store.Batch
	touched                          map[*store.TaskInstance]struct{}
	emitted                          []Event
	after                            []afterAct
	fatal                            error
	// stored holds the state of each instance of the active runs as last committed: the
	// guard of its next transition.
	stored map[*store.TaskInstance]store.TIState
	// delGuards are the guards of the instances the step deletes.
	delGuards []store.TIGuard
	// guardSeen is guard's scratch set of the runs a batch writes.
	guardSeen map[runKey]bool
	// finishing holds the runs that ended in this step, until their final state (and the
	// release of their lease) is committed.
	finishing map[runKey]*runState

	startOnce sync.Once
	stopOnce  sync.Once
	ctx       context.Context
	cancel    context.CancelFunc
	tmpDir    string
	homeID    string
	loopDone  chan struct{}
	tasks     sync.WaitGroup
	callbacks sync.WaitGroup
}

// New returns an engine; it does nothing until Start.
func New(cfg Config) (*Engine, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	host, _ := os.Hostname()
	var instance [4]byte
	_, _ = rand.Read(instance[:])
	return &Engine{
		cfg:         cfg,
		host:        host,
		owner:       SelfOwner() + ":" + hex.EncodeToString(instance[:]),
		homeID:      homeIdentity(cfg.Home),
		stored:      map[*store.TaskInstance]store.TIState{},
		finishing:   map[runKey]*runState{},
		events:      make(chan any, 4096),
		runs:        map[runKey]*runState{},
		pools:       map[string]*store.Pool{},
		poolUsed:    map[string]int{},
		cancels:     map[*store.TaskInstance]context.CancelFunc{},
		retrying:    map[*store.TaskInstance]retryEntry{},
		taskRunning: map[string]int{},
		loopDone:    make(chan struct{}),
	}, nil
}

// Start starts the engine loop. It returns at once; the loop runs until Stop or until ctx is
// done.
func (e *Engine) Start(ctx context.Context) error {
	err := errors.New("engine: already started")
	e.startOnce.Do(func() {
		err = nil
		e.ctx, e.cancel = context.WithCancel(ctx)
		if lerr := e.loadPools(e.ctx); lerr != nil {
			err = lerr
			close(e.loopDone)
			return
		}
		// One folder for the input and output files of every try of this engine, under the
		// home, where the next start removes it if this process is killed.
		if e.tmpDir, err = makeTempDir(e.cfg.Home); err != nil {
			err = fmt.Errorf("engine: %w", err)
			close(e.loopDone)
			return
		}
		e.removeDeadTempDirs()
		go e.loop()
	})
	return err
}

// Stop stops the loop and cancels running tries. Tries cut short this way are not
// committed as failed: their instances stay running in the store, owned by this process,
// and Resume in a later process recovers them. Stop waits for callbacks in flight up to the
// callback timeout. It is idempotent.
func (e *Engine) Stop() {
	e.stopOnce.Do(func() {
		if e.cancel == nil {
			return
		}
		e.cancel()
		<-e.loopDone
		e.tasks.Wait()
		if e.tmpDir != "" {
			os.RemoveAll(e.tmpDir)
		}
		done := make(chan struct{})
		go func() { e.callbacks.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(e.cfg.CallbackTimeout):
		}
	})
}

// send hands an event to the loop.
func (e *Engine) send(ev any) error {
	select {
	case e.events <- ev:
		return nil
	case <-e.loopDone:
		return errors.New("engine: stopped")
	}
}

// Event types of the loop.
type (
	evStart struct {
		rs   *runState
		done chan error
	}
	evResult struct {
		key     runKey
		ti      *store.TaskInstance
		try     int
		res     executor.Result
		endedAt time.Time
		cache   cacheResult
	}
	evPID struct {
		key runKey
		ti  *store.TaskInstance
		try int
		pid int
	}
	evWait struct {
		key runKey
		ch  chan error
	}
	evMark struct {
		key   runKey
		state store.RunState
		ch    chan error
	}
	evMarkTask struct {
		key      runKey
		taskID   string
		mapIndex int
		state    store.TIState
		ch       chan error
	}
	evActive struct {
		key runKey
		ch  chan error
	}
	evDrain struct {
		ch chan error
	}
	evShutdown struct {
		ch chan error
	}
)

func (e *Engine) loop() {
	defer close(e.loopDone)
	heartbeat := time.NewTicker(e.cfg.HeartbeatInterval)
	defer heartbeat.Stop()
	poolRefresh := time.NewTicker(e.cfg.PoolRefreshInterval)
	defer poolRefresh.Stop()
	wake := time.NewTimer(time.Hour)
	defer wake.Stop()
	for {
		select {
		case <-e.ctx.Done():
			e.shutdown()
			return
		case ev := <-e.events:
			e.handle(ev)
		drain:
			for i := 0; i < 4096; i++ {
				select {
				case ev := <-e.events:
					e.handle(ev)
				default:
					break drain
				}
			}
		case <-wake.C:
		case <-heartbeat.C:
			e.renewLeases()
		case <-poolRefresh.C:
			if err := e.loadPools(e.ctx); err != nil {
				e.cfg.Logger.Warn("refresh pools", "err", err)
			}
		}
		e.step()
		e.statRuns.Store(int64(len(e.runs)))
		e.statReady.Store(int64(e.ready.Len()))
		e.statRunning.Store(int64(e.slots))
		if e.draining && e.slots == 0 {
			for _, ch := range e.drained {
				ch <- nil
			}
			e.drained = nil
		}
		if e.fatal != nil {
			e.shutdown()
			return
		}
		wake.Reset(e.nextWake())
	}
}

// shutdown cancels running tries, gives back the runs' leases and releases waiters when the
// loop ends.
func (e *Engine) shutdown() {
	for _, cancel := range e.cancels {
		cancel()
	}
	e.releaseAll()
	err := e.fatal
	if err == nil {
		err = errors.New("engine stopped before the run finished")
	}
	for _, rs := range e.finishing {
		for _, ch := range rs.done {
			ch <- err
		}
		rs.done = nil
	}
	for _, rs := range e.runs {
		for _, ch := range rs.done {
			ch <- err
		}
		rs.done = nil
	}
}

func (e *Engine) handle(ev any) {
	switch ev := ev.(type) {
	case evStart:
		if _, dup := e.runs[ev.rs.key]; dup {
			ev.done <- fmt.Errorf("run %s of dag %s is already active in this engine", ev.rs.key.runID, ev.rs.key.dagID)
			return
		}
		e.adopt(ev.rs)
		ev.done <- nil
	case evResult:
		e.onResult(ev)
	case evRendered:
		e.onRendered(ev)
	case evPID:
		rs := e.runs[ev.key]
		if rs != nil && ev.ti.State == store.TIRunning && ev.ti.TryNumber == ev.try {
			ev.ti.PID = ev.pid
			e.batch.TIs = append(e.batch.TIs, ev.ti)
		}
	case evMark:
		ev.ch <- e.mark(ev.key, ev.state)
	case evMarkTask:
		// Committed before the answer: whoever marked reads the store next (the API
		// answers with the instances as stored), and must find the mark there.
		err := e.markTask(ev)
		if err == nil {
			e.commit()
		}
		ev.ch <- err
	case evClear:
		ev.ch <- e.clearLive(ev)
	case evWakeTask:
		e.wakeTask(ev)
	case evDrain:
		e.draining = true
		e.drained = append(e.drained, ev.ch)
	case evShutdown:
		e.stopRunning()
		ev.ch <- nil
	case evActive:
		if e.runs[ev.key] == nil {
			ev.ch <- ErrRunNotActive
		} else {
			ev.ch <- nil
		}
	case evWait:
		rs := e.runs[ev.key]
		if rs == nil {
			ev.ch <- nil // not active here: finished, or never started
			return
		}
		rs.done = append(rs.done, ev.ch)
	}
}

// nextWake returns how long until the earliest retry or run deadline.
func (e *Engine) nextWake() time.Duration {
	now := e.cfg.Clock()
	next := now.Add(time.Hour)
	for _, rs := range e.runs {
		if !rs.deadline.IsZero() && rs.deadline.Before(next) {
			next = rs.deadline
		}
	}
	for ti := range e.retrying {
		if ti.NextTryAt.Before(next) {
			next = ti.NextTryAt
		}
	}
	for _, w := range e.slaWatch {
		if w.at.Before(next) {
			next = w.at
		}
	}
	d := next.Sub(now)
	if d < time.Millisecond {
		d = time.Millisecond
	}
	return d
}

// loadPools reads pool sizes from the store.
func (e *Engine) loadPools(ctx context.Context) error {
	pools, err := e.cfg.Store.ListPools(ctx)
	if err != nil {
		return fmt.Errorf("engine: load pools: %w", err)
	}
	m := make(map[string]*store.Pool, len(pools))
	for _, p := range pools {
		m[p.Name] = p
	}
	e.pools = m
	return nil
}
