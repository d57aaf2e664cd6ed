package assess

import (
	"context"
	"testing"

	"github.com/kvguard/kvguard/internal/catalog"
	"github.com/kvguard/kvguard/internal/resource"
)

// runSelected judges docs with the named recommendations of the whole
// catalog.
func runSelected(t *testing.T, ids []string, docs ...*resource.Document) *Result {
	t.Helper()
	all, err := catalog.All(catalog.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cat, err := all.Select(ids)
	if err != nil {
		t.Fatal(err)
	}
	a := New(cat, Options{Now: now})
	for _, d := range docs {
		a.Add(d)
	}
	return a.Finish(context.Background())
}

func conn(id, status string) map[string]any {
	return map[string]any{"id": id, "properties": map[string]any{
		"privateEndpoint":                   map[string]any{"id": sub + "Microsoft.Network/privateEndpoints/pe"},
		"privateLinkServiceConnectionState": map[string]any{"status": status}}}
}

func endpoint(name, target, key, dep string) *resource.Document {
	id := sub + "Microsoft.Network/privateEndpoints/" + name
	return &resource.Document{ID: id, Type: resource.TypePrivateEndpoint, Name: name, Deployment: dep, Body: map[string]any{
		"id": id, "location": "eastus", "properties": map[string]any{key: []any{map[string]any{"name": "c",
			"properties": map[string]any{"privateLinkServiceId": target, "groupIds": []any{"vault"}}}}}}}
}

// TestPrivateEndpointConnectionChildren: the deployIfNotExists rules look
// for privateEndpointConnections child resources, which the estate
// derives from the connections a vault or HSM body lists (saved, live)
// or a planned endpoint will create. Without them every one of these
// vaults was Unhealthy.
func TestPrivateEndpointConnectionChildren(t *testing.T) {
	t.Parallel()
	kvID := sub + "Microsoft.KeyVault/vaults/"
	hsmID := sub + "Microsoft.KeyVault/managedHSMs/"
	hsm := func(name string, conns ...any) *resource.Document {
		id := hsmID + name
		return &resource.Document{ID: id, Type: resource.TypeManagedHSM, Name: name, Body: map[string]any{
			"id": id, "name": name, "type": resource.TypeManagedHSM, "location": "eastus",
			"properties": map[string]any{"enablePurgeProtection": true, "privateEndpointConnections": conns}}}
	}
	planned := func(d *resource.Document) *resource.Document { d.Deployment = "main.tf"; return d }
	tests := []struct {
		name string
		docs []*resource.Document
		rec  string
		want Status
	}{
		{"saved body, approved", []*resource.Document{vault("saved-ok", map[string]any{"privateEndpointConnections": []any{
			conn(kvID+"saved-ok/privateEndpointConnections/pe.1111", "Approved")}})}, "keyvault-private-endpoint-deploy", Healthy},
		{"saved body, pending only", []*resource.Document{vault("saved-pending", map[string]any{"privateEndpointConnections": []any{
			conn(kvID+"saved-pending/privateEndpointConnections/pe.2222", "Pending")}})}, "keyvault-private-endpoint-deploy", Unhealthy},
		{"saved body, one rejected one approved", []*resource.Document{vault("saved-mixed", map[string]any{"privateEndpointConnections": []any{
			conn(kvID+"saved-mixed/privateEndpointConnections/a", "Rejected"), conn(kvID+"saved-mixed/privateEndpointConnections/b", "Approved")}})},
			"keyvault-private-endpoint-deploy", Healthy},
		{"az keyvault show shape without ids", []*resource.Document{vault("noid", map[string]any{"privateEndpointConnections": []any{
			map[string]any{"properties": map[string]any{"privateLinkServiceConnectionState": map[string]any{"status": "Approved"}}}}})},
			"keyvault-private-endpoint-deploy", Healthy},
		{"no connections", []*resource.Document{vault("none", map[string]any{})}, "keyvault-private-endpoint-deploy", Unhealthy},
		{"planned endpoint, automatic", []*resource.Document{planned(vault("iac-auto", map[string]any{})),
			endpoint("pe-auto", kvID+"iac-auto", "privateLinkServiceConnections", "main.tf")}, "keyvault-private-endpoint-deploy", Healthy},
		{"planned endpoint, manual", []*resource.Document{planned(vault("iac-manual", map[string]any{})),
			endpoint("pe-manual", kvID+"iac-manual", "manualPrivateLinkServiceConnections", "main.tf")}, "keyvault-private-endpoint-deploy", Unhealthy},
		{"HSM body, approved", []*resource.Document{hsm("hsm-ok", conn(hsmID+"hsm-ok/privateEndpointConnections/pe", "Approved"))},
			"managedhsm-private-endpoint-deploy", Healthy},
		{"HSM body, pending", []*resource.Document{hsm("hsm-pending", conn(hsmID+"hsm-pending/privateEndpointConnections/pe", "Pending"))},
			"managedhsm-private-endpoint-deploy", Unhealthy},
		{"planned endpoint to an HSM", []*resource.Document{planned(hsm("hsm-iac")),
			endpoint("pe-hsm", hsmID+"hsm-iac", "privateLinkServiceConnections", "main.tf")}, "managedhsm-private-endpoint-deploy", Healthy},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := runSelected(t, []string{tc.rec}, tc.docs...)
			if got := find(t, r, tc.rec, tc.docs[0].Name); got.Status != tc.want {
				t.Errorf("%s: %s (%s), want %s", tc.rec, got.Status, got.Reason, tc.want)
			}
		})
	}
}

// TestSavedConnectionChildNotDoubled: a vault body and the saved child of
// one connection (az network private-endpoint-connection list beside az
// keyvault show) give one connection; the saved child, Rejected, is the
// one judged, not a copy derived from a stale body.
func TestSavedConnectionChildNotDoubled(t *testing.T) {
	t.Parallel()
	kv := vault("both", map[string]any{"privateEndpointConnections": []any{
		conn(sub+"Microsoft.KeyVault/vaults/both/privateEndpointConnections/pe.1", "Approved")}})
	childID := sub + "Microsoft.KeyVault/vaults/both/privateEndpointConnections/PE.1"
	child := &resource.Document{ID: childID, Type: resource.TypeVaultPEConnection, Name: "PE.1", Parent: resource.Ref{ID: kv.ID},
		Body: map[string]any{"id": childID, "properties": map[string]any{"privateLinkServiceConnectionState": map[string]any{"status": "Rejected"}}}}
	r := runSelected(t, []string{"keyvault-private-endpoint-deploy"}, kv, child)
	if got := find(t, r, "keyvault-private-endpoint-deploy", "both"); got.Status != Unhealthy {
		t.Errorf("got %s (%s), want Unhealthy: the saved child is Rejected", got.Status, got.Reason)
	}
}
