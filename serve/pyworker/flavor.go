package pyworker

import (
	"context"
	"errors"
	"sync"

	"github.com/weirhq/weir/ml/frame"
	"github.com/weirhq/weir/ml/model"
	"github.com/weirhq/weir/serve/flavor"
)

// Lazy starts a Pool the first time a Python-flavor model is opened, so a server that
// serves none starts no Python process. Its Open is a flavor.PythonFunc (set it as
// serve.Config.Flavors.Python); Close stops the pool if it was started.
type Lazy struct {
	cfg  Config
	once sync.Once
	mu   sync.Mutex
	pool *Pool
	err  error
}

// NewLazy returns a Lazy that starts New(cfg) on first use.
func NewLazy(cfg Config) *Lazy { return &Lazy{cfg: cfg} }

// Open loads the MLflow model in dir (read as m) into the pool's workers and returns it as
// a flavor.Predictor: its inputs are the signature's, and input errors (a missing column,
// a value the model rejects) are *flavor.InputError so serving answers 400.
func (l *Lazy) Open(ctx context.Context, dir string, m *flavor.MLmodel) (flavor.Predictor, error) {
	l.once.Do(func() {
		p, err := New(l.cfg)
		l.mu.Lock()
		l.pool, l.err = p, err
		l.mu.Unlock()
	})
	l.mu.Lock()
	pool, err := l.pool, l.err
	l.mu.Unlock()
	if err != nil {
		return nil, err
	}
	cols := make([]string, len(m.Inputs))
	for i, in := range m.Inputs {
		cols[i] = in.Name
	}
	spec, err := SpecFor(dir, m.Flavors, cols)
	if err != nil {
		return nil, err
	}
	mod, err := pool.Load(ctx, spec)
	if err != nil {
		return nil, err
	}
	return &predictor{m: mod, inputs: m.Inputs}, nil
}

// Close stops the pool's workers if it was started.
func (l *Lazy) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.pool == nil {
		return nil
	}
	return l.pool.Close()
}

// predictor adapts a Model to flavor.Predictor.
type predictor struct {
	m      *Model
	inputs frame.Schema
}

func (p *predictor) Inputs() frame.Schema { return p.inputs }

func (p *predictor) Predict(ctx context.Context, f *frame.Frame) (*model.Prediction, error) {
	pred, err := p.m.Predict(ctx, f)
	if errors.Is(err, ErrInput) {
		return nil, &flavor.InputError{Err: err}
	}
	return pred, err
}

func (p *predictor) Close() error { return p.m.Close() }
