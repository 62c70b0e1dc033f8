package serve

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/weirhq/weir/serve/flavor"
	"github.com/weirhq/weir/steps/stepio"
)

// retireAfter is how long a model no endpoint uses any more stays open before Close, so
// that requests that picked it before the swap finish on it.
const retireAfter = time.Minute

// openModel loads the model a resolved reference names (see loadModel).
func (s *Server) openModel(ctx context.Context, key string) (flavor.Predictor, *stepio.ModelSource, error) {
	dst, err := s.modelDir()
	if err != nil {
		return nil, nil, err
	}
	return loadModel(ctx, s.io, key, s.cfg.Flavors, dst)
}

// loadModel loads the model ref leads to: an MLflow model directory (an MLmodel file) or
// a bare XGBoost or LightGBM booster file through package flavor, else a weir model file
// as stepio.ReadModel reads it. Models of a remote artifact store are copied under dst.
func loadModel(ctx context.Context, o *stepio.IO, ref string, opts flavor.Options, dst string) (flavor.Predictor, *stepio.ModelSource, error) {
	if p, src, ok, err := openForeign(ctx, o, ref, opts, dst); ok || err != nil {
		return p, src, err
	}
	mod, src, err := o.ReadModel(ctx, ref)
	if err != nil {
		return nil, src, err
	}
	return flavor.NewWeir(mod), src, nil
}

// openForeign opens ref through package flavor when it leads to an MLflow model
// directory or a booster file; ok is false when it does not (then it is weir's own).
func openForeign(ctx context.Context, o *stepio.IO, ref string, opts flavor.Options, dst string) (p flavor.Predictor, src *stepio.ModelSource, ok bool, err error) {
	uri, src, err := o.ResolveModel(ctx, ref)
	if err != nil || uri == "" {
		return nil, src, false, nil // ReadModel says what is wrong
	}
	local, err := o.LocalModel(ctx, uri, dst)
	if err != nil {
		return nil, src, false, nil
	}
	st, err := os.Stat(local)
	if err != nil {
		return nil, src, false, nil
	}
	dir := ""
	switch {
	case st.IsDir() && flavor.IsModelDir(local):
		dir = local
	case !st.IsDir() && filepath.Base(local) == flavor.MLmodelFile:
		dir = filepath.Dir(local)
	case !st.IsDir() && flavor.IsBoosterFile(local):
		p, err := flavor.OpenFile(ctx, local)
		if err != nil {
			return nil, src, true, fmt.Errorf("model %s (%s): %w", ref, uri, err)
		}
		return p, src, true, nil
	default:
		return nil, src, false, nil
	}
	p, err = flavor.Open(ctx, dir, opts)
	if err != nil {
		return nil, src, true, fmt.Errorf("model %s (%s): %w", ref, uri, err)
	}
	return p, src, true, nil
}

// CheckModel loads the model ref leads to as a Server does, and releases it: it says
// whether a deployment of ref would load now, and where the reference led (the
// registered version). Models of Python flavors are only read (their MLmodel file), not
// started: whether they load depends on the server's Python workers.
func CheckModel(ctx context.Context, o *stepio.IO, ref string) (*stepio.ModelSource, error) {
	dst, err := os.MkdirTemp("", "weir-check-model-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dst)
	opts := flavor.Options{Python: func(context.Context, string, *flavor.MLmodel) (flavor.Predictor, error) {
		return flavor.NewWeir(nil), nil // not started; Close does nothing
	}}
	p, src, err := loadModel(ctx, o, ref, opts, dst)
	if err != nil {
		return src, err
	}
	_ = p.Close()
	return src, nil
}

// modelDir returns the folder models of remote artifact stores are copied to.
func (s *Server) modelDir() (string, error) {
	if s.cfg.ModelDir != "" {
		return s.cfg.ModelDir, nil
	}
	s.tmpOnce.Do(func() {
		s.tmpDir, s.tmpErr = os.MkdirTemp("", "weir-serve-models-")
	})
	return s.tmpDir, s.tmpErr
}

// retire closes, after retireAfter, the open models that neither the cache nor an
// endpoint holds any more. Called with refreshMu held.
func (s *Server) retire(eps map[string]*endpoint) {
	live := map[flavor.Predictor]bool{}
	for _, m := range s.cache {
		live[m.pred] = true
	}
	for _, ep := range eps {
		for _, m := range []*loadedModel{ep.primary, ep.canary, ep.shadow} {
			if m != nil {
				live[m.pred] = true
			}
		}
	}
	for p := range s.open {
		if live[p] {
			continue
		}
		delete(s.open, p)
		s.retiring[p] = time.AfterFunc(retireAfter, func() {
			s.refreshMu.Lock()
			_, still := s.retiring[p]
			delete(s.retiring, p)
			s.refreshMu.Unlock()
			if still {
				s.closePredictor(p)
			}
		})
	}
}

// closeAll closes every model, at Stop.
func (s *Server) closeAll() {
	s.refreshMu.Lock()
	var ps []flavor.Predictor
	for p := range s.open {
		ps = append(ps, p)
	}
	for p, t := range s.retiring {
		t.Stop()
		ps = append(ps, p)
	}
	s.open, s.retiring = map[flavor.Predictor]bool{}, map[flavor.Predictor]*time.Timer{}
	s.refreshMu.Unlock()
	for _, p := range ps {
		s.closePredictor(p)
	}
	if s.tmpDir != "" {
		_ = os.RemoveAll(s.tmpDir)
	}
}

func (s *Server) closePredictor(p flavor.Predictor) {
	if err := p.Close(); err != nil && !errors.Is(err, os.ErrClosed) {
		s.log.Warn("serve: close model", "err", err)
	}
}
