// Package testsupport holds what tests share and production code never
// imports: generators of large inputs (synth, bicepgen, gentree), which
// the benchmarks under bench/ import too. The layering test keeps the
// direction: bench imports these, never the reverse.
package testsupport

import "flag"

// Fuzzing reports whether go test -fuzz is generating inputs. Only then
// do fuzz targets report a slow input (a blow-up to look into, kept as a
// seed); the seed corpus that go test runs never asserts on elapsed time.
func Fuzzing() bool {
	f := flag.Lookup("test.fuzz")
	return f != nil && f.Value.String() != ""
}
