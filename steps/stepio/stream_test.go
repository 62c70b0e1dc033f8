package stepio

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A streamed write is hashed as written and described like WriteFrame's; a failed one
// reports the writer's error; a streamed read hashes what ReadFrame hashes.
func TestStreams(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	o, dir := setup(t)
	ds, err := o.WriteStream(ctx, "out", "csv", func(w io.Writer) (int, []Column, error) {
		_, err := io.WriteString(w, "a,b\n1,2\n")
		return 1, []Column{{Name: "a", Type: "int"}, {Name: "b", Type: "int"}}, err
	})
	if err != nil {
		t.Fatal(err)
	}
	if ds.Rows != 1 || len(ds.Columns) != 2 || !strings.HasSuffix(ds.URI, "/split/out.csv") {
		t.Fatalf("%+v", ds)
	}
	_, back, err := o.ReadFrame(ctx, ds.URI)
	if err != nil || back.Hash != ds.Hash {
		t.Fatalf("read back: %+v %v; wrote hash %s", back, err, ds.Hash)
	}
	if _, err := os.Stat(strings.TrimPrefix(ds.URI, "file://") + ".meta.json"); err != nil {
		t.Fatalf("no description beside the data set: %v", err)
	}
	boom := errors.New("boom")
	if _, err := o.WriteStream(ctx, "bad", "csv", func(w io.Writer) (int, []Column, error) { return 0, nil, boom }); !errors.Is(err, boom) {
		t.Fatalf("failed write: %v", err)
	}

	if err := os.WriteFile(filepath.Join(dir, "in.csv"), []byte("x\n1\n2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, ref := range []string{"in.csv", ds.URI} {
		st, err := o.OpenStream(ctx, ref)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, st); err != nil {
			t.Fatal(err)
		}
		st.Close()
		_, want, err := o.ReadFrame(ctx, ref)
		if err != nil || st.Hash() != want.Hash {
			t.Fatalf("%s: streamed hash %s, ReadFrame's %+v %v", ref, st.Hash(), want, err)
		}
	}
	if _, err := o.OpenStream(ctx, "s3://bucket/x.csv"); !errors.Is(err, ErrNotStreamable) {
		t.Fatalf("object store URL: %v", err)
	}
}
