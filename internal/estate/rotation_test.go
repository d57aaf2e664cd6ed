package estate

import (
	"strings"
	"testing"

	"github.com/kvguard/kvguard/internal/resource"
)

// TestRotationPoliciesFolded: a key rotation policy saved apart from its
// key (az keyvault key rotation-policy show) reaches the key, whatever the
// order the two were read in, and gives it the scheduledRotationDate the
// keys' rotation rule reads; the policy itself is no document of the
// estate. A policy whose key is missing is a warning naming what to save.
func TestRotationPoliciesFolded(t *testing.T) {
	t.Parallel()
	const keyID = "https://kv1.vault.azure.net/keys/cmk"
	pol := map[string]any{"lifetimeActions": []any{map[string]any{"trigger": map[string]any{"timeAfterCreate": "P30D"}, "action": map[string]any{"type": "Rotate"}}}}
	newDocs := func() []*resource.Document {
		key := resource.NewComponent(resource.TypeKey, resource.Ref{Host: "kv1.vault.azure.net"}, keyID, "cmk",
			resource.ObjectAttributes{Created: "2026-01-01T00:00:00Z"}, map[string]any{"keyType": "RSA"})
		key.Source = at("keys.json", 1)
		rp := &resource.Document{ID: keyID + "/rotationpolicy", Type: resource.TypeKeyRotationPolicy, Name: "cmk",
			Parent: resource.Ref{ID: keyID}, Source: at("rp.json", 1),
			Body: map[string]any{"id": keyID + "/rotationpolicy", "rotationPolicy": pol}}
		orphan := &resource.Document{ID: "https://kv2.vault.azure.net/keys/gone/rotationpolicy", Type: resource.TypeKeyRotationPolicy, Name: "gone",
			Parent: resource.Ref{ID: "https://kv2.vault.azure.net/keys/gone"}, Source: at("rp2.json", 1),
			Body: map[string]any{"rotationPolicy": pol}}
		return []*resource.Document{key, rp, orphan}
	}
	for _, order := range permutations(newDocs()) {
		// Fresh documents each time, in this order: a fold changes the key.
		fresh := newDocs()
		docs := make([]*resource.Document, len(order))
		for i, d := range order {
			for _, f := range fresh {
				if f.ID == d.ID {
					docs[i] = f
				}
			}
		}
		ix, errs := seal(docs)
		var key *resource.Document
		for _, d := range ix.Docs() {
			if d.IsType(resource.TypeKeyRotationPolicy) {
				t.Errorf("the rotation policy %s stayed a document", d.ID)
			}
			if d.ID == keyID {
				key = d
			}
		}
		if key == nil {
			t.Fatal("the key is missing")
		}
		if got := key.Body["scheduledRotationDate"]; got != "2026-01-31T00:00:00Z" {
			t.Errorf("scheduledRotationDate = %#v, want 2026-01-31T00:00:00Z", got)
		}
		if key.Body["rotationPolicy"] == nil {
			t.Error("the key has no rotationPolicy")
		}
		if len(errs) != 1 || !errs[0].Warning || !strings.Contains(errs[0].Msg, "az keyvault key list --vault-name kv2") {
			t.Errorf("errors:\n%s", errorsText(errs))
		}
	}
}
