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

// openModel loads the model a resolved reference names: an MLflow model directory (an
// MLmodel file) or a bare XGBoost or LightGBM booster file through package flavor, else a
// weir model file as stepio.ReadModel reads it.
func (s *Server) openModel(ctx context.Context, key string) (flavor.Predictor, *stepio.ModelSource, error) {
	if p, src, ok, err := s.openForeign(ctx, key); ok || err != nil {
		return p, src, err
	}
	mod, src, err := s.io.ReadModel(ctx, key)
	if err != nil {
		return nil, src, err
	}
	return flavor.NewWeir(mod), src, nil
}

// openForeign opens key through package flavor when it leads to an MLflow model
// directory or a booster file; ok is false when it does not (then it is weir's own).
func (s *Server) openForeign(ctx context.Context, key string) (p flavor.Predictor, src *stepio.ModelSource, ok bool, err error) {
	uri, src, err := s.io.ResolveModel(ctx, key)
	if err != nil || uri == "" {
		return nil, src, false, nil // ReadModel says what is wrong
	}
	dst, err := s.modelDir()
	if err != nil {
		return nil, src, false, err
	}
	local, err := s.io.LocalModel(ctx, uri, dst)
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
			return nil, src, true, fmt.Errorf("model %s (%s): %w", key, uri, err)
		}
		return p, src, true, nil
	default:
		return nil, src, false, nil
	}
	p, err = flavor.Open(ctx, dir, s.cfg.Flavors)
	if err != nil {
		return nil, src, true, fmt.Errorf("model %s (%s): %w", key, uri, err)
	}
	return p, src, true, nil
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
