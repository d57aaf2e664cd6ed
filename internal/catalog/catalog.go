// Package catalog holds kvguard's recommendations: each one a policy
// definition written by this project (the same logic as the Azure
// built-in it mirrors, in its own JSON and words) plus what a person needs
// around it — Defender's title and severity, the related built-in policy,
// the assessment key, rationale, remediation for the portal, the Azure CLI,
// Terraform and Bicep, and framework mappings.
//
// The six Defender for Cloud Key Vault recommendations are the default set;
// every other Key Vault and Managed HSM built-in has its own definition
// too (builtin/), judged with --all, a framework, or -r. All are embedded
// in the binary. Users add their own definitions (AddDefinition).
// The catalog imports the policy engine; it never imports inputs, the
// assessor or reports.
package catalog

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/kvguard/kvguard/internal/policy"
)

//go:embed defender/*.json builtin/*.json
var defenderFS embed.FS

// Severity is Defender's severity scale.
type Severity string

// The severities, highest first.
const (
	High   Severity = "High"
	Medium Severity = "Medium"
	Low    Severity = "Low"
)

// Rank orders severities: High 3, Medium 2, Low 1, anything else 0.
func (s Severity) Rank() int {
	switch strings.ToLower(string(s)) {
	case "high":
		return 3
	case "medium":
		return 2
	case "low":
		return 1
	}
	return 0
}

// ParseSeverity reads a severity name, case-insensitively.
func ParseSeverity(s string) (Severity, error) {
	switch strings.ToLower(s) {
	case "high":
		return High, nil
	case "medium":
		return Medium, nil
	case "low":
		return Low, nil
	}
	return "", fmt.Errorf("unknown severity %q (use low, medium or high)", s)
}

// Recommendation is one check: a compiled policy and its metadata.
type Recommendation struct {
	ID       string   `json:"id"`
	Title    string   `json:"title"`
	Severity Severity `json:"severity"`
	// Type is Defender's label ("Control plane").
	Type string `json:"type"`
	// Component is the component type a data-plane recommendation judges
	// one by one and rolls up to the vault; "" for resource-level ones.
	Component     string        `json:"component,omitempty"`
	RelatedPolicy RelatedPolicy `json:"relatedPolicy"`
	// AssessmentKey is Defender's assessment key, where known.
	AssessmentKey     string `json:"assessmentKey,omitempty"`
	AssessmentKeyNote string `json:"assessmentKeyNote,omitempty"`
	Description       string `json:"description"`
	// Requirement says in one line what a healthy resource has.
	Requirement string `json:"requirement"`
	// UnhealthyText says what is wrong with an unhealthy resource.
	UnhealthyText string `json:"unhealthyText,omitempty"`
	// ComponentNoun ("secret") and ComponentUnhealthyText ("has no
	// expiration date") phrase component findings.
	ComponentNoun          string      `json:"componentNoun,omitempty"`
	ComponentUnhealthyText string      `json:"componentUnhealthyText,omitempty"`
	Rationale              string      `json:"rationale"`
	Logic                  string      `json:"logic"`
	Remediation            Remediation `json:"remediation"`
	LearnMore              []string    `json:"learnMore,omitempty"`
	Frameworks             []Framework `json:"frameworks,omitempty"`
	// ReasonFields are the aliases whose values explain a verdict; reasons
	// on other conditions (type, createMode) are left out of the summary.
	ReasonFields []string `json:"reasonFields,omitempty"`
	// Custom marks a user's own definition.
	Custom bool `json:"custom,omitempty"`
	// Target is the resource type the recommendation judges (a vault, a
	// managed HSM, a private endpoint); components roll up to it.
	Target string `json:"target,omitempty"`
	// Default marks the six Defender recommendations kvguard scan judges
	// without --all, -r or --framework.
	Default bool `json:"default,omitempty"`
	// Deprecated marks a built-in Microsoft has deprecated: listed, judged
	// only when selected by ID.
	Deprecated bool `json:"deprecated,omitempty"`
	// Preview marks a built-in Microsoft ships as a preview.
	Preview bool `json:"preview,omitempty"`
	// NeedsParams names the parameters that have no default and were given
	// no value: the recommendation cannot be judged until they are
	// (--param ID.NAME=VALUE). Policy is nil then.
	NeedsParams []string `json:"needsParams,omitempty"`

	Definition *policy.Definition `json:"-"`
	Policy     *policy.Policy     `json:"-"`
}

// RelatedPolicy names the Azure built-in definition the recommendation
// mirrors.
type RelatedPolicy struct {
	ID          string `json:"id"`
	DisplayName string `json:"displayName"`
	Version     string `json:"version"`
}

