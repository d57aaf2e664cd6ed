package resource

import (
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// ID is an Azure resource ID taken apart.
type ID struct {
	Subscription  string
	ResourceGroup string
	// Provider is the namespace of the last provider segment, e.g.
	// Microsoft.KeyVault.
	Provider string
	// Types and Names are the type and name segments after the provider:
	// vaults/kv1/secrets/s1 gives [vaults secrets] and [kv1 s1].
	Types []string
	Names []string
	// Scope is everything before the last /providers/ segment (for
	// extension resources such as diagnostic settings, the resource they
	// extend).
	Scope string
}

// ParseID takes an Azure resource ID apart. ok is false when s is not
// shaped like one.
func ParseID(s string) (id ID, ok bool) {
	if !strings.HasPrefix(s, "/") {
		return ID{}, false
	}
	segs := strings.Split(strings.Trim(s, "/"), "/")
	lastProv := -1
	for i := 0; i+1 < len(segs); i++ {
		switch strings.ToLower(segs[i]) {
		case "subscriptions":
			if id.Subscription == "" {
				id.Subscription = segs[i+1]
			}
		case "resourcegroups":
			if id.ResourceGroup == "" {
				id.ResourceGroup = segs[i+1]
			}
		case "providers":
			lastProv = i
		}
	}
	if lastProv < 0 {
		return id, id.Subscription != ""
	}
	id.Scope = "/" + strings.Join(segs[:lastProv], "/")
	id.Provider = segs[lastProv+1]
	rest := segs[lastProv+2:]
	for i := 0; i+1 < len(rest); i += 2 {
		id.Types = append(id.Types, rest[i])
		id.Names = append(id.Names, rest[i+1])
	}
	return id, len(id.Types) > 0 && len(rest)%2 == 0
}

// FullType is the resource type, e.g. Microsoft.KeyVault/vaults/secrets.
func (id ID) FullType() string {
	if id.Provider == "" {
		return ""
	}
	return id.Provider + "/" + strings.Join(id.Types, "/")
}

// Name is the last name segment.
func (id ID) Name() string {
	if len(id.Names) == 0 {
		return ""
	}
	return id.Names[len(id.Names)-1]
}

// JoinID builds a resource ID: scope (a resource ID, or "" for the
// tenant) + "/providers/" + the type's namespace, then the type segments
// interleaved with the names. A name may hold several segments ("kv/s").
func JoinID(scope, typ string, names ...string) string {
	segs := strings.Split(strings.Trim(typ, "/"), "/")
	var flat []string
	for _, n := range names {
		flat = append(flat, strings.Split(n, "/")...)
	}
	var b strings.Builder
	b.WriteString(scope)
	b.WriteString("/providers/")
	b.WriteString(segs[0])
	for i, t := range segs[1:] {
		b.WriteByte('/')
		b.WriteString(t)
		if i < len(flat) {
			b.WriteByte('/')
			b.WriteString(flat[i])
		}
	}
	for i := len(segs) - 1; i < len(flat); i++ {
		b.WriteByte('/')
		b.WriteString(flat[i])
	}
	return b.String()
}

// ParentID returns the ID of the resource one level up: for
// .../vaults/kv/secrets/s that is .../vaults/kv. For a top-level resource
// it returns its scope, and for anything else "".
func ParentID(s string) string {
	id, ok := ParseID(s)
	if !ok || len(id.Types) == 0 {
		return ""
	}
	if len(id.Types) == 1 {
		return id.Scope
	}
	trimmed := strings.TrimRight(s, "/")
	for range 2 {
		i := strings.LastIndex(trimmed, "/")
		if i < 0 {
			return ""
		}
		trimmed = trimmed[:i]
	}
	return trimmed
}

// VaultHost returns the lower-cased host of a Key Vault URL
// (https://kv.vault.azure.net/secrets/s/v gives kv.vault.azure.net), or ""
// when s is not a URL with a host.
func VaultHost(s string) string {
	if !strings.Contains(s, "://") {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return ""
	}
	return strings.ToLower(u.Hostname())
}

// ObjectNameFromURL returns the object name of a data-plane URL:
// https://kv.vault.azure.net/secrets/name/version gives name.
func ObjectNameFromURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return ""
	}
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	if len(parts) >= 2 {
		return parts[1]
	}
	return ""
}

// SameID compares resource IDs as Azure does: case-insensitively, ignoring
// a trailing slash.
func SameID(a, b string) bool {
	return strings.EqualFold(strings.TrimRight(a, "/"), strings.TrimRight(b, "/"))
}

// Key is the canonical form of a resource ID for map keys.
func Key(id string) string { return strings.ToLower(strings.TrimRight(id, "/")) }

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func itoa(i int) string { return strconv.Itoa(i) }
