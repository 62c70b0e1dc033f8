package ensemble

import (
	"runtime"
	"sync"
)

// parallelRows calls fn on contiguous ranges covering [0, n), on up to
// GOMAXPROCS goroutines, each range at least minRange long. fn must only
// write to rows in its range.
func parallelRows(n, minRange int, fn func(lo, hi int)) {
	workers := min(runtime.GOMAXPROCS(0), max(1, n/minRange))
	if workers == 1 {
		fn(0, n)
		return
	}
	chunk := (n + workers - 1) / workers
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		lo, hi := w*chunk, min(n, (w+1)*chunk)
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(lo, hi)
		}()
	}
	wg.Wait()
}