// Remediation says how to fix an unhealthy resource in each tool.
type Remediation struct {
	Portal    string `json:"portal"`
	CLI       string `json:"cli"`
	Terraform string `json:"terraform"`
	Bicep     string `json:"bicep"`
}

// Framework maps the recommendation to a control of a benchmark.
type Framework struct {
	Framework string `json:"framework"`
	Control   string `json:"control"`
}

// PolicyDefinitionID is the related built-in's full resource ID.
func (r *Recommendation) PolicyDefinitionID() string {
	if r.RelatedPolicy.ID == "" {
		return ""
	}
	return "/providers/Microsoft.Authorization/policyDefinitions/" + r.RelatedPolicy.ID
}

// Catalog is an ordered set of recommendations.
type Catalog struct {
	Recommendations []*Recommendation
	// Skipped are the recommendations --all left out, and why.
	Skipped []Skip
	// Framework is the framework the scan judges (--framework), or nil.
	Framework *Benchmark
	byID      map[string]*Recommendation
}

// Skip is a recommendation left out of a scan, with the reason.
type Skip struct {
	ID     string `json:"id"`
	Reason string `json:"reason"`
}

// defaults lists the six Defender recommendations and the user's own
// definitions: what kvguard scan judges unless told otherwise.
func (c *Catalog) defaults() []string {
	var ids []string
	for _, r := range c.Recommendations {
		if r.Default || r.Custom {
			ids = append(ids, r.ID)
		}
	}
	return ids
}

// Lookup finds a recommendation by ID (case-insensitive) or by its related
// policy definition GUID.
func (c *Catalog) Lookup(id string) (*Recommendation, bool) {
	r, ok := c.byID[strings.ToLower(id)]
	return r, ok
}

// IDs lists the recommendation IDs in catalog order.
func (c *Catalog) IDs() []string {
	out := make([]string, len(c.Recommendations))
	for i, r := range c.Recommendations {
		out[i] = r.ID
	}
	return out
}

// Options tune the catalog's policies.
type Options struct {
	// Params sets parameter values per recommendation ID, e.g.
	// {"keyvault-firewall": {"restrictIPAddresses": "Yes", ...}}.
	Params map[string]map[string]any
}

type entry struct {
	Recommendation
	Policy json.RawMessage `json:"policy"`
}

// typeVault is the type most recommendations judge.
const typeVault = "Microsoft.KeyVault/vaults"

// defenderOrder is Defender's order of its six recommendations, the
// default set.
var defenderOrder = map[string]int{"keyvault-rbac": 0, "keyvault-secret-expiry": 1, "keyvault-key-expiry": 2, "keyvault-soft-delete": 3, "keyvault-firewall": 4, "keyvault-private-link": 5}

