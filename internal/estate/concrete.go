package estate

import (
	"strings"

	"github.com/kvguard/kvguard/internal/resource"
)

// placeholderSubscription is the subscription ID templates are evaluated
// with when the deployment's is not given (armexpr.DefaultSubscriptionID):
// the all-zero GUID, which Azure gives no subscription.
const placeholderSubscription = "00000000-0000-0000-0000-000000000000"

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
		if seg == "" || strings.ContainsAny(seg, "[]{}()$ '\"") {
			return false
		}
	}
	return true
}
