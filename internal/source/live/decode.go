package live

import (
	"errors"
	"sync"

	"github.com/kvguard/kvguard/internal/jsonpos"
)

// Azure's answers are decoded with jsonpos rather than encoding/json: the
// same plain values (map[string]any, []any, string, bool, nil), with
// numbers already int64 (or float64), as documents keep them, so that no
// second pass converts json.Numbers; member names and short values
// (types, locations, states) interned by a pooled decoder across answers;
// and several times less CPU, which a scan of a million objects spends
// mostly here.

var decoders = sync.Pool{New: func() any { return jsonpos.NewDecoderAt(nil, "azure", jsonpos.Pos{Line: 1, Col: 1}, 0) }}

// decodeValue decodes one JSON document.
func decodeValue(data []byte) (any, error) {
	d := decoders.Get().(*jsonpos.Decoder)
	defer decoders.Put(d)
	d.Reset(data, jsonpos.Pos{Line: 1, Col: 1}, 0)
	v, _, _, err := d.Value()
	if err == nil {
		err = d.Finish()
	}
	d.Reset(nil, jsonpos.Pos{Line: 1, Col: 1}, 0) // drop data
	return v, err
}

var errNotObject = errors.New("the answer is not a JSON object")

// decodeMap decodes one JSON object.
func decodeMap(data []byte) (map[string]any, error) {
	v, err := decodeValue(data)
	if err != nil {
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, errNotObject
	}
	return m, nil
}

// objects returns the objects of m[key] (an array of objects: a list
// page's value, a Resource Graph answer's data); other elements are
// dropped, as encoding/json would refuse them.
func objects(m map[string]any, key string) []map[string]any {
	arr, _ := m[key].([]any)
	out := make([]map[string]any, 0, len(arr))
	for _, e := range arr {
		if o, ok := e.(map[string]any); ok {
			out = append(out, o)
		}
	}
	return out
}
