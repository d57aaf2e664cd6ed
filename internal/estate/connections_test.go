package estate

import (
	"testing"

	"github.com/kvguard/kvguard/internal/resource"
)

// TestDerivedConnections: the children derived from a vault's connections
// carry the connection's own ID (saved, live) or one built from the
// endpoint (planned), are found by Related under their vault only, and
// are not documents of the scan.
func TestDerivedConnections(t *testing.T) {
	t.Parallel()
	savedID := sub + "Microsoft.KeyVault/vaults/saved"
	saved := vault(savedID, "", at("a.json", 1), map[string]any{"privateEndpointConnections": []any{
		map[string]any{"id": savedID + "/privateEndpointConnections/pe1.abcd", "properties": map[string]any{
			"privateLinkServiceConnectionState": map[string]any{"status": "Approved"}}},
		"not an object",
	}})
	plannedID := "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/iac"
	planned := vault(plannedID, "", at("main.bicep", 1), nil)
	planned.Deployment = "main.bicep"
	peID := "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Network/privateEndpoints/pe2"
	pe := &resource.Document{ID: peID, Type: resource.TypePrivateEndpoint, Name: "pe2", Deployment: "main.bicep", Source: at("main.bicep", 20),
		Body: map[string]any{"properties": map[string]any{"manualPrivateLinkServiceConnections": []any{
			map[string]any{"properties": map[string]any{"privateLinkServiceId": plannedID}}}}}}
	ix, _ := seal([]*resource.Document{saved, planned, pe})
	if len(ix.Docs()) != 3 {
		t.Errorf("derived children are documents of the scan: %d documents", len(ix.Docs()))
	}
	tests := []struct {
		vault      *resource.Document
		wantID     string
		wantStatus any
	}{
		{saved, savedID + "/privateEndpointConnections/pe1.abcd", "Approved"},
		{planned, plannedID + "/privateEndpointConnections/pe2", "Pending"},
	}
	for _, tc := range tests {
		got, known, _ := ix.Related(tc.vault, policyQuery(resource.TypeVaultPEConnection))
		if !known || len(got) != 1 {
			t.Fatalf("%s: %d children (known %v), want 1", tc.vault.Name, len(got), known)
		}
		if got[0].ID != tc.wantID || got[0].Parent.ID != tc.vault.ID || got[0].Deployment != tc.vault.Deployment {
			t.Errorf("%s: child %s parent %s deployment %q", tc.vault.Name, got[0].ID, got[0].Parent.ID, got[0].Deployment)
		}
		if st, _ := got[0].Get("properties", "privateLinkServiceConnectionState", "status"); st != tc.wantStatus {
			t.Errorf("%s: status %v, want %v", tc.vault.Name, st, tc.wantStatus)
		}
	}
}
