package assignment

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armpolicy"

	"github.com/kvguard/kvguard/internal/resource"
)

// Fetch reads a tenant's Azure Policy for the target scope through
// Resource Manager, with Reader rights: the assignments at the scope and
// above it ($filter=atScope()), the definitions and set definitions they
// assign (built-in, subscription or management group), and the exemptions
// at, above and below the scope. The objects are read through the same
// parser as files (their ARM JSON); a definition that cannot be read is
// an error naming it, and the rest is still returned.
func Fetch(ctx context.Context, target Scope, cred azcore.TokenCredential, opts *arm.ClientOptions) (*Set, error) {
	sub := target.Subscription
	if sub == "" {
		sub = "00000000-0000-0000-0000-000000000000" // the clients need one; management group calls do not use it
	}
	f, err := armpolicy.NewClientFactory(sub, cred, opts)
	if err != nil {
		return NewSet(), fmt.Errorf("azure policy client: %w", err)
	}
	fe := &fetcher{ctx: ctx, f: f, cred: cred, opts: opts, set: NewSet()}
	if err := fe.assignments(target); err != nil {
		return fe.set, fmt.Errorf("list policy assignments at %s: %w", target.ID, err)
	}
	if err := fe.exemptions(target); err != nil {
		fe.errs = append(fe.errs, fmt.Errorf("list policy exemptions at %s: %w", target.ID, err))
	}
	for _, a := range fe.set.Assignments {
		fe.resolve(a.PolicyDefinitionID)
	}
	// Every management group an assignment listed atScope() sits at is
	// above the target: the ancestry, as far as it shows.
	fe.set.Ancestry = []string{}
	for _, a := range fe.set.Assignments {
		if mg, ok := cutPrefixFold(a.Scope, mgPrefix); ok {
			fe.set.Ancestry = append(fe.set.Ancestry, mg)
		}
	}
	for _, x := range fe.set.Exemptions {
		if mg, ok := cutPrefixFold(x.Scope, mgPrefix); ok {
			fe.set.Ancestry = append(fe.set.Ancestry, mg)
		}
	}
	return fe.set, errors.Join(fe.errs...)
}

type fetcher struct {
	ctx  context.Context
	f    *armpolicy.ClientFactory
	cred azcore.TokenCredential
	opts *arm.ClientOptions
	set  *Set
	errs []error
	seen map[string]bool
}

// add parses one object as ARM returned it, named by its ID.
func (fe *fetcher) add(v any) {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		fe.errs = append(fe.errs, err)
		return
	}
	var probe struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal(data, &probe)
	set, err := Parse(data, "azure:"+probe.ID)
	fe.set.Merge(set)
	if err != nil {
		fe.errs = append(fe.errs, err)
	}
}

func (fe *fetcher) assignments(t Scope) error {
	atScope := "atScope()"
	c := fe.f.NewAssignmentsClient()
	switch {
	case t.ManagementGroup != "":
		return drain(fe, c.NewListForManagementGroupPager(t.ManagementGroup, &armpolicy.AssignmentsClientListForManagementGroupOptions{Filter: &atScope}),
			func(r armpolicy.AssignmentsClientListForManagementGroupResponse) []*armpolicy.Assignment {
				return r.Value
			})
	case t.ResourceGroup != "":
		return drain(fe, c.NewListForResourceGroupPager(t.ResourceGroup, &armpolicy.AssignmentsClientListForResourceGroupOptions{Filter: &atScope}),
			func(r armpolicy.AssignmentsClientListForResourceGroupResponse) []*armpolicy.Assignment {
				return r.Value
			})
	default:
		return drain(fe, c.NewListPager(&armpolicy.AssignmentsClientListOptions{Filter: &atScope}),
			func(r armpolicy.AssignmentsClientListResponse) []*armpolicy.Assignment { return r.Value })
	}
}

func (fe *fetcher) exemptions(t Scope) error {
	c := fe.f.NewExemptionsClient()
	switch {
	case t.ManagementGroup != "":
		atScope := "atScope()"
		return drain(fe, c.NewListForManagementGroupPager(t.ManagementGroup, &armpolicy.ExemptionsClientListForManagementGroupOptions{Filter: &atScope}),
			func(r armpolicy.ExemptionsClientListForManagementGroupResponse) []*armpolicy.Exemption {
				return r.Value
			})
	case t.ResourceGroup != "":
		// No filter: the exemptions at the group, above it and on the
		// resources in it.
		return drain(fe, c.NewListForResourceGroupPager(t.ResourceGroup, nil),
			func(r armpolicy.ExemptionsClientListForResourceGroupResponse) []*armpolicy.Exemption { return r.Value })
	default:
		return drain(fe, c.NewListPager(nil),
			func(r armpolicy.ExemptionsClientListResponse) []*armpolicy.Exemption { return r.Value })
	}
}

// drain reads every page of a list and adds each object on it.
func drain[R, T any](fe *fetcher, p *runtime.Pager[R], items func(R) []*T) error {
	for p.More() {
		page, err := p.NextPage(fe.ctx)
		if err != nil {
			return err
		}
		for _, x := range items(page) {
			fe.add(x)
		}
	}
	return nil
}

// resolve reads a definition or set definition by ID, and the members of
// a set definition.
func (fe *fetcher) resolve(id string) {
	if fe.seen == nil {
		fe.seen = map[string]bool{}
	}
	k := resource.Key(id)
	if fe.seen[k] {
		return
	}
	fe.seen[k] = true
	v, err := fe.get(id)
	if err != nil {
		fe.errs = append(fe.errs, resource.Errorf(resource.Position{File: "azure:" + id}, "read policy %s: %v", id, err))
		return
	}
	fe.add(v)
	if s, ok := fe.set.SetDefinitions[k]; ok {
		for _, m := range s.Members {
			fe.resolve(m.DefinitionID)
		}
	}
}

// get reads one definition or set definition at its scope: built-in,
// a subscription's or a management group's.
func (fe *fetcher) get(id string) (any, error) {
	scope := scopeOf(id)
	name := lastSegment(id)
	isSet := isSetID(id)
	mg, atMG := cutPrefixFold(scope, mgPrefix)
	sub := ""
	if segs := strings.Split(strings.TrimPrefix(scope, "/"), "/"); len(segs) == 2 && strings.EqualFold(segs[0], "subscriptions") {
		sub = segs[1]
	}
	switch {
	case isSet && atMG:
		r, err := fe.f.NewSetDefinitionsClient().GetAtManagementGroup(fe.ctx, mg, name, nil)
		return r.SetDefinition, err
	case isSet && sub != "":
		c, err := armpolicy.NewSetDefinitionsClient(sub, fe.cred, fe.opts)
		if err != nil {
			return nil, err
		}
		r, err := c.Get(fe.ctx, name, nil)
		return r.SetDefinition, err
	case isSet && scope == "":
		r, err := fe.f.NewSetDefinitionsClient().GetBuiltIn(fe.ctx, name, nil)
		return r.SetDefinition, err
	case atMG:
		r, err := fe.f.NewDefinitionsClient().GetAtManagementGroup(fe.ctx, mg, name, nil)
		return r.Definition, err
	case sub != "":
		c, err := armpolicy.NewDefinitionsClient(sub, fe.cred, fe.opts)
		if err != nil {
			return nil, err
		}
		r, err := c.Get(fe.ctx, name, nil)
		return r.Definition, err
	case scope == "":
		r, err := fe.f.NewDefinitionsClient().GetBuiltIn(fe.ctx, name, nil)
		return r.Definition, err
	}
	return nil, fmt.Errorf("%s is not a policy definition or set definition ID kvguard can read", id)
}
