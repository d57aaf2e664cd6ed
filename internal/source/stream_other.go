//go:build !unix

package source

// wakeOpen: elsewhere than on Unix, a pending open is left to finish on
// its own.
func wakeOpen(string) func() { return func() {} }
