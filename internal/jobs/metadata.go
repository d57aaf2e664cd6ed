package jobs

import (
	"context"
	"net/url"
	"strings"
	"time"

	"github.com/kvguard/kvguard/internal/resource"
	"github.com/kvguard/kvguard/internal/source/live"
	"github.com/kvguard/kvguard/internal/store"
)

// componentBatch is how many components a subscription's scan records
// at once: the scan's memory stays bounded for a vault of a million
// secrets.
const componentBatch = 5000

// componentRecorder records the secrets, keys and certificates a live
// scan lists (metadata only: names, enabled, expiry) for the resource
// page, as the documents go by. Documents come one at a time, a vault's
// before its components (live.Scan), so a vault's listings are cleared in
// the batch that precedes its first component.
type componentRecorder struct {
	ctx       context.Context
	st        *store.Store
	dataPlane bool
	cleared   []store.ComponentListing
	details   []store.ComponentDetail
	err       error
	// vault is the last vault's ID and host (of its vaultUri): data-plane
	// components (certificates) name their vault by host only.
	vault, host string
}

// kindOf maps a component type to the store's kind.
func kindOf(typ string) string {
	switch typ {
	case resource.TypeSecret:
		return store.KindSecret
	case resource.TypeKey, resource.TypeHSMKey:
		return store.KindKey
	case resource.TypeCertificate:
		return store.KindCertificate
	}
	return ""
}

// add takes one document of the scan.
func (r *componentRecorder) add(d *resource.Document) {
	if r.err != nil {
		return
	}
	switch {
	case d.IsType(resource.TypeVault) || d.IsType(resource.TypeManagedHSM):
		r.vault, r.host = d.ID, ""
		for _, k := range []string{"vaultUri", "hsmUri"} {
			if uri, ok := d.Get("properties", k); ok {
				if u, ok := uri.(string); ok {
					if p, err := url.Parse(u); err == nil {
						r.host = p.Hostname()
					}
				}
			}
		}
		// The kinds this scan lists in full for the vault: what it read
		// replaces what was recorded; a kind it could not read (a gap) or
		// does not read (certificates without the data plane) keeps it.
		kinds := []string{resource.TypeKey}
		if d.IsType(resource.TypeManagedHSM) {
			kinds = []string{resource.TypeHSMKey}
		} else {
			kinds = append(kinds, resource.TypeSecret)
			if r.dataPlane {
				kinds = append(kinds, resource.TypeCertificate)
			}
		}
		for _, k := range kinds {
			if _, gap := d.GapFor(k); !gap {
				r.cleared = append(r.cleared, store.ComponentListing{Vault: d.ID, Kind: kindOf(k)})
			}
		}
	case kindOf(d.Type) != "":
		c := componentDetail(d)
		if c.Vault == "" && d.Parent.Host != "" && strings.EqualFold(d.Parent.Host, r.host) {
			c.Vault = r.vault
		}
		if c.Vault == "" {
			return // a component of no vault this scan read: nothing to show it on
		}
		r.details = append(r.details, c)
		if len(r.details) >= componentBatch {
			r.flush()
		}
	}
}

func componentDetail(d *resource.Document) store.ComponentDetail {
	c := store.ComponentDetail{Vault: d.Parent.ID, Kind: kindOf(d.Type), Name: d.Name}
	if v, ok := d.Get("attributes", "enabled"); ok {
		if b, ok := v.(bool); ok {
			c.Enabled = &b
		}
	}
	if v, ok := d.Get("attributes", "expiresOn"); ok {
		switch x := v.(type) {
		case string:
			if t, err := time.Parse(resource.TimeLayout, x); err == nil {
				c.Expires = t
			}
		case time.Time:
			c.Expires = x
		}
	}
	return c
}

// flush writes what is pending; the first error stops the recording.
func (r *componentRecorder) flush() {
	if r.err == nil {
		r.err = r.st.PutComponentDetails(r.ctx, r.cleared, r.details)
	}
	r.cleared, r.details = r.cleared[:0], r.details[:0]
}

// recordAncestry records the subscriptions' management groups a scan
// read (none when it could not read them: what was recorded stays).
func recordAncestry(ctx context.Context, st *store.Store, list []live.SubscriptionAncestry) error {
	if len(list) == 0 {
		return nil
	}
	out := make([]store.SubscriptionAncestry, 0, len(list))
	for _, a := range list {
		groups := make([]store.ManagementGroup, 0, len(a.Groups))
		for _, g := range a.Groups {
			groups = append(groups, store.ManagementGroup{Name: g.Name, DisplayName: g.DisplayName})
		}
		out = append(out, store.SubscriptionAncestry{Subscription: a.Subscription, Groups: groups})
	}
	return st.PutAncestry(ctx, out)
}
