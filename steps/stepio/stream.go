package stepio

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/url"
	"os"
	"path"
	"path/filepath"
)

// Stream is a data file opened for reading as a stream: Close it when done. Hash is
// "sha256:<hex>" of the bytes read so far (all of them once read to the end).
type Stream struct {
	io.Reader
	closer io.Closer
	h      hash.Hash
}

// Close closes the file.
func (s *Stream) Close() error { return s.closer.Close() }

// Hash returns the SHA-256 of what was read.
func (s *Stream) Hash() string { return "sha256:" + hex.EncodeToString(s.h.Sum(nil)) }

// ErrNotStreamable is returned by OpenStream for locations only ReadFrame reads (object
// store URLs other than this artifact store's).
var ErrNotStreamable = errors.New("not a local or artifact-store file")

// OpenStream opens a file this artifact store wrote, or a local file (a path relative to the
// DAG file's folder, or a file:// URL), for reading as a stream.
func (o *IO) OpenStream(ctx context.Context, uri string) (*Stream, error) {
	if uri == "" {
		return nil, errors.New("no data set given (an empty URI): check the template that names it")
	}
	var rc io.ReadCloser
	if p, ok := o.storePath(uri); ok {
		r, _, err := o.deps.Artifacts.Open(ctx, p)
		if err != nil {
			return nil, fmt.Errorf("data set %s: %w", uri, err)
		}
		rc = r
	} else {
		loc := uri
		if u, err := url.Parse(uri); err == nil && len(u.Scheme) > 1 {
			if u.Scheme != "file" {
				return nil, ErrNotStreamable
			}
			loc = u.Path
		} else if !filepath.IsAbs(loc) && o.job.Dir != "" {
			loc = filepath.Join(o.job.Dir, loc)
		}
		f, err := os.Open(loc)
		if err != nil {
			return nil, fmt.Errorf("data set %s: %w", uri, err)
		}
		rc = f
	}
	h := sha256.New()
	return &Stream{Reader: io.TeeReader(rc, h), closer: rc, h: h}, nil
}

// WriteStream writes a data set of the given format ("csv", "jsonl") under the try's
// folder as <name>.<format> from what write writes, streaming it into the artifact store,
// with its sidecar description. write returns the rows and columns it wrote.
func (o *IO) WriteStream(ctx context.Context, name, format string, write func(w io.Writer) (int, []Column, error)) (*Dataset, error) {
	p := path.Join(o.dir(), name+"."+format)
	pr, pw := io.Pipe()
	h := sha256.New()
	var rows int
	var cols []Column
	done := make(chan error, 1)
	go func() {
		var err error
		rows, cols, err = write(io.MultiWriter(pw, h))
		pw.CloseWithError(err)
		done <- err
	}()
	_, putErr := o.deps.Artifacts.Put(ctx, p, pr)
	pr.CloseWithError(errors.New("the artifact store stopped reading"))
	if err := <-done; err != nil {
		return nil, err
	}
	if putErr != nil {
		return nil, fmt.Errorf("write data set %s: %w", name, putErr)
	}
	ds := &Dataset{URI: o.URI(p), Format: format, Rows: rows, Columns: cols, Hash: "sha256:" + hex.EncodeToString(h.Sum(nil))}
	meta, _ := json.MarshalIndent(ds, "", "  ")
	if _, err := o.deps.Artifacts.Put(ctx, p+".meta.json", bytes.NewReader(meta)); err != nil {
		return nil, fmt.Errorf("write data set %s: %w", name, err)
	}
	return ds, nil
}
