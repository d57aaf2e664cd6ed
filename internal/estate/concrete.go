package estate

import (
	"strings"

	"github.com/kvguard/kvguard/internal/resource"
)

// placeholderSubscription is the subscription ID templates are evaluated
// with when the deployment's is not given (armexpr.DefaultSubscriptionID):
// the all-zero GUID, which Azure gives no subscription.
const placeholderSubscription = "00000000-0000-0000-0000-000000000000"

// openChars mark a segment of an ID that is open before deployment: an
// expression, a placeholder, an unknown.
const openChars = "[]{}()$ '\""

// Concrete reports whether id is an Azure resource ID with no part left
// open before deployment: it parses as a resource ID, names a real
// subscription (not the all-zero placeholder templates are evaluated
// with), and no segment holds an expression or placeholder ("[...]",
// "${...}", "{subscription}", "(unknown ...)"). Terraform's stand-in
// identities ("terraform:azurerm_key_vault.kv") are not concrete.
//
// Only concrete IDs link documents across deployments, or planned
// documents to existing ones: a placeholder means the same thing only
// within the deployment that made it.
func Concrete(id string) bool {
	pid, ok := resource.ParseID(id)
	if !ok || pid.Subscription == "" || strings.EqualFold(pid.Subscription, placeholderSubscription) {
		return false
	}
	for _, seg := range strings.Split(strings.Trim(id, "/"), "/") {
		if seg == "" || strings.ContainsAny(seg, openChars) {
			return false
		}
	}
	return true
}

// Crosses reports whether a document may be linked to or from a document
// of another input, so that it cannot be judged with its own input's
// documents alone: it is a resource that exists (saved or live data, no
// deployment: existing resources link by ID and host across files), or it
// holds an ID that names a real subscription (its own, its parent's, or a
// private endpoint's target), which may be concrete (see Concrete). A
// planned document that does neither links only within its deployment,
// and nothing of another deployment links to it.
//
// The test on IDs is wider than Concrete: an ID with a real subscription
// and an expression in a later segment is not concrete, but a concrete
// document's search of its resource group would still find it.
func Crosses(doc *resource.Document) bool {
	if doc.Deployment == "" {
		return true
	}
	if realSubscription(doc.ID) || realSubscription(doc.Parent.ID) || realSubscription(resource.ParentID(doc.ID)) {
		return true
	}
	if !doc.IsType(resource.TypePrivateEndpoint) {
		return false
	}
	for _, key := range []string{"privateLinkServiceConnections", "manualPrivateLinkServiceConnections"} {
		v, _ := doc.Get("properties", key)
		conns, _ := v.([]any)
		for _, c := range conns {
			cm, _ := c.(map[string]any)
			props, _ := lookupMap(cm, "properties")
			if t, ok := resource.LookupFold(props, "privateLinkServiceId"); ok {
				if s, ok := t.(string); ok && realSubscription(s) {
					return true
				}
			}
		}
	}
	return false
}

// subscriptionSegment returns the value of id's first "subscriptions"
// segment that has one, as resource.ParseID finds it (it lowers each
// segment; only ASCII letters lower to those of "subscriptions"),
// without allocating: every document of a scan is asked about three IDs,
// most of them templates' with the placeholder subscription, and parsing
// allocates.
func subscriptionSegment(id string) (string, bool) {
	const name = "subscriptions"
	rest := strings.Trim(id, "/")
	for rest != "" {
		seg, after, more := strings.Cut(rest, "/")
		if !more {
			return "", false
		}
		if len(seg) == len(name) {
			i := 0
			for i < len(name) && seg[i]|0x20 == name[i] {
				i++
			}
			if v, _, _ := strings.Cut(after, "/"); i == len(name) && v != "" {
				return v, true
			}
		}
		rest = after
	}
	return "", false
}

// realSubscription reports whether id parses as a resource ID of a
// subscription that is neither the placeholder templates are evaluated
// with nor an expression or placeholder ("{subscription}").
func realSubscription(id string) bool {
	if !strings.HasPrefix(id, "/") {
		return false
	}
	if sub, ok := subscriptionSegment(id); !ok || sub == "" || strings.EqualFold(sub, placeholderSubscription) {
		return false // no need to parse it (see subscriptionSegment)
	}
	pid, ok := resource.ParseID(id)
	return ok && pid.Subscription != "" && !strings.EqualFold(pid.Subscription, placeholderSubscription) &&
		!strings.ContainsAny(pid.Subscription, openChars)
}
