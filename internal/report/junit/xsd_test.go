package junit

// No maintained pure-Go XSD validator exists: the Go packages that
// validate against an XSD bind libxml2 through cgo. So the test
// interprets the schema itself: xsdSchema reads testdata/junit-10.xsd and
// checks a document against the rules it declares (global and local
// element declarations, named and inline complex types, mixed content,
// sequence and choice particles with minOccurs/maxOccurs, attributes with
// use="required", simple types restricted by a pattern). A construct of
// XSD it does not know fails the test rather than being ignored, so a
// newer schema cannot be accepted half-read.

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const xsdNS = "http://www.w3.org/2001/XMLSchema"

// node is a generic XML element.
type node struct {
	XMLName  xml.Name
	Attrs    []xml.Attr `xml:",any,attr"`
	Children []node     `xml:",any"`
	Text     string     `xml:",chardata"`
}

func (n *node) attr(name string) (string, bool) {
	for _, a := range n.Attrs {
		if a.Name.Space == "" && a.Name.Local == name {
			return a.Value, true
		}
	}
	return "", false
}

type xsdSchema struct {
	elements map[string]*elementDecl
	complex  map[string]*complexType
	simple   map[string]*regexp.Regexp
}

type elementDecl struct {
	name, typ string
	inline    *complexType
}

type complexType struct {
	mixed   bool
	attrs   map[string]attrDecl
	content *particle // nil: no child elements
}

type attrDecl struct {
	typ      string
	required bool
}

type particle struct {
	kind     string // element, sequence, choice
	decl     *elementDecl
	ref      string
	min, max int // max < 0: unbounded
	children []*particle
}

func loadXSD(t *testing.T, path string) *xsdSchema {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var root node
	if err := xml.Unmarshal(data, &root); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	s := &xsdSchema{elements: map[string]*elementDecl{}, complex: map[string]*complexType{}, simple: map[string]*regexp.Regexp{}}
	p := &xsdParser{t: t}
	for i := range root.Children {
		c := &root.Children[i]
		name, _ := c.attr("name")
		switch p.kind(c) {
		case "element":
			s.elements[name] = p.element(c)
		case "complexType":
			s.complex[name] = p.complexType(c)
		case "simpleType":
			s.simple[name] = p.simpleType(c)
		default:
			t.Fatalf("unsupported top-level XSD construct %s", c.XMLName.Local)
		}
	}
	return s
}

type xsdParser struct{ t *testing.T }

func (p *xsdParser) kind(n *node) string {
	if n.XMLName.Space != xsdNS {
		p.t.Fatalf("element %s outside the XSD namespace", n.XMLName.Local)
	}
	return n.XMLName.Local
}

func (p *xsdParser) element(n *node) *elementDecl {
	d := &elementDecl{}
	d.name, _ = n.attr("name")
	d.typ, _ = n.attr("type")
	for i := range n.Children {
		c := &n.Children[i]
		if p.kind(c) != "complexType" {
			p.t.Fatalf("unsupported construct %s in element %s", c.XMLName.Local, d.name)
		}
		d.inline = p.complexType(c)
	}
	return d
}

func (p *xsdParser) complexType(n *node) *complexType {
	ct := &complexType{attrs: map[string]attrDecl{}}
	if m, _ := n.attr("mixed"); m == "true" {
		ct.mixed = true
	}
	for i := range n.Children {
		c := &n.Children[i]
		switch k := p.kind(c); k {
		case "attribute":
			name, _ := c.attr("name")
			typ, _ := c.attr("type")
			use, _ := c.attr("use")
			ct.attrs[name] = attrDecl{typ: typ, required: use == "required"}
		case "sequence", "choice":
			ct.content = p.particle(c)
		default:
			p.t.Fatalf("unsupported construct %s in a complexType", k)
		}
	}
	return ct
}

func (p *xsdParser) particle(n *node) *particle {
	pt := &particle{kind: p.kind(n), min: 1, max: 1}
	if v, ok := n.attr("minOccurs"); ok {
		pt.min, _ = strconv.Atoi(v)
	}
	if v, ok := n.attr("maxOccurs"); ok {
		if v == "unbounded" {
			pt.max = -1
		} else {
			pt.max, _ = strconv.Atoi(v)
		}
	}
	switch pt.kind {
	case "element":
		if ref, ok := n.attr("ref"); ok {
			pt.ref = ref
		} else {
			pt.decl = p.element(n)
		}
	case "sequence", "choice":
		for i := range n.Children {
			pt.children = append(pt.children, p.particle(&n.Children[i]))
		}
	default:
		p.t.Fatalf("unsupported particle %s", pt.kind)
	}
	return pt
}

func (p *xsdParser) simpleType(n *node) *regexp.Regexp {
	if len(n.Children) != 1 || p.kind(&n.Children[0]) != "restriction" {
		p.t.Fatal("unsupported simpleType: only a restriction")
	}
	r := &n.Children[0]
	if base, _ := r.attr("base"); base != "xs:string" || len(r.Children) != 1 || p.kind(&r.Children[0]) != "pattern" {
		p.t.Fatal("unsupported simpleType: only a pattern restriction of xs:string")
	}
	pat, _ := r.Children[0].attr("value")
	// An XSD pattern matches the whole value.
	return regexp.MustCompile(`^(?:` + pat + `)$`)
}

// validate returns the document's violations of the schema.
func (s *xsdSchema) validate(doc []byte) []string {
	var root node
	if err := xml.Unmarshal(doc, &root); err != nil {
		return []string{"not well-formed: " + err.Error()}
	}
	decl, ok := s.elements[root.XMLName.Local]
	if !ok {
		return []string{fmt.Sprintf("root element <%s> is not declared", root.XMLName.Local)}
	}
	var errs []string
	s.check(&root, decl, "/"+root.XMLName.Local, &errs)
	return errs
}

