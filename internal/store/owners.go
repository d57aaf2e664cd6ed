package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// OwnerRule assigns an owner and a due date to the unhealthy findings of
// a recommendation ("" for all) on a scope (resource, resource group,
// subscription, repository path) or on resources with a tag.
type OwnerRule struct {
	ID             int64     `json:"id"`
	Recommendation string    `json:"recommendation,omitempty"`
	Scope          ScopeKind `json:"scope"`
	Target         string    `json:"target,omitempty"`
	Path           string    `json:"path,omitempty"`
	TagKey         string    `json:"tagKey,omitempty"`
	TagValue       string    `json:"tagValue,omitempty"`
	Owner          string    `json:"owner"`
	// DueDays is how long after a finding became unhealthy it is due.
	DueDays   int       `json:"dueDays"`
	CreatedBy string    `json:"createdBy"`
	Created   time.Time `json:"created"`
}

func (r *OwnerRule) check() error {
	if strings.TrimSpace(r.Owner) == "" {
		return fmt.Errorf("an owner rule needs an owner")
	}
	if r.DueDays < 0 {
		return fmt.Errorf("an owner rule's due days cannot be negative")
	}
	switch r.Scope {
	case OnResource, OnResourceGroup, OnSubscription, OnRepositoryPath:
		if r.Target == "" {
			return fmt.Errorf("an owner rule of scope %s needs a target", r.Scope)
		}
	case OnTag:
		if r.TagKey == "" {
			return fmt.Errorf("an owner rule on a tag needs the tag's key")
		}
	default:
		return fmt.Errorf("owner rule scope %q is not one of resource, resourceGroup, subscription, repositoryPath, tag", r.Scope)
	}
	return nil
}

