package cli

import (
	"cmp"
	"fmt"
	"io"
	"iter"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/kvguard/kvguard/internal/resource"
)

// maxListed is how many input problems stderr lists one by one; beyond
// it, stderr says how many there are of each kind and where the report
// keeps them all.
const maxListed = 20

// printMessages writes the input problems to stderr, errors first, then
// by place: every one when there are at most maxListed, else the first
// maxListed and a summary (counts per kind of message, with the number of
// files each concerns, and where to find the rest). Every message stays
// in the JSON and SARIF reports.
func printMessages(w io.Writer, all iter.Seq[*resource.InputError], outs []output, quiet bool) {
	// --quiet: errors only; the warnings stay in the JSON and SARIF
	// reports.
	errs := func(yield func(*resource.InputError) bool) {
		for e := range all {
			if quiet && e.Warning {
				continue
			}
			if !yield(e) {
				return
			}
		}
	}
	// The first maxListed in this order are kept as they come (ties in
	// the order they come); the others are only counted.
	order := func(a, b *resource.InputError) int {
		return cmp.Or(cmpBool(a.Warning, b.Warning), cmp.Compare(a.Pos.File, b.Pos.File),
			cmp.Compare(a.Pos.Line, b.Pos.Line), cmp.Compare(a.Pos.Col, b.Pos.Col),
			cmp.Compare(a.ResourceID, b.ResourceID), cmp.Compare(a.Msg, b.Msg))
	}
	type tally struct {
		severity, kind string
		count          int
		files          map[string]bool
	}
	byKind := map[string]*tally{}
	files := map[string]bool{}
	errors := 0
	first := make([]*resource.InputError, 0, maxListed+1)
	total := 0
	for e := range errs {
		total++
		where := cmp.Or(e.Pos.File, e.ResourceID)
		files[where] = true
		if !e.Warning {
			errors++
		}
		key := severityWord(e) + "\x00" + kindOf(e.Msg)
		t := byKind[key]
		if t == nil {
			t = &tally{severity: severityWord(e), kind: kindOf(e.Msg), files: map[string]bool{}}
			byKind[key] = t
		}
		t.count++
		t.files[where] = true
		if len(first) == maxListed && order(e, first[maxListed-1]) >= 0 {
			continue
		}
		i := sort.Search(len(first), func(i int) bool { return order(e, first[i]) < 0 })
		first = slices.Insert(first, i, e)
		first = first[:min(len(first), maxListed)]
	}
	for _, e := range first {
		fmt.Fprintf(w, "kvguard: %s: %s\n", severityWord(e), escapeTerminal(e.Error()))
	}
	if total <= maxListed {
		return
	}
	tallies := make([]*tally, 0, len(byKind))
	for _, t := range byKind {
		tallies = append(tallies, t)
	}
	slices.SortFunc(tallies, func(a, b *tally) int {
		return cmp.Or(cmp.Compare(a.severity, b.severity), cmp.Compare(b.count, a.count), cmp.Compare(a.kind, b.kind))
	})
	fmt.Fprintf(w, "kvguard: … and %d more; in all %s and %s, in %s:\n", total-maxListed,
		plural(errors, "error"), plural(total-errors, "warning"), plural(len(files), "file"))
	for _, t := range tallies {
		fmt.Fprintf(w, "kvguard: %8d %-7s %s (%s)\n", t.count, t.severity, escapeTerminal(t.kind), plural(len(t.files), "file"))
	}
	fmt.Fprintf(w, "kvguard: %s\n", whereAll(outs))
}

// whereAll says where every message can be read.
func whereAll(outs []output) string {
	var kept []string
	for _, o := range outs {
		if o.format.ID != "json" && o.format.ID != "sarif" {
			continue
		}
		if o.path == "" {
			kept = append(kept, "the "+o.format.ID+" report on standard output")
		} else {
			kept = append(kept, escapeTerminal(o.path))
		}
	}
	if len(kept) == 0 {
		return "every message is kept in the JSON and SARIF reports: add --format json=kvguard.json (or sarif=kvguard.sarif)"
	}
	return "every message is in " + strings.Join(kept, " and ")
}

// kindOf is what a message says without its particulars: its words up to
// the first name, number, quote or colon ("duplicate resource ID", "not
// a recognised Azure resource JSON shape").
func kindOf(msg string) string {
	cut := len(msg)
	for i, r := range msg {
		if strings.ContainsRune(":;,(\"'`[{/=", r) || unicode.IsDigit(r) {
			cut = i
			break
		}
	}
	words := strings.Fields(msg[:cut])
	if len(words) > 8 {
		words = words[:8]
	}
	if len(words) == 0 {
		return "other"
	}
	return strings.Join(words, " ")
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case !a:
		return -1
	}
	return 1
}

// escapeTerminal makes text safe for a terminal: control characters
// (escape sequences, newlines), format characters such as bidirectional
// overrides, and bytes that are not UTF-8 are written as Go escapes
// (\x1b, \n, \u202e); everything printable, quotes included, is kept.
func escapeTerminal(s string) string {
	safe := true
	for _, r := range s {
		if r == utf8.RuneError || !unicode.IsPrint(r) && r != ' ' {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case unicode.IsPrint(r) || r == ' ':
			b.WriteString(s[i : i+size])
		default:
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		}
		i += size
	}
	return b.String()
}
