//go:build unix

package arm

import "syscall"

// openNonBlock keeps an open of a FIFO that replaced a checked file from
// waiting for a writer.
const openNonBlock = syscall.O_NONBLOCK
