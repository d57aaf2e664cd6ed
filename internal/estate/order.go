package estate

import (
	"cmp"
	"slices"
	"strings"

	"github.com/kvguard/kvguard/internal/resource"
)

// Compare orders documents by provenance: file, lines, address, input
// kind and deployment, then ID, type and name. It is the order in which
// duplicates are called "first" and ambiguous links are resolved, so that
// neither depends on the order inputs were read in; only documents equal
// in all of these compare equal.
func Compare(a, b *resource.Document) int {
	if c := CompareSources(a.Source, b.Source); c != 0 {
		return c
	}
	return cmp.Or(
		strings.Compare(a.Deployment, b.Deployment),
		strings.Compare(a.ID, b.ID),
		strings.Compare(a.Type, b.Type),
		strings.Compare(a.Name, b.Name),
	)
}

// CompareSources orders provenances by file, lines, address, kind, API
// version and time read.
func CompareSources(a, b resource.Provenance) int {
	return cmp.Or(
		strings.Compare(a.File, b.File),
		cmp.Compare(a.StartLine, b.StartLine),
		cmp.Compare(a.EndLine, b.EndLine),
		strings.Compare(a.Address, b.Address),
		strings.Compare(a.Kind, b.Kind),
		strings.Compare(a.APIVersion, b.APIVersion),
		a.ReadAt.Compare(b.ReadAt),
	)
}

// SortErrors orders input problems by file, line, column and message
// (then resource ID, errors before warnings): the report lists them in
// this order whatever order the inputs were read in.
func SortErrors(errs []*resource.InputError) {
	slices.SortStableFunc(errs, CompareErrors)
}

// CompareErrors is SortErrors's order.
func CompareErrors(a, b *resource.InputError) int {
	return cmp.Or(
		strings.Compare(a.Pos.File, b.Pos.File),
		cmp.Compare(a.Pos.Line, b.Pos.Line),
		cmp.Compare(a.Pos.Col, b.Pos.Col),
		strings.Compare(a.Msg, b.Msg),
		strings.Compare(a.ResourceID, b.ResourceID),
		CompareBool(a.Warning, b.Warning),
	)
}

// CompareBool orders false before true, for the total orders on
// provenance that keep reports independent of read order.
func CompareBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case !a:
		return -1
	}
	return 1
}
