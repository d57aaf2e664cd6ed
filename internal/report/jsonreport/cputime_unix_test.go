//go:build unix

package jsonreport

import (
	"syscall"
	"time"
)

// processCPU is the CPU time the process has used, user and system. Tests
// that run while it is measured are sequential, so it is the measured
// code's (and its garbage collection's).
func processCPU() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
