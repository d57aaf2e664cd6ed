package saved

import (
	"context"

	"github.com/kvguard/kvguard/internal/resource"
)

// ReadFound reads a file that a directory walk found, as Read reads the
// files of a directory it is given: a file that is not JSON is skipped,
// and one that is JSON of a shape kvguard does not know is a warning
// rather than an error (directories hold other JSON too).
func (r *Reader) ReadFound(ctx context.Context, path string, emit func(*resource.Document)) error {
	return r.readFile(ctx, path, true, emit)
}
