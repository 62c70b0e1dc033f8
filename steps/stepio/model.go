package stepio

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"

	"github.com/weirhq/weir/ml/model"
)

// ModelSource says where a model reference led.
type ModelSource struct {
	// Ref is the reference as given.
	Ref string `json:"ref"`
	// URI is the model file that was read (after resolving registry and run references).
	URI string `json:"uri"`
	// Name and Version are the registered model version, for models:/ references.
	Name    string `json:"name,omitempty"`
	Version string `json:"version,omitempty"`
	// RunID is the tracking run the version or runs:/ reference names.
	RunID string `json:"run_id,omitempty"`
}

// ReadModel reads a saved model (ml/model's JSON) by reference:
//
//   - models:/NAME@ALIAS, models:/NAME/VERSION and models:/NAME/latest: a version of the
//     tracking registry, read from its source;
//   - runs:/RUN_ID/PATH: an artifact of a tracking run (PATH a model file, or a folder
//     holding model.json, as model.train logs it: runs:/<id>/model);
//   - mlflow-artifacts:/PATH: a file of the artifact store;
//   - any URI or path ReadFile reads (what model.train outputs).
func (o *IO) ReadModel(ctx context.Context, ref string) (*model.Model, *ModelSource, error) {
	src := &ModelSource{Ref: ref}
	uri, err := o.resolveModel(ctx, ref, src, 0)
	if err != nil {
		return nil, src, err
	}
	b, err := o.readModelFile(ctx, uri)
	if err != nil && !strings.HasSuffix(uri, ".json") {
		if b2, err2 := o.readModelFile(ctx, strings.TrimSuffix(uri, "/")+"/model.json"); err2 == nil {
			uri, b, err = strings.TrimSuffix(uri, "/")+"/model.json", b2, nil
		}
	}
	if err != nil {
		return nil, src, fmt.Errorf("model %s: %w", ref, err)
	}
	src.URI = uri
	m, err := model.Load(bytes.NewReader(b))
	if err != nil {
		return nil, src, fmt.Errorf("model %s (%s): %w", ref, uri, err)
	}
	return m, src, nil
}

func (o *IO) resolveModel(ctx context.Context, ref string, src *ModelSource, depth int) (string, error) {
	if depth > 4 {
		return "", fmt.Errorf("model reference %s: too many indirections", src.Ref)
	}
	switch {
	case strings.HasPrefix(ref, "models:/"):
		if o.deps.Tracking == nil {
			return "", fmt.Errorf("model reference %s needs the tracking registry, and this node has no tracking store", ref)
		}
		rest := strings.TrimPrefix(ref, "models:/")
		var name, version string
		if i := strings.LastIndex(rest, "@"); i > 0 {
			name = rest[:i]
			mv, err := o.deps.Tracking.GetModelVersionByAlias(ctx, name, rest[i+1:])
			if err != nil {
				return "", fmt.Errorf("model reference %s: alias %q of model %q: %w", ref, rest[i+1:], name, err)
			}
			version = mv.Version
			src.RunID = mv.RunID
			src.Name, src.Version = name, version
			return o.resolveModel(ctx, mv.Source, src, depth+1)
		}
		i := strings.LastIndex(rest, "/")
		if i <= 0 || i == len(rest)-1 {
			return "", fmt.Errorf("model reference %s: want models:/NAME@ALIAS or models:/NAME/VERSION", ref)
		}
		name, version = rest[:i], rest[i+1:]
		if version == "latest" {
			vs, err := o.deps.Tracking.GetLatestVersions(ctx, name, nil)
			if err != nil {
				return "", fmt.Errorf("model reference %s: model %q: %w", ref, name, err)
			}
			best := -1
			for _, v := range vs {
				if n, err := strconv.Atoi(v.Version); err == nil && n > best {
					best, version = n, v.Version
				}
			}
			if best < 0 {
				return "", fmt.Errorf("model reference %s: model %q has no versions", ref, name)
			}
		}
		mv, err := o.deps.Tracking.GetModelVersion(ctx, name, version)
		if err != nil {
			return "", fmt.Errorf("model reference %s: version %s of model %q: %w", ref, version, name, err)
		}
		src.Name, src.Version, src.RunID = name, version, mv.RunID
		return o.resolveModel(ctx, mv.Source, src, depth+1)
	case strings.HasPrefix(ref, "runs:/"):
		if o.deps.Tracking == nil {
			return "", fmt.Errorf("model reference %s needs the tracking store, and this node has none", ref)
		}
		rest := strings.TrimPrefix(ref, "runs:/")
		runID, p, _ := strings.Cut(rest, "/")
		run, err := o.deps.Tracking.GetRun(ctx, runID)
		if err != nil {
			return "", fmt.Errorf("model reference %s: run %s: %w", ref, runID, err)
		}
		src.RunID = runID
		return strings.TrimSuffix(run.Info.ArtifactURI, "/") + "/" + p, nil
	}
	return ref, nil
}

// readModelFile reads a resolved model location.
func (o *IO) readModelFile(ctx context.Context, uri string) ([]byte, error) {
	if p, ok := strings.CutPrefix(uri, "mlflow-artifacts:"); ok {
		p = strings.TrimPrefix(path.Clean("/"+p), "/")
		rc, _, err := o.deps.Artifacts.Open(ctx, p)
		if err != nil {
			return nil, err
		}
		defer rc.Close()
		return io.ReadAll(rc)
	}
	if uri == "" {
		return nil, errors.New("no model given (an empty reference): check the template that names it")
	}
	return o.ReadFile(ctx, uri)
}
