package store

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
	"time"
)

// What a live scan learns about the estate besides verdicts (migration
// 00007): each subscription's management-group ancestry, which the views
// filter on, and each vault's secrets, keys and certificates with their
// expiry, which the resource page lists. Neither feeds a verdict or a
// report, and neither is part of a scan's staging: they describe Azure
// as last read, replaced whole for each subscription (each vault and
// kind) a scan read.

// ManagementGroup is an Azure management group: its name (its ID's last
// segment; the tenant root group's is the tenant ID) and display name.
type ManagementGroup struct {
	Name        string `json:"name"`
	DisplayName string `json:"displayName"`
}

// SubscriptionAncestry is a subscription's management groups, nearest
// first, up to the tenant root group.
type SubscriptionAncestry struct {
	Subscription string
	Groups       []ManagementGroup
}

// PutAncestry records the ancestry of subscriptions, replacing what was
// recorded of each; a subscription with no groups has its record removed.
func (s *Store) PutAncestry(ctx context.Context, list []SubscriptionAncestry) error {
	if len(list) == 0 {
		return nil
	}
	now := s.now()
	return s.inTx(ctx, "record management groups", func(tx *sql.Tx) error {
		for _, a := range list {
			sub := strings.ToLower(a.Subscription)
			if sub == "" {
				return fmt.Errorf("an ancestry names no subscription")
			}
			if _, err := tx.ExecContext(ctx, s.q("DELETE FROM subscription_groups WHERE subscription = ?"), sub); err != nil {
				return fmt.Errorf("subscription %s: %w", a.Subscription, err)
			}
			for depth, g := range a.Groups {
				if g.Name == "" {
					return fmt.Errorf("subscription %s: a management group at depth %d has no name", a.Subscription, depth)
				}
				if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO subscription_groups (subscription, depth, management_group,
					display_name, read_at) VALUES (?, ?, ?, ?, ?)`), sub, depth, strings.ToLower(g.Name), g.DisplayName, now); err != nil {
					return fmt.Errorf("subscription %s: %w", a.Subscription, err)
				}
			}
		}
		return nil
	})
}

// Ancestry returns a subscription's recorded management groups, nearest
// first (none when no scan recorded them).
func (s *Store) Ancestry(ctx context.Context, subscription string) ([]ManagementGroup, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT management_group, display_name FROM subscription_groups
		WHERE subscription = ? ORDER BY depth`), strings.ToLower(subscription))
	if err != nil {
		return nil, fmt.Errorf("read the management groups of %s: %w", subscription, err)
	}
	defer rows.Close()
	var out []ManagementGroup
	for rows.Next() {
		var g ManagementGroup
		if err := rows.Scan(&g.Name, &g.DisplayName); err != nil {
			return nil, fmt.Errorf("read the management groups of %s: %w", subscription, err)
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// ManagementGroups lists the management groups recorded above any
// subscription, by name (at most limit), for the views' filter choices.
func (s *Store) ManagementGroups(ctx context.Context, limit int) ([]ManagementGroup, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT management_group, MAX(display_name) FROM subscription_groups
		GROUP BY management_group ORDER BY management_group LIMIT ?`), limit)
	if err != nil {
		return nil, fmt.Errorf("read the management groups: %w", err)
	}
	defer rows.Close()
	var out []ManagementGroup
	for rows.Next() {
		var g ManagementGroup
		if err := rows.Scan(&g.Name, &g.DisplayName); err != nil {
			return nil, fmt.Errorf("read the management groups: %w", err)
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// Component kinds, as ComponentDetail.Kind names them.
const (
	KindSecret      = "secret"
	KindKey         = "key"
	KindCertificate = "certificate"
)

// ComponentDetail is a secret, key or certificate of a vault as a live
// scan listed it: metadata only, never a value.
type ComponentDetail struct {
	// Vault is the vault's (or managed HSM's) resource ID.
	Vault string
	// Kind is KindSecret, KindKey or KindCertificate.
	Kind string
	Name string
	// Enabled is nil when the listing did not say.
	Enabled *bool
	// Expires is the zero time when the component does not expire.
	Expires time.Time
}

// ComponentListing names a vault and a kind of component a scan listed
// in full: what was recorded of it is replaced.
type ComponentListing struct {
	Vault, Kind string
}

// PutComponentDetails records a batch of components in one transaction:
// first the recorded components of each listing in cleared are removed
// (a listing is cleared once, in the batch before its first component),
// then details are written, replacing a component recorded before.
func (s *Store) PutComponentDetails(ctx context.Context, cleared []ComponentListing, details []ComponentDetail) error {
	if len(cleared) == 0 && len(details) == 0 {
		return nil
	}
	now := s.now()
	return s.inTx(ctx, "record components", func(tx *sql.Tx) error {
		for _, l := range cleared {
			if _, err := tx.ExecContext(ctx, s.q("DELETE FROM component_details WHERE resource_id = ? AND kind = ?"),
				strings.ToLower(l.Vault), l.Kind); err != nil {
				return fmt.Errorf("%s: %w", l.Vault, err)
			}
		}
		b := s.newBatch(tx, "INSERT INTO component_details (resource_id, kind, name, enabled, expires_at, read_at) VALUES ",
			`ON CONFLICT (resource_id, kind, name) DO UPDATE SET enabled = excluded.enabled, expires_at = excluded.expires_at,
			read_at = excluded.read_at`, 6)
		defer b.close()
		for _, d := range details {
			switch d.Kind {
			case KindSecret, KindKey, KindCertificate:
			default:
				return fmt.Errorf("%s: component %q: unknown kind %q", d.Vault, d.Name, d.Kind)
			}
			if d.Vault == "" || d.Name == "" {
				return fmt.Errorf("a %s names no vault or no name (vault %q, name %q)", d.Kind, d.Vault, d.Name)
			}
			enabled := int64(-1)
			if d.Enabled != nil {
				enabled = 0
				if *d.Enabled {
					enabled = 1
				}
			}
			var exp int64
			if !d.Expires.IsZero() {
				exp = d.Expires.UnixMilli()
			}
			vault := strings.ToLower(d.Vault)
			if err := b.add(ctx, vault+"\x00"+d.Kind+"\x00"+d.Name, vault, d.Kind, d.Name, enabled, exp, now); err != nil {
				return fmt.Errorf("%s: %w", d.Vault, err)
			}
		}
		return b.flush(ctx)
	})
}

// maxComponentRows bounds the components a resource page lists: a vault
// may hold a million secrets.
const maxComponentRows = 1000

// ComponentRow is one of a resource's components on its page: what the
// last live scan listed of it (Listed false when it has verdicts but no
// listing, e.g. from a pushed report) and its current verdicts.
type ComponentRow struct {
	Kind    string
	Name    string
	Listed  bool
	Enabled *bool
	// Expires is the zero time for a component without expiry.
	Expires  time.Time
	Findings []Finding
}

// ExpiresIn is the whole days from at to the component's expiry
// (negative once expired); ok is false when it does not expire.
func (c *ComponentRow) ExpiresIn(at time.Time) (days int, ok bool) {
	if c.Expires.IsZero() {
		return 0, false
	}
	d := c.Expires.Sub(at)
	days = int(d / (24 * time.Hour))
	if d < 0 && d%(24*time.Hour) != 0 {
		days-- // an expiry 1 h ago is 1 day ago, not 0
	}
	return days, true
}

// componentRows lists a resource's components: those recorded for it
// (by kind and name, at most maxComponentRows) with their verdicts from
// findings, then components with verdicts but no record. A verdict
// names its component only by name, so it goes to every recorded
// component of that name (a secret and a key may share one). listed
// false reads no record (the resource is not a live one). more says the
// list was cut.
func (s *Store) componentRows(ctx context.Context, resourceID string, listed bool, findings []Finding) (out []ComponentRow, more bool, err error) {
	limit := maxComponentRows + 1
	if !listed {
		limit = 0
	}
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT kind, name, enabled, expires_at FROM component_details
		WHERE resource_id = ? ORDER BY kind, name LIMIT ?`), strings.ToLower(resourceID), limit)
	if err != nil {
		return nil, false, fmt.Errorf("read the components of %s: %w", resourceID, err)
	}
	defer rows.Close()
	byName := map[string][]int{}
	for rows.Next() {
		var c ComponentRow
		var enabled, exp int64
		if err := rows.Scan(&c.Kind, &c.Name, &enabled, &exp); err != nil {
			return nil, false, fmt.Errorf("read the components of %s: %w", resourceID, err)
		}
		if len(out) == maxComponentRows {
			more = true
			break
		}
		c.Listed = true
		if enabled >= 0 {
			e := enabled == 1
			c.Enabled = &e
		}
		if exp != 0 {
			c.Expires = time.UnixMilli(exp).UTC()
		}
		byName[c.Name] = append(byName[c.Name], len(out))
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("read the components of %s: %w", resourceID, err)
	}
	nListed := len(out)
	for _, f := range findings {
		if f.Component == "" {
			continue
		}
		idx, ok := byName[f.Component]
		if !ok {
			if more || len(out) >= 2*maxComponentRows {
				more = true
				continue
			}
			idx = []int{len(out)}
			byName[f.Component] = idx
			out = append(out, ComponentRow{Name: f.Component})
		}
		for _, i := range idx {
			out[i].Findings = append(out[i].Findings, f)
		}
	}
	extra := out[nListed:]
	sort.Slice(extra, func(i, j int) bool { return extra[i].Name < extra[j].Name })
	return out, more, nil
}
