package policy

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/kvguard/kvguard/internal/resource"
)

// Reason is one condition behind a verdict, in the form of Azure Policy's
// "reasons for non-compliance": the field (alias) and its JSON path, the
// operator, the target (expected) value and the current (actual) value.
type Reason struct {
	Field    string
	Path     string
	Operator string
	// Negated is set when the condition sits under a not.
	Negated  bool
	Expected any
	Actual   any
}

// reasonCodes are Azure Policy's reason texts, one per operator; index 1
// is the negated form.
var reasonCodes = map[string][2]string{
	"equals":                {"Current value must be equal to the target value.", "Current value must not be equal to the target value."},
	"notequals":             {"Current value must not be equal to the target value.", "Current value must be equal to the target value."},
	"like":                  {"Current value must be like the target value.", "Current value must not be like the target value."},
	"notlike":               {"Current value must not be like the target value.", "Current value must be like the target value."},
	"match":                 {"Current value must match the target value.", "Current value must not match the target value."},
	"notmatch":              {"Current value must not match the target value.", "Current value must match the target value."},
	"matchinsensitively":    {"Current value must case-insensitive match the target value.", "Current value must not case-insensitive match the target value."},
	"notmatchinsensitively": {"Current value must not case-insensitive match the target value.", "Current value must case-insensitive match the target value."},
	"contains":              {"Current value must contain the target value.", "Current value must not contain the target value."},
	"notcontains":           {"Current value must not contain the target value.", "Current value must contain the target value."},
	"in":                    {"Current value must be in the target value.", "Current value must not be in the target value."},
	"notin":                 {"Current value must not be in the target value.", "Current value must be in the target value."},
	"containskey":           {"Current value must contain the target value as a key.", "Current value must not contain the target value as a key."},
	"notcontainskey":        {"Current value must not contain the target value as a key.", "Current value must contain the target value as a key."},
	"less":                  {"Current value must be less than the target value.", "Current value must be greater than or equal to the target value."},
	"lessorequals":          {"Current value must be less than or equal to the target value.", "Current value must be greater than the target value."},
	"greater":               {"Current value must be greater than the target value.", "Current value must be less than or equal to the target value."},
	"greaterorequals":       {"Current value must be greater than or equal to the target value.", "Current value must be less than the target value."},
}

// Code is Azure Policy's reason text for the condition as it evaluated.
// Azure phrases reasons as the condition the resource met.
func (r Reason) Code() string {
	op := strings.ToLower(r.Operator)
	if op == "exists" {
		want, _ := boolOf(r.Expected)
		if r.Negated {
			want = !want
		}
		if want {
			return "Current value must exist."
		}
		return "Current value must not exist."
	}
	if op == "existencecondition" {
		return "No related resource matches the effect details in the policy definition."
	}
	codes, ok := reasonCodes[op]
	if !ok {
		return "Current value does not meet the condition."
	}
	if r.Negated {
		return codes[1]
	}
	return codes[0]
}

// OperatorText renders the operator with a leading "not " when negated.
func (r Reason) OperatorText() string {
	if r.Negated {
		return "not " + r.Operator
	}
	return r.Operator
}

// ActualText renders the actual value for people.
func (r Reason) ActualText() string { return display(r.Actual) }

// ExpectedText renders the expected value for people.
func (r Reason) ExpectedText() string { return display(r.Expected) }

// IsUnknown reports whether the current value is unknown.
func (r Reason) IsUnknown() bool {
	_, ok := r.Actual.(unknownValue)
	return ok
}

// String is a one-line rendering: "properties.enableRbacAuthorization is
// false (non-compliant when equals "false")".
func (r Reason) String() string {
	name := r.Path
	if name == "" {
		name = r.Field
	}
	return fmt.Sprintf("%s is %s (%s %s %s)", name, r.ActualText(), r.Code(), r.OperatorText(), r.ExpectedText())
}

// ActualJSON returns the current value as plain JSON data: nil for
// missing, {"$unknown": expr} for unknown.
func (r Reason) ActualJSON() any { return jsonValue(r.Actual) }

// ExpectedJSON returns the target value as plain JSON data.
func (r Reason) ExpectedJSON() any { return jsonValue(r.Expected) }

func jsonValue(v any) any {
	switch x := v.(type) {
	case missingValue:
		return nil
	case unknownValue:
		return map[string]any{"$unknown": x.Expr}
	}
	return v
}

// IsMissing reports whether the current value is absent.
func (r Reason) IsMissing() bool {
	_, ok := r.Actual.(missingValue)
	return ok || r.Actual == nil
}

// Lookup reads a field (an alias or a resource field such as name) of a
// document as a condition would: a single value, nil when absent, or for
// [*] aliases the slice of selected values.
func Lookup(doc *resource.Document, field string) (any, error) {
	f, err := lookupField(field)
	if err != nil {
		return nil, err
	}
	v, many, isMany := f.read(doc, nil)
	if isMany {
		out := make([]any, 0, len(many))
		for _, e := range many {
			out = append(out, jsonValue(e))
		}
		return out, nil
	}
	return jsonValue(v), nil
}

// lookedUp holds the fields Lookup resolved (a *fieldRef or an error by
// name): a scan looks up the same few reason fields on every vault, and
// resolving one (lower-casing, parsing the alias's path) cost more than
// reading it. Fields are never changed once resolved. The catalog's
// reason fields are a few dozen; past maxLookedUp names are resolved
// every time rather than held.
var (
	lookedUp  sync.Map
	nLookedUp atomic.Int32
)

const maxLookedUp = 1024

func lookupField(name string) (*fieldRef, error) {
	if v, ok := lookedUp.Load(name); ok {
		if err, isErr := v.(error); isErr {
			return nil, err
		}
		return v.(*fieldRef), nil
	}
	f, err := resolveField(name)
	var v any = &f
	if err != nil {
		v = err
	}
	if nLookedUp.Add(1) <= maxLookedUp {
		lookedUp.Store(name, v)
	}
	if err != nil {
		return nil, err
	}
	return &f, nil
}

// Display renders a value as reasons do: JSON, "(absent)" for nil.
func Display(v any) string {
	if v == nil {
		return "(absent)"
	}
	if m, ok := v.(map[string]any); ok {
		if e, ok := m["$unknown"].(string); ok && len(m) == 1 {
			return resource.Unknown{Expr: e}.String()
		}
	}
	return display(v)
}
