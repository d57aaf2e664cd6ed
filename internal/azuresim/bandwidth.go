package azuresim

import (
	"context"
	"net/http"
	"time"
)

// pacedWriter sends a response no faster than rate bytes per second
// (Options.Bandwidth): each write waits for the time its bytes take on
// the link.
type pacedWriter struct {
	http.ResponseWriter
	rate int
	ctx  context.Context
}

func (p *pacedWriter) Write(b []byte) (int, error) {
	d := time.Duration(float64(len(b)) / float64(p.rate) * float64(time.Second))
	if d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-p.ctx.Done():
			t.Stop()
			return 0, p.ctx.Err()
		}
	}
	return p.ResponseWriter.Write(b)
}

// Flush passes a flush on, so that paced streaming stays streaming.
func (p *pacedWriter) Flush() {
	if f, ok := p.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}
