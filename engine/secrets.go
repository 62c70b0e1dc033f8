package engine

import (
	"context"
	"errors"
	"io"
	"sync"

	"github.com/weirhq/weir/executor"
	"github.com/weirhq/weir/secrets"
)

// envFrom adds the variables and connections of a command task's env_from to the job's
// environment (a copy), resolved when the try runs.
func (e *Engine) envFrom(ctx context.Context, job *executor.Job) error {
	if job.Task.Command == nil || len(job.Task.Command.EnvFrom) == 0 {
		return nil
	}
	if e.cfg.Secrets == nil {
		return errors.New("env_from: this weir has no variables and connections configured (engine.Config.Secrets)")
	}
	env, err := e.cfg.Secrets.Env(ctx, job.Task.Command.EnvFrom)
	if err != nil {
		return err
	}
	out := make(map[string]string, len(job.Env)+len(env))
	for k, v := range job.Env {
		out[k] = v
	}
	for k, v := range env {
		out[k] = v
	}
	job.Env = out
	return nil
}

// maskedLog is a try's log behind the secret masker: what the task and the engine write
// reaches the file with every secret the engine's masker holds replaced by "***". Without
// a File method, a command's output goes through a pipe and this writer instead of
// straight to the file. It is used only while the masker holds a secret, so tries of a
// weir without secrets keep the direct file.
type maskedLog struct {
	file *lazyFile
	sec  *secrets.Service
	once sync.Once
	w    *secrets.Writer
}

// on reports whether the masker holds a secret.
func (m *maskedLog) on() bool { return m.sec != nil && m.sec.Masker().Len() > 0 }

// writer returns m when the masker holds a secret (now), else cur.
func (m *maskedLog) writer(cur io.Writer) io.Writer {
	if m.on() {
		return m
	}
	return cur
}

// Write implements io.Writer.
func (m *maskedLog) Write(b []byte) (int, error) {
	m.once.Do(func() { m.w = m.sec.Masker().Writer(m.file) })
	return m.w.Write(b)
}

// Close flushes the last line.
func (m *maskedLog) Close() error {
	if m.w == nil {
		return nil
	}
	return m.w.Close()
}

// err returns err with its message masked (nil stays nil); errors.Is and As still see the
// original.
func (m *maskedLog) err(err error) error {
	if err == nil || !m.on() {
		return err
	}
	msg := m.sec.Masker().Redact(err.Error())
	if msg == err.Error() {
		return err
	}
	return &maskedError{msg: msg, err: err}
}

type maskedError struct {
	msg string
	err error
}

func (e *maskedError) Error() string { return e.msg }
func (e *maskedError) Unwrap() error { return e.err }
