package cli

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/kvguard/kvguard/internal/assignment"
	"github.com/kvguard/kvguard/internal/catalog"
	"github.com/kvguard/kvguard/internal/policy"
	"github.com/kvguard/kvguard/internal/resource"
	"github.com/kvguard/kvguard/internal/source/live"
)

// assignmentOptions are the flags of the Deny preview: the tenant's own
// Azure Policy applied to what is scanned (docs/deny-preview.md).
type assignmentOptions struct {
	files     []string
	fromAzure bool
	target    string
}

func (o *assignmentOptions) addFlags(fs *pflag.FlagSet) {
	fs.StringArrayVar(&o.files, "assignments", nil, "judge with your tenant's Azure Policy: a file of the JSON output of az policy assignment, definition, set-definition or exemption list, or a kvguard policy snapshot (repeatable; see docs/deny-preview.md)")
	fs.BoolVar(&o.fromAzure, "assignments-from-azure", false, "read the assignments, definitions and exemptions at --target-scope from Azure (Reader; --cloud and --auth apply)")
	fs.StringVar(&o.target, "target-scope", "", "where the scanned IaC will be deployed, for --assignments: /subscriptions/<id>/resourceGroups/<name> (or a subscription or management group)")
}

func (o *assignmentOptions) enabled() bool { return len(o.files) > 0 || o.fromAzure }

// prepare reads the tenant's policy and compiles it for the target scope.
// Problems in the inputs go to fail (the run goes on); a missing or bad
// --target-scope is a usage error.
func (o *assignmentOptions) prepare(ctx context.Context, a *app, az *azureOptions, now time.Time, fail func(error)) (*assignment.Judge, assignment.Scope, error) {
	if o.target == "" {
		return nil, assignment.Scope{}, usageErrorf("--assignments and --assignments-from-azure need --target-scope /subscriptions/<id>/resourceGroups/<name>: the scope the deployment goes to decides which assignments apply")
	}
	scope, err := assignment.ParseScope(o.target)
	if err != nil {
		return nil, scope, usageErrorf("--target-scope: %v", err)
	}
	set := assignment.NewSet()
	for _, f := range o.files {
		data, err := os.ReadFile(f)
		if err != nil {
			fail(resource.Errorf(resource.Position{File: f}, "cannot read the assignments file: %v", err))
			continue
		}
		s, err := assignment.Parse(data, f)
		fail(err)
		set.Merge(s)
	}
	if o.fromAzure {
		cred, armOpts, err := live.Connect(live.Options{Cloud: az.cloud, Auth: az.auth, RequestTimeout: az.requestTimeout, Prompt: a.io.ErrOut, Tool: "kvguard " + Version(), Logger: a.logger})
		if err != nil {
			return nil, scope, fmt.Errorf("--assignments-from-azure: %w", err)
		}
		s, err := assignment.Fetch(ctx, scope, cred, armOpts)
		fail(err)
		set.Merge(s)
	}
	builtIns, err := catalogBuiltIns()
	if err != nil {
		return nil, scope, err
	}
	j, errs := assignment.New(set, assignment.Options{Target: scope, Now: now, BuiltIns: builtIns})
	for _, e := range errs {
		fail(e)
	}
	return j, scope, nil
}

// builtInDefinitions are kvguard's own copies of Microsoft's built-in
// definitions, by GUID: an assignment of a built-in whose definition the
// inputs lack is judged with them.
type builtInDefinitions map[string]*policy.Definition

func catalogBuiltIns() (builtInDefinitions, error) {
	cat, err := catalog.Defender(catalog.Options{})
	if err != nil {
		return nil, fmt.Errorf("catalog: %w", err)
	}
	out := builtInDefinitions{}
	for _, r := range cat.Recommendations {
		if r.RelatedPolicy.ID != "" && r.Definition != nil {
			out[strings.ToLower(r.RelatedPolicy.ID)] = r.Definition
		}
	}
	return out, nil
}

// BuiltIn finds a built-in definition (/providers/Microsoft.Authorization/
// policyDefinitions/<guid>) by its GUID.
func (b builtInDefinitions) BuiltIn(id string) (*policy.Definition, bool) {
	const prefix = "/providers/microsoft.authorization/policydefinitions/"
	low := strings.ToLower(id)
	if !strings.HasPrefix(low, prefix) {
		return nil, false
	}
	d, ok := b[low[len(prefix):]]
	if !ok {
		return nil, false
	}
	cp := *d
	cp.ID = id // verdicts name the built-in the tenant assigned
	return &cp, true
}
