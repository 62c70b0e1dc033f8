package stepio

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/weirhq/weir/ml/frame"
	"github.com/weirhq/weir/ml/linear"
	"github.com/weirhq/weir/ml/model"
	"github.com/weirhq/weir/store/sqlite"
	"github.com/weirhq/weir/tracking"
)

// Every kind of model reference leads to the same file; bad ones say what is wrong.
func TestReadModelResolvesReferences(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	o, _ := setup(t)
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "weir.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	svc := tracking.NewService(st.Tracking(), tracking.ServiceConfig{})

	f, err := frame.New(frame.NewFloat("x", []float64{1, 2, 3}, nil), frame.NewFloat("y", []float64{2, 4, 6}, nil))
	if err != nil {
		t.Fatal(err)
	}
	m, err := model.Train(f, model.Config{Target: "y", Estimator: &linear.LinearRegression{}})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := m.Save(&buf); err != nil {
		t.Fatal(err)
	}
	uri, err := o.WriteFile(ctx, "model.json", buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	// Before the registry is wired, registry references say why they cannot resolve.
	if _, _, err := o.ReadModel(ctx, "models:/m@champion"); err == nil || !strings.Contains(err.Error(), "no tracking store") {
		t.Fatalf("models:/ without tracking: %v", err)
	}
	o.deps.Tracking = svc
	if _, err := svc.RegisterModelVersion(ctx, tracking.CreateModelVersionParams{Name: "m", Source: uri}, "champion"); err != nil {
		t.Fatal(err)
	}
	for _, ref := range []string{uri, "models:/m@champion", "models:/m/1", "models:/m/latest"} {
		got, src, err := o.ReadModel(ctx, ref)
		if err != nil {
			t.Fatalf("%s: %v", ref, err)
		}
		if src.URI != uri || got.Kind != "linear.LinearRegression" {
			t.Fatalf("%s: %+v, %s", ref, src, got.Kind)
		}
		if strings.HasPrefix(ref, "models:/") && (src.Name != "m" || src.Version != "1") {
			t.Fatalf("%s: %+v", ref, src)
		}
	}
	for ref, want := range map[string]string{
		"models:/m@nobody": `alias "nobody" of model "m"`,
		"models:/m":        "want models:/NAME@ALIAS or models:/NAME/VERSION",
		"models:/m/7":      "version 7 of model",
		"":                 "empty reference",
		"nothing.json":     "nothing.json",
	} {
		if _, _, err := o.ReadModel(ctx, ref); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ReadModel(%q) = %v, want %q", ref, err, want)
		}
	}
}
