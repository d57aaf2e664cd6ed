package estate

import (
	"fmt"
	"strings"

	"github.com/kvguard/kvguard/internal/resource"
)

// Index finds the documents of a sealed estate by ID, by vault host, by
// vault name and by parent. Planned documents of different deployments
// may share an ID (see resource.Document.Deployment), so every lookup
// returns candidates and choose prefers the asking document's own
// deployment.
type Index struct {
	docs     []*resource.Document
	byID     map[string][]*resource.Document
	byHost   map[string][]*resource.Document
	byName   map[string][]*resource.Document // vaults by lower-case name, for hosts without vaultUri
	byParent map[string][]*resource.Document
	vaults   []*resource.Document // vaults and managed HSMs
}

func newIndex(docs []*resource.Document) *Index {
	// Sized up front: grown from nothing, the maps of an estate of ten
	// thousand vaults were rehashed a dozen times each, while the rest
	// of the scan waited.
	ix := &Index{docs: docs, byID: make(map[string][]*resource.Document, len(docs)), byHost: map[string][]*resource.Document{},
		byName: map[string][]*resource.Document{}, byParent: make(map[string][]*resource.Document, len(docs))}
	for _, d := range docs {
		k := resource.Key(d.ID)
		ix.byID[k] = append(ix.byID[k], d)
		if IsVault(d) {
			ix.addVault(d)
		}
		parent := d.Parent.ID
		if parent == "" {
			parent = resource.ParentID(d.ID)
		}
		if parent != "" {
			ix.byParent[resource.Key(parent)] = append(ix.byParent[resource.Key(parent)], d)
		}
	}
	return ix
}

func (ix *Index) addVault(d *resource.Document) {
	ix.vaults = append(ix.vaults, d)
	for _, uriKey := range []string{"vaultUri", "hsmUri"} {
		if u, ok := d.Get("properties", uriKey); ok {
			if s, ok := u.(string); ok {
				if h := resource.VaultHost(s); h != "" {
					ix.byHost[h] = append(ix.byHost[h], d)
				}
			}
		}
	}
	if d.Name != "" {
		ix.byName[strings.ToLower(d.Name)] = append(ix.byName[strings.ToLower(d.Name)], d)
	}
}

// IsVault reports whether a document is a key vault or a managed HSM: a
// resource that holds components.
func IsVault(d *resource.Document) bool {
	return d.IsType(resource.TypeVault) || d.IsType(resource.TypeManagedHSM)
}

// Docs are the estate's documents (duplicates resolved), in the order
// they were added.
func (ix *Index) Docs() []*resource.Document { return ix.docs }

// Vaults are the estate's vaults and managed HSMs, in the order of Docs.
func (ix *Index) Vaults() []*resource.Document { return ix.vaults }

// choose picks among documents sharing an ID (or host) the one a
// document of deployment dep refers to: one of its own deployment, else
// (only when the reference is concrete, see Concrete) an existing
// resource, else one of another deployment. Candidates are in provenance
// order (the index is built from sorted documents), so the first of the
// preferred kind is chosen; the others of that kind are returned too, so
// that the caller can report the ambiguity.
func choose(cands []*resource.Document, dep string, concrete bool) (*resource.Document, []*resource.Document) {
	var best *resource.Document
	var others []*resource.Document
	bestRank := 3
	for _, c := range cands {
		r := rank(c, dep, concrete)
		switch {
		case r < bestRank:
			best, others, bestRank = c, nil, r
		case r == bestRank && r < 3:
			others = append(others, c)
		}
	}
	return best, others
}

// rank orders the candidates a document of deployment dep may link to:
// 0 its own deployment's, 1 an existing resource, 2 another deployment's,
// 3 none (a link that would cross deployments through an ID that is not
// concrete).
func rank(c *resource.Document, dep string, concrete bool) int {
	switch {
	case c.Deployment == dep:
		return 0
	case !concrete:
		return 3
	case c.Deployment == "":
		return 1
	}
	return 2
}

// sameDeployment keeps the candidates a document of deployment dep may be
// related to: its own deployment's and, when the reference is concrete,
// any other.
func sameDeployment(cands []*resource.Document, dep string, concrete bool) []*resource.Document {
	if concrete {
		return cands
	}
	var out []*resource.Document
	for _, c := range cands {
		if c.Deployment == dep {
			out = append(out, c)
		}
	}
	return out
}

// Match is the document a reference resolves to, with the other
// candidates it could equally have named (two vaults with one host).
type Match struct {
	Doc    *resource.Document
	Others []*resource.Document
}

// Ambiguous reports whether another document was an equal candidate.
func (m Match) Ambiguous() bool { return len(m.Others) > 0 }

// Warning describes an ambiguous match for the report: what (the
// referring documents, e.g. "the secrets of https://kv1.vault.azure.net/")
// could belong to every candidate, and which was chosen. Nil when the
// match is not ambiguous.
func (m Match) Warning(what string) *resource.InputError {
	if !m.Ambiguous() {
		return nil
	}
	names := []string{describeDoc(m.Doc)}
	for _, o := range m.Others {
		names = append(names, describeDoc(o))
	}
	return &resource.InputError{Pos: PositionOf(m.Doc), ResourceID: m.Doc.ID, Warning: true,
		Msg: fmt.Sprintf("%s could belong to %s; linked to the first in file order (%s)", what, strings.Join(names, " or "), DescribeSource(m.Doc.Source))}
}

// describeDoc names a document and where it is: "kv1 (vaults.json:3)".
func describeDoc(d *resource.Document) string {
	return fmt.Sprintf("%s (%s)", NameOf(d), DescribeSource(d.Source))
}

// VaultFor finds the document a component's parent reference names, for
// a component of deployment dep; Match.Doc is nil when the estate has
// none. A reference by ID links across deployments only when the ID is
// concrete; a reference by host never does.
func (ix *Index) VaultFor(r resource.Ref, dep string) Match {
	if r.ID != "" {
		doc, others := choose(ix.byID[resource.Key(r.ID)], dep, Concrete(r.ID))
		return Match{Doc: doc, Others: others}
	}
	// A host is not an Azure ID: it links within a deployment (or among
	// existing resources) only.
	h := strings.ToLower(r.Host)
	if doc, others := choose(ix.byHost[h], dep, false); doc != nil {
		return Match{Doc: doc, Others: others}
	}
	// A vault whose document has no vaultUri (IaC with an unresolved
	// name, az output trimmed by a query): match the host's first label
	// to a vault name, unique within the deployment.
	label, _, _ := strings.Cut(h, ".")
	if c := sameDeployment(ix.byName[label], dep, false); len(c) == 1 {
		return Match{Doc: c[0]}
	}
	return Match{}
}
