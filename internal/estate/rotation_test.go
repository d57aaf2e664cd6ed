package estate

import (
	"strings"
	"testing"

	"github.com/kvguard/kvguard/internal/resource"
)

func savedKey(typ string, parent resource.Ref, name string, fields map[string]any) *resource.Document {
	attrs := resource.ObjectAttributes{Enabled: true, Created: "2025-01-01T00:00:00Z"}
	d := resource.NewComponent(typ, parent, "k-"+name, name, attrs, fields)
	d.Source = resource.Provenance{Kind: savedAzureJSON, File: "keys.json"}
	return d
}

func savedPolicy(host, key string) *resource.Document {
	return &resource.Document{
		ID: "https://" + host + "/keys/" + key + "/rotationpolicy", Type: resource.TypeKeyRotationPolicy, Name: key,
		Parent: resource.Ref{Host: host},
		Body:   map[string]any{"lifetimeActions": []any{map[string]any{"action": "Rotate", "timeAfterCreate": "P30D"}}},
		Source: resource.Provenance{Kind: savedAzureJSON, File: "policy-" + key + ".json", StartLine: 1},
	}
}

// TestRotationPolicies: saved keys (data-plane by host, ARM by ID, managed
// HSM keys) are given the policy saved apart for their vault and name,
// with the rotation date it schedules; other documents pass; a policy
// whose key is not in the input is a warning naming its file.
func TestRotationPolicies(t *testing.T) {
	t.Parallel()
	const vaultID = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/KV1"
	tests := []struct {
		name     string
		key      *resource.Document
		policy   *resource.Document
		taken    bool   // the key is held
		wantDate any    // the key's scheduledRotationDate after Finish
		wantWarn string // in the unmatched message, "" for none
	}{
		{"data-plane key", savedKey(resource.TypeKey, resource.Ref{Host: "kv1.vault.azure.net"}, "cmk", nil),
			savedPolicy("kv1.vault.azure.net", "cmk"), true, "2025-01-31T00:00:00Z", ""},
		{"ARM key by vault ID, case differs", savedKey(resource.TypeKey, resource.Ref{ID: vaultID}, "CMK", nil),
			savedPolicy("kv1.vault.azure.net", "cmk"), true, "2025-01-31T00:00:00Z", ""},
		{"managed HSM key", savedKey(resource.TypeHSMKey, resource.Ref{Host: "hsm1.managedhsm.azure.net"}, "cmk", nil),
			savedPolicy("hsm1.managedhsm.azure.net", "cmk"), true, "2025-01-31T00:00:00Z", ""},
		{"HSM policy does not join a vault key of the same names", savedKey(resource.TypeKey, resource.Ref{Host: "kv1.vault.azure.net"}, "cmk", nil),
			savedPolicy("kv1.managedhsm.azure.net", "cmk"), true, nil, "policy-cmk.json"},
		{"other key: policy unmatched", savedKey(resource.TypeKey, resource.Ref{Host: "kv1.vault.azure.net"}, "other", nil),
			savedPolicy("kv1.vault.azure.net", "cmk"), true, nil, "az keyvault key list --vault-name kv1"},
		{"key with its own policy is not held", savedKey(resource.TypeKey, resource.Ref{Host: "kv1.vault.azure.net"}, "cmk",
			map[string]any{"rotationPolicy": map[string]any{"lifetimeActions": []any{}}}), savedPolicy("kv1.vault.azure.net", "cmk"), false, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := NewRotationPolicies()
			if !r.Take(tt.policy) {
				t.Fatal("a rotation policy is not taken")
			}
			if got := r.Take(tt.key); got != tt.taken {
				t.Fatalf("Take(key) = %v, want %v", got, tt.taken)
			}
			keys, errs := r.Finish()
			if tt.taken && (len(keys) != 1 || keys[0] != tt.key) {
				t.Fatalf("Finish gave %d keys, want the held one", len(keys))
			}
			if got := tt.key.Body["scheduledRotationDate"]; tt.taken && got != tt.wantDate {
				t.Errorf("scheduledRotationDate = %v, want %v", got, tt.wantDate)
			}
			switch {
			case tt.wantWarn == "" && len(errs) > 0:
				t.Errorf("unexpected problems: %v", errs[0])
			case tt.wantWarn != "" && (len(errs) != 1 || !errs[0].Warning || !strings.Contains(errs[0].Error(), tt.wantWarn)):
				t.Errorf("problems %v, want one warning containing %q", errs, tt.wantWarn)
			}
		})
	}
}

// TestRotationPoliciesPassOthers: planned keys, live keys, secrets and
// vaults are not the join's.
func TestRotationPoliciesPassOthers(t *testing.T) {
	t.Parallel()
	planned := savedKey(resource.TypeKey, resource.Ref{Host: "kv1.vault.azure.net"}, "cmk", nil)
	planned.Deployment = "main.tf"
	live := savedKey(resource.TypeKey, resource.Ref{Host: "kv1.vault.azure.net"}, "cmk", nil)
	live.Source.Kind = "azure"
	secret := savedKey(resource.TypeSecret, resource.Ref{Host: "kv1.vault.azure.net"}, "db", nil)
	vault := &resource.Document{ID: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv1", Type: resource.TypeVault,
		Source: resource.Provenance{Kind: savedAzureJSON}}
	r := NewRotationPolicies()
	for _, d := range []*resource.Document{planned, live, secret, vault} {
		if r.Take(d) {
			t.Errorf("%s (%s, %s) was taken", d.Type, d.Source.Kind, d.Deployment)
		}
	}
}
