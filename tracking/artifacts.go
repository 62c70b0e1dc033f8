package tracking

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"gocloud.dev/blob"
	_ "gocloud.dev/blob/memblob" // mem:// buckets (tests, ephemeral servers)
	"gocloud.dev/gcerrors"
)

// ErrArtifactTooLarge is returned by ArtifactStore.Put when the content exceeds the
// store's size limit; nothing is kept of it.
var ErrArtifactTooLarge = errors.New("artifact too large")

// ArtifactInfo describes a file or folder of an artifact store.
type ArtifactInfo struct {
	// Path is relative to the listed folder's root (the store's root for ArtifactStore.List),
	// with forward slashes.
	Path  string
	IsDir bool
	// Size is the file's size in bytes; 0 for a folder.
	Size int64
}

// ArtifactStore holds artifact files under one root: a local folder or an object store
// bucket. Every path is relative to the root, with forward slashes, and checked by
// CleanArtifactPath: no operation reads or writes outside the root. Implementations are
// safe for concurrent use.
type ArtifactStore interface {
	// Put writes the file at p from r, replacing any file there, creating parent folders.
	// It streams: content past the store's size limit fails with ErrArtifactTooLarge and
	// leaves nothing behind. It returns the number of bytes written.
	Put(ctx context.Context, p string, r io.Reader) (int64, error)
	// Open opens the file at p for reading, with its size; ErrNotFound if missing or a
	// folder.
	Open(ctx context.Context, p string) (io.ReadCloser, int64, error)
	// List returns the files and folders directly in folder dir ("" for the root), sorted
	// by path; a missing folder is empty.
	List(ctx context.Context, dir string) ([]ArtifactInfo, error)
	// Delete removes the file or the folder (with its content) at p; a missing path is no
	// error.
	Delete(ctx context.Context, p string) error
	// Close releases the store.
	Close() error
}

// CleanArtifactPath checks an artifact path and returns it cleaned: relative, forward
// slashes, no "." or empty segments. It refuses (ErrInvalid) a NUL byte, a backslash, an
// absolute path, a drive letter and any ".." segment. The empty path is the root.
func CleanArtifactPath(p string) (string, error) {
	switch {
	case strings.ContainsRune(p, 0):
		return "", invalid("artifact path contains a NUL byte")
	case strings.ContainsRune(p, '\\'):
		return "", invalid("artifact path %q contains a backslash", p)
	case strings.HasPrefix(p, "/"):
		return "", invalid("artifact path %q is absolute", p)
	case len(p) >= 2 && p[1] == ':':
		return "", invalid("artifact path %q has a drive letter", p)
	}
	for seg := range strings.SplitSeq(p, "/") {
		if seg == ".." {
			return "", invalid("artifact path %q contains '..'", p)
		}
	}
	c := path.Clean("/" + p)[1:]
	return c, nil
}

// OpenArtifactStore opens the artifact store at location: a URL with a scheme gocloud.dev/blob
// knows (s3://, gs://, azblob://, mem://, file:///abs) or else a local folder, created if
// missing. maxSize bounds one file's size in bytes (0: no limit).
func OpenArtifactStore(ctx context.Context, location string, maxSize int64) (ArtifactStore, error) {
	if i := strings.Index(location, "://"); i > 0 && !strings.HasPrefix(location, "file://") {
		b, err := blob.OpenBucket(ctx, location)
		if err != nil {
			return nil, fmt.Errorf("artifact store %s: %w", location, err)
		}
		return &blobArtifacts{b: b, max: maxSize}, nil
	}
	dir := strings.TrimPrefix(location, "file://")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("artifact store: %w", err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("artifact store: %w", err)
	}
	return &localArtifacts{root: root, max: maxSize}, nil
}

