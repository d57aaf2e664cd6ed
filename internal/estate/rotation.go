package estate

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/kvguard/kvguard/internal/resource"
)

// RotationPolicies joins the key rotation policies saved apart from their
// keys (resource.TypeKeyRotationPolicy documents: az keyvault key
// rotation-policy show) to the keys they belong to, so that the rotation
// rules read them as they would a policy read with the key.
//
// Saved Azure JSON comes in files read concurrently and in any order: a
// key list and the policies of its keys are usually separate files. A key
// saved without a policy is therefore held (Take) until every input has
// been read, then given its policy, if one was saved (Finish). Only such
// keys are held (keys from saved Azure JSON whose body has no
// rotationPolicy), not secrets or certificates: the cost is one key
// document each until the end of the read. A key that existed (saved or
// live) is matched by the name of its vault or managed HSM and its own
// name, which together are unique in a cloud (the vault's name is its DNS
// name); planned (IaC) keys are never joined to a saved policy.
//
// It is safe for concurrent use.
type RotationPolicies struct {
	mu       sync.Mutex
	policies map[string]*resource.Document // by rotationKey
	held     []*resource.Document
	seen     map[string]bool // rotationKey of every saved key, held or not
}

// NewRotationPolicies returns an empty join.
func NewRotationPolicies() *RotationPolicies {
	return &RotationPolicies{policies: map[string]*resource.Document{}, seen: map[string]bool{}}
}

// savedAzureJSON is the provenance kind of saved Azure JSON (az CLI, ARM
// or Resource Graph output): the only input that saves a key's rotation
// policy apart from the key. Live scans and snapshots read the policy
// with the key.
const savedAzureJSON = "azure-json"

// Take keeps doc when the join needs it: a rotation policy (kept until
// Finish, not judged itself) or a saved key without a rotation policy
// (held until Finish, when it is given its policy). false means doc is
// none of these and goes on as usual.
func (r *RotationPolicies) Take(doc *resource.Document) bool {
	if doc.Type == resource.TypeKeyRotationPolicy {
		k, ok := rotationKey(doc)
		r.mu.Lock()
		defer r.mu.Unlock()
		if ok {
			if _, dup := r.policies[k]; !dup {
				r.policies[k] = doc
			}
		}
		return true
	}
	if doc.Deployment != "" || doc.Source.Kind != savedAzureJSON || (doc.Type != resource.TypeKey && doc.Type != resource.TypeHSMKey) {
		return false
	}
	k, ok := rotationKey(doc)
	if !ok {
		return false
	}
	_, has := resource.LookupFold(doc.Body, "rotationPolicy")
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seen[k] = true
	if has {
		return false
	}
	r.held = append(r.held, doc)
	return true
}

// Finish joins the policies to the held keys and returns those keys, in
// the order they were held, and a warning for each policy that matches no
// key of the input (naming its file, so that the missing key list can be
// added). The join is then empty.
func (r *RotationPolicies) Finish() ([]*resource.Document, []*resource.InputError) {
	r.mu.Lock()
	defer r.mu.Unlock()
	keys := r.held
	for _, d := range keys {
		k, _ := rotationKey(d)
		if p, ok := r.policies[k]; ok {
			resource.SetRotationPolicy(d, p.Body)
		}
	}
	var errs []*resource.InputError
	for k, p := range r.policies {
		if !r.seen[k] {
			errs = append(errs, unmatchedPolicy(p))
		}
	}
	slices.SortFunc(errs, func(a, b *resource.InputError) int { return strings.Compare(a.ResourceID, b.ResourceID) })
	r.policies, r.held, r.seen = map[string]*resource.Document{}, nil, map[string]bool{}
	return keys, errs
}

// unmatchedPolicy says that a saved rotation policy names a key the input
// does not hold, and what to add.
func unmatchedPolicy(p *resource.Document) *resource.InputError {
	vault, _, _ := strings.Cut(p.Parent.Host, ".")
	flag := "--vault-name"
	if strings.Contains(p.Parent.Host, ".managedhsm.") {
		flag = "--hsm-name"
	}
	return &resource.InputError{Pos: PositionOf(p), ResourceID: p.ID, Warning: true,
		Msg: fmt.Sprintf("the rotation policy of key %s in %s (read from %s) matches no key in the input, so it was not used: "+
			"add the output of `az keyvault key list %s %s -o json` to the scan", p.Name, vault, p.Source.File, flag, vault)}
}

// rotationKey is the join key of a key or a rotation policy: whether its
// vault is a managed HSM, the vault's name and the key's name, lower-case.
// A data-plane document names its vault by host (the name is the host's
// first label); an ARM key by resource ID (…/vaults/<v>/keys/<k>).
func rotationKey(doc *resource.Document) (string, bool) {
	var hsm bool
	var vault string
	switch {
	case doc.Parent.Host != "":
		host := strings.ToLower(doc.Parent.Host)
		hsm = strings.Contains(host, ".managedhsm.")
		vault, _, _ = strings.Cut(host, ".")
	case doc.Parent.ID != "":
		id, ok := resource.ParseID(doc.Parent.ID)
		if !ok || len(id.Types) != 1 {
			return "", false
		}
		switch strings.ToLower(id.Types[0]) {
		case "vaults":
		case "managedhsms":
			hsm = true
		default:
			return "", false
		}
		vault = strings.ToLower(id.Name())
	}
	if vault == "" || doc.Name == "" {
		return "", false
	}
	kind := "vault"
	if hsm {
		kind = "hsm"
	}
	return kind + "|" + vault + "|" + strings.ToLower(doc.Name), true
}
