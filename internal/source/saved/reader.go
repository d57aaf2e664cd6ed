package saved

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sort"
	"strings"

	"github.com/kvguard/kvguard/internal/jsonpos"
	"github.com/kvguard/kvguard/internal/resource"
)

// Provenance kinds this package writes.
const (
	KindAzureJSON = "azure-json"
	KindSnapshot  = "snapshot"
)

// Options configure a Reader.
type Options struct {
	// Logger receives diagnostics (skipped resource types, counts). Nil
	// discards them. Problems with the input are returned, never logged.
	Logger *slog.Logger
	// MaxValueBytes bounds the bytes of one resource held in memory at
	// once; 0 means jsonpos.DefaultMaxValueBytes. A larger single value
	// stops the file with a positioned error. Tests lower it.
	MaxValueBytes int
	// Workers decode the resources of a long array in parallel (a saved
	// estate's million secrets); 0 means GOMAXPROCS, 1 reads on the
	// calling goroutine only. Documents are emitted in the same order,
	// from the goroutine that called Read, either way.
	Workers int
}

// Reader reads saved Azure JSON. It holds no state between calls, so one
// Reader may read several inputs concurrently.
type Reader struct {
	log           *slog.Logger
	maxValue      int
	maxHeld       int // see snapshot; tests lower it
	workers       int
	parallelAfter int // see parallel.go; tests lower it
	chunkElems    int // see parallel.go; tests lower it
	blockMin      int // see blocks.go; tests lower them
	blockMax      int
}

// New returns a Reader.
func New(opts Options) *Reader {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	return &Reader{log: log, maxValue: opts.MaxValueBytes, maxHeld: defaultMaxHeld,
		workers: workers, parallelAfter: defaultParallelAfter, chunkElems: defaultChunkElems,
		blockMin: defaultBlockMin, blockMax: defaultBlockMax}
}

// Read reads the file or directory at path and calls emit for each
// document. A directory is read recursively in lexical order; its files
// are chosen by content (a JSON object or array), and there a file that is
// JSON but not a recognised shape is a warning rather than an error,
// because directories hold other JSON too (package.json). The path "-"
// names standard input, which the caller passes to ReadFrom.
//
// It returns nil or an errors.Join of *resource.InputError; everything
// that can be read is read and emitted whatever the errors.
func (r *Reader) Read(ctx context.Context, path string, emit func(*resource.Document)) error {
	if path == "-" {
		return &resource.InputError{Pos: resource.Position{File: "-"}, Msg: "standard input must be read with ReadFrom"}
	}
	info, err := os.Stat(path)
	if err != nil {
		return &resource.InputError{Pos: resource.Position{File: path}, Msg: describeFSError(err), Err: err}
	}
	if !info.IsDir() {
		return r.readFile(ctx, path, false, emit)
	}
	var errs []error
	werr := filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			errs = append(errs, &resource.InputError{Pos: resource.Position{File: p}, Msg: describeFSError(err), Err: err})
			return nil
		}
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
		if d.IsDir() {
			if p != path && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir // .git, .terraform: never saved Azure JSON
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		if err := r.readFile(ctx, p, true, emit); err != nil {
			errs = append(errs, err)
		}
		return nil
	})
	if werr != nil {
		errs = append(errs, werr)
	}
	return errors.Join(errs...)
}

// ReadFrom reads one input from in; name is what positions and provenance
// call it ("-" or "<stdin>" for standard input).
func (r *Reader) ReadFrom(ctx context.Context, in io.Reader, name string, emit func(*resource.Document)) error {
	return r.read(ctx, in, name, false, emit, 0)
}

// statSize is the size of an open regular file, else 0.
func statSize(f *os.File) int64 {
	if info, err := f.Stat(); err == nil && info.Mode().IsRegular() {
		return info.Size()
	}
	return 0
}

// bytesPerResource is about the smallest a resource in saved JSON takes
// (an ARM secret with its provenance: 600 bytes; a data-plane list item:
// 300), for sizing the table of IDs from the file's size.
const bytesPerResource = 512

