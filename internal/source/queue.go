package source

import "sync"

// queue is an unbounded work list shared by a fixed set of goroutines:
// the walk's directories (a stack, which keeps the list as short as the
// tree is deep) and the inputs waiting for a reader (readList). How it
// keeps its items is its list's business.
type queue[T any] struct {
	mu     sync.Mutex
	cond   *sync.Cond
	items  list[T]
	busy   int  // items taken and not yet done
	closed bool // no more items will be pushed from outside the workers
}

// list holds a queue's items, in the order they are taken.
type list[T any] interface {
	add(T)
	take() (T, bool) // false when empty
}

func newQueue[T any](items list[T]) *queue[T] {
	q := &queue[T]{items: items}
	q.cond = sync.NewCond(&q.mu)
	return q
}

// push adds an item.
func (q *queue[T]) push(item T) {
	q.mu.Lock()
	q.items.add(item)
	q.mu.Unlock()
	q.cond.Signal()
}

// pop takes an item, waiting while the list is empty but more may come:
// while it is open, or while an item taken may still push others. ok is
// false once the work is over; every item taken must be marked done.
func (q *queue[T]) pop() (item T, ok bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for {
		if item, ok = q.items.take(); ok {
			q.busy++
			return item, true
		}
		if q.closed && q.busy == 0 {
			return item, false
		}
		q.cond.Wait()
	}
}

// done marks an item taken by pop as finished.
func (q *queue[T]) done() {
	q.mu.Lock()
	q.busy--
	last := q.busy == 0 && q.closed
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

// stack is a list taken last in, first out.
type stack[T any] struct{ items []T }

func (s *stack[T]) add(item T) { s.items = append(s.items, item) }

func (s *stack[T]) take() (item T, ok bool) {
	if len(s.items) == 0 {
		return item, false
	}
	item = s.items[len(s.items)-1]
	var zero T
	s.items[len(s.items)-1] = zero
	s.items = s.items[:len(s.items)-1]
	return item, true
}
