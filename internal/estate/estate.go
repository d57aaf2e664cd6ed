package estate

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"

	"github.com/kvguard/kvguard/internal/resource"
)

// Estate collects the documents of a scan as inputs produce them. It is
// safe for concurrent use until Seal.
type Estate struct {
	mu     sync.Mutex
	groups map[string][]*resource.Document // by Key; more than one is a duplicate
	noID   []*resource.Document
}

// New returns an empty estate.
func New() *Estate {
	return &Estate{groups: map[string][]*resource.Document{}}
}

// Key is a document's identity in the estate: its resource ID
// (case-insensitive) and, for a planned document, its deployment.
func Key(doc *resource.Document) string {
	return resource.Key(doc.ID) + DeploymentScope(doc.Deployment)
}

// IsComponent reports whether a document is a Key Vault object judged in
// a resource-provider mode (secret, key, certificate, HSM key): such
// documents are judged one by one and rolled up to their vault, not kept
// in the estate.
func IsComponent(doc *resource.Document) bool {
	if strings.HasPrefix(doc.Type, "Microsoft.KeyVault.Data/") {
		return true // as resource.NewComponent spells it: no folding needed
	}
	return hasPrefixFold(doc.Type, "microsoft.keyvault.data/") || hasPrefixFold(doc.Type, "microsoft.managedhsm.data/")
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// Add takes one document that is not a component. It is safe to call
// from several goroutines.
func (e *Estate) Add(doc *resource.Document) {
	if doc == nil {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if doc.ID == "" {
		e.noID = append(e.noID, doc)
		return
	}
	k := Key(doc)
	e.groups[k] = append(e.groups[k], doc)
}

// Seal ends collection: it resolves duplicates, indexes the documents,
// links every private endpoint into the vault it targets and derives the
// vaults' privateEndpointConnections children (deriveConnections). It returns the
// index and the problems found (duplicates, ambiguous or unknown endpoint
// targets). The result does not depend on the order documents were
// added in.
func (e *Estate) Seal() (*Index, []*resource.InputError) {
	e.mu.Lock()
	defer e.mu.Unlock()
	var errs []*resource.InputError
	docs := append([]*resource.Document(nil), e.noID...)
	for _, group := range e.groups {
		kept, dups := resolveDuplicates(group)
		docs = append(docs, kept)
		errs = append(errs, dups...)
	}
	e.groups, e.noID = map[string][]*resource.Document{}, nil
	slices.SortStableFunc(docs, Compare)
	ix := newIndex(docs)
	errs = append(errs, ix.linkPrivateEndpoints()...)
	ix.deriveConnections()
	SortErrors(errs)
	return ix, errs
}

// resolveDuplicates picks the document judged among those sharing an ID
// in one deployment: the first in provenance order (Compare) that has its
// properties (az keyvault list output beside az keyvault show output,
// say), else the first. Every copy but the first is reported.
func resolveDuplicates(group []*resource.Document) (*resource.Document, []*resource.InputError) {
	if len(group) == 1 {
		return group[0], nil
	}
	slices.SortStableFunc(group, Compare)
	first, kept := group[0], group[0]
	for _, d := range group {
		if _, gap := d.GapFor(resource.PartProperties); !gap {
			kept = d
			break
		}
	}
	var errs []*resource.InputError
	for _, d := range group[1:] {
		errs = append(errs, &resource.InputError{
			Pos:        PositionOf(d),
			ResourceID: d.ID,
			Msg:        fmt.Sprintf("duplicate resource ID %s (first at %s); the copy with the most information is judged", d.ID, DescribeSource(first.Source)),
			Warning:    nothingLost(d, kept),
		})
	}
	return kept, errs
}

// nothingLost reports whether judging kept instead of d loses nothing: d
// is a summary without properties (az keyvault list or az resource list
// beside az keyvault show), or says the same as kept (one vault saved by
// two commands). Such a duplicate is a warning; copies that disagree are
// an error, since only one of them is judged.
func nothingLost(d, kept *resource.Document) bool {
	if d == kept {
		return true
	}
	if _, gap := d.GapFor(resource.PartProperties); gap {
		return true
	}
	if _, gap := kept.GapFor(resource.PartProperties); gap {
		return false
	}
	return sameValue(d.Body["properties"], kept.Body["properties"])
}

// sameValue compares two JSON values, a member that is null being the
// same as one that is absent: az keyvault show prints every property of
// its model, null where Azure sent none, and an ARM body leaves them out.
func sameValue(a, b any) bool {
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if aok && bok {
		for k, av := range am {
			if av != nil && !sameValue(av, bm[k]) {
				return false
			}
		}
		for k, bv := range bm {
			if bv != nil && am[k] == nil {
				return false
			}
		}
		return true
	}
	aa, aok := a.([]any)
	ba, bok := b.([]any)
	if aok && bok {
		if len(aa) != len(ba) {
			return false
		}
		for i := range aa {
			if !sameValue(aa[i], ba[i]) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(a, b)
}

// DeploymentScope separates the keys of planned documents of different
// deployments (see resource.Document.Deployment): "" for existing
// resources.
func DeploymentScope(dep string) string {
	if dep == "" {
		return ""
	}
	return "\x00" + dep
}

// PositionOf is where a document starts in its file, for messages.
func PositionOf(doc *resource.Document) resource.Position {
	return resource.Position{File: doc.Source.File, Line: doc.Source.StartLine}
}

// DescribeSource renders a provenance for messages: file:line, file, or
// the input kind.
func DescribeSource(p resource.Provenance) string {
	switch {
	case p.File != "" && p.StartLine > 0:
		return fmt.Sprintf("%s:%d", p.File, p.StartLine)
	case p.File != "":
		return p.File
	case p.Kind != "":
		return p.Kind
	}
	return "an earlier input"
}

// NameOf names a document for messages: its address in code, else its
// name, else its ID.
func NameOf(doc *resource.Document) string {
	if doc.Source.Address != "" {
		return doc.Source.Address
	}
	if doc.Name != "" {
		return doc.Name
	}
	return doc.ID
}

// RefKey is the key of a reference to a parent (by ID or host) from a
// document of deployment dep: references that name the same resource in
// the same deployment have the same key.
func RefKey(r resource.Ref, dep string) string {
	if r.ID != "" {
		return "id:" + resource.Key(r.ID) + DeploymentScope(dep)
	}
	return "host:" + strings.ToLower(r.Host) + DeploymentScope(dep)
}

// Flatten turns an error (possibly an errors.Join tree) into input
// errors; an error without a position keeps its message.
func Flatten(err error) []*resource.InputError {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []*resource.InputError
		for _, e := range j.Unwrap() {
			out = append(out, Flatten(e)...)
		}
		return out
	}
	var ie *resource.InputError
	if errors.As(err, &ie) {
		return []*resource.InputError{ie}
	}
	return []*resource.InputError{{Msg: err.Error(), Err: err}}
}
