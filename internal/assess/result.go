// Package assess judges resource documents with the catalog and produces
// the one result model every report renders: one assessment per (resource,
// recommendation), data-plane components rolled up to their vault,
// suppressions applied, and every input problem kept beside the results.
//
// It imports the estate (the linked documents), the catalog and the policy
// engine; it never imports inputs or reports. The result model stands
// alone: reports read Result (and resource's provenance types) and nothing
// else.
package assess

import (
	"errors"
	"iter"
	"path/filepath"
	"time"

	"github.com/kvguard/kvguard/internal/estate"
	"github.com/kvguard/kvguard/internal/resource"
)

// SchemaVersion is the version of the result model and of its JSON form.
const SchemaVersion = "1"

// Status is an assessment's verdict, in Defender's terms. (The policy
// engine's result on one document is a policy.Outcome, in Azure Policy's
// terms; the assessor turns outcomes into statuses.)
type Status string

// The statuses.
const (
	Healthy       Status = "Healthy"
	Unhealthy     Status = "Unhealthy"
	NotApplicable Status = "NotApplicable"
	Unknown       Status = "Unknown"
	Exempt        Status = "Exempt"
)

// ErrFindings is returned by Result.Check when an unhealthy assessment
// reaches the failure threshold.
var ErrFindings = errors.New("unhealthy resources found")

// Result is everything a scan found.
type Result struct {
	SchemaVersion string
	GeneratedAt   time.Time
	// Recommendations are the ones evaluated, in catalog order.
	Recommendations []*Recommendation
	Assessments     []*Assessment
	Summary         Summary
	// Errors are input problems (and warnings), in report order; a large
	// scan keeps most of them on disk: read them with AllErrors.
	Errors []*resource.InputError
	// EnabledOnly records that disabled secrets and keys were skipped.
	EnabledOnly bool
	// Compliance is the framework's per-control view (--framework), or
	// nil.
	Compliance *Compliance
	// AssignmentVerdicts are the verdicts of the tenant's own policy
	// assignments (--assignments), sorted by resource then assignment;
	// nil when none were given.
	AssignmentVerdicts []*AssignmentVerdict

	// spilled holds the runs a large scan wrote to disk; Assessments are
	// then what was left in memory, and All merges the two.
	spilled *spillFile
	order   map[*Recommendation]int // the recommendations' places, for merging runs
	readErr error
	// errRuns hold the input problems spilled to disk; Errors are then
	// what was left in memory, and AllErrors merges the two.
	// nErrors and nWarnings count them all.
	errRuns            *errorRuns
	nErrors, nWarnings int
	// keep, when set, is the view's filter (Only): All yields only the
	// assessments it accepts.
	keep func(*Assessment) bool
}

// Assessment is one recommendation's verdict on one resource.
type Assessment struct {
	Recommendation *Recommendation
	Resource       Resource
	Status         Status
	// Reason says why, in a sentence.
	Reason string
	// Details are the policy conditions behind the verdict, in Azure
	// Policy's "reasons for non-compliance" form.
	Details []Detail
	// Components are the judged secrets or keys of a data-plane
	// recommendation, sorted by name.
	Components []Component
	// Exemption is the suppression that applies (or applied until it
	// expired).
	Exemption *Exemption

	// compact holds the Components of a large roll-up until All yields
	// the assessment (compact.go).
	compact *compactComps
}

// Resource identifies the judged resource and where it came from.
type Resource struct {
	ID     string
	Name   string
	Type   string
	Source resource.Provenance
	// Placeholder is set for a vault known only because its secrets or
	// keys name it: it was not in the input.
	Placeholder bool
	// Deployment names the deployment a planned (IaC) resource belongs
	// to: the root module, template or Bicep file it was read from (see
	// resource.Document.Deployment); "" for resources that exist.
	Deployment string
}

