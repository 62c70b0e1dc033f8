package pyworker

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

//go:embed worker.py
var script []byte

// DefaultPython is the interpreter tried after "python3" on PATH when Config.Python is
// empty: Debian's, where python3-sklearn installs scikit-learn.
const DefaultPython = "/usr/bin/python3"

// Defaults of Config.
const (
	DefaultWorkers        = 2
	DefaultStartTimeout   = 60 * time.Second
	DefaultRequestTimeout = 60 * time.Second
)

// Config configures a Pool.
type Config struct {
	// Python is the interpreter the workers run. Empty means: "python3" found on PATH if
	// it imports numpy and scikit-learn, else DefaultPython (/usr/bin/python3) if that
	// does; New fails naming both when neither does. A Python with mlflow installed can
	// also serve python_function models of other loader modules.
	Python string
	// Workers is the number of worker processes; 0 means DefaultWorkers (2). Each worker
	// holds its own copy of every loaded model.
	Workers int
	// StartTimeout bounds a worker's start (importing numpy and scikit-learn) and the
	// loading of a model by every worker; 0 means DefaultStartTimeout (60s).
	StartTimeout time.Duration
	// RequestTimeout bounds a prediction, from the call to Predict to its answer,
	// including the wait for a free worker; 0 means DefaultRequestTimeout (60s, as
	// MLflow's scoring server). A worker still busy with a request at its deadline is
	// killed and restarted.
	RequestTimeout time.Duration
	// Logger gets the workers' stderr (one record per line, with the worker index and
	// pid) and their restarts; nil discards them.
	Logger *slog.Logger
}

