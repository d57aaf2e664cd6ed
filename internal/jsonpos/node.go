package jsonpos

// Node is a JSON value with the positions of its first byte and of the
// byte after its last. Objects keep their members in file order.
type Node struct {
	Kind  Kind
	Start Pos
	End   Pos

	Str     string  // String
	Int     int64   // Number, when IsInt
	Float   float64 // Number
	IsInt   bool
	Bool    bool     // Bool
	Members []Member // Object
	Items   []*Node  // Array
}

// Member is one name/value pair of an object.
type Member struct {
	Key    string
	KeyPos Pos
	Value  *Node
}

// EndLine is the line of the value's last byte.
func (n *Node) EndLine() int {
	// End is the position after the closing byte, which is on the same line.
	return n.End.Line
}

// Get returns the member named key (exact match), or nil.
func (n *Node) Get(key string) *Node {
	if n == nil || n.Kind != Object {
		return nil
	}
	for i := len(n.Members) - 1; i >= 0; i-- { // the last duplicate wins, as in encoding/json
		if n.Members[i].Key == key {
			return n.Members[i].Value
		}
	}
	return nil
}

// GetFold returns the member whose name matches key case-insensitively
// (ASCII), as Azure Resource Manager matches template and body keys.
func (n *Node) GetFold(key string) *Node {
	if n == nil || n.Kind != Object {
		return nil
	}
	for i := len(n.Members) - 1; i >= 0; i-- {
		if equalFoldASCII(n.Members[i].Key, key) {
			return n.Members[i].Value
		}
	}
	return nil
}

func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if x >= 'A' && x <= 'Z' {
			x += 'a' - 'A'
		}
		if y >= 'A' && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// Interface converts the node to plain Go values, as Decoder.Value does.
func (n *Node) Interface() any {
	if n == nil {
		return nil
	}
	switch n.Kind {
	case Object:
		m := make(map[string]any, len(n.Members))
		for _, mem := range n.Members {
			m[mem.Key] = mem.Value.Interface()
		}
		return m
	case Array:
		a := make([]any, len(n.Items))
		for i, it := range n.Items {
			a[i] = it.Interface()
		}
		return a
	case String:
		return n.Str
	case Number:
		if n.IsInt {
			return n.Int
		}
		return n.Float
	case Bool:
		return n.Bool
	}
	return nil
}

// Parse reads one JSON document into a Node tree. Comments are accepted
// when allowComments is set. Trailing content after the value is an error.
func Parse(data []byte, file string, allowComments bool) (*Node, error) {
	d := NewBytesDecoder(data, file)
	d.AllowComments = allowComments
	n, err := d.Node()
	if err != nil {
		return nil, err
	}
	if err := d.Finish(); err != nil {
		return nil, err
	}
	return n, nil
}

// Node decodes the next value into a positioned tree.
func (d *Decoder) Node() (*Node, error) {
	c, ok, err := d.prepareValue()
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, d.errAt(d.Pos(), "unexpected end of input, expected a value")
	}
	d.keep = d.pos
	defer func() { d.keep = -1 }()
	return d.node(c, d.depth())
}

func (d *Decoder) node(c byte, depth int) (*Node, error) { //nolint:funlen,gocognit // hot-path JSON decoder building positioned nodes: one case per token, kept inline for speed
	n := &Node{Start: d.Pos()}
	switch c {
	case '{':
		if depth >= MaxDepth {
			return nil, d.errAt(d.Pos(), "nesting deeper than %d levels", MaxDepth)
		}
		n.Kind = Object
		d.pos++
		for i := 0; ; i++ {
			c, ok, err := d.skipSpace()
			if err != nil {
				return nil, err
			}
			if !ok {
				return nil, d.errAt(d.Pos(), "unexpected end of input in object")
			}
			if c == '}' {
				if i > 0 {
					return nil, d.errAt(d.Pos(), "trailing ',' before '}'")
				}
				d.pos++
				n.End = d.Pos()
				return n, nil
			}
			if c != '"' {
				return nil, d.errAt(d.Pos(), "expected a string key, found %s", quoteByte(c))
			}
			kp := d.Pos()
			k, err := d.readString()
			if err != nil {
				return nil, err
			}
			c, ok, err = d.skipSpace()
			if err != nil {
				return nil, err
			}
			if !ok || c != ':' {
				return nil, d.errAt(d.Pos(), "expected ':' after object key %q", k)
			}
			d.pos++
			c, ok, err = d.skipSpace()
			if err != nil {
				return nil, err
			}
			if !ok {
				return nil, d.errAt(d.Pos(), "unexpected end of input, expected a value")
			}
			v, err := d.node(c, depth+1)
			if err != nil {
				return nil, err
			}
			n.Members = append(n.Members, Member{Key: k, KeyPos: kp, Value: v})
			c, ok, err = d.skipSpace()
			if err != nil {
				return nil, err
			}
			if !ok {
				return nil, d.errAt(d.Pos(), "unexpected end of input in object")
			}
			if c == '}' {
				d.pos++
				n.End = d.Pos()
				return n, nil
			}
			if c != ',' {
				return nil, d.errAt(d.Pos(), "expected ',' or '}' after object member, found %s", quoteByte(c))
			}
			d.pos++
		}
	case '[':
		if depth >= MaxDepth {
			return nil, d.errAt(d.Pos(), "nesting deeper than %d levels", MaxDepth)
		}
		n.Kind = Array
		d.pos++
		for i := 0; ; i++ {
			c, ok, err := d.skipSpace()
			if err != nil {
				return nil, err
			}
			if !ok {
				return nil, d.errAt(d.Pos(), "unexpected end of input in array")
			}
			if c == ']' {
				if i > 0 {
					return nil, d.errAt(d.Pos(), "trailing ',' before ']'")
				}
				d.pos++
				n.End = d.Pos()
				return n, nil
			}
			v, err := d.node(c, depth+1)
			if err != nil {
				return nil, err
			}
			n.Items = append(n.Items, v)
			c, ok, err = d.skipSpace()
			if err != nil {
				return nil, err
			}
			if !ok {
				return nil, d.errAt(d.Pos(), "unexpected end of input in array")
			}
			if c == ']' {
				d.pos++
				n.End = d.Pos()
				return n, nil
			}
			if c != ',' {
				return nil, d.errAt(d.Pos(), "expected ',' or ']' after array element, found %s", quoteByte(c))
			}
			d.pos++
		}
	}
	v, err := d.value(c, depth)
	if err != nil {
		return nil, err
	}
	n.End = d.Pos()
	switch x := v.(type) {
	case string:
		n.Kind, n.Str = String, x
	case int64:
		n.Kind, n.Int, n.Float, n.IsInt = Number, x, float64(x), true
	case float64:
		n.Kind, n.Float = Number, x
	case bool:
		n.Kind, n.Bool = Bool, x
	case nil:
		n.Kind = Null
	}
	return n, nil
}
