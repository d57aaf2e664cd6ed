package assess

import (
	"maps"
	"strings"

	"github.com/kvguard/kvguard/internal/catalog"
	"github.com/kvguard/kvguard/internal/estate"
	"github.com/kvguard/kvguard/internal/policy"
	"github.com/kvguard/kvguard/internal/resource"
)

// dependsOnUnfollowed reports whether a NonCompliant outcome of r on doc
// could change with what a module that was not read creates for the vault
// (see resource.MarkUnfollowed): a related resource an ifNotExists rule
// looks for (a diagnostic setting), or a private endpoint connection. The
// second is found by judging the vault again with one more connection of
// unknown content: if that leaves the verdict open (or satisfies it), the
// known ones did not decide it. The vault's own settings are not
// something such a module changes.
func (a *Assessor) dependsOnUnfollowed(doc *resource.Document, r *catalog.Recommendation, idx *estate.Index, why string) bool {
	if r.Policy.RelatedType() != "" {
		return true
	}
	whatIf := withUnknownConnection(doc, why)
	if whatIf == nil {
		return false
	}
	return r.Policy.Evaluate(whatIf, idx, a.popts).Outcome != policy.NonCompliant
}

// withUnknownConnection is a copy of doc whose
// properties.privateEndpointConnections holds one more connection, of
// unknown content (named expr); nil when doc has no body.
func withUnknownConnection(doc *resource.Document, expr string) *resource.Document {
	if doc.Body == nil {
		return nil
	}
	cp := *doc
	cp.Body = maps.Clone(doc.Body)
	var props map[string]any
	for k, v := range doc.Body {
		if m, ok := v.(map[string]any); ok && strings.EqualFold(k, "properties") {
			props = maps.Clone(m)
			delete(cp.Body, k)
		}
	}
	if props == nil {
		props = map[string]any{}
	}
	cp.Body["properties"] = props
	var conns []any
	for k, v := range props {
		if strings.EqualFold(k, "privateEndpointConnections") {
			list, _ := v.([]any)
			conns = append(conns, list...)
			delete(props, k)
		}
	}
	props["privateEndpointConnections"] = append(conns, resource.Unknown{Expr: expr})
	return &cp
}