func (c *Config) validate() error {
	if c.Workers < 0 {
		return fmt.Errorf("pyworker: Config.Workers is %d; give a positive number of worker processes, or 0 for %d", c.Workers, DefaultWorkers)
	}
	if c.StartTimeout < 0 || c.RequestTimeout < 0 {
		return errors.New("pyworker: Config.StartTimeout and Config.RequestTimeout must not be negative (0 means the default)")
	}
	if c.Workers == 0 {
		c.Workers = DefaultWorkers
	}
	if c.StartTimeout == 0 {
		c.StartTimeout = DefaultStartTimeout
	}
	if c.RequestTimeout == 0 {
		c.RequestTimeout = DefaultRequestTimeout
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if strings.ContainsRune(c.Python, filepath.Separator) {
		// The workers run in "/": a relative path is the caller's, so resolve it here.
		abs, err := filepath.Abs(c.Python)
		if err != nil {
			return fmt.Errorf("pyworker: Config.Python %q: %w", c.Python, err)
		}
		c.Python = abs
	}
	return nil
}

// Pool is a supervised set of Python worker processes that answer predictions of loaded
// models. It is safe for concurrent use.
type Pool struct {
	cfg     Config
	interp  Interpreter
	calls   chan *call // predictions, taken by whichever worker is free
	workers []*worker
	done    chan struct{}
	wg      sync.WaitGroup
	closing sync.Once
	nextID  atomic.Uint64
}

// New checks the interpreter, starts cfg.Workers worker processes and returns once all
// of them are ready. It fails with an error naming the interpreter when it cannot start
// or lacks numpy or scikit-learn.
func New(cfg Config) (*Pool, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	p := &Pool{cfg: cfg, calls: make(chan *call), done: make(chan struct{})}
	first, h, err := p.resolve()
	if err != nil {
		return nil, err
	}
	p.interp = h.Interpreter
	procs := make([]*process, cfg.Workers)
	procs[0] = first
	errs := make([]error, cfg.Workers)
	var wg sync.WaitGroup
	for i := 1; i < cfg.Workers; i++ {
		wg.Go(func() { procs[i], _, errs[i] = spawn(p.cfg.Python, i, cfg.StartTimeout, cfg.Logger, p.done) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		for _, pr := range procs {
			if pr != nil {
				pr.stop()
			}
		}
		return nil, err
	}
	cfg.Logger.Info("python workers started", "python", h.Path, "version", h.Version, "sklearn", h.Sklearn,
		"pandas", h.Pandas, "cloudpickle", h.Cloudpickle, "mlflow", h.MLflow, "workers", cfg.Workers)
	for i := range cfg.Workers {
		w := &worker{pool: p, idx: i, direct: make(chan *call), unloads: make(chan string, 256)}
		w.pid.Store(int64(procs[i].pid()))
		p.workers = append(p.workers, w)
		p.wg.Go(func() { w.run(procs[i]) })
	}
	return p, nil
}

// resolve starts the first worker with cfg.Python, or with the default candidates, and
// sets cfg.Python to the interpreter that worked.
func (p *Pool) resolve() (*process, *hello, error) {
	if p.cfg.Python != "" {
		return spawn(p.cfg.Python, 0, p.cfg.StartTimeout, p.cfg.Logger, p.done)
	}
	var cands []string
	if path, err := exec.LookPath("python3"); err == nil {
		cands = append(cands, path)
	}
	if len(cands) == 0 || cands[0] != DefaultPython {
		cands = append(cands, DefaultPython)
	}
	var msgs []string
	for _, c := range cands {
		pr, h, err := spawn(c, 0, p.cfg.StartTimeout, p.cfg.Logger, p.done)
		if err == nil {
			p.cfg.Python = c
			return pr, h, nil
		}
		msgs = append(msgs, err.Error())
	}
	return nil, nil, fmt.Errorf("pyworker: no Python interpreter with numpy and scikit-learn (tried %s): %s", strings.Join(cands, ", "), strings.Join(msgs, "; "))
}

// Interpreter describes the interpreter the workers run.
func (p *Pool) Interpreter() Interpreter { return p.interp }

// PIDs returns the process id of each worker, 0 for a worker being restarted. It is
// meant for monitoring and tests.
func (p *Pool) PIDs() []int {
	out := make([]int, len(p.workers))
	for i, w := range p.workers {
		out[i] = int(w.pid.Load())
	}
	return out
}

// Restarts returns how many times workers were restarted since New.
func (p *Pool) Restarts() int {
	n := 0
	for _, w := range p.workers {
		n += int(w.restarts.Load())
	}
	return n
}

// Close kills every worker process and waits until they are reaped. Requests in flight
// fail with ErrClosed. Close is idempotent and safe to call concurrently.
func (p *Pool) Close() error {
	p.closing.Do(func() { close(p.done) })
	p.wg.Wait()
	return nil
}

func (p *Pool) closed() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// request is one line sent to a worker.
type request struct {
	ID      uint64            `json:"id"`
	Op      string            `json:"op"`
	Model   string            `json:"model"`
	Spec    *Spec             `json:"spec,omitempty"`
	Columns []string          `json:"columns,omitempty"`
	Data    []json.RawMessage `json:"data,omitempty"`
}

// response is one line a worker answers.
type response struct {
	ID            uint64     `json:"id"`
	OK            bool       `json:"ok"`
	Kind          string     `json:"kind"`
	Error         string     `json:"error"`
	Traceback     string     `json:"traceback"`
	Info          *Info      `json:"info"`
	Values        []number   `json:"values"`
	Labels        []string   `json:"labels"`
	Probabilities [][]number `json:"probabilities"`
}

// errUndelivered is a call that reached a worker whose process had already died: it was
// not answered and can be sent again without counting as a retry.
var errUndelivered = errors.New("pyworker: the worker died before reading the request")

// call is a request waiting for a worker, with where its answer goes.
type call struct {
	req      request
	model    *Model
	deadline time.Time
	cause    error         // what reaching the deadline means (ErrTimeout)
	reply    chan callDone // buffered: a worker never blocks on it
	gone     <-chan struct{}
}

type callDone struct {
	resp   *response
	err    error
	worker int
}

func (c *call) finish(resp *response, err error, worker int) {
	select {
	case c.reply <- callDone{resp, err, worker}:
	default:
	}
}

// worker supervises one worker process slot: it runs the process, restarts it when it
// dies, and feeds it calls one at a time.
type worker struct {
	pool     *Pool
	idx      int
	direct   chan *call  // loads addressed to this worker
	unloads  chan string // model ids to drop, best effort
	pid      atomic.Int64
	restarts atomic.Int64
}

// run owns the worker slot until the pool closes.
func (w *worker) run(pr *process) {
	p := w.pool
	backoff := 100 * time.Millisecond
	for {
		if pr == nil {
			var err error
			pr, _, err = spawn(p.cfg.Python, w.idx, p.cfg.StartTimeout, p.cfg.Logger, p.done)
			if err != nil {
				if p.closed() {
					return
				}
				p.cfg.Logger.Error("python worker cannot restart", "worker", w.idx, "err", err, "retry_in", backoff)
				t := time.NewTimer(backoff)
				select {
				case <-p.done:
					t.Stop()
					return
				case <-t.C:
				}
				backoff = min(backoff*2, 10*time.Second)
				continue
			}
			backoff = 100 * time.Millisecond
			w.restarts.Add(1)
			w.pid.Store(int64(pr.pid()))
			p.cfg.Logger.Info("python worker restarted", "worker", w.idx, "pid", pr.pid())
		}
		w.serve(pr)
		w.pid.Store(0)
		pr.stop()
		pr = nil
		if p.closed() {
			return
		}
	}
}

// serve feeds calls to pr until it must be replaced (it died, timed out or broke the
// protocol) or the pool closes.
func (w *worker) serve(pr *process) {
	p := w.pool
	for {
		var c *call
		select {
		case <-p.done:
			return
		case <-pr.exited:
			p.cfg.Logger.Warn("python worker died while idle", "worker", w.idx, "pid", pr.pid(), "state", pr.state)
			return
		case id := <-w.unloads:
			if _, err := w.exchange(pr, &call{req: request{Op: "unload", Model: id}, deadline: time.Now().Add(p.cfg.StartTimeout), cause: ErrTimeout}); err != nil {
				return
			}
			continue
		case c = <-w.direct:
		case c = <-p.calls:
		}
		select {
		case <-c.gone:
			continue // the caller gave up before a worker was free
		case <-pr.exited:
			c.finish(nil, errUndelivered, w.idx) // died while idle: the caller sends it again
			p.cfg.Logger.Warn("python worker died while idle", "worker", w.idx, "pid", pr.pid(), "state", pr.state)
			return
		default:
		}
		resp, err := w.exchange(pr, c)
		if err != nil {
			c.finish(nil, err, w.idx)
			return
		}
		c.finish(resp, nil, w.idx)
	}
}

// exchange sends c's request to pr and reads its answer. An error means pr must be
// replaced: it has been killed, or died.
func (w *worker) exchange(pr *process, c *call) (*response, error) {
	p := w.pool
	c.req.ID = p.nextID.Add(1)
	line, err := json.Marshal(c.req)
	if err != nil {
		return nil, w.fail(c, ErrProtocol, "cannot encode the request: "+err.Error())
	}
	line = append(line, '\n')
	var timedOut atomic.Bool
	t := time.AfterFunc(time.Until(c.deadline), func() { timedOut.Store(true); pr.kill() })
	defer t.Stop()
	if _, err := pr.stdin.Write(line); err != nil {
		pr.kill()
		<-pr.exited
		if timedOut.Load() {
			return nil, w.died(pr, c, &timedOut)
		}
		return nil, errUndelivered // Python never read the whole request
	}
	select {
	case ans, ok := <-pr.lines:
		if !ok {
			<-pr.exited
			return nil, w.died(pr, c, &timedOut)
		}
		var resp response
		if err := json.Unmarshal(ans, &resp); err != nil || resp.ID != c.req.ID {
			pr.kill()
			return nil, w.fail(c, ErrProtocol, fmt.Sprintf("answer %q does not match request %d", truncate(ans), c.req.ID))
		}
		return &resp, nil
	case <-p.done:
		return nil, w.fail(c, ErrClosed, "the pool was closed")
	}
}

// died explains why pr ended during c.
func (w *worker) died(pr *process, c *call, timedOut *atomic.Bool) error {
	if timedOut.Load() {
		p := w.pool
		p.cfg.Logger.Warn("python worker killed: request timed out", "worker", w.idx, "pid", pr.pid(), "op", c.req.Op, "model", c.model.dirOr())
		return w.fail(c, c.cause, fmt.Sprintf("no answer by the deadline; the worker was killed and restarts (raise Config.RequestTimeout if the model is this slow)"))
	}
	w.pool.cfg.Logger.Warn("python worker died", "worker", w.idx, "pid", pr.pid(), "state", pr.state)
	return w.fail(c, ErrWorkerDied, fmt.Sprintf("pid %d ended (%s) while answering%s; it restarts", pr.pid(), pr.state, pr.stderrTail()))
}

func (w *worker) fail(c *call, kind error, msg string) error {
	return &Error{Kind: kind, Model: c.model.dirOr(), Worker: w.idx, Msg: msg}
}
