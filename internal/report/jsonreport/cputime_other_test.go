//go:build !unix

package jsonreport

import "time"

// processCPU is not measured here; TestLargeIsFast falls back to wall time.
func processCPU() (time.Duration, bool) { return 0, false }
