//go:build !(linux || darwin)

package store

import (
	"fmt"
	"os"
)

// fullChild needs RLIMIT_FSIZE (diskfull_unix_test.go).
func fullChild(string) int {
	fmt.Fprintln(os.Stderr, "the full-disk test needs RLIMIT_FSIZE (Linux, macOS)")
	return 1
}
