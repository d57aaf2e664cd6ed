package source

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/kvguard/kvguard/internal/resource"
)

// maxSpoolBytes bounds what is kept of a stream that is not saved Azure
// JSON (a template or plan through a pipe), which is spooled to a
// temporary file for its reader.
const maxSpoolBytes = 1 << 30

// readStream reads a named pipe, /dev/fd/N or another file that is not a
// regular file, named on the command line: as a stream, never by its
// size. Its name, else its first 64 KiB, decide its kind. Saved Azure
// JSON is read as it flows; anything else is spooled to a temporary file
// (at most 1 GiB, removed after) and read from there, under the
// stream's own name in every message and document. Cancelling ctx stops
// the read even while the pipe waits for its writer.
func (r *run) readStream(ctx context.Context, name string, emit func(*resource.Document)) error {
	f, err := openStream(ctx, name)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return &resource.InputError{Pos: resource.Position{File: name}, Msg: "cannot read: " + friendly(err), Err: err}
	}
	defer f.Close()
	stop := context.AfterFunc(ctx, func() { _ = f.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()
	br := bufio.NewReaderSize(&ctxReader{ctx: ctx, r: f}, sniffBytes)
	head, err := br.Peek(sniffBytes)
	if err != nil && !errors.Is(err, io.EOF) {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return &resource.InputError{Pos: resource.Position{File: name}, Msg: "cannot read: " + friendly(err), Err: err}
	}
	spec := r.reg.byName(name)
	if spec == nil {
		spec, _ = r.reg.byContent(head, true)
	}
	switch spec.kind {
	case "":
		return &resource.InputError{Pos: resource.Position{File: name}, Msg: spec.why}
	case Bicep:
		return &resource.InputError{Pos: resource.Position{File: name}, Msg: "a Bicep file cannot be read from a pipe (its modules and parameters are found beside it): name the file"}
	}
	if sr, ok := r.readers[spec.kind].(streamReader); ok {
		return sr.ReadFrom(ctx, br, name, emit)
	}
	return spool(ctx, name, br, spec, r.readers[spec.kind], r.tag(Input{Path: name, Kind: spec.kind}, emit))
}

// spool copies the stream to a temporary file and reads that, giving the
// stream's name to every document and message.
func spool(ctx context.Context, name string, r io.Reader, spec *kindSpec, reader Reader, emit func(*resource.Document)) error {
	dir, err := os.MkdirTemp("", "kvguard-stream-")
	if err != nil {
		return fmt.Errorf("read %s: %w", name, err)
	}
	defer os.RemoveAll(dir)
	base := "stream.json"
	if len(spec.suffixes) > 0 {
		base = "stream" + spec.suffixes[0]
	}
	tmp := filepath.Join(dir, base)
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("read %s: %w", name, err)
	}
	n, err := io.Copy(f, io.LimitReader(r, maxSpoolBytes+1))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	switch {
	case ctx.Err() != nil:
		return ctx.Err()
	case err != nil:
		return &resource.InputError{Pos: resource.Position{File: name}, Msg: "cannot read: " + friendly(err), Err: err}
	case n > maxSpoolBytes:
		return &resource.InputError{Pos: resource.Position{File: name}, Msg: fmt.Sprintf("longer than %d MiB: save it to a file and name that", maxSpoolBytes>>20)}
	}
	target := tmp
	if spec.dirUnit {
		target = dir
	}
	rename := func(s string) string {
		return strings.ReplaceAll(strings.ReplaceAll(s, tmp, name), dir, filepath.Dir(name))
	}
	err = reader.Read(ctx, target, func(d *resource.Document) {
		d.Source.File = rename(d.Source.File)
		d.Deployment = rename(d.Deployment)
		for i := range d.Suppressions {
			d.Suppressions[i].Pos.File = rename(d.Suppressions[i].Pos.File)
		}
		for i := range d.Gaps {
			d.Gaps[i].Err = rename(d.Gaps[i].Err)
		}
		emit(d)
	})
	return renameErr(err, rename)
}

// renameErr gives the errors of err (an errors.Join tree) their
// stream's name.
func renameErr(err error, rename func(string) string) error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, renameErr(e, rename))
		}
		return errors.Join(out...)
	}
	if ie, ok := err.(*resource.InputError); ok {
		c := *ie
		c.Pos.File = rename(c.Pos.File)
		c.Msg = rename(c.Msg)
		return &c
	}
	return &renamed{msg: rename(err.Error()), err: err}
}

// renamed is an error whose message names the stream rather than its
// temporary file.
type renamed struct {
	msg string
	err error
}

func (e *renamed) Error() string { return e.msg }
func (e *renamed) Unwrap() error { return e.err }

// ctxReader reads r until ctx is cancelled; a read cut short by the
// cancellation returns ctx's error.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if err != nil && c.ctx.Err() != nil {
		return n, c.ctx.Err()
	}
	return n, err
}

// openStream opens a file that may block on open (a named pipe waits for
// its writer) and gives up when ctx is cancelled; a named pipe's pending
// open is then released by connecting a writer that leaves at once.
func openStream(ctx context.Context, path string) (*os.File, error) {
	type opened struct {
		f   *os.File
		err error
	}
	ch := make(chan opened, 1)
	go func() {
		f, err := os.Open(path)
		ch <- opened{f, err}
	}()
	select {
	case o := <-ch:
		return o.f, o.err
	case <-ctx.Done():
	}
	go func() {
		wake := wakeOpen(path)
		for range 1000 {
			select {
			case o := <-ch:
				if o.f != nil {
					o.f.Close()
				}
				return
			case <-time.After(10 * time.Millisecond):
				wake()
			}
		}
	}()
	return nil, ctx.Err()
}