// Defender returns the six Defender for Cloud Key Vault recommendations,
// compiled, in Defender's order.
func Defender(opts Options) (*Catalog, error) {
	all, err := All(opts)
	if err != nil {
		return nil, err
	}
	out := &Catalog{byID: map[string]*Recommendation{}}
	for _, r := range all.Recommendations {
		if r.Default {
			if err := out.add(r); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// All returns every recommendation kvguard writes: the six Defender ones
// first, in Defender's order, then every other Key Vault and Managed HSM
// built-in by ID. A recommendation whose parameters lack a value is
// listed with NeedsParams and no compiled policy.
func All(opts Options) (*Catalog, error) {
	c := &Catalog{byID: map[string]*Recommendation{}}
	for _, dir := range []string{"defender", "builtin"} {
		files, err := fs.Glob(defenderFS, dir+"/*.json")
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			data, err := defenderFS.ReadFile(f)
			if err != nil {
				return nil, err
			}
			r, err := load(data, f, opts)
			if err != nil {
				return nil, err
			}
			r.Default = dir == "defender"
			if err := c.add(r); err != nil {
				return nil, err
			}
		}
	}
	sort.SliceStable(c.Recommendations, func(i, j int) bool {
		a, b := c.Recommendations[i], c.Recommendations[j]
		if a.Default != b.Default {
			return a.Default
		}
		if a.Default {
			return defenderOrder[a.ID] < defenderOrder[b.ID]
		}
		return a.ID < b.ID
	})
	for id := range opts.Params {
		if _, ok := c.Lookup(id); !ok {
			return nil, fmt.Errorf("parameters given for unknown recommendation %q (known: %s)", id, strings.Join(c.IDs(), ", "))
		}
	}
	return c, nil
}

func load(data []byte, file string, opts Options) (*Recommendation, error) {
	var e entry
	if err := json.Unmarshal(data, &e); err != nil {
		return nil, fmt.Errorf("catalog %s: %w", file, err)
	}
	def, err := policy.ParseDefinition(e.Policy, path.Base(file))
	if err != nil {
		return nil, fmt.Errorf("catalog %s: %w", file, err)
	}
	r := e.Recommendation
	r.Definition = def
	def.ID = "kvguard/" + r.ID
	if r.Target == "" {
		r.Target = typeVault
	}
	given := opts.Params[r.ID]
	for _, p := range def.SortedParameters() {
		if _, ok := lookupParam(given, p.Name); !ok && !p.HasDefault {
			r.NeedsParams = append(r.NeedsParams, p.Name)
		}
	}
	if len(r.NeedsParams) > 0 {
		// Checked still, so that a bad value is reported now.
		for name := range given {
			if _, ok := def.Parameters[strings.ToLower(name)]; !ok {
				return nil, fmt.Errorf("recommendation %s: definition has no parameter %q", r.ID, name)
			}
		}
		return &r, nil
	}
	r.Policy, err = policy.Compile(def, given)
	if err != nil {
		return nil, fmt.Errorf("recommendation %s: %w", r.ID, err)
	}
	return &r, nil
}

// lookupParam finds a parameter value by name, case-insensitively.
func lookupParam(values map[string]any, name string) (any, bool) {
	for k, v := range values {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return nil, false
}

// Judgeable reports whether the recommendation has a compiled policy:
// false when a parameter without a default was given no value.
func (r *Recommendation) Judgeable() bool { return r.Policy != nil }

// NeedsParamsError says which --param settings would make r judgeable.
func (r *Recommendation) NeedsParamsError() error {
	var flags []string
	for _, p := range r.NeedsParams {
		flags = append(flags, "--param "+r.ID+"."+p+"=VALUE")
	}
	return fmt.Errorf("recommendation %s needs a value for %s, which has no default: give %s", r.ID, strings.Join(r.NeedsParams, ", "), strings.Join(flags, " "))
}

func (c *Catalog) add(r *Recommendation) error {
	key := strings.ToLower(r.ID)
	if _, dup := c.byID[key]; dup {
		return fmt.Errorf("two recommendations share the ID %q", r.ID)
	}
	c.Recommendations = append(c.Recommendations, r)
	c.byID[key] = r
	if r.RelatedPolicy.ID != "" {
		if _, taken := c.byID[strings.ToLower(r.RelatedPolicy.ID)]; !taken {
			c.byID[strings.ToLower(r.RelatedPolicy.ID)] = r
		}
	}
	return nil
}

// AddDefinition adds a user's policy definition as a recommendation. Its
// ID is the definition's name (or the file's base name), its title the
// display name, its severity metadata.severity or Medium; a
// Microsoft.KeyVault.Data definition judges components and rolls them up.
func (c *Catalog) AddDefinition(def *policy.Definition, params map[string]any) (*Recommendation, error) {
	p, err := policy.Compile(def, params)
	if err != nil {
		return nil, err
	}
	id := def.Name
	if id == "" {
		id = strings.TrimSuffix(path.Base(def.File), path.Ext(def.File))
	}
	r := &Recommendation{
		ID: id, Title: def.DisplayName, Severity: Medium, Type: "Custom policy", Custom: true,
		Description: def.Description, Definition: def, Policy: p,
		RelatedPolicy: RelatedPolicy{ID: def.Ref(), DisplayName: def.DisplayName, Version: def.Version},
	}
	if r.Title == "" {
		r.Title = id
	}
	if s, ok := def.Metadata["severity"].(string); ok {
		if sev, err := ParseSeverity(s); err == nil {
			r.Severity = sev
		}
	}
	switch p.Mode() {
	case "microsoft.keyvault.data", "microsoft.managedhsm.data":
		r.Component = "*" // every component type the rule's type condition admits
	}
	if err := c.add(r); err != nil {
		return nil, err
	}
	return r, nil
}

// Select keeps only the listed recommendations (by ID), in catalog order.
func (c *Catalog) Select(ids []string) (*Catalog, error) {
	keep := map[*Recommendation]bool{}
	for _, id := range ids {
		r, ok := c.Lookup(id)
		if !ok {
			return nil, fmt.Errorf("unknown recommendation %q (known: %s)", id, strings.Join(c.IDs(), ", "))
		}
		keep[r] = true
	}
	out := &Catalog{byID: map[string]*Recommendation{}}
	for _, r := range c.Recommendations {
		if keep[r] {
			if !r.Judgeable() {
				return nil, r.NeedsParamsError()
			}
			if err := out.add(r); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}
