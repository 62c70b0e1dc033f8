package pyworker_test

import (
	"context"
	"testing"

	"github.com/weirhq/weir/serve/pyworker"
)

// BenchmarkPredictOneRow measures single-row predictions of the diabetes
// LinearRegression through a pool of 2 workers: one caller at a time (serial), and as
// many callers as GOMAXPROCS×4 (parallel).
func BenchmarkPredictOneRow(b *testing.B) {
	p := newPool(b, pyworker.Config{Workers: 2})
	m := load(b, p, specOf(b, modelDir(b, "diabetes_linear"), pyworker.FlavorSklearn))
	_, all := loadExpected(b, "diabetes_linear")
	f := all.Head(1)
	ctx := context.Background()
	b.Run("serial", func(b *testing.B) {
		for b.Loop() {
			if _, err := m.Predict(ctx, f); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.SetParallelism(4)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := m.Predict(ctx, f); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}