func (r *Reader) readFile(ctx context.Context, path string, inDir bool, emit func(*resource.Document)) error {
	f, err := os.Open(path)
	if err != nil {
		return &resource.InputError{Pos: resource.Position{File: path}, Msg: describeFSError(err), Err: err}
	}
	defer f.Close()
	return r.read(ctx, f, path, inDir, emit, statSize(f))
}

// read is the boundary at which a panic becomes an InputError naming the
// file, so that one bad input can never stop a scan.
func (r *Reader) read(ctx context.Context, in io.Reader, name string, inDir bool, emit func(*resource.Document), size int64) (err error) {
	fr := &fileReader{ctx: ctx, log: r.log, file: name, lenient: inDir, emit: emit, maxHeld: r.maxHeld,
		workers: r.workers, parallelAfter: r.parallelAfter, chunkElems: r.chunkElems,
		blockMin: r.blockMin, blockMax: r.blockMax}
	defer func() {
		if p := recover(); p != nil {
			r.log.Debug("panic while reading", "file", name, "panic", p, "stack", string(debug.Stack()))
			fr.errs = append(fr.errs, &resource.InputError{
				Pos: resource.Position{File: name},
				Msg: fmt.Sprintf("internal error while reading this file (please report it): %v", p),
			})
			err = errors.Join(fr.errs...)
		}
	}()
	defer fr.seen.release() // a large table is off the heap (idSet)
	br := bufio.NewReaderSize(in, 64<<10)
	src, ok, serr := sniff(br, inDir)
	if serr != nil {
		fr.errs = append(fr.errs, &resource.InputError{Pos: resource.Position{File: name}, Msg: serr.Error(), Err: serr})
		return errors.Join(fr.errs...)
	}
	if !ok {
		r.log.Debug("skipping a file that is not JSON", "file", name)
		return nil
	}
	if size > 0 {
		fr.seen.reserve(int(min(size/bytesPerResource, 1<<30)))
	}
	fr.d = jsonpos.NewDecoder(src, name)
	fr.d.MaxValueBytes = r.maxValue
	fr.run()
	fr.logSummary()
	return errors.Join(sortByPosition(fr.errs)...)
}

// sniff strips a byte-order mark and transcodes UTF-16 (what Windows
// PowerShell's ">" writes) to UTF-8. In a directory, ok is false for a file
// whose first byte cannot start a JSON object or array: it is some other
// file, not bad input.
func sniff(br *bufio.Reader, inDir bool) (io.Reader, bool, error) {
	head, _ := br.Peek(4)
	switch {
	case len(head) >= 3 && head[0] == 0xEF && head[1] == 0xBB && head[2] == 0xBF:
		_, _ = br.Discard(3)
	case len(head) >= 2 && head[0] == 0xFF && head[1] == 0xFE:
		_, _ = br.Discard(2)
		return newUTF16Reader(br, false), true, nil
	case len(head) >= 2 && head[0] == 0xFE && head[1] == 0xFF:
		_, _ = br.Discard(2)
		return newUTF16Reader(br, true), true, nil
	}
	if !inDir {
		return br, true, nil
	}
	// Look past leading whitespace without consuming it, so that line
	// numbers stay right.
	for i := 1; i <= br.Size(); i++ {
		b, err := br.Peek(i)
		if len(b) < i {
			_ = err
			return br, true, nil // empty or blank: reported as such
		}
		switch b[i-1] {
		case ' ', '\t', '\r', '\n':
			continue
		case '{', '[':
			return br, true, nil
		}
		return br, false, nil
	}
	return br, false, nil
}

// sortByPosition orders a file's errors by line and column (stably), so
// that problems found when the file ends (a snapshot's unused gaps) are
// listed where they are in the file.
func sortByPosition(errs []error) []error {
	pos := func(e error) (int, int) {
		var ie *resource.InputError
		if errors.As(e, &ie) {
			return ie.Pos.Line, ie.Pos.Col
		}
		return 1 << 30, 0
	}
	sort.SliceStable(errs, func(i, j int) bool {
		li, ci := pos(errs[i])
		lj, cj := pos(errs[j])
		if li != lj {
			return li < lj
		}
		return ci < cj
	})
	return errs
}

func describeFSError(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Op + ": " + pe.Err.Error()
	}
	return err.Error()
}