// AddOwnerRule records an owner rule on behalf of actor and audits it.
func (s *Store) AddOwnerRule(ctx context.Context, actor string, r OwnerRule) (int64, error) {
	if err := r.check(); err != nil {
		return 0, fmt.Errorf("add owner rule: %w", err)
	}
	r.Target = normalTarget(r.Scope, r.Target)
	r.CreatedBy, r.Created = actor, time.UnixMilli(s.now()).UTC()
	err := s.inTx(ctx, "add owner rule", func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, s.q(`INSERT INTO owner_rules (recommendation_id, scope_kind, target, path, tag_key,
			tag_value, owner, due_days, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
			r.Recommendation, string(r.Scope), r.Target, r.Path, r.TagKey, r.TagValue, r.Owner, r.DueDays, actor,
			r.Created.UnixMilli()).Scan(&r.ID); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, "create", "owner-rule", r.ID, nil, r)
	})
	return r.ID, err
}

// DeleteOwnerRule removes an owner rule and audits it.
func (s *Store) DeleteOwnerRule(ctx context.Context, actor string, id int64) error {
	return s.inTx(ctx, fmt.Sprintf("delete owner rule %d", id), func(tx *sql.Tx) error {
		rules, err := s.ownerRules(ctx, tx, "WHERE id = ? AND deleted_at = 0", id)
		if err != nil {
			return err
		}
		if len(rules) == 0 {
			return fmt.Errorf("no owner rule %d", id)
		}
		if _, err := tx.ExecContext(ctx, s.q("UPDATE owner_rules SET deleted_at = ? WHERE id = ?"), s.now(), id); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, "delete", "owner-rule", id, rules[0], nil)
	})
}

// OwnerRules lists the rules in force, by ID (the first that matches a
// finding wins).
func (s *Store) OwnerRules(ctx context.Context) ([]OwnerRule, error) {
	return s.ownerRules(ctx, s.db, "WHERE deleted_at = 0 ORDER BY id")
}

func (s *Store) ownerRules(ctx context.Context, q querier, where string, args ...any) ([]OwnerRule, error) {
	rows, err := q.QueryContext(ctx, s.q(`SELECT id, recommendation_id, scope_kind, target, path, tag_key, tag_value, owner,
		due_days, created_by, created_at FROM owner_rules `+where), args...)
	if err != nil {
		return nil, fmt.Errorf("read owner rules: %w", err)
	}
	defer rows.Close()
	var out []OwnerRule
	for rows.Next() {
		var r OwnerRule
		var created int64
		if err := rows.Scan(&r.ID, &r.Recommendation, &r.Scope, &r.Target, &r.Path, &r.TagKey, &r.TagValue, &r.Owner,
			&r.DueDays, &r.CreatedBy, &created); err != nil {
			return nil, fmt.Errorf("read owner rules: %w", err)
		}
		r.Created = time.UnixMilli(created).UTC()
		out = append(out, r)
	}
	return out, rows.Err()
}

// Assignment is an unhealthy finding with its owner and due date.
type Assignment struct {
	Finding
	Owner   string
	Due     time.Time
	Overdue bool
	Rule    int64
}

// ownedResource is what rules match on.
type ownedResource struct {
	id, sub, rg, repo, file string
	tags                    map[string]string
}

func (r *OwnerRule) matches(rec string, o *ownedResource) bool {
	if r.Recommendation != "" && r.Recommendation != rec {
		return false
	}
	switch r.Scope {
	case OnResource:
		return r.Target == strings.ToLower(o.id)
	case OnResourceGroup:
		return r.Target == o.rg
	case OnSubscription:
		return r.Target == o.sub
	case OnRepositoryPath:
		return r.Target == o.repo && (r.Path == "" || o.file == r.Path || strings.HasPrefix(o.file, r.Path+"/"))
	case OnTag:
		v, ok := o.tags[r.TagKey]
		return ok && (r.TagValue == "" || v == r.TagValue)
	}
	return false
}

// Assignments lists the resources' unhealthy findings (exempt ones left
// out) that an owner rule covers, with the due date (when the finding
// became unhealthy plus the rule's days) and whether it is overdue at
// the store's clock.
func (s *Store) Assignments(ctx context.Context) ([]Assignment, error) {
	rules, err := s.OwnerRules(ctx)
	if err != nil || len(rules) == 0 {
		return nil, err
	}
	now := s.now()
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT r.id, r.scope, r.resource_id, r.deployment, r.name, f.recommendation_id,
		f.status, f.reason, f.since, r.subscription, r.resource_group, r.repository, r.file, r.tags
		FROM findings f JOIN resources r ON r.id = f.resource_ref
		WHERE f.component = '' AND f.status = 'Unhealthy' AND NOT EXISTS (SELECT 1 FROM exemptions e
			WHERE e.id = f.exemption_id AND e.revoked_at = 0 AND e.expires_at > ?)
		ORDER BY r.resource_id, r.deployment, f.recommendation_id`), now)
	if err != nil {
		return nil, fmt.Errorf("read assignments: %w", err)
	}
	defer rows.Close()
	var out []Assignment
	for rows.Next() {
		var a Assignment
		var o ownedResource
		var since int64
		var tags string
		if err := rows.Scan(&a.ResourceRef, &a.Scope, &a.ResourceID, &a.Deployment, &a.Name, &a.Recommendation, &a.Status,
			&a.Reason, &since, &o.sub, &o.rg, &o.repo, &o.file, &tags); err != nil {
			return nil, fmt.Errorf("read assignments: %w", err)
		}
		if err := json.Unmarshal([]byte(tags), &o.tags); err != nil {
			return nil, fmt.Errorf("read assignments: tags of %s: %w", a.ResourceID, err)
		}
		o.id = a.ResourceID
		a.Effective, a.Since = a.Status, time.UnixMilli(since).UTC()
		for i := range rules {
			if rules[i].matches(a.Recommendation, &o) {
				a.Owner, a.Rule = rules[i].Owner, rules[i].ID
				a.Due = a.Since.AddDate(0, 0, rules[i].DueDays)
				a.Overdue = a.Due.UnixMilli() < now
				out = append(out, a)
				break
			}
		}
	}
	return out, rows.Err()
}
