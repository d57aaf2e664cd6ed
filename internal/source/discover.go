package source

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"

	"github.com/kvguard/kvguard/internal/resource"
)

// Discover turns command-line paths into inputs, sorted by path. Paths
// named explicitly are read whatever their extension (a JSON file that
// is none of the known shapes is an error for its reader to report),
// following a symbolic link; a named pipe or device is read as a stream.
// Directories are walked on every core: only recognised files are taken,
// the rest listed in skipped, and deployments that another deployment of
// the tree calls (modules, linked templates) are read through their
// caller. Deployments that call each other in a cycle, with no caller
// outside it, are an error naming the cycle.
func Discover(ctx context.Context, paths []string) (inputs []Input, skipped []Skipped, errs []*resource.InputError) {
	var mu sync.Mutex
	discover(ctx, paths, kinds, workers(), discoverer{
		input: func(in Input) { mu.Lock(); inputs = append(inputs, in); mu.Unlock() },
		skip:  func(s Skipped) { mu.Lock(); skipped = append(skipped, s); mu.Unlock() },
		fail:  func(e *resource.InputError) { mu.Lock(); errs = append(errs, e); mu.Unlock() },
	})
	sortResults(inputs, skipped, errs)
	return inputs, skipped, errs
}

func sortResults(inputs []Input, skipped []Skipped, errs []*resource.InputError) {
	slices.SortFunc(inputs, func(a, b Input) int { return cmp.Or(cmp.Compare(a.Path, b.Path), cmp.Compare(a.Kind, b.Kind)) })
	slices.SortFunc(skipped, func(a, b Skipped) int { return cmp.Or(cmp.Compare(a.Path, b.Path), cmp.Compare(a.Reason, b.Reason)) })
	slices.SortFunc(errs, func(a, b *resource.InputError) int { return cmp.Compare(a.Error(), b.Error()) })
}

// discoverer receives what discovery finds, from several goroutines at
// once: inputs to read as they are found, files left out, and problems.
//
// A deployment (a Terraform module, a template, a Bicep file) is a root,
// read on its own, only if no other deployment of the tree calls it,
// which is known for sure only once the walk is over. When deployment is
// set, it receives each deployment as soon as the walk finds it, for a
// reading that may be thrown away: input confirms it later (the plan
// found it a root) or drop rejects it (a caller was found: as soon as
// one is, else at the plan). Without deployment, input receives the
// roots once the walk is over.
type discoverer struct {
	input      func(Input)
	skip       func(Skipped)
	fail       func(*resource.InputError)
	deployment func(Input)
	drop       func(Input)
}

// discovery is one run of Discover.
type discovery struct {
	ctx     context.Context
	reg     registry
	workers int
	out     discoverer
	wd      string
	mu      sync.Mutex
	seen    map[inputKey]bool // the inputs handed out
	defs    map[string]*node  // deployments that may call each other, by absolute path
	// callers are the deployments that call a path (absolute, cleaned),
	// found or not: the plan, built as the walk goes.
	callers map[string][]*node
	// namesDone: every path named on the command line has been taken,
	// so a deployment found with a caller is known not to be a root.
	namesDone bool
}

// node is one deployment of the tree: it is read on its own unless
// another deployment of the tree calls it.
type node struct {
	key     string  // absolute, cleaned
	inputs  []Input // the names it was found under (one, but for two spellings of one path)
	named   bool    // named on the command line: always read
	calls   []string
	callers []*node
	// dropped: known not to be a root, its inputs were dropped.
	dropped bool
}

// discover finds the inputs named by paths and hands them to out:
// inputs that nothing else can call at once, as the walk finds them;
// deployments once the walk is over and it is known which ones another
// deployment calls.
func discover(ctx context.Context, paths []string, reg registry, workers int, out discoverer) {
	d := &discovery{ctx: ctx, reg: reg, workers: workers, out: out, seen: map[inputKey]bool{}, defs: map[string]*node{}, callers: map[string][]*node{}}
	d.wd, _ = os.Getwd()
	// Files named on the command line first: once they are all known, a
	// deployment the walk finds with a caller is known not to be a root.
	var dirs []string
	for _, p := range paths {
		if ctx.Err() != nil {
			break
		}
		if p == "-" {
			d.input(Input{Path: "-", Kind: Stdin})
			continue
		}
		info, err := os.Stat(p)
		switch {
		case err != nil:
			d.errorf(p, err, "cannot read: %s", friendly(err))
		case info.IsDir():
			dirs = append(dirs, p)
		case !info.Mode().IsRegular():
			d.input(Input{Path: p, Kind: Stream})
		default:
			d.named(p)
		}
	}
	d.mu.Lock()
	d.namesDone = true
	d.mu.Unlock()
	w := newWalker(d)
	for _, p := range dirs {
		w.root(p)
	}
	w.wait()
	if ctx.Err() == nil {
		d.plan()
	}
}

