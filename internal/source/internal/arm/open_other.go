//go:build !unix

package arm

// openNonBlock is a no-op where FIFOs are not files.
const openNonBlock = 0
