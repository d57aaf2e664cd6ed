//go:build unix

package saved

import (
	"syscall"
	"unsafe"
)

// offHeap returns n zeroed bytes mapped outside the Go heap, and true; or
// false when the system refuses, for the caller to use the heap instead.
// The memory holds no pointers (the garbage collector does not see it) and
// must be given back with freeOffHeap once nothing refers to it.
func offHeap(n int) ([]byte, bool) {
	b, err := syscall.Mmap(-1, 0, n, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		return nil, false
	}
	return b, true
}

func freeOffHeap(b []byte) {
	if len(b) == 0 {
		return
	}
	_ = syscall.Munmap(b) // only fails for a range that is not mapped
}

// slotsOf views b (from offHeap, so aligned to a page) as slots and lines
// of an idSet of size slots.
func slotsOf(b []byte, size int) ([][2]uint64, []int32) {
	keys := unsafe.Slice((*[2]uint64)(unsafe.Pointer(unsafe.SliceData(b))), size)
	lines := unsafe.Slice((*int32)(unsafe.Pointer(&b[16*size])), size)
	return keys, lines
}
