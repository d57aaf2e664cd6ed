//go:build go1.27

package funcs

import "github.com/apparentlymart/go-textseg/v17/textseg"

// From Go 1.27 (Unicode 17) hcl and cty segment with go-textseg v17; so
// does length().
var scanGraphemeClusters = textseg.ScanGraphemeClusters
