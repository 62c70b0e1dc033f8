package sensor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"

	"gocloud.dev/blob"

	"github.com/weirhq/weir/executor"
)

// maxMatches bounds how many matches a file sensor's output lists.
const maxMatches = 100

// fileChecker checks a local path or glob, relative to the job's folder: it holds when
// something matches that is a file, or a directory with at least one file inside (as
// Airflow's FileSensor). The output is {"paths": [...]}.
func (s *Sensor) fileChecker(job *executor.Job, pattern string) (checker, error) {
	if pattern == "" {
		return nil, errors.New("file sensor: no path or url")
	}
	full := pattern
	if !filepath.IsAbs(full) && job.Dir != "" {
		full = filepath.Join(job.Dir, full)
	}
	if _, err := filepath.Match(full, ""); err != nil {
		return nil, fmt.Errorf("file sensor: invalid glob %q: %w", pattern, err)
	}
	return func(ctx context.Context) (poke, error) {
		matches, err := filepath.Glob(full)
		if err != nil {
			return poke{}, permanentf("file sensor: invalid glob %q: %w", pattern, err)
		}
		var found []string
		for _, m := range matches {
			if ctx.Err() != nil {
				return poke{}, context.Cause(ctx)
			}
			ok, err := hasFile(m)
			if err != nil {
				return poke{}, err
			}
			if ok && len(found) < maxMatches {
				found = append(found, m)
			}
		}
		if len(found) == 0 {
			what := "not found"
			if len(matches) > 0 {
				what = "matches only empty directories"
			}
			return poke{status: full + " " + what}, nil
		}
		return poke{done: true, output: map[string]any{"paths": found}, status: fmt.Sprintf("%s found (%d)", full, len(found))}, nil
	}, nil
}

// hasFile reports whether p is a file, or a directory holding a file at any depth. Entries
// that vanish meanwhile do not count.
func hasFile(p string) (bool, error) {
	fi, err := os.Stat(p)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	case err != nil:
		return false, err
	case !fi.IsDir():
		return true, nil
	}
	errFound := errors.New("found")
	err = filepath.WalkDir(p, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if !d.IsDir() {
			return errFound
		}
		return nil
	})
	if errors.Is(err, errFound) {
		return true, nil
	}
	return false, err
}

// splitBlobURL splits a file sensor's url into the bucket's URL and the key (or key glob):
// for file:// the bucket is the folder before the key's last fixed "/"; for other schemes
// it is scheme://host, the key being the path. Query parameters stay on the bucket URL.
func splitBlobURL(raw string) (bucketURL, key string, err error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", "", fmt.Errorf("invalid blob URL %q: %w", raw, err)
	}
	if u.Scheme == "" {
		return "", "", fmt.Errorf("blob URL %q has no scheme (file://, s3://, gs://, mem:// …)", raw)
	}
	b := url.URL{Scheme: u.Scheme, Host: u.Host, RawQuery: u.RawQuery}
	p := u.Path
	if u.Scheme == "file" {
		fixed := p
		if i := strings.IndexAny(p, `*?[\`); i >= 0 {
			fixed = p[:i]
		}
		cut := strings.LastIndexByte(fixed, '/')
		if cut < 0 {
			return "", "", fmt.Errorf("blob URL %q has no folder: write file:///folder/name", raw)
		}
		b.Path, key = p[:cut], p[cut+1:]
		if b.Path == "" {
			b.Path = "/"
		}
	} else {
		key = strings.TrimPrefix(p, "/")
	}
	if key == "" {
		return "", "", fmt.Errorf("blob URL %q names no key", raw)
	}
	if _, err := path.Match(key, ""); err != nil {
		return "", "", fmt.Errorf("blob URL %q: invalid glob %q: %w", raw, key, err)
	}
	return b.String(), key, nil
}

// blobChecker checks that a blob exists, or for a key glob that some key matches (the bucket
// is listed from the glob's fixed prefix). The output is {"url": ..., "keys": [...]}.
func (s *Sensor) blobChecker(raw string) (checker, error) {
	bucketURL, key, err := splitBlobURL(raw)
	if err != nil {
		return nil, fmt.Errorf("file sensor: %w", err)
	}
	glob := strings.ContainsAny(key, `*?[\`)
	var localDir string
	if u, _ := url.Parse(bucketURL); u != nil && u.Scheme == "file" {
		localDir = filepath.FromSlash(u.Path)
	}
	return func(ctx context.Context) (poke, error) {
		notFound := poke{status: raw + " not found"}
		if localDir != "" {
			// fileblob cannot open a folder that does not exist yet.
			if _, err := os.Stat(localDir); errors.Is(err, fs.ErrNotExist) {
				return notFound, nil
			}
		}
		b, err := s.deps.OpenBucket(ctx, bucketURL)
		if err != nil {
			return poke{}, permanentf("file sensor: open bucket %s: %w", bucketURL, err)
		}
		defer b.Close()
		var keys []string
		if !glob {
			ok, err := b.Exists(ctx, key)
			if err != nil {
				return poke{}, fmt.Errorf("file sensor: %s: %w", raw, err)
			}
			if ok {
				keys = []string{key}
			}
		} else if keys, err = matchKeys(ctx, b, key); err != nil {
			return poke{}, fmt.Errorf("file sensor: list %s: %w", raw, err)
		}
		if len(keys) == 0 {
			return notFound, nil
		}
		return poke{done: true, output: map[string]any{"url": raw, "keys": keys}, status: fmt.Sprintf("%s found (%d)", raw, len(keys))}, nil
	}, nil
}

// matchKeys lists the keys of b matching the glob pattern, up to maxMatches.
func matchKeys(ctx context.Context, b *blob.Bucket, pattern string) ([]string, error) {
	prefix := pattern
	if i := strings.IndexAny(pattern, `*?[\`); i >= 0 {
		prefix = pattern[:i]
	}
	it := b.List(&blob.ListOptions{Prefix: prefix})
	var keys []string
	for len(keys) < maxMatches {
		obj, err := it.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if ok, _ := path.Match(pattern, obj.Key); ok && !obj.IsDir {
			keys = append(keys, obj.Key)
		}
	}
	return keys, nil
}
