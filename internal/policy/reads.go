package policy

import (
	"regexp"
	"slices"
	"strings"

	"github.com/kvguard/kvguard/internal/jsonpos"
)

// fieldCallRE finds the fields a template expression reads: field('…').
var fieldCallRE = regexp.MustCompile(`(?i)\bfield\(\s*'([^']+)'\s*\)`)

// Reads returns the fields a definition's rule reads, lower-cased, sorted
// and without repeats: every field of a condition (count.field included,
// in the if and in an ifNotExists existence condition) and every
// field('…') of an expression. Aliases appear as written (full names, e.g.
// microsoft.keyvault.data/vaults/keys/scheduledrotationdate); the special
// fields as their names (type, name, location, …). A field named by an
// expression ("[concat(…)]") is not listed: it is known only once its
// parameters are.
//
// The assessment uses it to tell which rules a part of a resource that
// could not be read concerns (resource.PartialGap): only those are
// Unknown, not every rule on the resource.
func Reads(def *Definition) []string {
	if def == nil || def.rule == nil {
		return nil
	}
	seen := map[string]bool{}
	var walk func(n *jsonpos.Node)
	walk = func(n *jsonpos.Node) {
		switch n.Kind {
		case jsonpos.Object:
			for _, m := range n.Members {
				if strings.EqualFold(m.Key, "field") && m.Value.Kind == jsonpos.String && !isTemplate(m.Value.Str) {
					seen[strings.ToLower(m.Value.Str)] = true
				}
				walk(m.Value)
			}
		case jsonpos.Array:
			for _, it := range n.Items {
				walk(it)
			}
		case jsonpos.String:
			for _, sm := range fieldCallRE.FindAllStringSubmatch(n.Str, -1) {
				seen[strings.ToLower(sm[1])] = true
			}
		}
	}
	walk(def.rule)
	out := make([]string, 0, len(seen))
	for f := range seen {
		out = append(out, f)
	}
	slices.Sort(out)
	return out
}
