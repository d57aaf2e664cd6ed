package saved

import (
	"strings"

	"github.com/kvguard/kvguard/internal/jsonpos"
)

// isComponentID reports whether id names an ARM-plane secret or key
// (Microsoft.KeyVault/vaults/{v}/secrets/{s}, .../keys/{k}, and managed
// HSM keys), without allocating.
func isComponentID(id string) (bool, armID) {
	a, ok := splitID(id)
	if !ok || a.depth != 2 || !strings.EqualFold(a.provider, "Microsoft.KeyVault") {
		return false, armID{}
	}
	// rest is "<type>/<name>/<type>/<name>" (splitID checked the count).
	r := a.rest
	i := strings.IndexByte(r, '/')
	t1 := r[:i]
	r = r[i+1:]
	r = r[strings.IndexByte(r, '/')+1:]
	t2 := r[:strings.IndexByte(r, '/')]
	ok = (fold(t1, "vaults") || fold(t1, "managedHSMs")) && (fold(t2, "secrets") || fold(t2, "keys"))
	a.id = id
	return ok, a
}

// idCache remembers the last component ID the fast path split, so that
// the next one, which in a saved estate is usually the same vault's next
// secret, is split by comparing its prefix instead of searching it again.
//
// It keeps its own copy of that ID rather than the string: a pooled
// secret's ID lives in its document's text, which is written over once
// the document is judged (resource.PoolSlot.Text). The parent it returns
// is a clone shared by the vault's components, never a slice of the ID,
// so that documents and the assessor's groups may keep it.
type idCache struct {
	last                    []byte // the last ID split; empty when none
	nameLen, provLen, depth int    // lengths in last of its name and provider; its depth
	scopeLen, provOff, rest int    // offsets in last of the split's parts
	parent                  string // last's parent, cloned
}

// componentID is isComponentID(id), reusing the split of the last ID when
// id differs from it only in its last segment (the name): up to that
// segment the two are the same bytes, so splitID would find the same
// parts at the same offsets, and a name without a slash changes neither
// the segment count nor where the last /providers/ is. The parent of a
// component ID is always a string of the cache's (see idCache).
func (c *idCache) componentID(id string) (bool, armID) {
	if len(c.last) > 0 {
		cut := len(c.last) - c.nameLen
		if len(id) > cut && id[:cut] == string(c.last[:cut]) && strings.IndexByte(id[cut:], '/') < 0 {
			a := armID{id: id, scope: id[:c.scopeLen], provider: id[c.provOff : c.provOff+c.provLen],
				rest: id[c.rest:], depth: c.depth, name: id[cut:], parent: c.parent}
			if c.scopeLen == 0 {
				a.scope = "/"
			}
			c.last = append(c.last[:cut], id[cut:]...)
			c.nameLen = len(a.name)
			return true, a
		}
	}
	ok, a := isComponentID(id)
	if ok {
		if a.parent != c.parent {
			c.parent = strings.Clone(a.parent)
		}
		a.parent = c.parent
	}
	if !ok || a.depth != 2 || id[len(id)-1] == '/' || len(a.parent) >= len(id)-len(a.name) {
		c.last = c.last[:0]
		return ok, a
	}
	c.last = append(c.last[:0], id...)
	c.nameLen, c.provLen, c.depth = len(a.name), len(a.provider), a.depth
	c.rest = len(id) - len(a.rest)
	c.provOff = c.rest - 1 - len(a.provider)
	c.scopeLen = c.provOff - len(providersSeg)
	return true, a
}

// unusedByComponents lists the members of an ARM secret or key that its
// component document does not carry (NewComponent keeps attributes,
// contentType, key type, size, curve, rotation policy and tags). Skipping
// them undecoded spares half the allocations of a secret; the ID decides,
// so a "type" contradicting it cannot make a vault lose members.
func unusedByComponents(in where, key string) bool {
	switch in {
	case inRoot:
		switch key {
		case "name", "location", "etag", "systemData", "resourceGroup", "subscriptionId":
			return true
		}
	case inProps:
		switch key {
		case "secretUri", "secretUriWithVersion", "keyUri", "keyUriWithVersion", "keyOps", "release_policy", "releasePolicy":
			return true
		}
	case inPropsAttrs:
		switch key {
		case "recoveryLevel", "recoverableDays", "exportable", "hsmPlatform":
			return true
		}
	}
	return false
}

