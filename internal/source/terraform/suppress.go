package terraform

import (
	"bytes"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/kvguard/kvguard/internal/jsonpos"
	"github.com/kvguard/kvguard/internal/resource"
)

// fileSuppressions holds the kvguard:ignore comments of one file by line,
// so that each resource block can pick those on its header line and in
// the run of comment lines directly above it.
type fileSuppressions struct {
	// byEndLine maps the last line of a comment to the comment; a comment
	// that opens its line is "own-line" and may chain upwards.
	byEndLine map[int][]lineComment
	byLine    map[int][]lineComment
}

type lineComment struct {
	start, end int // lines
	ownLine    bool
	sups       []resource.Suppression
	any        bool // the comment is a comment at all (for chaining)
}

// scanSuppressions lexes a native-syntax file for comments. Lexing (not a
// text search) keeps a marker inside a string from counting.
func (ev *evaluator) scanSuppressions(name string, src []byte) *fileSuppressions {
	if strings.HasSuffix(name, ".json") {
		return nil
	}
	toks, _ := hclsyntax.LexConfig(src, name, hcl.Pos{Line: 1, Column: 1, Byte: 0})
	fs := &fileSuppressions{byEndLine: map[int][]lineComment{}, byLine: map[int][]lineComment{}}
	for _, t := range toks {
		if t.Type != hclsyntax.TokenComment {
			continue
		}
		text := string(t.Bytes)
		lc := lineComment{start: t.Range.Start.Line, end: t.Range.End.Line, any: true}
		if strings.HasSuffix(text, "\n") && lc.end > lc.start {
			lc.end-- // a line comment's token takes its newline
		}
		lineStart := bytes.LastIndexByte(src[:t.Range.Start.Byte], '\n') + 1
		lc.ownLine = len(bytes.TrimSpace(src[lineStart:t.Range.Start.Byte])) == 0
		if strings.Contains(text, resource.SuppressionMarker) {
			// One comment may hold several annotations on separate lines.
			line := t.Range.Start.Line
			col := t.Range.Start.Column
			for _, l := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
				at := resource.Position{File: name, Line: line, Col: col}
				s, found, err := resource.ParseSuppression(l, at)
				switch {
				case err != nil:
					ev.errs = append(ev.errs, resource.Errorf(at, "%v", err))
				case found:
					lc.sups = append(lc.sups, s)
				}
				line++
				col = 1
			}
		}
		fs.byEndLine[lc.end] = append(fs.byEndLine[lc.end], lc)
		fs.byLine[lc.start] = append(fs.byLine[lc.start], lc)
	}
	return fs
}

// forBlock returns the suppressions of the block whose header is on line:
// comments on the header line, and the unbroken run of own-line comments
// ending on the line above it.
func (fs *fileSuppressions) forBlock(line int) []resource.Suppression {
	var out []resource.Suppression
	for _, c := range fs.byLine[line] {
		out = append(out, c.sups...)
	}
	want := line - 1
	for want > 0 {
		var next []lineComment
		for _, c := range fs.byEndLine[want] {
			if c.ownLine {
				next = append(next, c)
			}
		}
		if len(next) == 0 {
			break
		}
		c := next[0]
		out = append(out, c.sups...)
		want = c.start - 1
	}
	return out
}

// jsonFileSuppressions reads the "//" comment properties of the resource
// bodies of a .tf.json file (HCL's JSON syntax drops them): a string or an
// array of strings each. The result is keyed by type.name.
func (ev *evaluator) jsonFileSuppressions(name string, src []byte) map[string][]resource.Suppression { //nolint:gocognit // walk over the resource bodies of a .tf.json file with its string/array comment forms
	root, err := jsonpos.Parse(src, name, false)
	if err != nil {
		return nil // the HCL parser reports the syntax error
	}
	out := map[string][]resource.Suppression{}
	for _, res := range objects(root.Get("resource")) {
		for _, tm := range res.Members {
			for _, byName := range objects(tm.Value) {
				for _, nm := range byName.Members {
					for _, body := range objects(nm.Value) {
						c := body.Get("//")
						if c == nil {
							continue
						}
						texts := []*jsonpos.Node{c}
						if c.Kind == jsonpos.Array {
							texts = c.Items
						}
						for _, t := range texts {
							if t.Kind != jsonpos.String {
								continue
							}
							at := resource.Position{File: name, Line: t.Start.Line, Col: t.Start.Col}
							s, found, err := resource.ParseSuppression(t.Str, at)
							switch {
							case err != nil:
								ev.add(resource.Errorf(at, "%v", err))
							case found:
								out[tm.Key+"."+nm.Key] = append(out[tm.Key+"."+nm.Key], s)
							}
						}
					}
				}
			}
		}
	}
	return out
}

// objects returns n when it is an object, or the objects of an array n:
// Terraform's JSON syntax allows either at each level.
func objects(n *jsonpos.Node) []*jsonpos.Node {
	if n == nil {
		return nil
	}
	switch n.Kind {
	case jsonpos.Object:
		return []*jsonpos.Node{n}
	case jsonpos.Array:
		var out []*jsonpos.Node
		for _, it := range n.Items {
			if it.Kind == jsonpos.Object {
				out = append(out, it)
			}
		}
		return out
	}
	return nil
}
