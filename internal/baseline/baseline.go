// Package baseline compares scans: it fingerprints findings so that the
// same finding is recognised after its code moved or was reformatted,
// reads earlier JSON reports, keeps only the findings new relative to
// one (--baseline), and tells two reports apart (kvguard diff). It
// imports assess (the result model it filters) and resource.
package baseline

import (
	"cmp"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/kvguard/kvguard/internal/assess"
)

// Finding is one unhealthy or unknown verdict, as a report records it.
type Finding struct {
	Fingerprint    string `json:"fingerprint"`
	Recommendation string `json:"recommendation"`
	Severity       string `json:"severity"`
	Status         string `json:"status"`
	Resource       string `json:"resource"`
	// Component names the secret, key or certificate, for a data-plane
	// finding.
	Component string `json:"component,omitempty"`
	Reason    string `json:"reason,omitempty"`
	Where     string `json:"where,omitempty"`
}

// IsFinding reports whether a status is a finding: what --fail-on and a
// reader act on (Unhealthy) or must look into (Unknown).
func IsFinding(s assess.Status) bool { return s == assess.Unhealthy || s == assess.Unknown }

// identity is what names a resource across scans, never its lines: for
// a resource declared in code, its deployment and its address (a
// Terraform address or a Bicep or ARM symbolic name); else (existing
// resources, or an ARM resource known only by its index in the
// template, which moves when resources are reordered) its resource ID,
// case-folded as Azure compares IDs.
func identity(id, address, deployment string) string {
	dep := ""
	if deployment != "" {
		dep = filepath.ToSlash(filepath.Clean(deployment))
	}
	if address != "" && !strings.HasPrefix(address, "resources[") {
		return dep + "|" + address
	}
	return dep + "|" + strings.ToLower(id)
}

// Fingerprint names a finding: its recommendation, its resource's
// identity and, for a data-plane finding, the component's name; and its
// status, so that a finding that turns from Unknown into Unhealthy is new.
func Fingerprint(recommendation, status, id, address, deployment, component string) string {
	fp := strings.ToLower(recommendation) + "|" + status + "|" + identity(id, address, deployment)
	if component != "" {
		fp += "|" + component
	}
	return fp
}

// Of lists the findings of one assessment: the assessment itself when
// it is one, and its unhealthy or unknown components.
func Of(a *assess.Assessment) []Finding {
	if !IsFinding(a.Status) {
		return nil
	}
	r := a.Resource
	base := Finding{Recommendation: a.Recommendation.ID, Severity: string(a.Recommendation.Severity), Status: string(a.Status),
		Resource: cmp.Or(r.Name, r.ID), Reason: a.Reason, Where: where(r.Source.File, r.Source.StartLine, r.Source.Address)}
	base.Fingerprint = Fingerprint(a.Recommendation.ID, string(a.Status), r.ID, r.Source.Address, r.Deployment, "")
	out := []Finding{base}
	for i := range a.Components {
		c := &a.Components[i]
		if !IsFinding(c.Status) {
			continue
		}
		f := base
		f.Status, f.Component, f.Reason = string(c.Status), c.Name, c.Reason
		if c.Source != nil {
			f.Where = where(c.Source.File, c.Source.StartLine, c.Source.Address)
		}
		f.Fingerprint = Fingerprint(a.Recommendation.ID, string(c.Status), r.ID, r.Source.Address, r.Deployment, c.Name)
		out = append(out, f)
	}
	return out
}

func where(file string, line int, address string) string {
	var parts []string
	if file != "" {
		if line > 0 {
			file += fmt.Sprintf(":%d", line)
		}
		parts = append(parts, file)
	}
	if address != "" {
		parts = append(parts, address)
	}
	return strings.Join(parts, "  ")
}

// report is the part of a JSON report (docs/report.schema.json) a
// baseline reads.
type report struct {
	SchemaVersion string `json:"schemaVersion"`
	Assessments   []struct {
		Recommendation struct {
			ID       string `json:"id"`
			Severity string `json:"severity"`
		} `json:"recommendation"`
		Resource struct {
			ID         string `json:"id"`
			Name       string `json:"name"`
			Deployment string `json:"deployment"`
			Source     struct {
				File      string `json:"file"`
				StartLine int    `json:"startLine"`
				Address   string `json:"address"`
			} `json:"source"`
		} `json:"resource"`
		Status     string `json:"status"`
		Reason     string `json:"reason"`
		Components []struct {
			Name   string `json:"name"`
			Status string `json:"status"`
			Reason string `json:"reason"`
			Source *struct {
				File      string `json:"file"`
				StartLine int    `json:"startLine"`
				Address   string `json:"address"`
			} `json:"source"`
		} `json:"components"`
	} `json:"assessments"`
}

