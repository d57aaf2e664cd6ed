package live

import (
	"context"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/managementgroups/armmanagementgroups"
)

// ManagementGroup is an Azure management group: its name (the last
// segment of its ID; the tenant root group's is the tenant ID) and its
// display name.
type ManagementGroup struct {
	Name        string
	DisplayName string
}

// SubscriptionAncestry is a subscription's management groups, nearest
// first, ending with the tenant root group: what Resource Graph calls
// the subscription's managementGroupAncestorsChain.
type SubscriptionAncestry struct {
	Subscription string
	Groups       []ManagementGroup
}

// readAncestry reads the management-group ancestry of subs from ARM's
// entity list (POST /providers/Microsoft.Management/getEntities), which
// gives every subscription the chains of its ancestors' names and
// display names, root first, in one paged request whatever the number of
// subscriptions. A refusal (no Microsoft.Management read) is logged and
// yields nil: the groups are metadata, and the scan goes on without
// them. A subscription the list does not name has no ancestry.
func (s *scanner) readAncestry(ctx context.Context, subs []string) []SubscriptionAncestry {
	c, err := armmanagementgroups.NewEntitiesClient(s.cred, s.armOpts)
	if err != nil {
		s.log.Warn("could not read the management groups", "err", err)
		return nil
	}
	chains := map[string][]ManagementGroup{}
	pager := c.NewListPager(nil)
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			s.log.Warn("could not read the management groups; the subscriptions' ancestry is not recorded",
				"err", callFailed("list management group entities", err))
			return nil
		}
		for _, e := range page.Value {
			if e == nil || e.Name == nil || e.Type == nil || e.Properties == nil ||
				!strings.HasSuffix(strings.ToLower(*e.Type), "/subscriptions") {
				continue
			}
			names, displays := e.Properties.ParentNameChain, e.Properties.ParentDisplayNameChain
			groups := make([]ManagementGroup, 0, len(names))
			for i := len(names) - 1; i >= 0; i-- { // the chain is root first
				if names[i] == nil || *names[i] == "" {
					continue
				}
				g := ManagementGroup{Name: *names[i], DisplayName: *names[i]}
				if i < len(displays) && displays[i] != nil && *displays[i] != "" {
					g.DisplayName = *displays[i]
				}
				groups = append(groups, g)
			}
			chains[strings.ToLower(*e.Name)] = groups
		}
	}
	out := make([]SubscriptionAncestry, 0, len(subs))
	for _, sub := range subs {
		if groups, ok := chains[strings.ToLower(sub)]; ok {
			out = append(out, SubscriptionAncestry{Subscription: sub, Groups: groups})
		}
	}
	return out
}
