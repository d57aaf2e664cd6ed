//go:build unix

package source

import (
	"io/fs"
	"os"
	"syscall"
)

// wakeOpen returns what releases an open of path that waits for a
// writer: for a named pipe, opening it for writing without waiting, and
// closing it at once (the reader sees the end of the stream).
func wakeOpen(path string) func() {
	info, err := os.Stat(path)
	if err != nil || info.Mode()&fs.ModeNamedPipe == 0 {
		return func() {}
	}
	return func() {
		if w, err := os.OpenFile(path, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			w.Close()
		}
	}
}
