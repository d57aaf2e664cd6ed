package source

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/kvguard/kvguard/internal/resource"
)

// deploymentKinds: *.y files are deployments read by read (with the
// read's logger), whose calls are found by calls.
func deploymentKinds(read func(context.Context, *slog.Logger, string, func(*resource.Document)) error, calls func(string) []string) registry {
	return registry{
		{kind: "y", suffixes: []string{".y"}, calls: calls, deployment: true, newReader: func(o *Options) Reader {
			log := o.logger()
			return fakeReader{do: func(ctx context.Context, path string, emit func(*resource.Document)) error {
				return read(ctx, log, path, emit)
			}}
		}},
	}
}

// A deployment is read while the walk goes on, before the plan knows it
// is a root: here the walk cannot finish until the first deployment it
// found has been read (the second one's call finder waits for that
// reading), which a walk-then-plan-then-read design never does. Its
// output is then handed to its unit whole, once.
func TestDeploymentsAreReadDuringTheWalk(t *testing.T) {
	t.Parallel()
	for _, n := range []int{1, 2} {
		dir := t.TempDir()
		write(t, dir, map[string]string{"a.y": "", "b.y": ""}) // listed in this order
		aRead := make(chan struct{})
		reg := deploymentKinds(func(_ context.Context, _ *slog.Logger, path string, emit func(*resource.Document)) error {
			emit(&resource.Document{ID: path})
			if strings.HasSuffix(path, "a.y") {
				emit(&resource.Document{ID: path + "#2"})
				close(aRead)
			}
			return nil
		}, func(p string) []string {
			if strings.HasSuffix(p, "b.y") {
				<-aRead
			}
			return nil
		})
		var c collect
		if err := read(context.Background(), []string{dir}, Options{}, reg, n, c.units, c.fail); err != nil {
			t.Fatal(err)
		}
		slices.Sort(c.events)
		if want := []string{"done a.y 2", "done b.y 1"}; !reflect.DeepEqual(c.events, want) {
			t.Errorf("%d readers: events %q, want %q", n, c.events, want)
		}
	}
}

// A deployment read before its caller was found is thrown away when the
// caller turns up: none of its documents, problems or log records (made
// with the reader's context) reaches a unit, fail or the log, and no unit
// is opened for it. The module's reading is complete before its caller
// is found (the caller's call finder waits for it).
func TestSpeculationOfACalledDeploymentIsDropped(t *testing.T) {
	t.Parallel()
	for _, n := range []int{1, 2} {
		dir := t.TempDir()
		write(t, dir, map[string]string{"m.y": "", "z.y": ""}) // the module is listed first
		moduleRead := make(chan struct{})
		var mu sync.Mutex
		reads := map[string]int{}
		reg := deploymentKinds(func(ctx context.Context, log *slog.Logger, path string, emit func(*resource.Document)) error {
			mu.Lock()
			reads[filepath.Base(path)]++
			mu.Unlock()
			emit(&resource.Document{ID: path})
			if filepath.Base(path) == "m.y" {
				defer close(moduleRead)
				log.WarnContext(ctx, "module warning", "file", path)
				return &resource.InputError{Pos: resource.Position{File: path}, Msg: "module problem"}
			}
			log.WarnContext(ctx, "root warning", "file", path)
			return nil
		}, func(p string) []string {
			if filepath.Base(p) == "z.y" {
				<-moduleRead
				return []string{filepath.Join(dir, "m.y")}
			}
			return nil
		})
		var logs bytes.Buffer
		var c collect
		opts := Options{Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))}
		if err := read(context.Background(), []string{dir}, opts, reg, n, c.units, c.fail); err != nil {
			t.Fatal(err)
		}
		if want := []string{"done z.y 1"}; !reflect.DeepEqual(c.events, want) || len(c.errs) != 0 {
			t.Errorf("%d readers: events %q, errors %v, want %q", n, c.events, c.errs, want)
		}
		if reads["m.y"] != 1 || reads["z.y"] != 1 {
			t.Errorf("%d readers: reads %v, want the module read once (speculatively) and its caller once", n, reads)
		}
		if out := logs.String(); strings.Contains(out, "module warning") || !strings.Contains(out, "root warning") {
			t.Errorf("%d readers: log %q: want the root's warning and not the module's", n, out)
		}
	}
}

// A deployment whose caller is already known when the walk finds it is
// never read on its own.
func TestCalledDeploymentFoundLateIsNotRead(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write(t, dir, map[string]string{"a.y": "", "m.y": ""}) // the caller is listed first
	var mu sync.Mutex
	var reads []string
	reg := deploymentKinds(func(_ context.Context, _ *slog.Logger, path string, emit func(*resource.Document)) error {
		mu.Lock()
		reads = append(reads, filepath.Base(path))
		mu.Unlock()
		emit(&resource.Document{ID: path})
		return nil
	}, func(p string) []string {
		if filepath.Base(p) == "a.y" {
			return []string{filepath.Join(dir, "m.y")}
		}
		return nil
	})
	var c collect
	if err := read(context.Background(), []string{dir}, Options{}, reg, 1, c.units, c.fail); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(reads, []string{"a.y"}) || !reflect.DeepEqual(c.events, []string{"done a.y 1"}) {
		t.Errorf("reads %q, events %q: want a.y alone", reads, c.events)
	}
}

// What speculations hold is bounded: with room for one document, the
// deployments past it wait for the plan, and every root is still read
// once, every module dropped, whatever the number of readers.
func TestHeldSpeculationsAreBounded(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	files := map[string]string{}
	for i := range 12 {
		files[fmt.Sprintf("d%02d/main.y", i)] = ""
		files[fmt.Sprintf("d%02d/mod.y", i)] = ""
	}
	write(t, dir, files)
	reg := deploymentKinds(func(_ context.Context, _ *slog.Logger, path string, emit func(*resource.Document)) error {
		emit(&resource.Document{ID: path})
		emit(&resource.Document{ID: path + "#2"})
		return errors.New("problem in " + filepath.Base(filepath.Dir(path)) + "/" + filepath.Base(path))
	}, func(p string) []string {
		if filepath.Base(p) == "main.y" {
			return []string{filepath.Join(filepath.Dir(p), "mod.y")}
		}
		return nil
	})
	for _, held := range []int{1, 3, 0} {
		for _, n := range []int{1, 2, 4} {
			var c collect
			left := -1
			opts := Options{held: held, finished: func(r *run) { left = len(r.specs) + r.held }}
			if err := read(context.Background(), []string{dir}, opts, reg, n, c.units, c.fail); err != nil {
				t.Fatal(err)
			}
			if left != 0 {
				// Every deployment was handed out or thrown away: the run
				// forgets it (its bookkeeping does not grow with the tree).
				t.Errorf("held %d, %d readers: the run still keeps %d speculations and held weight after reading", held, n, left)
			}
			if len(c.docs) != 24 || len(c.errs) != 12 {
				t.Errorf("held %d, %d readers: %d documents, %d problems; want 24 and 12", held, n, len(c.docs), len(c.errs))
			}
			for _, e := range c.errs {
				if strings.Contains(e.Error(), "mod.y") {
					t.Errorf("held %d, %d readers: a module's problem was passed on: %v", held, n, e)
				}
			}
		}
	}
}