// identity finds what names an object as a resource: its "id" (ARM, az,
// Resource Graph, data plane), "ResourceId" (Azure PowerShell), "kid" (a
// data-plane key list item) or "key.kid" (az keyvault key show).
func identity(o *rawObject) (id any, pos jsonpos.Pos, via idMember, found bool) {
	for i, name := range [...]string{"id", "ResourceId", "kid"} {
		if v, key, ok := lookup(o.body, name); ok && v != nil {
			p, _ := o.pos(inRoot, key)
			return v, p, [...]idMember{idFromID, idFromPSID, idFromKid}[i], true
		}
	}
	if k, ok := o.body["key"].(map[string]any); ok {
		if v, ok := k["kid"].(string); ok {
			p, _ := o.pos(inRoot, "key")
			return v, p, idFromKeyKid, true
		}
	}
	return nil, jsonpos.Pos{}, 0, false
}

// resourceKey reports whether k is a member that only resources have:
// once one is read, an object's "resources" are nested children (PSRule's
// export), not a snapshot's list.
func resourceKey(k string) bool {
	switch keyword(k) {
	case kwID, kwResourceID, kwType, kwProperties:
		return true
	}
	return false
}

// kw names the member names the walker treats specially.
type kw uint8

const (
	kwNone kw = iota
	kwValue
	kwData
	kwResources
	kwGaps
	kwSnapshot
	kwKvguard
	kwProperties
	kwAttributes
	kwTags
	kwMetadata
	kwNetworkACLs
	kwID
	kwResourceID
	kwType
)

// keyword classifies a member name case-insensitively, as Azure matches
// names. It lower-cases into a stack buffer and switches on the result,
// which compiles to length and byte comparisons: the walker asks this for
// every member of every resource.
func keyword(k string) kw {
	if len(k) > 16 || len(k) < 2 {
		return kwNone
	}
	var b [16]byte
	for i := 0; i < len(k); i++ {
		c := k[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b[i] = c
	}
	switch string(b[:len(k)]) {
	case "value":
		return kwValue
	case "data":
		return kwData
	case "resources":
		return kwResources
	case "gaps":
		return kwGaps
	case "kvguardsnapshot":
		return kwSnapshot
	case "kvguard":
		return kwKvguard
	case "properties":
		return kwProperties
	case "attributes":
		return kwAttributes
	case "tags":
		return kwTags
	case "metadata":
		return kwMetadata
	case "networkacls":
		return kwNetworkACLs
	case "id":
		return kwID
	case "resourceid":
		return kwResourceID
	case "type":
		return kwType
	}
	return kwNone
}

// describeObject says what an unrecognised object is, with a hint for the
// shapes people are likely to pass by mistake.
func describeObject(o *rawObject) string {
	tbl := o.body
	if d, ok := o.body["data"].(map[string]any); ok {
		tbl = d // Resource Graph REST with resultFormat table
	}
	_, _, cols := lookup(tbl, "columns")
	_, _, rows := lookup(tbl, "rows")
	_, _, tfv := lookup(o.body, "terraform_version")
	switch {
	case o.template:
		return "an ARM template (kvguard reads templates as templates, not as saved resources)"
	case cols && rows:
		return "a Resource Graph result in table format (use resultFormat objectArray, as az graph query does)"
	case tfv:
		return "Terraform JSON (kvguard reads plans as Terraform input)"
	case o.nkeys == 0:
		return "an empty object"
	}
	keys := append([]string(nil), o.firstKeys[:o.nkeys]...)
	s := "an object with members " + strings.Join(keys, ", ")
	if o.nkeys == len(o.firstKeys) {
		s += ", …"
	}
	if _, _, ok := lookup(o.body, "name"); ok {
		s += ` but no "id"`
	}
	return s
}

// lookup finds key in m as Azure does (exactly, then case-insensitively)
// and returns the key as spelled in the input.
func lookup(m map[string]any, key string) (any, string, bool) {
	if v, ok := m[key]; ok {
		return v, key, true
	}
	for k, v := range m {
		// Member names are ASCII: names of other lengths cannot match.
		if len(k) == len(key) && strings.EqualFold(k, key) {
			return v, k, true
		}
	}
	return nil, "", false
}

// fold compares ASCII case-insensitively without allocating.
func fold(a, b string) bool {
	return len(a) == len(b) && (a == b || strings.EqualFold(a, b))
}
