package estate

import (
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
	ix := &Index{docs: docs, byID: map[string][]*resource.Document{}, byHost: map[string][]*resource.Document{},
		byName: map[string][]*resource.Document{}, byParent: map[string][]*resource.Document{}}
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

// choose picks among documents sharing an ID (or host): the one of the
// asking document's deployment, else an existing resource, else the first
// deployment in name order, so that the result does not depend on the
// order inputs were read in.
func choose(cands []*resource.Document, dep string) *resource.Document {
	var best *resource.Document
	for _, c := range cands {
		switch {
		case c.Deployment == dep:
			return c
		case best == nil,
			c.Deployment == "" && best.Deployment != "",
			c.Deployment != "" && best.Deployment != "" && c.Deployment < best.Deployment:
			best = c
		}
	}
	return best
}

// sameDeployment keeps the candidates a document of deployment dep may be
// related to: its own deployment's, and existing resources.
func sameDeployment(cands []*resource.Document, dep string) []*resource.Document {
	var out []*resource.Document
	for _, c := range cands {
		if c.Deployment == dep || c.Deployment == "" || dep == "" {
			out = append(out, c)
		}
	}
	return out
}

// VaultFor finds the document a component's parent reference names, for
// a component of deployment dep; nil when the estate has none.
func (ix *Index) VaultFor(r resource.Ref, dep string) *resource.Document {
	if r.ID != "" {
		return choose(ix.byID[resource.Key(r.ID)], dep)
	}
	h := strings.ToLower(r.Host)
	if c := ix.byHost[h]; len(c) > 0 {
		return choose(c, dep)
	}
	// A vault whose document has no vaultUri (IaC with an unresolved
	// name, az output trimmed by a query): match the host's first label
	// to a vault name, unique within the deployment.
	label, _, _ := strings.Cut(h, ".")
	if c := sameDeployment(ix.byName[label], dep); len(c) == 1 {
		return c[0]
	}
	return nil
}
