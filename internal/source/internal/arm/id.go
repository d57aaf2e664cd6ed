package arm

import (
	"strings"

	"github.com/kvguard/kvguard/internal/armexpr"
	"github.com/kvguard/kvguard/internal/resource"
)

// BuildID builds the ID Azure gives a resource of type typ and full name
// name (vault/secret) declared in a template, hanging from chain: the
// deployment target's scope (t), or the resource an extension resource
// extends (extScope). It returns the ID, the document's type and the
// extended resource. A type written Namespace/type/providers/Extension/type
// (with a name "res/Extension.Namespace/x") is an extension resource of
// the resource before "providers"; resource groups and subscriptions have
// IDs of their own form.
func BuildID(chain, extScope string, t armexpr.Target, typ, name string) (id, docType, scope string) {
	if i := strings.Index(strings.ToLower(typ), "/providers/"); i >= 0 {
		baseType, extTypes := typ[:i], typ[i+len("/providers/"):]
		baseN := typeDepth(baseType)
		names := strings.Split(name, "/")
		if len(names) > baseN {
			base := resource.JoinID(chain, baseType, names[:baseN]...)
			extType := names[baseN] + "/" + extTypes
			return resource.JoinID(base, extType, names[baseN+1:]...), extType, base
		}
	}
	switch strings.ToLower(typ) {
	case "microsoft.resources/resourcegroups":
		return "/subscriptions/" + t.Subscription + "/resourceGroups/" + name, typ, extScope
	case "microsoft.resources/subscriptions":
		return "/subscriptions/" + name, typ, extScope
	}
	return resource.JoinID(chain, typ, name), typ, extScope
}

// isQualifiedType reports whether a type starts with a namespace
// (Microsoft.KeyVault/vaults), unlike a nested child's short type.
func isQualifiedType(t string) bool {
	first, _, _ := strings.Cut(t, "/")
	return strings.Contains(first, ".")
}

// typeDepth is the number of name segments a full type needs.
func typeDepth(t string) int {
	return strings.Count(strings.Trim(t, "/"), "/")
}

// LastSegment is the last /-separated segment of a name or ID.
func LastSegment(s string) string {
	if i := strings.LastIndexByte(s, '/'); i >= 0 {
		return s[i+1:]
	}
	return s
}
