package estate

import (
	"fmt"
	"strings"

	"github.com/kvguard/kvguard/internal/resource"
)

// foldRotationPolicies folds each key rotation policy read apart from its
// key (resource.TypeKeyRotationPolicy: az keyvault key rotation-policy
// show beside az keyvault key list output) into the key it belongs to,
// and drops it: no rule reads it on its own. Saved files are read one
// after the other and in any order, so only the sealed estate has both.
// A policy whose key is not in the input is reported, with what to save.
func foldRotationPolicies(docs []*resource.Document) ([]*resource.Document, []*resource.InputError) {
	found := false
	for _, d := range docs {
		if d.IsType(resource.TypeKeyRotationPolicy) {
			found = true
			break
		}
	}
	if !found {
		return docs, nil
	}
	keys := map[string]*resource.Document{}
	for _, d := range docs {
		if d.IsType(resource.TypeKey) || d.IsType(resource.TypeHSMKey) {
			keys[DeploymentScope(d.Deployment)+resource.Key(d.ID)] = d
		}
	}
	var errs []*resource.InputError
	out := docs[:0]
	for _, d := range docs {
		if !d.IsType(resource.TypeKeyRotationPolicy) {
			out = append(out, d)
			continue
		}
		key := keys[DeploymentScope(d.Deployment)+resource.Key(d.Parent.ID)]
		if key == nil {
			errs = append(errs, &resource.InputError{
				Pos: PositionOf(d), ResourceID: d.Parent.ID, Warning: true,
				Msg: fmt.Sprintf("the rotation policy of key %s is in the input but the key is not, so it is not judged: save %s beside it",
					d.Parent.ID, keyListCommand(d.Parent.ID)),
			})
			continue
		}
		resource.ApplyRotationPolicy(key, d.Body["rotationPolicy"])
	}
	return out, errs
}

// keyListCommand is the az command that lists the keys of the vault (or
// managed HSM) a key URL names.
func keyListCommand(keyID string) string {
	host := resource.VaultHost(keyID)
	name, _, _ := strings.Cut(host, ".")
	if strings.Contains(host, ".managedhsm.") {
		return "az keyvault key list --hsm-name " + name
	}
	return "az keyvault key list --vault-name " + name
}
