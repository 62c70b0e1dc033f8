package drift_test

import (
	"fmt"
	"math/rand/v2"
	"syscall"
	"testing"
	"time"

	"github.com/weirhq/weir/ml/frame"
	"github.com/weirhq/weir/ml/model"
	"github.com/weirhq/weir/monitor/drift"
)

func normalFrame(rows, cols int, shift float64, seed uint64) *frame.Frame {
	rng := rand.New(rand.NewPCG(seed, 1))
	cs := make([]*frame.Column, cols)
	for c := range cs {
		v := make([]float64, rows)
		for i := range v {
			v[i] = rng.NormFloat64()*float64(c+1) + float64(c) + shift
		}
		cs[c] = frame.NewFloat(fmt.Sprintf("f%d", c), v, nil)
	}
	f, err := frame.New(cs...)
	if err != nil {
		panic(err)
	}
	return f
}

// BenchmarkDrift1Mx20 measures drift of a 1,000,000-row, 20-column numeric batch
// against reference statistics saved from 100,000 training rows (quantile sketches:
// Wasserstein by default), from the frame to the report.
func BenchmarkDrift1Mx20(b *testing.B) {
	refs := drift.FromStats(model.ReferenceStats(normalFrame(100_000, 20, 0, 1), 0))
	cur := normalFrame(1_000_000, 20, 0.05, 2)
	cpu0 := cpuTime()
	b.ResetTimer()
	for range b.N {
		c, err := drift.CurrentFrom(cur, refs, nil)
		if err != nil {
			b.Fatal(err)
		}
		rep, err := drift.Compare(refs, c, drift.Options{})
		if err != nil {
			b.Fatal(err)
		}
		if len(rep.Features) != 20 {
			b.Fatal(len(rep.Features))
		}
	}
	b.StopTimer()
	// CPU seconds of the process per operation: on a shared machine the wall time
	// depends on the other load; cpu-s/op ÷ 2 is the wall time on 2 idle cores.
	b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(b.N), "cpu-s/op")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