// named takes a regular file named on the command line.
func (d *discovery) named(p string) {
	defer d.recoverAt(p)
	kind, why, err := d.reg.classify(p, true)
	switch {
	case err != nil:
		d.errorf(p, err, "%s", err.Error())
	case kind == "":
		d.errorf(p, nil, "%s", why)
	default:
		spec := d.reg.byName(p)
		if spec == nil || spec.kind != kind {
			spec = d.reg.specOf(kind)
		}
		switch {
		case spec.dirUnit:
			d.deployment(filepath.Dir(p), spec, true)
		case spec.calls != nil:
			d.deployment(p, spec, true)
		default:
			d.input(Input{Path: p, Kind: kind})
		}
	}
}

// input hands an input out once.
func (d *discovery) input(in Input) {
	key := keyOf(in)
	d.mu.Lock()
	dup := d.seen[key]
	d.seen[key] = true
	d.mu.Unlock()
	if !dup {
		d.out.input(in)
	}
}

// deployment records a deployment that may call others, or be called,
// and hands it out to be read at once unless it is known to be called.
func (d *discovery) deployment(p string, spec *kindSpec, named bool) {
	calls := spec.calls(p)
	in := Input{Path: p, Kind: spec.kind}
	key := d.abs(p)
	var drop []Input
	d.mu.Lock()
	n := d.defs[key]
	if n == nil {
		n = &node{key: key, calls: calls}
		d.defs[key] = n
		for _, c := range calls {
			ck := d.abs(c)
			if ck == key || slices.Contains(d.callers[ck], n) {
				continue
			}
			d.callers[ck] = append(d.callers[ck], n)
			if t := d.defs[ck]; t != nil {
				drop = d.dropCalled(t, drop)
			}
		}
	}
	n.named = n.named || named
	fresh := !slices.Contains(n.inputs, in)
	if fresh {
		n.inputs = append(n.inputs, in)
	}
	drop = d.dropCalled(n, drop)
	speculate := fresh && !n.dropped && d.out.deployment != nil
	d.mu.Unlock()
	for _, in := range drop {
		d.out.drop(in)
	}
	if speculate {
		d.out.deployment(in)
	}
}

// dropCalled marks n as no root when it is known to have a caller (with
// the lock held), adding its inputs to drop.
func (d *discovery) dropCalled(n *node, drop []Input) []Input {
	if n.dropped || n.named || !d.namesDone || len(d.callers[n.key]) == 0 || d.out.drop == nil {
		return drop
	}
	n.dropped = true
	return append(drop, n.inputs...)
}

func (d *discovery) abs(p string) string {
	if filepath.IsAbs(p) || d.wd == "" {
		return filepath.Clean(p)
	}
	return filepath.Join(d.wd, p)
}

func (d *discovery) skip(p string, level slog.Level, reason string) {
	d.out.skip(Skipped{Path: p, Reason: reason, Level: level})
}

func (d *discovery) errorf(p string, err error, format string, args ...any) {
	d.out.fail(&resource.InputError{Pos: resource.Position{File: p}, Msg: fmt.Sprintf(format, args...), Err: err})
}

// recoverAt turns a panic while looking at p (a parser's bug) into an
// error on p; the walk goes on.
func (d *discovery) recoverAt(p string) {
	if r := recover(); r != nil {
		d.errorf(p, nil, "kvguard could not read this input (internal error: %v); please report it", r)
	}
}

// workers is how many goroutines walk, and read.
func workers() int { return max(1, runtime.GOMAXPROCS(0)) }
