package source

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/kvguard/kvguard/internal/resource"
)

// deploymentKinds: *.y files are deployments whose calls are found by
// calls and which are read by read, with the run's logger.
func deploymentKinds(read func(ctx context.Context, log *slog.Logger, path string, emit func(*resource.Document)) error, calls func(string) []string) registry {
	return registry{{kind: "y", suffixes: []string{".y"}, calls: calls, deployment: true, newReader: func(o *Options) Reader {
		log := o.logger()
		return fakeReader{do: func(ctx context.Context, path string, emit func(*resource.Document)) error {
			return read(ctx, log, path, emit)
		}}
	}}}
}

// syncBuffer is a log destination several goroutines write.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// A deployment is read while the walk is still going on (here it cannot
// end: the call finder of a deployment deeper in the tree waits on a
// gate), and what the reader reads is held back until the walk is over
// and the plan says the deployment is read on its own.
func TestReadStartsDeploymentsBeforeTheWalkEnds(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write(t, dir, map[string]string{"root.y": "", "deeper/gate.y": ""})
	gate, emitted := make(chan struct{}), make(chan struct{})
	var logs syncBuffer
	var c collect
	reg := deploymentKinds(func(ctx context.Context, log *slog.Logger, path string, emit func(*resource.Document)) error {
		log.InfoContext(ctx, "read", "file", filepath.Base(path))
		emit(&resource.Document{ID: filepath.Base(path)})
		if filepath.Base(path) == "root.y" {
			close(emitted)
		}
		return nil
	}, func(p string) []string {
		if filepath.Base(p) == "gate.y" {
			<-gate
		}
		return nil
	})
	done := make(chan error)
	go func() {
		done <- read(context.Background(), []string{dir}, Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))}, reg, 1, c.emit, c.fail)
	}()
	<-emitted // the walk is blocked in gate.y's call finder: root.y was read first
	c.mu.Lock()
	early := slices.Clone(c.docs)
	c.mu.Unlock()
	if len(early) != 0 || logs.String() != "" {
		t.Errorf("passed on before the walk ended: documents %v, log %q", early, logs.String())
	}
	close(gate)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	slices.Sort(c.docs)
	if !slices.Equal(c.docs, []string{"gate.y", "root.y"}) || len(c.errs) != 0 {
		t.Errorf("read %v, errors %v; want gate.y and root.y", c.docs, c.errs)
	}
	if !strings.Contains(logs.String(), "file=root.y") || !strings.Contains(logs.String(), "file=gate.y") {
		t.Errorf("log %q: want both reads' records, passed on once confirmed", logs.String())
	}
}

// A deployment read before the walk found its caller is dropped when the
// caller is found: its read is cancelled, and nothing it read, failed or
// logged reaches the run.
func TestSpeculationIsWithdrawnWhenACallerIsFound(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write(t, dir, map[string]string{"a-mod.y": "", "main.y": ""}) // listed in this order
	modStarted, mainRead := make(chan struct{}), make(chan struct{})
	var cancelled bool
	var logs syncBuffer
	var c collect
	reg := deploymentKinds(func(ctx context.Context, log *slog.Logger, path string, emit func(*resource.Document)) error {
		switch filepath.Base(path) {
		case "a-mod.y":
			close(modStarted)
			<-mainRead // main.y is read only after a-mod.y was withdrawn
			cancelled = ctx.Err() != nil
			log.WarnContext(ctx, "read alone", "file", "a-mod.y")
			emit(&resource.Document{ID: "a-mod.y"})
			return resource.Errorf(resource.Position{File: path}, "missing inputs")
		default:
			close(mainRead)
			emit(&resource.Document{ID: "main.y"})
			return nil
		}
	}, func(p string) []string {
		if filepath.Base(p) != "main.y" {
			return nil
		}
		<-modStarted // a-mod.y is being read when its caller is found
		return []string{filepath.Join(filepath.Dir(p), "a-mod.y")}
	})
	err := read(context.Background(), []string{dir}, Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))}, reg, 2, c.emit, c.fail)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.docs, []string{"main.y"}) || len(c.errs) != 0 {
		t.Errorf("read %v, errors %v; want main.y only", c.docs, c.errs)
	}
	if !cancelled {
		t.Error("the withdrawn read's context was not cancelled")
	}
	if strings.Contains(logs.String(), "read alone") {
		t.Errorf("the withdrawn read's log record was passed on: %q", logs.String())
	}
}

// A deployment named on the command line is read at once, even while a
// walk of another path is blocked, and never held: it is read whatever
// calls it.
func TestNamedDeploymentIsReadAtOnce(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write(t, dir, map[string]string{"named.y": "", "tree/caller.y": ""})
	gate := make(chan struct{})
	var c collect
	reg := deploymentKinds(func(_ context.Context, _ *slog.Logger, path string, emit func(*resource.Document)) error {
		if filepath.Base(path) == "named.y" {
			emit(&resource.Document{ID: "named.y"})
			c.mu.Lock()
			passed := slices.Contains(c.docs, "named.y")
			c.mu.Unlock()
			if !passed {
				t.Error("a named deployment's document was held back")
			}
			close(gate)
			return nil
		}
		emit(&resource.Document{ID: filepath.Base(path)})
		return nil
	}, func(p string) []string {
		if filepath.Base(p) == "caller.y" {
			<-gate // the walk ends only after named.y was read
			return []string{filepath.Join(dir, "named.y")}
		}
		return nil
	})
	err := read(context.Background(), []string{filepath.Join(dir, "tree"), filepath.Join(dir, "named.y")}, Options{}, reg, 2, c.emit, c.fail)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(c.docs)
	if !slices.Equal(c.docs, []string{"caller.y", "named.y"}) {
		t.Errorf("read %v, want caller.y and named.y", c.docs)
	}
}
