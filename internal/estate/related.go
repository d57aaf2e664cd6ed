package estate

import (
	"fmt"
	"strings"

	"github.com/kvguard/kvguard/internal/policy"
	"github.com/kvguard/kvguard/internal/resource"
)

var _ policy.Related = (*Index)(nil)

// Related implements policy.Related: child and extension resources of doc
// (diagnostic settings, private endpoint connections), or resources of the
// type in the same resource group or subscription. Resources of another
// deployment are related only through a concrete ID (see Concrete).
func (ix *Index) Related(doc *resource.Document, q policy.RelatedQuery) ([]*resource.Document, bool, string) {
	if g, ok := doc.GapFor(q.Type); ok {
		return nil, false, fmt.Sprintf("%s of %s could not be read: %s", q.Type, doc.Name, g.Err)
	}
	var out []*resource.Document
	concrete := Concrete(doc.ID)
	for _, d := range sameDeployment(ix.byParent[resource.Key(doc.ID)], doc.Deployment, concrete) {
		if matches(d, q) {
			out = append(out, d)
		}
	}
	if len(out) > 0 || strings.HasPrefix(strings.ToLower(q.Type), strings.ToLower(doc.Type)+"/") || strings.EqualFold(q.Type, resource.TypeDiagnosticSetting) {
		return out, true, ""
	}
	// Not a child or extension type: look in the same resource group
	// (or subscription).
	id, ok := resource.ParseID(doc.ID)
	if !ok {
		return out, true, ""
	}
	for _, d := range sameDeployment(ix.docs, doc.Deployment, concrete) {
		if !matches(d, q) {
			continue
		}
		did, ok := resource.ParseID(d.ID)
		if !ok || !strings.EqualFold(did.Subscription, id.Subscription) {
			continue
		}
		rg := id.ResourceGroup
		if q.ResourceGroup != "" {
			rg = q.ResourceGroup
		}
		if q.Scope == "subscription" || strings.EqualFold(did.ResourceGroup, rg) {
			out = append(out, d)
		}
	}
	return out, true, ""
}

// matches reports whether d is of the query's type and name.
func matches(d *resource.Document, q policy.RelatedQuery) bool {
	if !d.IsType(q.Type) {
		return false
	}
	if q.Name == "" {
		return true
	}
	want := q.Name
	if i := strings.LastIndexByte(want, '/'); i >= 0 && want[i+1:] == "?" {
		return true
	}
	if i := strings.LastIndexByte(want, '/'); i >= 0 {
		want = want[i+1:]
	}
	return strings.EqualFold(d.Name, want)
}
