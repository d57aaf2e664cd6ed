package terraform

import (
	"strings"

	"github.com/kvguard/kvguard/internal/resource"
)

// linkLiterals rewrites references written as literal IDs (key_vault_id =
// "/subscriptions/…/vaults/kv1") to the ID of the vault document of the
// same read they name, so that Parent.ID and privateLinkServiceId equal
// that document's ID exactly, even when the code knows the subscription
// and the document uses the placeholder (or the other way round). A
// literal naming no vault of the read stays as written.
func linkLiterals(bs []*built) { //nolint:gocognit // one pass indexing vault IDs and one rewriting the reference attributes; the cases are table-like
	byKey := map[string]string{}
	byName := map[string][]string{}
	for _, b := range bs {
		d := b.doc
		if !d.IsType(resource.TypeVault) && !d.IsType(resource.TypeManagedHSM) {
			continue
		}
		byKey[resource.Key(d.ID)] = d.ID
		if id, ok := resource.ParseID(d.ID); ok {
			k := strings.ToLower(id.FullType() + "|" + id.ResourceGroup + "|" + id.Name())
			byName[k] = append(byName[k], d.ID)
		}
	}
	if len(byKey) == 0 {
		return
	}
	resolve := func(s string) string {
		if s == "" || strings.HasPrefix(s, "terraform:") {
			return s
		}
		if id, ok := byKey[resource.Key(s)]; ok {
			return id
		}
		pid, ok := resource.ParseID(s)
		if !ok || len(pid.Types) != 1 {
			return s
		}
		var match []string
		for _, cand := range byName[strings.ToLower(pid.FullType()+"|"+pid.ResourceGroup+"|"+pid.Name())] {
			cid, _ := resource.ParseID(cand)
			if strings.EqualFold(cid.Subscription, pid.Subscription) || cid.Subscription == subscriptionPlaceholder || pid.Subscription == subscriptionPlaceholder {
				match = append(match, cand)
			}
		}
		if len(match) == 1 {
			return match[0]
		}
		return s
	}
	for _, b := range bs {
		d := b.doc
		if d.Parent.ID != "" {
			if p := resolve(d.Parent.ID); p != d.Parent.ID {
				d.Parent.ID = p
				if b.suffix != "" {
					d.ID = p + b.suffix
					d.Body["id"] = d.ID
				}
			}
		}
		if d.IsType(resource.TypePrivateEndpoint) {
			props, _ := d.Body["properties"].(map[string]any)
			for _, k := range []string{"privateLinkServiceConnections", "manualPrivateLinkServiceConnections"} {
				conns, _ := props[k].([]any)
				for _, c := range conns {
					cm, _ := c.(map[string]any)
					cp, _ := cm["properties"].(map[string]any)
					if s, ok := cp["privateLinkServiceId"].(string); ok {
						cp["privateLinkServiceId"] = resolve(s)
					}
				}
			}
		}
	}
}
