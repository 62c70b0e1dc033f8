package stepio

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/weirhq/weir/tracking"
)

// ResolveModel follows a model reference (models:/NAME@ALIAS, models:/NAME/VERSION,
// runs:/RUN_ID/PATH) to the location it names, as ReadModel does, without reading it.
// Other references are their own location.
func (o *IO) ResolveModel(ctx context.Context, ref string) (string, *ModelSource, error) {
	src := &ModelSource{Ref: ref}
	uri, err := o.resolveModel(ctx, ref, src, 0)
	src.URI = uri
	return uri, src, err
}

// LocalModel returns a path on this machine of the model file or folder at uri (what
// ResolveModel returned): local paths (relative to the DAG file's folder) and file://
// URLs, and the files of a local artifact store, are used where they are; a file or
// folder of another artifact store (mlflow-artifacts:/…, or a URI under an object-store
// root) is first copied under dst, in a folder named by the URI's hash that is reused
// when it is complete.
func (o *IO) LocalModel(ctx context.Context, uri, dst string) (string, error) {
	p, inStore := strings.CutPrefix(uri, "mlflow-artifacts:")
	if inStore {
		p = strings.TrimPrefix(path.Clean("/"+p), "/")
	} else {
		p, inStore = o.storePath(uri)
	}
	if !inStore {
		loc := strings.TrimPrefix(uri, "file://")
		if !filepath.IsAbs(loc) && o.job.Dir != "" {
			loc = filepath.Join(o.job.Dir, loc)
		}
		if _, err := os.Stat(loc); err != nil {
			return "", fmt.Errorf("model %s: %w", uri, err)
		}
		return loc, nil
	}
	if root := o.deps.ArtifactRoot; root != "" && (!strings.Contains(root, "://") || strings.HasPrefix(root, "file://")) {
		loc := filepath.Join(strings.TrimPrefix(root, "file://"), filepath.FromSlash(p))
		if _, err := os.Stat(loc); err == nil {
			return loc, nil
		}
	}
	if dst == "" {
		return "", fmt.Errorf("model %s is in a remote artifact store and no local folder was given to copy it to", uri)
	}
	sum := sha256.Sum256([]byte(uri))
	base := filepath.Join(dst, hex.EncodeToString(sum[:8]))
	name := path.Base(p)
	if p == "" {
		name = "model"
	}
	local := filepath.Join(base, name)
	if _, err := os.Stat(filepath.Join(base, ".complete")); err == nil {
		return local, nil
	}
	if err := os.RemoveAll(base); err != nil {
		return "", err
	}
	if err := o.copyArtifacts(ctx, p, local, 0); err != nil {
		return "", fmt.Errorf("model %s: copy from the artifact store: %w", uri, err)
	}
	if err := os.WriteFile(filepath.Join(base, ".complete"), nil, 0o644); err != nil {
		return "", err
	}
	return local, nil
}

// copyArtifacts copies the artifact file or folder p to the local path to.
func (o *IO) copyArtifacts(ctx context.Context, p, to string, depth int) error {
	if depth > 32 {
		return fmt.Errorf("%s: folders nested too deep", p)
	}
	rc, _, err := o.deps.Artifacts.Open(ctx, p)
	if err == nil {
		defer rc.Close()
		if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
			return err
		}
		f, err := os.Create(to)
		if err != nil {
			return err
		}
		if _, err := io.Copy(f, rc); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	}
	if !errors.Is(err, tracking.ErrNotFound) {
		return err
	}
	entries, err := o.deps.Artifacts.List(ctx, p)
	if err != nil {
		return err
	}
	if len(entries) == 0 {
		return fmt.Errorf("%s: %w", p, tracking.ErrNotFound)
	}
	if err := os.MkdirAll(to, 0o755); err != nil {
		return err
	}
	for _, e := range entries {
		rel := e.Path // the store's List gives paths from its root; accept names too
		if p != "" {
			rel = strings.TrimPrefix(rel, p+"/")
		}
		if strings.Contains(rel, "/") || rel == ".." {
			rel = path.Base(rel)
		}
		if rel == "" || rel == "." || rel == ".." {
			continue
		}
		if err := o.copyArtifacts(ctx, path.Join(p, rel), filepath.Join(to, filepath.FromSlash(rel)), depth+1); err != nil {
			return err
		}
	}
	return nil
}
