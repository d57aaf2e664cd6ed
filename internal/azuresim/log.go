package azuresim

import (
	"net/http"
	"strings"
	"sync"
	"time"
)

// Request is one request the simulator received, as it recorded it.
type Request struct {
	Time   time.Time
	Method string
	// Host is the host the client asked for (a vault's host for the data
	// plane), without the port.
	Host  string
	Path  string
	Query string
	// Status is the status answered; 0 when the connection was dropped.
	Status int
	// Principal is who the bearer token names ("" without one).
	Principal string
	// Plane is "token", "arm", "graph" or "dataplane".
	Plane string
}

// ValueRequest reports whether the request asked for something that could
// carry a secret's value: a data-plane GET of one secret
// (/secrets/{name}[/{version}], also what backs a certificate's private
// key) or the ARM GET of one secret. kvguard must never make one.
func (r Request) ValueRequest() bool {
	parts := strings.Split(strings.Trim(strings.ToLower(r.Path), "/"), "/")
	switch r.Plane {
	case "dataplane":
		return len(parts) >= 2 && (parts[0] == "secrets" || parts[0] == "deletedsecrets")
	case "arm":
		for i, p := range parts {
			if p == "secrets" && i >= 2 && parts[i-2] == "vaults" && i+1 < len(parts) {
				return true
			}
		}
	}
	return false
}

// Stats counts what the simulator answered.
type Stats struct {
	Requests  int
	Throttled int // 429s
	Failed    int // injected 5xx
	Dropped   int // injected dropped connections
	Forbidden int // 403s
	ByPlane   map[string]int
}

type requestLog struct {
	mu    sync.Mutex
	reqs  []Request
	stats Stats
	keep  bool
}

func (l *requestLog) add(r Request) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.stats.Requests++
	if l.stats.ByPlane == nil {
		l.stats.ByPlane = map[string]int{}
	}
	l.stats.ByPlane[r.Plane]++
	switch r.Status {
	case http.StatusTooManyRequests:
		l.stats.Throttled++
	case http.StatusForbidden:
		l.stats.Forbidden++
	case 0:
		l.stats.Dropped++
	}
	if l.keep || r.ValueRequest() {
		l.reqs = append(l.reqs, r)
	}
}

func (l *requestLog) failed() {
	l.mu.Lock()
	l.stats.Failed++
	l.mu.Unlock()
}

// Requests returns the requests received so far, in arrival order of
// their completion. With Options.NoRequestLog only value requests are
// kept.
func (s *Simulator) Requests() []Request {
	s.log.mu.Lock()
	defer s.log.mu.Unlock()
	return append([]Request(nil), s.log.reqs...)
}

// ValueRequests returns the requests that could have returned a secret's
// value (Request.ValueRequest). The simulator answers them 403 and keeps
// them even when it keeps no other request.
func (s *Simulator) ValueRequests() []Request {
	var out []Request
	for _, r := range s.Requests() {
		if r.ValueRequest() {
			out = append(out, r)
		}
	}
	return out
}

// Stats returns the counters so far.
func (s *Simulator) Stats() Stats {
	s.log.mu.Lock()
	defer s.log.mu.Unlock()
	st := s.log.stats
	st.ByPlane = make(map[string]int, len(s.log.stats.ByPlane))
	for k, v := range s.log.stats.ByPlane {
		st.ByPlane[k] = v
	}
	return st
}

// ResetLog forgets the requests and counters so far.
func (s *Simulator) ResetLog() {
	s.log.mu.Lock()
	defer s.log.mu.Unlock()
	s.log.reqs = nil
	s.log.stats = Stats{}
}

// statusWriter remembers the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}
