package jsonpos

// Skip consumes the next value without building it: it checks the value's
// syntax as Value does but allocates nothing, so that callers can drop a
// member they must not keep (a secret's value) or do not need, and a
// skipped value does not count towards MaxValueBytes.
func (d *Decoder) Skip() (start, end Pos, err error) {
	c, ok, err := d.prepareValue()
	if err != nil {
		return d.Pos(), d.Pos(), err
	}
	start = d.Pos()
	if !ok {
		return start, start, d.errAt(start, "unexpected end of input, expected a value")
	}
	err = d.skipValue(c, d.depth())
	return start, d.Pos(), err
}

// skipValue mirrors value without building anything. Containers are walked
// with an explicit count of open brackets per level, so only the current
// byte window is kept in memory however large the value is.
func (d *Decoder) skipValue(c byte, depth int) error { //nolint:funlen,gocognit // hot-path JSON skipper: one case per token, kept inline for speed
	switch c {
	case '{', '[':
		if depth >= MaxDepth {
			return d.errAt(d.Pos(), "nesting deeper than %d levels", MaxDepth)
		}
		closer := byte('}')
		if c == '[' {
			closer = ']'
		}
		d.pos++
		for i := 0; ; i++ {
			c, ok, err := d.skipSpace()
			if err != nil {
				return err
			}
			if !ok {
				return d.errAt(d.Pos(), "unexpected end of input in %s", map[byte]string{'}': "object", ']': "array"}[closer])
			}
			if c == closer {
				if i > 0 {
					return d.errAt(d.Pos(), "trailing ',' before %s", quoteByte(closer))
				}
				d.pos++
				return nil
			}
			if closer == '}' {
				if c != '"' {
					return d.errAt(d.Pos(), "expected a string key, found %s", quoteByte(c))
				}
				if err := d.skipString(); err != nil {
					return err
				}
				c, ok, err = d.skipSpace()
				if err != nil {
					return err
				}
				if !ok || c != ':' {
					return d.errAt(d.Pos(), "expected ':' after object key")
				}
				d.pos++
				c, ok, err = d.skipSpace()
				if err != nil {
					return err
				}
				if !ok {
					return d.errAt(d.Pos(), "unexpected end of input, expected a value")
				}
			}
			if err := d.skipValue(c, depth+1); err != nil {
				return err
			}
			c, ok, err = d.skipSpace()
			if err != nil {
				return err
			}
			if !ok {
				return d.errAt(d.Pos(), "unexpected end of input in %s", map[byte]string{'}': "object", ']': "array"}[closer])
			}
			if c == closer {
				d.pos++
				return nil
			}
			if c != ',' {
				if closer == '}' {
					return d.errAt(d.Pos(), "expected ',' or '}' after object member, found %s", quoteByte(c))
				}
				return d.errAt(d.Pos(), "expected ',' or ']' after array element, found %s", quoteByte(c))
			}
			d.pos++
		}
	case '"':
		return d.skipString()
	case 't':
		return d.literal("true")
	case 'f':
		return d.literal("false")
	case 'n':
		return d.literal("null")
	}
	if c == '-' || (c >= '0' && c <= '9') {
		_, err := d.readNumber()
		return err
	}
	return d.errAt(d.Pos(), "invalid character %s looking for beginning of value", quoteByte(c))
}

// skipString consumes a string starting at the opening quote, checking its
// escapes as readString does, without keeping its bytes across refills. A
// bad escape is reported once the closing quote is found, as readString
// does, so that both report the same error for the same input.
func (d *Decoder) skipString() error {
	p := d.Pos()
	d.pos++
	badEscape := false
	for {
		d.pos = plainRun(d.buf, d.pos)
		for d.pos < len(d.buf) {
			c := d.buf[d.pos]
			switch {
			case c == '"':
				d.pos++
				if badEscape {
					return d.errAt(p, "invalid escape sequence in string")
				}
				return nil
			case c == '\\':
				e, ok := d.peekByteAt(1)
				if !ok {
					return d.errAt(p, "unterminated string")
				}
				d.pos += 2
				switch e {
				case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				case 'u':
					for i := 0; i < 4; i++ {
						h, ok := d.peekByteAt(i)
						if !ok || !isHex(h) {
							badEscape = true
							break
						}
					}
				default:
					badEscape = true
				}
			case c < 0x20:
				if c == '\n' {
					return d.errAt(p, "unterminated string (a string cannot span lines)")
				}
				return d.errAt(p, "invalid control character in string")
			default:
				d.pos++
			}
		}
		if !d.fill() {
			return d.errAt(p, "unterminated string")
		}
	}
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}