// DeployedBy names the deployment a resource belongs to when its place in
// code does not: a module shared by several root modules or templates
// declares one resource (same file, lines and address) for each of them.
// It is "" when the resource's file is its deployment or sits directly in
// it (a root module's own file), and for existing resources.
func (r *Resource) DeployedBy() string {
	if r.Deployment == "" || r.Source.File == "" {
		return r.Deployment
	}
	file, dep := filepath.Clean(r.Source.File), filepath.Clean(r.Deployment)
	if file == dep || filepath.Dir(file) == dep {
		return ""
	}
	return r.Deployment
}

// Component is one judged secret, key or certificate.
type Component struct {
	// ID is the component's ID or URL; read it with FullID. When it is its
	// vault's ID (or URL) followed by /secrets/<name> (or keys,
	// certificates), the assessor keeps a prefix shared by the vault's
	// components instead: a million IDs would otherwise cost ~200 MB.
	ID       string
	idPrefix *string
	Name     string
	Type     string
	Status   Status
	Reason   string
	// Source is set when the component has a place in code (IaC).
	Source    *resource.Provenance
	Exemption *Exemption
}

// FullID returns the component's resource ID or URL.
func (c *Component) FullID() string {
	if c.ID == "" && c.idPrefix != nil {
		return *c.idPrefix + c.Name
	}
	return c.ID
}

// IDParts returns FullID in two parts, so that a writer need not build
// a million IDs: the prefix shared with the vault's other components and
// the name, or the ID and "".
func (c *Component) IDParts() (string, string) {
	if c.ID == "" && c.idPrefix != nil {
		return *c.idPrefix, c.Name
	}
	return c.ID, ""
}

// Exemption is an applied suppression.
type Exemption struct {
	Reason  string
	Expires time.Time
	// Expired is set when the suppression no longer applies: the
	// assessment keeps its status and says so.
	Expired bool
	Source  resource.Position
	// Listed is set when the suppression is an entry of an ignore list
	// (Source is the entry), not an annotation in the code.
	Listed bool
}

// Summary counts the results.
type Summary struct {
	// ByRecommendation counts statuses per recommendation ID.
	ByRecommendation map[string]map[Status]int
	// Inventory counts the vaults seen; Found = Judged + Unreadable.
	Inventory Inventory
	// Assignments counts the tenant's assignment verdicts; nil when no
	// assignments were given.
	Assignments *AssignmentSummary
}

// Inventory counts the vaults found in the input: judged on everything,
// or with a part that could not be read (Found = Judged + Unreadable).
// Managed HSMs are counted apart: the Key Vault recommendations do not
// judge them.
type Inventory struct {
	Found      int
	Judged     int
	Unreadable int
	// ManagedHSMs counts the managed HSMs found.
	ManagedHSMs int
	// Placeholders are vaults named only by their components.
	Placeholders int
	// Components counts the judged secrets, keys and certificates by type.
	Components map[string]int
}

// ComponentCount is the number of components of all types.
func (i Inventory) ComponentCount() int {
	n := 0
	for _, c := range i.Components {
		n += c
	}
	return n
}

// All yields the assessments in report order. Writers read assessments
// only through All, never from a slice: a large scan keeps them on disk
// in sorted runs and merges them as they are read, so All may be called
// more than once and each call reads them afresh. After a loop over All,
// Err reports whether they could all be read back.
func (r *Result) All() iter.Seq[*Assessment] {
	if r.keep == nil {
		return r.all()
	}
	return func(yield func(*Assessment) bool) {
		for a := range r.all() {
			if r.keep(a) && !yield(a) {
				return
			}
		}
	}
}

// Only returns a view of the result whose All yields only the
// assessments keep accepts, read as they stream past: nothing is copied,
// so a large scan's assessments stay on disk (the baseline's filter is
// one). The view shares the result's files: close one of the two, not
// both; the caller adjusts the view's Summary.
func (r *Result) Only(keep func(*Assessment) bool) *Result {
	v := *r
	if prev := r.keep; prev != nil {
		v.keep = func(a *Assessment) bool { return prev(a) && keep(a) }
	} else {
		v.keep = keep
	}
	return &v
}

