package resource

import (
	"encoding/json"
)

// Helpers for bodies as Azure returns them, shared by the live input and
// the simulator.

// NormalizeNumbers replaces the json.Number values of v (as decoded with
// json.Decoder.UseNumber) by int64 when the number is integral and fits, and
// by float64 otherwise, in place; it returns the new value of v. Bodies keep
// Azure's integers as int64 this way (Key Vault's Unix timestamps overflow
// nothing and stay exact).
func NormalizeNumbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		if f, err := x.Float64(); err == nil {
			return f
		}
		return x.String()
	case map[string]any:
		for k, e := range x {
			x[k] = NormalizeNumbers(e)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = NormalizeNumbers(e)
		}
		return x
	default:
		return v
	}
}

// StripSecretValues deletes the fields that could carry a secret's value
// from an ARM or data-plane body (properties.value of
// Microsoft.KeyVault/vaults/secrets, value of a data-plane secret bundle).
// Azure never returns them from the list operations kvguard uses; this is
// the belt to that pair of braces, applied before anything is kept.
func StripSecretValues(body map[string]any) {
	delete(body, "value")
	if p, ok := body["properties"].(map[string]any); ok {
		delete(p, "value")
	}
}

// PartKeyRotationPolicy is the Gap.Part of a vault whose keys' rotation
// policies could not be read from its data plane: the key components are
// there, their rotationPolicy may not be.
const PartKeyRotationPolicy = TypeKey + "/rotationPolicy"

// TypeKeyRotationPolicy is the type of a document that holds a key's
// rotation policy read apart from the key (az keyvault key rotation-policy
// show, GET …/keys/{name}/rotationpolicy): Body is the policy as saved,
// without its id; Name is the key's name and Parent names its vault (or
// managed HSM) by host. It is no resource Azure Policy judges but a part
// of a key, joined to it before judging (estate.RotationPolicies). The
// kvguard/ prefix keeps it out of the data-plane component types.
const TypeKeyRotationPolicy = "kvguard/keyRotationPolicy"

// SetRotationPolicy gives a key document (TypeKey, TypeHSMKey) the rotation
// policy read apart from it, and the scheduledRotationDate it schedules
// (ScheduledRotationDate), as if the key had been read with it.
func SetRotationPolicy(key *Document, policy any) {
	key.Body["rotationPolicy"] = policy
	var created, expires any
	if a, ok := key.Body["attributes"].(map[string]any); ok {
		created, expires = a["createdOn"], a["expiresOn"]
	}
	delete(key.Body, "scheduledRotationDate")
	if d := ScheduledRotationDate(policy, created, expires); d != nil {
		key.Body["scheduledRotationDate"] = d
	}
}