func (s *xsdSchema) check(n *node, d *elementDecl, path string, errs *[]string) {
	fail := func(format string, args ...any) { *errs = append(*errs, path+": "+fmt.Sprintf(format, args...)) }
	ct := d.inline
	if ct == nil {
		if d.typ == "xs:string" {
			if len(n.Children) > 0 || len(n.Attrs) > 0 {
				fail("a string element holds elements or attributes")
			}
			return
		}
		if ct = s.complex[d.typ]; ct == nil {
			fail("type %q is not declared", d.typ)
			return
		}
	}
	for _, a := range n.Attrs {
		ad, ok := ct.attrs[a.Name.Local]
		if !ok || a.Name.Space != "" {
			fail("attribute %q is not declared", a.Name.Local)
			continue
		}
		if re, ok := s.simple[ad.typ]; ok && !re.MatchString(a.Value) {
			fail("attribute %s=%q does not match %s", a.Name.Local, a.Value, ad.typ)
		}
	}
	for name, ad := range ct.attrs {
		if _, ok := n.attr(name); ad.required && !ok {
			fail("required attribute %q is missing", name)
		}
	}
	if !ct.mixed && strings.TrimSpace(n.Text) != "" {
		fail("text in element-only content")
	}
	names := make([]string, len(n.Children))
	for i := range n.Children {
		names[i] = n.Children[i].XMLName.Local
	}
	if ct.content == nil {
		if len(names) > 0 {
			fail("child elements in empty content")
		}
		return
	}
	if !slices.Contains(s.match(ct.content, names, 0), len(names)) {
		fail("children %v do not match the content model", names)
		return
	}
	decls := map[string]*elementDecl{}
	s.declsIn(ct.content, decls)
	for i := range n.Children {
		c := &n.Children[i]
		s.check(c, decls[c.XMLName.Local], path+"/"+c.XMLName.Local+"["+strconv.Itoa(i)+"]", errs)
	}
}

// declsIn maps the element names a content model allows to their
// declarations.
func (s *xsdSchema) declsIn(p *particle, out map[string]*elementDecl) {
	switch p.kind {
	case "element":
		if p.ref != "" {
			out[p.ref] = s.elements[p.ref]
		} else {
			out[p.decl.name] = p.decl
		}
	default:
		for _, c := range p.children {
			s.declsIn(c, out)
		}
	}
}

// match returns every position the particle can end at when it starts
// matching names at i.
func (s *xsdSchema) match(p *particle, names []string, i int) []int {
	once := func(from int) []int {
		switch p.kind {
		case "element":
			name := p.ref
			if name == "" {
				name = p.decl.name
			}
			if from < len(names) && names[from] == name {
				return []int{from + 1}
			}
			return nil
		case "sequence":
			at := []int{from}
			for _, c := range p.children {
				var next []int
				for _, j := range at {
					next = union(next, s.match(c, names, j))
				}
				at = next
			}
			return at
		default: // choice
			var out []int
			for _, c := range p.children {
				out = union(out, s.match(c, names, from))
			}
			return out
		}
	}
	var ends []int
	if p.min == 0 {
		ends = []int{i}
	}
	at := []int{i}
	for n := 1; (p.max < 0 || n <= p.max) && len(at) > 0 && n <= len(names)+1; n++ {
		var next []int
		for _, j := range at {
			next = union(next, once(j))
		}
		at = next
		if n >= p.min {
			ends = union(ends, at)
		}
	}
	return ends
}

func union(a, b []int) []int {
	for _, x := range b {
		if !slices.Contains(a, x) {
			a = append(a, x)
		}
	}
	return a
}

// TestValidatorRejects shows the schema check can fail: each edit of a
// valid report breaks one rule of junit-10.xsd.
func TestValidatorRejects(t *testing.T) {
	t.Parallel()
	schema := loadXSD(t, "testdata/junit-10.xsd")
	valid := []byte(`<testsuites name="x"><testsuite name="s" tests="1" failures="1" errors="0" time="0">` +
		`<testcase name="c" classname="k"><failure type="Unhealthy" message="m">text</failure></testcase></testsuite></testsuites>`)
	if errs := schema.validate(valid); len(errs) > 0 {
		t.Fatalf("the valid document is rejected: %v", errs)
	}
	tests := []struct{ name, from, to string }{
		{"a required attribute missing", ` tests="1"`, ``},
		{"an undeclared attribute", `<testcase name="c"`, `<testcase status="x" name="c"`},
		{"an undeclared element", `<failure`, `<finding`},
		{"a time that is not a number", `time="0"`, `time="0.5s"`},
		{"text in element-only content", `<testcase name`, `oops<testcase name`},
		{"a testcase outside a suite", `<testsuite name="s" tests="1" failures="1" errors="0" time="0">`, `<testcase name="d"/><testsuite name="s" tests="1" failures="1" errors="0" time="0">`},
		{"an attribute on a string element", `<failure type="Unhealthy" message="m">text</failure>`, `<system-out kind="x">text</system-out>`},
		{"an undeclared root", `<testsuites name="x">`, `<results name="x">`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			doc := bytes.Replace(valid, []byte(tt.from), []byte(tt.to), 1)
			if tt.name == "an undeclared root" {
				doc = bytes.Replace(doc, []byte(`</testsuites>`), []byte(`</results>`), 1)
			}
			if bytes.Equal(doc, valid) {
				t.Fatal("the edit changed nothing")
			}
			if errs := schema.validate(doc); len(errs) == 0 {
				t.Errorf("the schema accepts %s", doc)
			}
		})
	}
}
