package config

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/kvguard/kvguard/internal/resource"
)

// Entry is one exception of the ignore list: a recommendation (ID or
// policy GUID) on the resources that Resource matches (an Azure resource
// ID, a name or an IaC address; * and ? are wildcards, [a-z] a class; no
// resource means every one), for a reason, owned by someone, until an
// expiry date (the whole day, UTC) after which it stops applying.
type Entry struct {
	Recommendation string `yaml:"recommendation"`
	Resource       string `yaml:"resource"`
	Reason         string `yaml:"reason"`
	Owner          string `yaml:"owner"`
	Expires        string `yaml:"expires"`

	file                    string
	line, expLine, resLine  int
	expires                 time.Time
	glob                    *regexp.Regexp
	recommendationLine, col int
}

// UnmarshalYAML keeps the lines of the entry and of its values, for the
// messages about them.
func (e *Entry) UnmarshalYAML(n *yaml.Node) error {
	type plain Entry
	var p plain
	if err := n.Decode(&p); err != nil {
		return err
	}
	*e = Entry(p)
	e.line, e.col = n.Line, n.Column
	e.recommendationLine, e.expLine, e.resLine = n.Line, n.Line, n.Line
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch k.Value {
		case "expires":
			e.expLine = v.Line
		case "resource":
			e.resLine = v.Line
		case "recommendation":
			e.recommendationLine = v.Line
		}
	}
	return nil
}

// Pos is where the entry is written.
func (e *Entry) Pos() resource.Position {
	return resource.Position{File: e.file, Line: e.line}
}

// RecommendationPos is where the entry names its recommendation.
func (e *Entry) RecommendationPos() resource.Position {
	return resource.Position{File: e.file, Line: e.recommendationLine}
}

// ExpiresAt is the last instant the entry applies; zero when it never
// expires.
func (e *Entry) ExpiresAt() time.Time { return e.expires }

func (e *Entry) errorf(line int, format string, args ...any) *resource.InputError {
	return &resource.InputError{Pos: resource.Position{File: e.file, Line: line}, Msg: fmt.Sprintf(format, args...)}
}

// compile checks the entry and prepares its matcher.
func (e *Entry) compile() *resource.InputError {
	if strings.TrimSpace(e.Recommendation) == "" {
		return e.errorf(e.line, "ignore entry without a recommendation: name its ID (kvguard rules) or policy GUID")
	}
	if strings.TrimSpace(e.Reason) == "" {
		return e.errorf(e.line, "ignore entry for %s without a reason: say why the finding is accepted", e.Recommendation)
	}
	if e.Expires != "" {
		t, err := time.Parse(time.DateOnly, strings.TrimSpace(e.Expires))
		if err != nil {
			return e.errorf(e.expLine, "expires %q is not a date: write YYYY-MM-DD", e.Expires)
		}
		// The entry holds through the whole expiry day (UTC), as an
		// inline exp: date does.
		e.expires = t.Add(24*time.Hour - time.Nanosecond)
	}
	pattern := strings.TrimSpace(e.Resource)
	if pattern == "" {
		pattern = "*"
	}
	g, err := compileGlob(pattern)
	if err != nil {
		return e.errorf(e.resLine, "resource %q: %v", e.Resource, err)
	}
	e.glob = g
	return nil
}

// compileGlob turns a glob into an anchored, case-insensitive regular
// expression (Azure resource IDs and names are case-insensitive): *
// matches any run of characters, slashes included, ? one character,
// [...] a class ([!...] its complement), \ escapes the next character.
func compileGlob(glob string) (*regexp.Regexp, error) {
	var b strings.Builder
	b.WriteString("(?is)^")
	for i := 0; i < len(glob); i++ {
		switch c := glob[i]; c {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		case '\\':
			if i+1 == len(glob) {
				return nil, fmt.Errorf("bad glob: it ends with a lone \\")
			}
			i++
			b.WriteString(regexp.QuoteMeta(glob[i : i+1]))
		case '[':
			end := strings.IndexByte(glob[i+1:], ']')
			if end < 0 {
				return nil, fmt.Errorf("bad glob: [ at offset %d is never closed", i)
			}
			class := glob[i+1 : i+1+end]
			if class == "" || class == "!" {
				return nil, fmt.Errorf("bad glob: empty class at offset %d", i)
			}
			neg := strings.HasPrefix(class, "!")
			class = strings.TrimPrefix(class, "!")
			b.WriteByte('[')
			if neg {
				b.WriteByte('^')
			}
			for _, r := range class {
				if r == '-' {
					b.WriteByte('-')
					continue
				}
				b.WriteString(regexp.QuoteMeta(string(r)))
			}
			b.WriteByte(']')
			i += end + 1
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString("$")
	re, err := regexp.Compile(b.String())
	if err != nil {
		return nil, fmt.Errorf("bad glob: %w", err)
	}
	return re, nil
}

// Matches reports whether the entry's resource pattern matches the
// document: its ID, name or IaC address, or, for a secret, key or
// certificate, its vault's ID (an entry for a vault covers its contents).
func (e *Entry) Matches(doc *resource.Document) bool {
	if e.glob == nil {
		return false
	}
	for _, s := range []string{doc.ID, doc.Name, doc.Source.Address, doc.Parent.ID} {
		if s != "" && e.glob.MatchString(s) {
			return true
		}
	}
	return false
}

// Suppression is the entry as the assessor applies it on a document it
// matches.
func (e *Entry) Suppression() resource.Suppression {
	reason := strings.TrimSpace(e.Reason)
	if e.Owner != "" {
		reason += " (owner: " + strings.TrimSpace(e.Owner) + ")"
	}
	return resource.Suppression{RuleID: strings.TrimSpace(e.Recommendation), Reason: reason, Expires: e.expires, Pos: e.Pos(), Listed: true}
}

// Attach adds the suppressions of the entries that match doc.
func Attach(entries []Entry, doc *resource.Document) {
	for i := range entries {
		if entries[i].Matches(doc) {
			doc.Suppressions = append(doc.Suppressions, entries[i].Suppression())
		}
	}
}

// Review reports, as warnings, the entries that have expired at now
// (they no longer apply: renew or remove them) and those that matched no
// finding (used holds the positions of the entries an assessment used).
func Review(entries []Entry, used map[resource.Position]bool, now time.Time) []*resource.InputError {
	var out []*resource.InputError
	for i := range entries {
		e := &entries[i]
		owner := ""
		if e.Owner != "" {
			owner = " (owner: " + e.Owner + ")"
		}
		switch {
		case !e.expires.IsZero() && now.After(e.expires):
			out = append(out, &resource.InputError{Pos: e.Pos(), Warning: true,
				Msg: fmt.Sprintf("ignore entry for %s on %s expired on %s and no longer applies%s: renew or remove it", e.Recommendation, resourceOrAll(e.Resource), e.expires.Format(time.DateOnly), owner)})
		case !used[e.Pos()]:
			out = append(out, &resource.InputError{Pos: e.Pos(), Warning: true,
				Msg: fmt.Sprintf("ignore entry for %s on %s matches no finding%s: remove it", e.Recommendation, resourceOrAll(e.Resource), owner)})
		}
	}
	return out
}

func resourceOrAll(r string) string {
	if strings.TrimSpace(r) == "" {
		return "every resource"
	}
	return r
}
