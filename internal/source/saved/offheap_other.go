//go:build !unix

package saved

// offHeap is not available here: idSet keeps its table on the heap.
func offHeap(int) ([]byte, bool) { return nil, false }

func freeOffHeap([]byte) {}

func slotsOf([]byte, int) ([][2]uint64, []int32) { return nil, nil }
