package funcs

import (
	"time"

	"github.com/zclconf/go-cty/cty"
)

// TimeCmpFunc is timecmp(a, b): -1, 0 or 1 comparing two RFC 3339
// timestamps.
var TimeCmpFunc = stringFunc([]string{"timestamp_a", "timestamp_b"}, func(s []string) (cty.Value, error) {
	a, err := time.Parse(time.RFC3339, s[0])
	if err != nil {
		return cty.NilVal, err
	}
	b, err := time.Parse(time.RFC3339, s[1])
	if err != nil {
		return cty.NilVal, err
	}
	return cty.NumberIntVal(int64(a.Compare(b))), nil
}, cty.Number)
