//go:build race

package jsonreport

// The race detector slows the writer several times over.
func init() { raceEnabled = true }
