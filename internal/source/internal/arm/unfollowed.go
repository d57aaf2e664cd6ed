package arm

import (
	"strings"

	"github.com/kvguard/kvguard/internal/resource"
)

// Unfollowed is a module or nested deployment the front end could not
// read (a registry module not in the local cache, a template linked by
// URI or template spec): what it deploys is unknown. Every vault it is
// handed could get secrets, keys, private endpoints or diagnostic
// settings from it, so the Mapper marks those vaults
// (resource.Document.MarkUnfollowed) and their verdicts that depend on
// such resources become Unknown.
type Unfollowed struct {
	// Module names it for the verdict's reason: `module "pe"
	// (br/public:avm/res/network/private-endpoint:0.7.0)`.
	Module string
	// Why says why it was not read: "not in the Bicep restore cache".
	Why string
	// Values are the values it is handed (its parameters, evaluated with
	// the placeholders names and IDs are built from): a vault whose ID or
	// name one of them holds is handed to it.
	Values []any
	// Vaults are the IDs of vaults it is handed by reference (a Bicep
	// symbol such as kv or kv.id in its parameters).
	Vaults []string
	// All marks a module whose parameters are unknown as a whole: it
	// could be handed any vault of the deployment.
	All bool
}

// Unfollowed records a module that was not read; Finish marks the vaults
// it is handed.
func (m *Mapper) Unfollowed(u Unfollowed) {
	m.unfollowed = append(m.unfollowed, u)
}

// markUnfollowed marks every vault handed to a module that was not read.
func (m *Mapper) markUnfollowed() {
	if len(m.unfollowed) == 0 {
		return
	}
	for _, d := range m.docs {
		if !isVaultType(d.Type) {
			continue
		}
		for _, u := range m.unfollowed {
			if u.All || u.hands(d) {
				d.MarkUnfollowed(u.Module, u.Why)
			}
		}
	}
}

// hands reports whether the module is handed the vault d: by reference,
// or through a value that holds its ID or is its name.
func (u *Unfollowed) hands(d *resource.Document) bool {
	for _, id := range u.Vaults {
		if resource.SameID(id, d.ID) {
			return true
		}
	}
	key := resource.Key(d.ID)
	name := strings.ToLower(d.Name)
	found := false
	var walk func(v any)
	walk = func(v any) {
		if found {
			return
		}
		switch x := v.(type) {
		case string:
			l := strings.ToLower(x)
			found = holdsID(l, key) || (name != "" && strings.TrimRight(l, "/") == name)
		case []any:
			for _, e := range x {
				walk(e)
			}
		case map[string]any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	for _, v := range u.Values {
		walk(v)
	}
	return found
}

// holdsID reports whether s holds the resource ID key (both lower-cased)
// as a whole: followed by nothing or by "/".
func holdsID(s, key string) bool {
	for i := 0; ; {
		j := strings.Index(s[i:], key)
		if j < 0 {
			return false
		}
		end := i + j + len(key)
		if end == len(s) || s[end] == '/' {
			return true
		}
		i = i + j + 1
	}
}
