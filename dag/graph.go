package dag

import (
	"container/heap"
	"fmt"
	"slices"
	"strings"
)

// CycleError reports a dependency cycle.
type CycleError struct {
	// Cycle is the path of task IDs, each upstream of the next, ending with the first:
	// [a b c a] means a -> b -> c -> a.
	Cycle []string
}

// Error prints "cycle: a -> b -> c -> a".
func (e *CycleError) Error() string { return "cycle: " + strings.Join(e.Cycle, " -> ") }

// Topo returns the task IDs of d in a topological order (every task after all its upstreams).
// The order is deterministic and stable: among the tasks ready at any point, the one defined
// first in d.Tasks comes first, so a DAG whose tasks are listed in dependency order keeps
// its order. It returns a *CycleError when the tasks form a cycle, and an error when an
// upstream ID names no task.
func Topo(d *DAG) ([]string, error) {
	index := taskIndex(d)
	for _, t := range d.Tasks {
		for _, u := range t.Upstream {
			if _, ok := index[u]; !ok {
				return nil, fmt.Errorf("task %s: upstream %q is not a task of dag %s", t.ID, u, d.ID)
			}
		}
	}
	order, cycle := topo(d, index)
	if cycle != nil {
		return nil, &CycleError{Cycle: cycle}
	}
	return order, nil
}

// Downstream returns, for every task ID of d, the IDs of the tasks that list it as an
// upstream, sorted. Every task has an entry (nil when nothing depends on it); upstream IDs
// that name no task are ignored.
func Downstream(d *DAG) map[string][]string {
	down := make(map[string][]string, len(d.Tasks))
	for _, t := range d.Tasks {
		if _, ok := down[t.ID]; !ok {
			down[t.ID] = nil
		}
	}
	for _, t := range d.Tasks {
		for _, u := range t.Upstream {
			if l, ok := down[u]; ok && !slices.Contains(l, t.ID) {
				down[u] = append(l, t.ID)
			}
		}
	}
	for _, l := range down {
		slices.Sort(l)
	}
	return down
}

// taskIndex maps task IDs to their definition index; for duplicate IDs the first wins.
func taskIndex(d *DAG) map[string]int {
	index := make(map[string]int, len(d.Tasks))
	for i, t := range d.Tasks {
		if _, dup := index[t.ID]; !dup {
			index[t.ID] = i
		}
	}
	return index
}

// intHeap is a min-heap of task indexes.
type intHeap []int

func (h intHeap) Len() int           { return len(h) }
func (h intHeap) Less(i, j int) bool { return h[i] < h[j] }
func (h intHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *intHeap) Push(x any)        { *h = append(*h, x.(int)) }
func (h *intHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// topo orders the tasks of d (Kahn's algorithm, smallest definition index first), ignoring
// upstream IDs missing from index and duplicate tasks. When the tasks form a cycle it returns
// one cycle instead.
func topo(d *DAG, index map[string]int) (order, cycle []string) {
	n := len(d.Tasks)
	pending := make([]int, n)
	down := make([][]int, n)
	for i, t := range d.Tasks {
		if index[t.ID] != i {
			continue
		}
		seen := map[int]bool{}
		for _, u := range t.Upstream {
			j, ok := index[u]
			if !ok || seen[j] {
				continue
			}
			seen[j] = true
			pending[i]++
			down[j] = append(down[j], i)
		}
	}
	h := &intHeap{}
	for i, t := range d.Tasks {
		if index[t.ID] == i && pending[i] == 0 {
			*h = append(*h, i)
		}
	}
	heap.Init(h)
	done := make([]bool, n)
	for h.Len() > 0 {
		i := heap.Pop(h).(int)
		done[i] = true
		order = append(order, d.Tasks[i].ID)
		for _, j := range down[i] {
			if pending[j]--; pending[j] == 0 {
				heap.Push(h, j)
			}
		}
	}
	if len(order) == len(index) {
		return order, nil
	}
	// Every task left has an unfinished upstream: walking upstream from the first one must
	// come back to a task already on the path.
	var start int
	for i, t := range d.Tasks {
		if index[t.ID] == i && !done[i] {
			start = i
			break
		}
	}
	onPath := map[int]int{}
	var path []int
	for i := start; ; {
		if at, ok := onPath[i]; ok {
			path = path[at:]
			break
		}
		onPath[i] = len(path)
		path = append(path, i)
		next := -1
		for _, u := range slices.Sorted(slices.Values(d.Tasks[i].Upstream)) {
			if j, ok := index[u]; ok && !done[j] {
				next = j
				break
			}
		}
		i = next
	}
	// path is a chain of upstreams: reverse it to read in dependency direction, and start it
	// at its earliest defined task so the message does not depend on where the walk began.
	slices.Reverse(path)
	first := 0
	for k, i := range path {
		if i < path[first] {
			first = k
		}
	}
	path = append(path[first:], path[:first]...)
	for _, i := range path {
		cycle = append(cycle, d.Tasks[i].ID)
	}
	return nil, append(cycle, cycle[0])
}

// ancestors returns the transitive upstream IDs of every task (memoised depth-first walk;
// safe on cyclic graphs).
type ancestry struct {
	tasks map[string]*Task
	memo  map[string]map[string]bool
}

func newAncestry(d *DAG) *ancestry {
	a := &ancestry{tasks: map[string]*Task{}, memo: map[string]map[string]bool{}}
	for _, t := range d.Tasks {
		if _, dup := a.tasks[t.ID]; !dup {
			a.tasks[t.ID] = t
		}
	}
	return a
}

// of returns the set of transitive upstreams of the task id.
func (a *ancestry) of(id string) map[string]bool {
	if m, ok := a.memo[id]; ok {
		return m
	}
	set := map[string]bool{}
	stack := []string{id}
	for len(stack) > 0 {
		cur := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		t := a.tasks[cur]
		if t == nil {
			continue
		}
		for _, u := range t.Upstream {
			if !set[u] {
				set[u] = true
				stack = append(stack, u)
			}
		}
	}
	a.memo[id] = set
	return set
}
