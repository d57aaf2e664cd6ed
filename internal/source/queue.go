package source

import "sync"

// queue is an unbounded work list shared by a fixed set of goroutines:
// the walk's directories (taken last in, first out, which keeps the list
// as short as the tree is deep) and the inputs waiting for a reader
// (first in, first out).
type queue[T any] struct {
	mu     sync.Mutex
	cond   *sync.Cond
	items  []T
	lifo   bool
	busy   int  // items taken and not yet done
	closed bool // no more items will be pushed from outside the workers
}

func newQueue[T any](lifo bool) *queue[T] {
	q := &queue[T]{lifo: lifo}
	q.cond = sync.NewCond(&q.mu)
	return q
}

// push adds an item.
func (q *queue[T]) push(item T) {
	q.mu.Lock()
	q.items = append(q.items, item)
	q.mu.Unlock()
	q.cond.Signal()
}

// pop takes an item, waiting while the list is empty but more may come:
// while it is open, or while an item taken may still push others. ok is
// false once the work is over; every item taken must be marked done.
func (q *queue[T]) pop() (item T, ok bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.items) == 0 && (!q.closed || q.busy > 0) {
		q.cond.Wait()
	}
	if len(q.items) == 0 {
		return item, false
	}
	if q.lifo {
		item = q.items[len(q.items)-1]
		q.items = q.items[:len(q.items)-1]
	} else {
		item = q.items[0]
		var zero T
		q.items[0] = zero
		q.items = q.items[1:]
	}
	q.busy++
	return item, true
}

// done marks an item taken by pop as finished.
func (q *queue[T]) done() {
	q.mu.Lock()
	q.busy--
	last := q.busy == 0 && q.closed && len(q.items) == 0
	q.mu.Unlock()
	if last {
		q.cond.Broadcast()
	}
}

// close says that nothing more is pushed except by the items in work.
func (q *queue[T]) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.cond.Broadcast()
}
