// Package testsupport holds what tests share and production code never
// imports: generators of large inputs (synth, bicepgen, gentree), which
// the benchmarks under bench/ import too. The layering test keeps the
// direction: bench imports these, never the reverse.
package testsupport
