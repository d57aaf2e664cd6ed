package source

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
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
	if spec := byName(path); spec != nil {
		return spec.kind, spec.why, nil
	}
	head, err := readHead(path)
	if err != nil {
		return "", "", fmt.Errorf("cannot read: %s", friendly(err))
	}
	return byContent(head, named)
}

// byName is the entry whose suffixes match the file's name, or nil.
func byName(path string) *kindSpec {
	lower := strings.ToLower(path)
	for i := range kinds {
		for _, suffix := range kinds[i].suffixes {
			if strings.HasSuffix(lower, suffix) {
				return &kinds[i]
			}
		}
	}
	return nil
}

// byContent recognises a JSON file from its leading bytes.
func byContent(head []byte, named bool) (Kind, string, error) {
	for i := range kinds {
		spec := &kinds[i]
		switch {
		case spec.content == nil:
			continue
		case spec.fallback && named:
			return spec.kind, "", nil
		case spec.fallback && len(bytes.TrimSpace(head)) == 0:
			return "", "empty file", nil
		case spec.content(head):
			return spec.kind, spec.why, nil
		}
	}
	return "", "not an Azure resource, template or plan", nil
}

func friendly(err error) string {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "no such file or directory"
	case errors.Is(err, fs.ErrPermission):
		return "permission denied"
	}
	return err.Error()
}

func readHead(p string) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	buf := make([]byte, sniffBytes)
	n, err := io.ReadFull(f, buf)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return buf[:n], nil
}
