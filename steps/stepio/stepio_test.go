package stepio

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/weirhq/weir/executor"
	"github.com/weirhq/weir/ml/frame"
	"github.com/weirhq/weir/tracking"
)

func setup(t *testing.T) (*IO, string) {
	t.Helper()
	root := filepath.Join(t.TempDir(), "artifacts")
	art, err := tracking.OpenArtifactStore(context.Background(), root, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { art.Close() })
	dir := t.TempDir()
	o, err := New(Deps{Artifacts: art, ArtifactRoot: root}, &executor.Job{DAGID: "d", RunID: "r", TaskID: "split", MapIndex: -1, Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	return o, dir
}

func TestDataByReference(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	o, dir := setup(t)
	f, err := frame.New(frame.NewFloat("x", []float64{1, 2, 3}, nil), frame.NewString("y", []string{"a", "b", "a"}, nil))
	if err != nil {
		t.Fatal(err)
	}
	ds, err := o.WriteFrame(ctx, "train", f)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(ds.URI, "file:///") || !strings.HasSuffix(ds.URI, "/steps/d/r/split/train.parquet") {
		t.Fatalf("URI %q", ds.URI)
	}
	if ds.Rows != 3 || len(ds.Columns) != 2 || ds.Columns[1].Name != "y" || !strings.HasPrefix(ds.Hash, "sha256:") {
		t.Fatalf("description %+v", ds)
	}
	// The file is where the URI says: a Python task could read it.
	if _, err := os.Stat(strings.TrimPrefix(ds.URI, "file://")); err != nil {
		t.Fatal(err)
	}
	back, got, err := o.ReadFrame(ctx, ds.URI)
	if err != nil {
		t.Fatal(err)
	}
	if back.NumRows() != 3 || got.Hash != ds.Hash {
		t.Fatalf("read back %d rows, hash %s (wrote %s)", back.NumRows(), got.Hash, ds.Hash)
	}
	// An external CSV, relative to the DAG's folder, has a content hash too.
	if err := os.WriteFile(filepath.Join(dir, "in.csv"), []byte("a,b\n1,2\n3,4\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	in, desc, err := o.ReadFrame(ctx, "in.csv")
	if err != nil {
		t.Fatal(err)
	}
	if in.NumRows() != 2 || !strings.HasPrefix(desc.Hash, "sha256:") {
		t.Fatalf("csv: %d rows, %+v", in.NumRows(), desc)
	}
	if _, _, err := o.ReadFrame(ctx, ""); err == nil || !strings.Contains(err.Error(), "empty URI") {
		t.Fatalf("empty URI: %v", err)
	}
	if _, _, err := o.ReadFrame(ctx, "missing.csv"); err == nil || !strings.Contains(err.Error(), "missing.csv") {
		t.Fatalf("missing file: %v", err)
	}
	// Untracked: logging is a no-op, not an error.
	if name, err := o.LogArtifact(ctx, "plot.png", []byte("x")); err != nil || name != "" {
		t.Fatalf("untracked LogArtifact: %q %v", name, err)
	}
}