// limitedCopy copies r to w, failing with ErrArtifactTooLarge past max bytes (0: no limit).
func limitedCopy(w io.Writer, r io.Reader, max int64) (int64, error) {
	if max <= 0 {
		return io.Copy(w, r)
	}
	n, err := io.Copy(w, io.LimitReader(r, max+1))
	if err == nil && n > max {
		return n, fmt.Errorf("%w: more than %d bytes", ErrArtifactTooLarge, max)
	}
	return n, err
}

// localArtifacts is an ArtifactStore on a local folder. Every access goes through an
// os.Root, which refuses paths (symbolic links included) that resolve outside the folder.
type localArtifacts struct {
	root *os.Root
	max  int64
}

func (l *localArtifacts) Put(ctx context.Context, p string, r io.Reader) (int64, error) {
	c, err := CleanArtifactPath(p)
	if err != nil {
		return 0, err
	}
	if c == "" {
		return 0, invalid("artifact path is empty")
	}
	if dir := path.Dir(c); dir != "." {
		if err := l.root.MkdirAll(dir, 0o755); err != nil {
			return 0, rootErr(c, err)
		}
	}
	tmp := fmt.Sprintf("%s.upload-%s", c, randomHex(8))
	f, err := l.root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return 0, rootErr(c, err)
	}
	n, err := limitedCopy(f, r, l.max)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = l.root.Rename(tmp, c)
	}
	if err != nil {
		_ = l.root.Remove(tmp)
		if errors.Is(err, ErrArtifactTooLarge) {
			return 0, err
		}
		return 0, rootErr(c, err)
	}
	return n, nil
}

func (l *localArtifacts) Open(ctx context.Context, p string) (io.ReadCloser, int64, error) {
	c, err := CleanArtifactPath(p)
	if err != nil {
		return nil, 0, err
	}
	f, err := l.root.Open(orDot(c))
	if err != nil {
		return nil, 0, rootErr(c, err)
	}
	st, err := f.Stat()
	if err == nil && st.IsDir() {
		err = fmt.Errorf("artifact %s: is a folder: %w", c, ErrNotFound)
	}
	if err != nil {
		_ = f.Close()
		return nil, 0, err
	}
	return f, st.Size(), nil
}

// rootErr interprets an error of the os.Root for artifact c: a missing file is
// ErrNotFound, a path leading outside the root (through a symbolic link) ErrInvalid.
func rootErr(c string, err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("artifact %s: %w", c, ErrNotFound)
	case strings.Contains(err.Error(), "escapes from parent"):
		return fmt.Errorf("%w: artifact path %q leads outside the artifact root", ErrInvalid, c)
	}
	return fmt.Errorf("artifact %s: %w", c, err)
}

func orDot(c string) string {
	if c == "" {
		return "."
	}
	return c
}

func (l *localArtifacts) List(ctx context.Context, dir string) ([]ArtifactInfo, error) {
	c, err := CleanArtifactPath(dir)
	if err != nil {
		return nil, err
	}
	f, err := l.root.Open(orDot(c))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, rootErr(c, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return nil, nil
	}
	ents, err := f.ReadDir(-1)
	if err != nil {
		return nil, fmt.Errorf("artifacts %s: %w", c, err)
	}
	out := make([]ArtifactInfo, 0, len(ents))
	for _, e := range ents {
		if strings.Contains(e.Name(), ".upload-") {
			continue // an upload in progress
		}
		info := ArtifactInfo{Path: path.Join(c, e.Name()), IsDir: e.IsDir()}
		if e.Type()&fs.ModeSymlink != 0 {
			// Stat through the root: a link leading outside is refused, and skipped.
			st, err := l.root.Stat(info.Path)
			if err != nil {
				continue
			}
			info.IsDir = st.IsDir()
			if !info.IsDir {
				info.Size = st.Size()
			}
		} else if !info.IsDir {
			if fi, err := e.Info(); err == nil {
				info.Size = fi.Size()
			}
		}
		out = append(out, info)
	}
	slices.SortFunc(out, func(a, b ArtifactInfo) int { return strings.Compare(a.Path, b.Path) })
	return out, nil
}