// AddErrors adds problems found after judging (the ignore list's review
// of its entries), in report order, and counts them like the others:
// ErrorCounts, HasErrors and AllErrors see them, whether or not the scan
// spilled its problems to disk.
func (r *Result) AddErrors(errs ...*resource.InputError) {
	for _, e := range errs {
		if e.Warning {
			r.nWarnings++
		} else {
			r.nErrors++
		}
	}
	r.Errors = append(r.Errors, errs...)
	estate.SortErrors(r.Errors)
}

// AllLean is All for a writer that reads components only through
// EachComponent and NumComponents: an assessment whose components are
// kept compact is yielded as it is (its Components nil), so that a
// million secrets are written without first being made into Components,
// a hundred bytes each. Like All's, the assessments are shared: a writer
// must not change them.
func (r *Result) AllLean() iter.Seq[*Assessment] {
	if r.keep != nil {
		return r.All() // a filter may read Components
	}
	return r.each(func(a *Assessment) *Assessment { return a })
}

// all yields every assessment, merging the spilled runs.
func (r *Result) all() iter.Seq[*Assessment] {
	return r.each(whole)
}

// each yields view(a) for every assessment a, merging the spilled runs.
func (r *Result) each(view func(*Assessment) *Assessment) iter.Seq[*Assessment] {
	return func(yield func(*Assessment) bool) {
		if r.spilled == nil {
			for _, a := range r.Assessments {
				if !yield(view(a)) {
					return
				}
			}
			return
		}
		all := func(a *Assessment) bool { return yield(view(a)) }
		if err := mergeAssessments(r.spilled, r.order, r.Assessments, all); err != nil && r.readErr == nil {
			r.readErr = err
		}
	}
}

// Err reports a failure to read the assessments back (see All).
func (r *Result) Err() error {
	return r.readErr
}

// AllErrors yields the input problems (and warnings) in report order:
// by file, line, column and message. Writers read them only through
// AllErrors: like assessments, a large scan keeps them on disk. After a
// loop over AllErrors, Err reports whether they could all be read back.
func (r *Result) AllErrors() iter.Seq[*resource.InputError] {
	return func(yield func(*resource.InputError) bool) {
		if r.errRuns == nil {
			for _, e := range r.Errors {
				if !yield(e) {
					return
				}
			}
			return
		}
		if err := mergeErrors(r.errRuns, r.Errors, yield); err != nil && r.readErr == nil {
			r.readErr = err
		}
	}
}

// ErrorCounts counts the input problems: errors and warnings.
func (r *Result) ErrorCounts() (errs, warnings int) {
	if r.errRuns != nil {
		return r.nErrors, r.nWarnings
	}
	for _, e := range r.Errors {
		if e.Warning {
			warnings++
		} else {
			errs++
		}
	}
	return errs, warnings
}

// Runs is how many sorted runs of assessments and of input problems the
// scan spilled to disk (see Options.SpillBytes and SpillMessages).
func (r *Result) Runs() (assessments, problems int) {
	return r.spilled.runs(), r.errRuns.runs()
}

// Close releases what the result keeps on disk (see All); it may be read
// no more.
func (r *Result) Close() error {
	err := r.errRuns.close()
	r.errRuns = nil
	if r.spilled == nil {
		return err
	}
	err = errors.Join(err, r.spilled.close())
	r.spilled = nil
	r.Assessments = nil
	return err
}

// Check returns ErrFindings when an assessment at or above min severity is
// unhealthy, or when an enforced Deny assignment of the tenant would
// refuse a deployment (whatever the severity). It reads the summary's
// counts, not the assessments.
func (r *Result) Check(least Severity) error {
	if r.Refusals() > 0 {
		return ErrFindings
	}
	for _, rec := range r.Recommendations {
		if rec.Severity.Rank() >= least.Rank() && r.Summary.ByRecommendation[rec.ID][Unhealthy] > 0 {
			return ErrFindings
		}
	}
	return nil
}

// HasErrors reports whether an input error (not a warning) occurred.
func (r *Result) HasErrors() bool {
	errs, _ := r.ErrorCounts()
	return errs > 0
}
