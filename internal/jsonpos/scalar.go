package jsonpos

// Scalar is one JSON value decoded without boxing: Kind says which field
// holds it. Objects and arrays, which Scalar also accepts, are decoded as
// Value would decode them, into Any.
type Scalar struct {
	Kind  Kind
	Str   string  // String
	Int   int64   // Number, when IsInt
	Float float64 // Number
	IsInt bool
	Bool  bool // Bool
	Any   any  // Object, Array
}

// Interface returns the value as Value would have returned it.
func (s Scalar) Interface() any {
	switch s.Kind {
	case String:
		return s.Str
	case Number:
		if s.IsInt {
			return s.Int
		}
		return s.Float
	case Bool:
		return s.Bool
	case Object, Array:
		return s.Any
	}
	return nil
}

// Scalar decodes the next value like Value, but returns scalars unboxed,
// so that a caller converting numbers (Unix timestamps) allocates nothing
// for them.
func (d *Decoder) Scalar() (s Scalar, start, end Pos, err error) {
	c, ok, err := d.prepareValue()
	if err != nil {
		return s, d.Pos(), d.Pos(), err
	}
	start = d.Pos()
	if !ok {
		return s, start, start, d.errAt(start, "unexpected end of input, expected a value")
	}
	d.keep = d.pos
	defer func() { d.keep = -1 }()
	switch {
	case c == '"':
		s.Kind = String
		s.Str, err = d.readString()
	case c == '-' || (c >= '0' && c <= '9'):
		s.Kind = Number
		s.Int, s.Float, s.IsInt, err = d.parseNumber()
	default:
		var v any
		v, err = d.value(c, d.depth())
		switch x := v.(type) {
		case bool:
			s.Kind, s.Bool = Bool, x
		case nil:
			s.Kind = Null
		case map[string]any:
			s.Kind, s.Any = Object, x
		case []any:
			s.Kind, s.Any = Array, x
		}
	}
	return s, start, d.Pos(), err
}