func (l *localArtifacts) Delete(ctx context.Context, p string) error {
	c, err := CleanArtifactPath(p)
	if err != nil {
		return err
	}
	if c == "" {
		return invalid("refusing to delete the artifact root")
	}
	if err := l.root.RemoveAll(c); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return rootErr(c, err)
	}
	return nil
}

func (l *localArtifacts) Close() error { return l.root.Close() }

// Dir returns the local folder of a local artifact store, or "" for a bucket (for tests
// and diagnostics).
func ArtifactDir(s ArtifactStore) string {
	if l, ok := s.(*localArtifacts); ok {
		return filepath.Clean(l.root.Name())
	}
	return ""
}

// blobArtifacts is an ArtifactStore on a gocloud.dev/blob bucket. Keys are the cleaned
// paths; folders are key prefixes.
type blobArtifacts struct {
	b   *blob.Bucket
	max int64
}

func (s *blobArtifacts) Put(ctx context.Context, p string, r io.Reader) (int64, error) {
	c, err := CleanArtifactPath(p)
	if err != nil {
		return 0, err
	}
	if c == "" {
		return 0, invalid("artifact path is empty")
	}
	// Canceling the writer's context before Close discards the upload.
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w, err := s.b.NewWriter(wctx, c, nil)
	if err != nil {
		return 0, fmt.Errorf("artifact %s: %w", c, err)
	}
	n, err := limitedCopy(w, r, s.max)
	if err != nil {
		cancel()
		_ = w.Close()
		return 0, fmt.Errorf("artifact %s: %w", c, err)
	}
	if err := w.Close(); err != nil {
		return 0, fmt.Errorf("artifact %s: %w", c, err)
	}
	return n, nil
}

func (s *blobArtifacts) Open(ctx context.Context, p string) (io.ReadCloser, int64, error) {
	c, err := CleanArtifactPath(p)
	if err != nil {
		return nil, 0, err
	}
	r, err := s.b.NewReader(ctx, c, nil)
	if err != nil {
		if gcerrors.Code(err) == gcerrors.NotFound {
			return nil, 0, fmt.Errorf("artifact %s: %w", c, ErrNotFound)
		}
		return nil, 0, fmt.Errorf("artifact %s: %w", c, err)
	}
	return r, r.Size(), nil
}

func (s *blobArtifacts) List(ctx context.Context, dir string) ([]ArtifactInfo, error) {
	c, err := CleanArtifactPath(dir)
	if err != nil {
		return nil, err
	}
	prefix := ""
	if c != "" {
		prefix = c + "/"
	}
	it := s.b.List(&blob.ListOptions{Prefix: prefix, Delimiter: "/"})
	var out []ArtifactInfo
	for {
		obj, err := it.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("artifacts %s: %w", c, err)
		}
		out = append(out, ArtifactInfo{Path: strings.TrimSuffix(obj.Key, "/"), IsDir: obj.IsDir, Size: obj.Size})
	}
	return out, nil
}

func (s *blobArtifacts) Delete(ctx context.Context, p string) error {
	c, err := CleanArtifactPath(p)
	if err != nil {
		return err
	}
	if c == "" {
		return invalid("refusing to delete the artifact root")
	}
	if err := s.b.Delete(ctx, c); err != nil && gcerrors.Code(err) != gcerrors.NotFound {
		return fmt.Errorf("artifact %s: %w", c, err)
	}
	it := s.b.List(&blob.ListOptions{Prefix: c + "/"})
	for {
		obj, err := it.Next(ctx)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("artifacts %s: %w", c, err)
		}
		if err := s.b.Delete(ctx, obj.Key); err != nil && gcerrors.Code(err) != gcerrors.NotFound {
			return fmt.Errorf("artifact %s: %w", obj.Key, err)
		}
	}
}

func (s *blobArtifacts) Close() error { return s.b.Close() }
