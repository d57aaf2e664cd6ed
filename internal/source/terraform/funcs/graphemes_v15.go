//go:build !go1.27

package funcs

import "github.com/apparentlymart/go-textseg/v15/textseg"

// Below Go 1.27 (Unicode 15 in the standard library) hcl and cty segment
// with go-textseg v15; so does length().
var scanGraphemeClusters = textseg.ScanGraphemeClusters
