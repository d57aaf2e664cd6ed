package terraform

import (
	"bytes"
	"regexp"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/kvguard/kvguard/internal/resource"
)

// A file with a syntax error is not dropped whole: the top-level blocks
// that hold an error are left out, and reported when they declare
// something kvguard judges; every other block is read.

// brokenRanges returns the ranges of the parse errors in diags. whole is
// set when an error has no position, so that no block can be trusted.
func brokenRanges(diags hcl.Diagnostics) (broken []hcl.Range, whole bool) {
	for _, d := range diags {
		if d.Severity != hcl.DiagError {
			continue
		}
		if d.Subject == nil {
			return nil, true
		}
		broken = append(broken, *d.Subject)
		if d.Context != nil {
			broken = append(broken, *d.Context)
		}
	}
	return broken, false
}

// overlaps reports whether a top-level block, from its header to its
// closing brace, holds any of the ranges.
func overlaps(b *hcl.Block, ranges []hcl.Range) bool {
	if len(ranges) == 0 {
		return false
	}
	start, end := b.TypeRange.Start.Byte, b.DefRange.End.Byte
	if sb, ok := b.Body.(*hclsyntax.Body); ok && sb.SrcRange.End.Byte > end {
		end = sb.SrcRange.End.Byte
	}
	for _, r := range ranges {
		if r.Filename == b.DefRange.Filename && r.Start.Byte <= end && r.End.Byte >= start {
			return true
		}
	}
	return false
}

// brokenBlock reports a block left out because it does not parse, when it
// declares something kvguard would have judged; the parse error itself is
// already reported.
func (ev *evaluator) brokenBlock(b *hcl.Block) {
	if b.Type == "resource" && len(b.Labels) == 2 && mappers[b.Labels[0]] != nil {
		ev.errorf(pos(b.DefRange), "%s.%s is not judged: its block does not parse", b.Labels[0], b.Labels[1])
		return
	}
	if b.Type == "module" && len(b.Labels) == 1 {
		ev.errorf(pos(b.DefRange), "module %q is not read: its block does not parse", b.Labels[0])
	}
}

// resourceHeader matches the header of a resource block kvguard judges,
// at the start of a line.
var resourceHeader = regexp.MustCompile(`(?m)^[ \t]*resource[ \t]+"([A-Za-z0-9_]+)"[ \t]+"([A-Za-z0-9_-]+)"`)

// lostResources reports the judged resources of a file that does not parse
// whose blocks the parser's recovery swallowed (an unbalanced parenthesis
// runs on into the next block): they are not judged, and say so.
func (ev *evaluator) lostResources(name string, src []byte, parsed []*hcl.Block) {
	have := map[int]bool{}
	for _, b := range parsed {
		have[b.DefRange.Start.Line] = true
	}
	for _, m := range resourceHeader.FindAllSubmatchIndex(src, -1) {
		typ := string(src[m[2]:m[3]])
		if mappers[typ] == nil {
			continue
		}
		line := 1 + bytes.Count(src[:m[0]], []byte("\n"))
		if !have[line] {
			ev.errorf(resource.Position{File: name, Line: line, Col: 1}, "%s.%s is not judged: the file does not parse around it", typ, src[m[4]:m[5]])
		}
	}
}
