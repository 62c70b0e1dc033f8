package pyworker

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// Interpreter describes the Python interpreter the workers run, as its first worker
// reported it.
type Interpreter struct {
	// Path is the interpreter weir starts (Config.Python or the one found).
	Path string `json:"-"`
	// Executable is Python's sys.executable.
	Executable string `json:"executable"`
	// Version is Python's version, such as "3.11.2".
	Version string `json:"python"`
	// NumPy and Sklearn are the versions of numpy and scikit-learn.
	NumPy   string `json:"numpy"`
	Sklearn string `json:"sklearn"`
	// Pandas, Cloudpickle and MLflow say whether those packages import. Without pandas
	// the models get a 2-D numpy array; without mlflow only sklearn models (and
	// python_function models with loader_module mlflow.sklearn) load.
	Pandas      bool `json:"pandas"`
	Cloudpickle bool `json:"cloudpickle"`
	MLflow      bool `json:"mlflow"`
}

// hello is the worker's first line.
type hello struct {
	Interpreter
	Hello bool   `json:"hello"`
	OK    bool   `json:"ok"`
	Error string `json:"error"`
	PID   int    `json:"pid"`
}

// process is one running worker interpreter. Its stdout lines arrive on lines (closed at
// EOF); exited is closed once the process has been waited for.
type process struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	lines  chan []byte
	quit   chan struct{} // closed by stop: the readers stop delivering
	exited chan struct{}
	state  string // how the process ended, set before exited is closed

	stopOnce sync.Once
	mu       sync.Mutex
	tail     []string // the last lines of stderr, for error messages
}

// maxLine bounds one answer line of a worker (128 MiB).
const maxLine = 128 << 20

// spawn starts the worker script with python and waits up to timeout for its hello.
func spawn(python string, idx int, timeout time.Duration, log *slog.Logger, done <-chan struct{}) (*process, *hello, error) {
	cmd := exec.Command(python, "-c", string(script))
	cmd.Dir = "/"
	isolate(cmd)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, nil, err
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, nil, fmt.Errorf("pyworker: cannot start the Python interpreter %q: %w; install Python 3 with numpy and scikit-learn (Debian: apt-get install python3-sklearn) or set the interpreter's path (Config.Python)", python, err)
	}
	p := &process{cmd: cmd, stdin: stdin, lines: make(chan []byte, 1), quit: make(chan struct{}), exited: make(chan struct{})}
	plog := log.With("worker", idx, "pid", cmd.Process.Pid)
	var readers sync.WaitGroup
	readers.Add(2)
	go func() {
		defer readers.Done()
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 0, 4096), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			p.mu.Lock()
			if len(p.tail) == 8 {
				p.tail = p.tail[1:]
			}
			p.tail = append(p.tail, line)
			p.mu.Unlock()
			plog.Info("python worker stderr", "line", line)
		}
		_, _ = io.Copy(io.Discard, stderr) // a line longer than 1 MiB: drain the rest
	}()
	go func() {
		defer readers.Done()
		defer close(p.lines)
		br := bufio.NewReaderSize(stdout, 64<<10)
		for {
			line, err := readLine(br)
			if err != nil {
				_, _ = io.Copy(io.Discard, stdout)
				return
			}
			select {
			case p.lines <- line:
			case <-p.quit:
				_, _ = io.Copy(io.Discard, stdout)
				return
			}
		}
	}()
	go func() {
		readers.Wait()
		err := cmd.Wait()
		if err != nil {
			p.state = err.Error()
		} else {
			p.state = "exit status 0"
		}
		close(p.exited)
	}()

	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case line, ok := <-p.lines:
		if !ok {
			p.stop()
			return nil, nil, fmt.Errorf("pyworker: the Python interpreter %q ended before it was ready (%s)%s; check that it is Python 3 with numpy and scikit-learn, or set Config.Python", python, p.state, p.stderrTail())
		}
		var h hello
		if err := json.Unmarshal(line, &h); err != nil || !h.Hello {
			p.stop()
			return nil, nil, fmt.Errorf("pyworker: the Python interpreter %q wrote %q instead of the worker's hello; is it Python 3?", python, truncate(line))
		}
		if !h.OK {
			p.stop()
			return nil, nil, fmt.Errorf("pyworker: the Python interpreter %q (Python %s) cannot import numpy and scikit-learn (%s): install them for it (Debian: apt-get install python3-sklearn) or set Config.Python to an interpreter that has them", python, h.Version, h.Error)
		}
		h.Path = python
		return p, &h, nil
	case <-timer.C:
		p.stop()
		return nil, nil, fmt.Errorf("pyworker: the Python interpreter %q was not ready after %v (importing numpy and scikit-learn); raise Config.StartTimeout on a slow machine", python, timeout)
	case <-done:
		p.stop()
		return nil, nil, ErrClosed
	}
}

// readLine reads one newline-terminated line of at most maxLine bytes, without the newline.
func readLine(br *bufio.Reader) ([]byte, error) {
	var buf []byte
	for {
		frag, err := br.ReadSlice('\n')
		switch {
		case err == nil:
			if buf == nil {
				return bytes.Clone(frag[:len(frag)-1]), nil
			}
			return append(buf, frag[:len(frag)-1]...), nil
		case errors.Is(err, bufio.ErrBufferFull):
			buf = append(buf, frag...)
			if len(buf) > maxLine {
				return nil, fmt.Errorf("pyworker: an answer line exceeds %d bytes", maxLine)
			}
		default:
			return nil, err
		}
	}
}

// stop kills the process (and its process group) and waits until it has been reaped and
// its readers have returned. It is idempotent.
func (p *process) stop() {
	p.stopOnce.Do(func() {
		close(p.quit)
		killTree(p.cmd)
		_ = p.stdin.Close()
	})
	<-p.exited
}

// kill kills the process without waiting; the owner calls stop later.
func (p *process) kill() { killTree(p.cmd) }

// pid is the process id.
func (p *process) pid() int { return p.cmd.Process.Pid }

// stderrTail formats the last lines of stderr for an error message, or "".
func (p *process) stderrTail() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.tail) == 0 {
		return ""
	}
	return "; its stderr ended with: " + strings.Join(p.tail, " | ")
}

func truncate(b []byte) string {
	if len(b) > 200 {
		return string(b[:200]) + "…"
	}
	return string(b)
}
