package engine

import (
	"container/heap"

	"github.com/weirhq/weir/store"
)

// readyItem is a task instance whose trigger rule passed, waiting for a slot.
type readyItem struct {
	rs  *runState
	n   *node
	ti  *store.TaskInstance
	seq uint64
}

// readyQueue orders ready instances by effective priority weight (highest first), then by
// the order they became ready.
type readyQueue []*readyItem

func (q readyQueue) Len() int { return len(q) }
func (q readyQueue) Less(i, j int) bool {
	if q[i].n.priority != q[j].n.priority {
		return q[i].n.priority > q[j].n.priority
	}
	return q[i].seq < q[j].seq
}
func (q readyQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *readyQueue) Push(x any)   { *q = append(*q, x.(*readyItem)) }
func (q *readyQueue) Pop() any {
	old := *q
	it := old[len(old)-1]
	old[len(old)-1] = nil
	*q = old[:len(old)-1]
	return it
}

func (e *Engine) pushReady(rs *runState, n *node, ti *store.TaskInstance) {
	e.seq++
	heap.Push(&e.ready, &readyItem{rs: rs, n: n, ti: ti, seq: e.seq})
}