// Read reads the findings of a JSON report written by kvguard scan
// --format json.
func Read(path string) ([]Finding, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read baseline: %w", err)
	}
	var rep report
	if err := json.Unmarshal(data, &rep); err != nil {
		return nil, fmt.Errorf("%s: not a kvguard JSON report (kvguard scan --format json): %w", path, err)
	}
	if rep.SchemaVersion == "" {
		return nil, fmt.Errorf("%s: not a kvguard JSON report (no schemaVersion): write it with kvguard scan --format json", path)
	}
	if rep.SchemaVersion != assess.SchemaVersion {
		return nil, fmt.Errorf("%s: report schema version %s; this kvguard reads version %s", path, rep.SchemaVersion, assess.SchemaVersion)
	}
	var out []Finding
	for _, a := range rep.Assessments {
		if !IsFinding(assess.Status(a.Status)) {
			continue
		}
		r := a.Resource
		base := Finding{Recommendation: a.Recommendation.ID, Severity: a.Recommendation.Severity, Status: a.Status,
			Resource: cmp.Or(r.Name, r.ID), Reason: a.Reason, Where: where(r.Source.File, r.Source.StartLine, r.Source.Address)}
		base.Fingerprint = Fingerprint(a.Recommendation.ID, a.Status, r.ID, r.Source.Address, r.Deployment, "")
		out = append(out, base)
		for _, c := range a.Components {
			if !IsFinding(assess.Status(c.Status)) {
				continue
			}
			f := base
			f.Status, f.Component, f.Reason = c.Status, c.Name, c.Reason
			if c.Source != nil {
				f.Where = where(c.Source.File, c.Source.StartLine, c.Source.Address)
			}
			f.Fingerprint = Fingerprint(a.Recommendation.ID, c.Status, r.ID, r.Source.Address, r.Deployment, c.Name)
			out = append(out, f)
		}
	}
	return out, nil
}

// Diff is what changed between two scans.
type Diff struct {
	New       []Finding `json:"new"`
	Fixed     []Finding `json:"fixed"`
	Unchanged []Finding `json:"unchanged"`
}

// Compare tells the findings of a new scan from those of an old one.
// Each list is sorted by recommendation, resource and component.
func Compare(old, cur []Finding) Diff {
	inOld, inNew := set(old), set(cur)
	d := Diff{New: []Finding{}, Fixed: []Finding{}, Unchanged: []Finding{}}
	for _, f := range cur {
		if inOld[f.Fingerprint] {
			d.Unchanged = append(d.Unchanged, f)
		} else {
			d.New = append(d.New, f)
		}
	}
	for _, f := range old {
		if !inNew[f.Fingerprint] {
			d.Fixed = append(d.Fixed, f)
		}
	}
	for _, l := range []*[]Finding{&d.New, &d.Fixed, &d.Unchanged} {
		slices.SortFunc(*l, func(a, b Finding) int {
			return cmp.Or(cmp.Compare(a.Recommendation, b.Recommendation), cmp.Compare(a.Resource, b.Resource),
				cmp.Compare(a.Component, b.Component), cmp.Compare(a.Fingerprint, b.Fingerprint))
		})
	}
	return d
}

func set(fs []Finding) map[string]bool {
	m := make(map[string]bool, len(fs))
	for _, f := range fs {
		m[f.Fingerprint] = true
	}
	return m
}

// Filter returns a view of the result with only the findings that are
// not in the baseline, and how many were left out. An assessment all of
// whose findings (itself and its unhealthy or unknown components) are in
// the baseline is left out; one with a new component stays whole. The
// summary's counts follow. Nothing is held: one pass counts what is left
// out, and the view (assess.Result.Only) skips it again as writers read
// the assessments, so a large scan's stay on disk. The view shares the
// result's files (close one of the two). The error is res.Err: the
// assessments could not all be read back.
func Filter(res *assess.Result, base []Finding) (*assess.Result, int, error) {
	known := set(base)
	// inBaseline: every finding of a is known (and it has some).
	inBaseline := func(a *assess.Assessment) (int, bool) {
		fs := Of(a)
		if len(fs) == 0 || slices.ContainsFunc(fs, func(f Finding) bool { return !known[f.Fingerprint] }) {
			return 0, false
		}
		return len(fs), true
	}
	counts := map[string]map[assess.Status]int{}
	for id, c := range res.Summary.ByRecommendation {
		counts[id] = map[assess.Status]int{}
		for s, n := range c {
			counts[id][s] = n
		}
	}
	dropped := 0
	for a := range res.All() {
		if n, ok := inBaseline(a); ok {
			dropped += n
			counts[a.Recommendation.ID][a.Status]--
		}
	}
	if err := res.Err(); err != nil {
		return nil, 0, err
	}
	out := res.Only(func(a *assess.Assessment) bool {
		_, ok := inBaseline(a)
		return !ok
	})
	out.Summary.ByRecommendation = counts
	return out, dropped, nil
}
