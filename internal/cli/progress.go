package cli

import (
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kvguard/kvguard/internal/resource"
)

// progress shows a long IaC scan's advance on a terminal's stderr: the
// files read, the resources found and their rate, then that the scan is
// judging. It writes one line, rewritten in place, and clears it when the
// scan is done: never in a pipe, never in a report. A nil *progress does
// nothing.
type progress struct {
	w     io.Writer
	start time.Time
	now   func() time.Time

	docs  atomic.Int64
	mu    sync.Mutex
	files map[string]struct{}
	phase string

	stop     chan struct{}
	done     chan struct{}
	stopOnce sync.Once
}

// progressInterval is how often the line is redrawn.
const progressInterval = 250 * time.Millisecond

// startProgress starts the display when enabled (stderr is a terminal,
// files are scanned, not --quiet).
func startProgress(w io.Writer, enabled bool) *progress {
	if !enabled {
		return nil
	}
	p := &progress{w: w, start: time.Now(), now: time.Now, files: map[string]struct{}{}, phase: "reading",
		stop: make(chan struct{}), done: make(chan struct{})}
	go p.run()
	return p
}

func (p *progress) run() {
	defer close(p.done)
	t := time.NewTicker(progressInterval)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			fmt.Fprint(p.w, "\r\x1b[K")
			return
		case <-t.C:
			fmt.Fprint(p.w, "\r\x1b[K"+p.line())
		}
	}
}

// wrap counts the documents add receives and the files they come from.
func (p *progress) wrap(add func(*resource.Document)) func(*resource.Document) {
	if p == nil {
		return add
	}
	return func(doc *resource.Document) {
		if doc != nil {
			p.docs.Add(1)
			if f := doc.Source.File; f != "" {
				p.mu.Lock()
				p.files[f] = struct{}{}
				p.mu.Unlock()
			}
		}
		add(doc)
	}
}

// judging says the reading is over.
func (p *progress) judging() {
	if p == nil {
		return
	}
	p.mu.Lock()
	p.phase = "judging"
	p.mu.Unlock()
}

// line is the display: "kvguard: reading: 12 files, 3400 resources (1700/s)".
func (p *progress) line() string {
	p.mu.Lock()
	files, phase := len(p.files), p.phase
	p.mu.Unlock()
	docs := p.docs.Load()
	elapsed := p.now().Sub(p.start)
	rate := ""
	if s := elapsed.Seconds(); s > 0 {
		rate = fmt.Sprintf(" (%.0f/s)", float64(docs)/s)
	}
	return fmt.Sprintf("kvguard: %s: %s, %s%s, %s", phase, plural(files, "file"), plural(int(docs), "resource"), rate, elapsed.Round(time.Second))
}

// end clears the line and stops the display; it may be called again.
func (p *progress) end() {
	if p == nil {
		return
	}
	p.stopOnce.Do(func() { close(p.stop) })
	<-p.done
}
