package assess

import (
	"fmt"
	"strings"

	"github.com/kvguard/kvguard/internal/catalog"
	"github.com/kvguard/kvguard/internal/policy"
	"github.com/kvguard/kvguard/internal/resource"
)

// facts renders the values of the recommendation's reason fields on a
// document: "enableRbacAuthorization: true".
func facts(doc *resource.Document, r *catalog.Recommendation) string {
	var parts []string
	for _, f := range r.ReasonFields {
		v, err := policy.Lookup(doc, f)
		if err != nil {
			continue
		}
		text := policy.Display(v)
		if arr, ok := v.([]any); ok && len(arr) == 0 {
			text = "none"
		}
		parts = append(parts, shortField(f)+": "+text)
	}
	return strings.Join(parts, "; ")
}

// withFacts appends the facts to a sentence.
func withFacts(text string, doc *resource.Document, r *catalog.Recommendation, reasons []policy.Reason) string {
	f := facts(doc, r)
	if text == "" {
		text = factsFromReasons(reasons)
	}
	if f == "" {
		return text
	}
	return text + " (" + f + ")"
}

// shortField drops the resource type from an alias:
// Microsoft.KeyVault/vaults/networkAcls.defaultAction gives
// networkAcls.defaultAction.
func shortField(alias string) string {
	if i := strings.LastIndexByte(alias, '/'); i >= 0 {
		return alias[i+1:]
	}
	return alias
}

// factsFromReasons renders policy reasons when the catalog gives no text.
func factsFromReasons(rs []policy.Reason) string {
	var parts []string
	for _, r := range rs {
		name := r.Path
		if name == "" {
			name = shortField(r.Field)
		}
		parts = append(parts, fmt.Sprintf("%s is %s (%s %s)", name, r.ActualText(), r.OperatorText(), r.ExpectedText()))
	}
	if len(parts) == 0 {
		return "the policy's condition is met"
	}
	return strings.Join(parts, "; ")
}

// unknownReason names the values that left a verdict open.
func unknownReason(pr policy.Result) string {
	if len(pr.Possibilities) > 0 {
		// Trying every value of the unknowns named which decide it.
		return pr.Note()
	}
	var parts []string
	seen := map[string]bool{}
	for _, r := range pr.Reasons {
		if !r.IsUnknown() {
			continue
		}
		name := r.Path
		if name == "" {
			name = shortField(r.Field)
		}
		s := name + " = " + r.ActualText()
		if !seen[s] {
			seen[s] = true
			parts = append(parts, s)
		}
	}
	if pr.Err != nil {
		parts = append(parts, pr.Err.Error())
	}
	if len(parts) == 0 {
		return "the verdict depends on a value that is not known"
	}
	return "the verdict depends on values not known before deployment: " + strings.Join(parts, "; ")
}

// nouns renders "1 secret" or "3 secrets".
func nouns(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// pluralVerb turns "has no expiration date" into "have no expiration
// date" for plural counts.
func pluralVerb(text string, n int) string {
	if n == 1 {
		return text
	}
	if rest, ok := strings.CutPrefix(text, "has "); ok {
		return "have " + rest
	}
	if rest, ok := strings.CutPrefix(text, "is "); ok {
		return "are " + rest
	}
	return text
}

// countNames renders n components, of which first are the first names.
func countNames(first []string, n int, noun string) string {
	if n == 1 {
		return "1 " + noun + " (" + first[0] + ")"
	}
	return fmt.Sprintf("%d %ss (%s)", n, noun, names(first, n))
}

// maxNames is how many component names a reason lists.
const maxNames = 10

// names lists the first (up to maxNames) of n component names.
func names(first []string, n int) string {
	var b strings.Builder
	for i, name := range first {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(name)
	}
	if n > maxNames {
		fmt.Fprintf(&b, " and %d more", n-maxNames)
	}
	return b.String()
}

// withNote adds what trying an unknown's every value established ("the
// same for every value of var.x") to a Healthy or Unhealthy reason, so a
// verdict reached despite an unknown says why it holds.
func withNote(reason string, pr policy.Result) string {
	if note := pr.Note(); note != "" {
		return reason + " (" + note + ")"
	}
	return reason
}
