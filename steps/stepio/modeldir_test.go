package stepio

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	_ "gocloud.dev/blob/memblob" // an object store in memory: a remote artifact store here

	"github.com/weirhq/weir/executor"
	"github.com/weirhq/weir/tracking"
)

// A model folder in a remote artifact store is copied to the local folder given, once;
// local folders and a local store's files are used where they are.
func TestLocalModel(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	remote, err := tracking.OpenArtifactStore(ctx, "mem://", 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { remote.Close() })
	files := map[string]string{"MLmodel": "flavors: {}\n", "model.json": `{"learner": {}}`, "sub/extra.txt": "x"}
	for name, content := range files {
		if _, err := remote.Put(ctx, "1/run/artifacts/model/"+name, bytes.NewReader([]byte(content))); err != nil {
			t.Fatal(err)
		}
	}
	o, err := New(Deps{Artifacts: remote, ArtifactRoot: "mem://"}, &executor.Job{})
	if err != nil {
		t.Fatal(err)
	}
	dst := t.TempDir()
	local, err := o.LocalModel(ctx, "mlflow-artifacts:/1/run/artifacts/model", dst)
	if err != nil {
		t.Fatal(err)
	}
	for name, content := range files {
		b, err := os.ReadFile(filepath.Join(local, filepath.FromSlash(name)))
		if err != nil || string(b) != content {
			t.Errorf("%s: %q, %v; want %q", name, b, err, content)
		}
	}
	// Copied once: a second call reuses the copy (even if the store changed meanwhile).
	if err := remote.Delete(ctx, "1/run/artifacts/model"); err != nil {
		t.Fatal(err)
	}
	again, err := o.LocalModel(ctx, "mlflow-artifacts:/1/run/artifacts/model", dst)
	if err != nil || again != local {
		t.Errorf("second call: %q, %v; want the copy %q", again, err, local)
	}
	if _, err := o.LocalModel(ctx, "mlflow-artifacts:/1/run/artifacts/nothing", dst); err == nil {
		t.Error("a missing folder of the store gave no error")
	}

	// A local store: its files where they are.
	lo, _ := setup(t)
	root := lo.deps.ArtifactRoot
	if _, err := lo.deps.Artifacts.Put(ctx, "m/MLmodel", bytes.NewReader([]byte("flavors: {}\n"))); err != nil {
		t.Fatal(err)
	}
	got, err := lo.LocalModel(ctx, "mlflow-artifacts:/m", "")
	if err != nil || got != filepath.Join(root, "m") {
		t.Errorf("local store: %q, %v; want %q", got, err, filepath.Join(root, "m"))
	}
	// A local path.
	if got, err := lo.LocalModel(ctx, "file://"+local, ""); err != nil || got != local {
		t.Errorf("file URL: %q, %v", got, err)
	}
	if _, err := lo.LocalModel(ctx, "/no/such/model", ""); err == nil {
		t.Error("a missing local path gave no error")
	}
}
