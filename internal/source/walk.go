package source

import (
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/kvguard/kvguard/internal/readfs"
)

// walker walks directories on every core. Each directory is listed by
// one goroutine, which recognises its files (reading the first 64 KiB of
// each JSON file) and finds the deployments each one calls; the
// subdirectories go back on the list.
type walker struct {
	d  *discovery
	q  *queue[dir]
	wg sync.WaitGroup
}

// dir is a directory to list, under the root the user named.
type dir struct {
	path string
	root *root
}

// root is a directory named on the command line: its path as named, and
// where it really is (it may be a link), which bounds the links a walk
// follows.
type root struct {
	path, real string
}

func newWalker(d *discovery) *walker {
	w := &walker{d: d, q: newQueue[dir](&stack[dir]{})}
	for range d.workers {
		w.wg.Add(1)
		go w.work()
	}
	return w
}

// root adds a directory named on the command line.
func (w *walker) root(p string) {
	resolved, err := filepath.EvalSymlinks(p)
	if err != nil {
		resolved = p
	}
	if abs, err := filepath.Abs(resolved); err == nil {
		resolved = abs
	}
	w.q.push(dir{path: p, root: &root{path: p, real: resolved}})
}

// wait waits for the walk to finish.
func (w *walker) wait() {
	w.q.close()
	w.wg.Wait()
}

func (w *walker) work() {
	defer w.wg.Done()
	for {
		job, ok := w.q.pop()
		if !ok {
			return
		}
		if w.d.ctx.Err() == nil {
			w.list(job)
		}
		w.q.done()
	}
}

// list reads one directory.
func (w *walker) list(job dir) {
	entries, err := readfs.ReadDir(job.path)
	if err != nil {
		w.d.errorf(job.path, err, "cannot read: %s", friendly(err))
	}
	siblings := make(map[string]bool, len(entries))
	for _, e := range entries {
		siblings[e.Name()] = true
	}
	var module *kindSpec
	for _, e := range entries {
		if w.d.ctx.Err() != nil {
			return
		}
		p := filepath.Join(job.path, e.Name())
		mode := e.Type()
		if mode&fs.ModeSymlink != 0 {
			var ok bool
			if mode, ok = w.follow(job, p); !ok {
				continue
			}
		}
		switch {
		case mode.IsDir():
			if name := e.Name(); strings.HasPrefix(name, ".") || name == "node_modules" {
				continue // .git, .terraform (module caches are read through modules.json)
			}
			w.q.push(dir{path: p, root: job.root})
		case !mode.IsRegular():
			w.d.skip(p, slog.LevelWarn, fmt.Sprintf("not a regular file (%s): a walk reads only regular files; name it on the command line to read it", describeMode(mode)))
		default:
			if spec := w.file(p, e.Name(), siblings); spec != nil {
				module = spec
			}
		}
	}
	if module != nil {
		w.d.deployment(job.path, module, false)
	}
}

// follow resolves a symbolic link found by a walk: a link to a file in
// the tree is read under the link's name; a link to a directory is not
// followed (the directory, if it is in the tree, is read under its own
// name, and a link can never lead a walk round in a loop); a link out of
// the tree is not followed, nothing outside the named directory is read.
func (w *walker) follow(job dir, p string) (fs.FileMode, bool) {
	info, err := os.Stat(p)
	if err != nil {
		w.d.skip(p, slog.LevelWarn, "a symbolic link that leads nowhere: "+friendly(err))
		return 0, false
	}
	resolved, err := filepath.EvalSymlinks(p)
	if err == nil {
		resolved, err = filepath.Abs(resolved)
	}
	switch {
	case err != nil:
		w.d.skip(p, slog.LevelWarn, "a symbolic link that cannot be resolved: "+friendly(err))
		return 0, false
	case resolved != job.root.real && !strings.HasPrefix(resolved, job.root.real+string(filepath.Separator)):
		w.d.skip(p, slog.LevelWarn, "a symbolic link out of the directory being scanned: not followed (name its target to scan it)")
		return 0, false
	case info.IsDir():
		w.d.skip(p, slog.LevelInfo, "a symbolic link to a directory: not followed (a walk reads the directory under its own name)")
		return 0, false
	}
	return info.Mode().Type(), true
}

// file recognises one regular file found by the walk and hands it on. It
// returns the kind when the file makes its directory an input (a
// Terraform module).
func (w *walker) file(p, name string, siblings map[string]bool) (module *kindSpec) {
	defer w.d.recoverAt(p)
	if spec := w.d.reg.byName(name); spec != nil {
		switch {
		case spec.kind == "":
			w.d.skip(p, slog.LevelInfo, spec.why)
		case spec.inWalk != "":
			w.d.skip(p, slog.LevelInfo, spec.inWalk)
		case spec.dirUnit:
			return spec
		case spec.calls != nil:
			w.d.deployment(p, spec, false)
		default:
			w.d.input(Input{Path: p, Kind: spec.kind})
		}
		return nil
	}
	if !isSniffed(name) {
		return nil
	}
	var spec *kindSpec
	var why string
	err := withHead(p, func(head []byte) {
		if spec, why = w.d.reg.byContent(head, false); spec != nil && spec.besides != nil {
			if reason := spec.besides(p, head, siblings); reason != "" {
				spec, why = nil, reason
			}
		}
	})
	switch {
	case err != nil:
		w.d.errorf(p, err, "cannot read: %s", friendly(err))
	case spec == nil && (why == whyEmpty || why == whyNotInput):
		w.d.skip(p, slog.LevelDebug, why)
	case spec == nil:
		w.d.skip(p, slog.LevelInfo, why)
	case spec.kind == "":
		w.d.skip(p, slog.LevelInfo, spec.why)
	case spec.calls != nil:
		w.d.deployment(p, spec, false)
	default:
		w.d.input(Input{Path: p, Kind: spec.kind, Found: true})
	}
	return nil
}

func describeMode(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "mode " + m.String()
}
