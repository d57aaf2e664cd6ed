package azuresim

import (
	"context"
	"net"
	"net/http"
	"sync"
)

// connCount counts the simulator's open client connections, so that a
// test can prove a client closes what it opened (a worker that leaves
// each job's connections open grows with its job rate).
type connCount struct {
	mu      sync.Mutex
	open    int
	changed chan struct{} // closed and replaced on every change
}

func (c *connCount) track(_ net.Conn, state http.ConnState) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch state {
	case http.StateNew:
		c.open++
	case http.StateClosed, http.StateHijacked:
		c.open--
	default:
		return
	}
	if c.changed != nil {
		close(c.changed)
		c.changed = nil
	}
}

// OpenConnections is the number of client connections open now.
func (s *Simulator) OpenConnections() int {
	s.conns.mu.Lock()
	defer s.conns.mu.Unlock()
	return s.conns.open
}

// WaitConnections waits until at most n client connections are open,
// or ctx ends (its error is returned). The server learns of a client's
// close when the socket's end of file reaches it, just after the close.
func (s *Simulator) WaitConnections(ctx context.Context, n int) error {
	for {
		s.conns.mu.Lock()
		if s.conns.open <= n {
			s.conns.mu.Unlock()
			return nil
		}
		if s.conns.changed == nil {
			s.conns.changed = make(chan struct{})
		}
		ch := s.conns.changed
		s.conns.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
}
