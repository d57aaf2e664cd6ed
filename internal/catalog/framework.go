package catalog

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"sync"
)

// Benchmark is a compliance framework (--framework) as Azure Policy assigns it: the
// initiative's Key Vault policies, the controls (policy groups) they
// belong to and the parameter values the initiative passes them. The
// mapping is kvguard's own, checked against Microsoft's initiative
// definitions in the conformance tests.
type Benchmark struct {
	// ID is what --framework takes ("mcsb", "cis-azure-3.0.0").
	ID         string            `json:"id"`
	Title      string            `json:"title"`
	Initiative Initiative        `json:"initiative"`
	Controls   []Control         `json:"controls"`
	Policies   []BenchmarkPolicy `json:"policies"`
}

// Initiative names the Azure Policy initiative (policy set) a framework
// follows.
type Initiative struct {
	ID          string `json:"id"`
	DisplayName string `json:"displayName"`
	Version     string `json:"version"`
}

// Control is one control of a framework with Key Vault policies.
type Control struct {
	// ID is the framework's control ID ("DP-8", "8.5").
	ID string `json:"id"`
	// Group is the initiative's policy group name for the control.
	Group string `json:"group"`
	Title string `json:"title"`
	// InitiativePolicies is how many policies the initiative maps to the
	// control, KeyVaultPolicies how many of them are Key Vault's: when
	// fewer, kvguard's verdict covers only part of the control.
	InitiativePolicies int    `json:"initiativePolicies"`
	KeyVaultPolicies   int    `json:"keyVaultPolicies"`
	Note               string `json:"note,omitempty"`
}

// Partial reports whether the control has policies beyond Key Vault's,
// which kvguard does not judge.
func (c *Control) Partial() bool { return c.KeyVaultPolicies < c.InitiativePolicies }

// BenchmarkPolicy is one Key Vault policy the initiative assigns.
type BenchmarkPolicy struct {
	// Policy is the built-in definition's GUID; ReferenceID the
	// initiative's policyDefinitionReferenceId.
	Policy      string `json:"policy"`
	ReferenceID string `json:"referenceId"`
	// Controls are the control IDs the policy belongs to.
	Controls []string `json:"controls"`
	// Recommendation is kvguard's recommendation for the policy; ""
	// when kvguard does not judge it, NotJudged says why.
	Recommendation string `json:"recommendation,omitempty"`
	NotJudged      string `json:"notJudged,omitempty"`
	// Parameters are the initiative's values (effects aside).
	Parameters map[string]any `json:"parameters,omitempty"`
	// Effect is the effect the initiative assigns by default. kvguard
	// judges the policy whatever it is: an effect says what Azure does
	// about a finding, not what the finding is (Defender shows the
	// Disabled ones of the MCSB too).
	Effect string `json:"effect,omitempty"`
}

//go:embed frameworks/*.json
var frameworksFS embed.FS

var loadBenchmarks = sync.OnceValues(func() ([]*Benchmark, error) {
	files, err := fs.Glob(frameworksFS, "frameworks/*.json")
	if err != nil {
		return nil, err
	}
	var out []*Benchmark
	for _, f := range files {
		data, err := frameworksFS.ReadFile(f)
		if err != nil {
			return nil, err
		}
		fw := &Benchmark{}
		if err := json.Unmarshal(data, fw); err != nil {
			return nil, fmt.Errorf("framework %s: %w", f, err)
		}
		for _, p := range fw.Policies {
			for k, v := range p.Parameters {
				p.Parameters[k] = normaliseNumbers(v)
			}
		}
		out = append(out, fw)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
})

// Benchmarks lists the frameworks kvguard maps, by ID.
func Benchmarks() ([]*Benchmark, error) { return loadBenchmarks() }

// LookupBenchmark finds a framework by ID, case-insensitively.
func LookupBenchmark(id string) (*Benchmark, error) {
	all, err := loadBenchmarks()
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, f := range all {
		if strings.EqualFold(f.ID, id) {
			return f, nil
		}
		ids = append(ids, f.ID)
	}
	return nil, fmt.Errorf("unknown framework %q (known: %s)", id, strings.Join(ids, ", "))
}

// Recommendations lists the IDs of the recommendations the framework's
// policies map to, in the framework's order, once each.
func (f *Benchmark) Recommendations() []string {
	var out []string
	seen := map[string]bool{}
	for _, p := range f.Policies {
		if p.Recommendation != "" && !seen[p.Recommendation] {
			seen[p.Recommendation] = true
			out = append(out, p.Recommendation)
		}
	}
	return out
}

// params lays the framework's parameter values under the user's: a
// --param setting wins. A policy the initiative assigns twice keeps its
// first values.
func (f *Benchmark) params(user map[string]map[string]any) map[string]map[string]any {
	out := map[string]map[string]any{}
	for _, p := range f.Policies {
		if p.Recommendation == "" || out[p.Recommendation] != nil {
			continue
		}
		m := map[string]any{}
		for k, v := range p.Parameters {
			m[k] = v
		}
		out[p.Recommendation] = m
	}
	for rec, ps := range user {
		m := out[rec]
		if m == nil {
			m = map[string]any{}
			out[rec] = m
		}
		for k, v := range ps {
			for old := range m {
				if strings.EqualFold(old, k) {
					delete(m, old)
				}
			}
			m[k] = v
		}
	}
	return out
}

// Control finds a control by ID.
func (f *Benchmark) Control(id string) (*Control, bool) {
	for i := range f.Controls {
		if f.Controls[i].ID == id {
			return &f.Controls[i], true
		}
	}
	return nil, false
}
