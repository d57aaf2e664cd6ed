package live

import (
	"context"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/managementgroups/armmanagementgroups"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resourcegraph/armresourcegraph"
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

// ancestryQuery lists subscriptions with their management groups
// (properties.managementGroupAncestorsChain, nearest first).
const ancestryQuery = `resourcecontainers
| where type == 'microsoft.resources/subscriptions'
| project subscriptionId, properties`

// readAncestry reads the management-group ancestry of subs: from
// Resource Graph (one query per 250 subscriptions) unless the scan does
// without it, else, or when Resource Graph refuses, from ARM's entity
// list. A refusal of both is logged and yields nil: the groups are
// metadata, and the scan goes on without them. A subscription neither
// names has no ancestry.
func (s *scanner) readAncestry(ctx context.Context, subs []string) []SubscriptionAncestry {
	if len(subs) == 0 {
		return nil
	}
	if !s.opts.NoResourceGraph {
		out, err := s.graphAncestry(ctx, subs)
		if err == nil {
			return out
		}
		if ctx.Err() != nil {
			return nil
		}
		s.log.Warn("Resource Graph refused the management-group query; reading the entity list through ARM", "err", err)
	}
	return s.armAncestry(ctx, subs)
}

// graphAncestry reads properties.managementGroupAncestorsChain of the
// subscriptions' rows in Resource Graph's resourcecontainers table.
func (s *scanner) graphAncestry(ctx context.Context, subs []string) ([]SubscriptionAncestry, error) {
	c, err := armresourcegraph.NewClient(s.cred, s.armOpts)
	if err != nil {
		return nil, err
	}
	chains := map[string][]ManagementGroup{}
	add := func(rows []map[string]any, _ time.Time) {
		for _, row := range rows {
			sub, _ := row["subscriptionId"].(string)
			props, _ := row["properties"].(map[string]any)
			list, _ := props["managementGroupAncestorsChain"].([]any)
			if sub == "" {
				continue
			}
			groups := make([]ManagementGroup, 0, len(list))
			for _, x := range list {
				m, _ := x.(map[string]any)
				name, _ := m["name"].(string)
				if name == "" {
					continue
				}
				display, _ := m["displayName"].(string)
				if display == "" {
					display = name
				}
				groups = append(groups, ManagementGroup{Name: name, DisplayName: display})
			}
			chains[strings.ToLower(sub)] = groups
		}
	}
	for i := 0; i < len(subs); i += graphBatch {
		batch := subs[i:min(i+graphBatch, len(subs))]
		req := armresourcegraph.QueryRequest{Query: ptr(ancestryQuery), Subscriptions: ptrs(batch)}
		if err := s.graphPages(ctx, c, req, add); err != nil {
			return nil, err
		}
	}
	return ancestryOf(subs, chains), nil
}

// armAncestry reads the entity list (POST
// /providers/Microsoft.Management/getEntities), which gives every
// subscription the chains of its ancestors' names and display names, root
// first, in one paged request whatever the number of subscriptions.
func (s *scanner) armAncestry(ctx context.Context, subs []string) []SubscriptionAncestry {
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
	return ancestryOf(subs, chains)
}

// ancestryOf lists the chains of subs, in their order, leaving out the
// subscriptions with none.
func ancestryOf(subs []string, chains map[string][]ManagementGroup) []SubscriptionAncestry {
	out := make([]SubscriptionAncestry, 0, len(subs))
	for _, sub := range subs {
		if groups, ok := chains[strings.ToLower(sub)]; ok {
			out = append(out, SubscriptionAncestry{Subscription: sub, Groups: groups})
		}
	}
	return out
}
