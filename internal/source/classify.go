package source

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"sync"
)

// sniffBytes is how much of a JSON file is read to recognise it.
const sniffBytes = 64 << 10

// Classify recognises one file: by its name, else by the first 64 KiB of
// its content, trying the kinds in order. A file named on the command line
// (named) that no kind recognises is read as saved Azure JSON, whose
// reader says what is wrong with it; a file found by a walk is left out
// instead, and why says why. A kind-less result with a reason is a file
// kvguard recognises but does not read (a variables file, say).
func Classify(path string, named bool) (kind Kind, why string, err error) {
	return kinds.classify(path, named)
}

func (r registry) classify(path string, named bool) (kind Kind, why string, err error) {
	if spec := r.byName(path); spec != nil {
		return spec.kind, spec.why, nil
	}
	var spec *kindSpec
	err = withHead(path, func(head []byte) { spec, why = r.byContent(head, named) })
	if err != nil {
		return "", "", fmt.Errorf("cannot read: %s", friendly(err))
	}
	if spec == nil {
		return "", why, nil
	}
	return spec.kind, spec.why, nil
}

// byName is the entry whose suffixes match the file's name, or nil.
func (r registry) byName(path string) *kindSpec {
	lower := strings.ToLower(path)
	for i := range r {
		for _, suffix := range r[i].suffixes {
			if strings.HasSuffix(lower, suffix) {
				return &r[i]
			}
		}
	}
	return nil
}

// isSniffed reports whether a walk reads a file of this name to
// recognise it by content.
func isSniffed(name string) bool {
	lower := strings.ToLower(name)
	for _, suffix := range sniffed {
		if strings.HasSuffix(lower, suffix) {
			return true
		}
	}
	return false
}

// byContent recognises a JSON file from its leading bytes: the entry
// (which may be kind-less, with its reason), or nil and why not.
func (r registry) byContent(head []byte, named bool) (*kindSpec, string) {
	for i := range r {
		spec := &r[i]
		switch {
		case spec.content == nil:
			continue
		case spec.fallback && named:
			return spec, ""
		case spec.fallback && len(bytes.TrimSpace(head)) == 0:
			return nil, whyEmpty
		case spec.content(head):
			return spec, ""
		}
	}
	return nil, whyNotInput
}

// Why a walk leaves out a file that is none of kvguard's inputs.
const (
	whyEmpty    = "empty file"
	whyNotInput = "not an Azure resource, template or plan"
)

func friendly(err error) string {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "no such file or directory"
	case errors.Is(err, fs.ErrPermission):
		return "permission denied"
	}
	return err.Error()
}

// heads are the buffers files are sniffed into, one per walking
// goroutine at a time.
var heads = sync.Pool{New: func() any { b := make([]byte, sniffBytes); return &b }}

// withHead calls f with the first 64 KiB of the file at p (f must not
// keep them).
func withHead(p string, f func(head []byte)) error {
	file, err := os.Open(p)
	if err != nil {
		return err
	}
	defer file.Close()
	buf := heads.Get().(*[]byte)
	defer heads.Put(buf)
	n, err := io.ReadFull(file, *buf)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return err
	}
	f((*buf)[:n])
	return nil
}
