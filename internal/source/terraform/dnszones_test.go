package terraform

import (
	"strings"
	"testing"

	"github.com/kvguard/kvguard/internal/resource"
)

// zoneGroupsOfDoc lists the private DNS zone group documents whose parent
// is doc.
func zoneGroupsOfDoc(docs []*resource.Document, parent *resource.Document) []*resource.Document {
	var out []*resource.Document
	for _, d := range docs {
		if d.IsType(resource.TypePrivateDNSZoneGroup) && d.Parent.ID == parent.ID {
			out = append(out, d)
		}
	}
	return out
}

func endpointHCL(name, extra string) string {
	return `
resource "azurerm_private_endpoint" "` + name + `" {
  name                = "` + name + `"
  resource_group_name = "rg"
  location            = "westeurope"
  subnet_id           = "/subscriptions/1/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/s"
  private_service_connection {
    name                           = "kv"
    private_connection_resource_id = azurerm_key_vault.kv.id
    subresource_names              = ["vault"]
    is_manual_connection           = false
  }
` + extra + `
}
`
}

// TestPrivateDNSZoneGroups: a private_dns_zone_group block of
// azurerm_private_endpoint is the endpoint's privateDnsZoneGroups child,
// the resource keyvault-private-dns-zone looks for; without the child
// every endpoint to a vault was judged to have no DNS zone group.
func TestPrivateDNSZoneGroups(t *testing.T) {
	t.Parallel()
	const zone = "/subscriptions/1/resourceGroups/rg/providers/Microsoft.Network/privateDnsZones/privatelink.vaultcore.azure.net"
	tests := []struct {
		name      string
		extra     string
		want      []string // zone group names
		wantZone  any      // privateDnsZoneConfigs.0.properties.privateDnsZoneId of the first
		wantGap   string   // in the endpoint's gap for the zone group type
		wantConfN string
	}{
		{name: "none"},
		{name: "literal", extra: `  private_dns_zone_group {
    name                 = "default"
    private_dns_zone_ids = ["` + zone + `"]
  }`, want: []string{"default"}, wantZone: zone, wantConfN: "privatelink-vaultcore-azure-net"},
		{name: "reference", extra: `  private_dns_zone_group {
    name                 = "dns"
    private_dns_zone_ids = [azurerm_private_dns_zone.vault.id]
  }`, want: []string{"dns"}, wantZone: resource.Unknown{Expr: "azurerm_private_dns_zone.vault"}},
		{name: "dynamic over a variable", extra: `  dynamic "private_dns_zone_group" {
    for_each = var.zones
    content {
      name                 = "default"
      private_dns_zone_ids = [private_dns_zone_group.value]
    }
  }`, wantGap: "var.zones"},
		{name: "dynamic over a literal", extra: `  dynamic "private_dns_zone_group" {
    for_each = ["` + zone + `"]
    content {
      name                 = "g"
      private_dns_zone_ids = [private_dns_zone_group.value]
    }
  }`, want: []string{"g"}, wantZone: zone},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			src := vault("kv", "") + "variable \"zones\" {\n  type = list(string)\n}\n" + endpointHCL("pe", tc.extra)
			docs := readHCL(t, src)
			pe := byAddress(t, docs, "azurerm_private_endpoint.pe")
			groups := zoneGroupsOfDoc(docs, pe)
			var names []string
			for _, g := range groups {
				names = append(names, g.Name)
			}
			if strings.Join(names, ",") != strings.Join(tc.want, ",") {
				t.Fatalf("zone groups %v, want %v", names, tc.want)
			}
			if len(groups) > 0 {
				g := groups[0]
				if g.ID != pe.ID+"/privateDnsZoneGroups/"+tc.want[0] {
					t.Errorf("ID %s", g.ID)
				}
				if got := at(t, g, "properties.privateDnsZoneConfigs.0.properties.privateDnsZoneId"); mustJSON(t, got) != mustJSON(t, tc.wantZone) {
					t.Errorf("zone %v, want %v", got, tc.wantZone)
				}
				if tc.wantConfN != "" {
					if got := at(t, g, "properties.privateDnsZoneConfigs.0.name"); got != tc.wantConfN {
						t.Errorf("config name %v", got)
					}
				}
			}
			gap, ok := pe.GapFor(resource.TypePrivateDNSZoneGroup)
			if (tc.wantGap != "") != ok || !strings.Contains(gap.Err, tc.wantGap) {
				t.Errorf("gap %+v (%v), want one naming %q", gap, ok, tc.wantGap)
			}
		})
	}
}

// TestPlanPrivateDNSZoneGroups: plan JSON gives the same child, under the
// endpoint's ID.
func TestPlanPrivateDNSZoneGroups(t *testing.T) {
	t.Parallel()
	p := writePlan(t, map[string]any{
		"format_version": "1.2",
		"resource_changes": []any{
			change("azurerm_private_endpoint.pe", "", "azurerm_private_endpoint", "pe", map[string]any{"name": "pe", "resource_group_name": "rg",
				"private_service_connection": []any{map[string]any{"name": "c", "is_manual_connection": false,
					"private_connection_resource_id": "/subscriptions/1/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv"}},
				"private_dns_zone_group": []any{map[string]any{"name": "default"}}},
				map[string]any{"private_dns_zone_group": []any{map[string]any{"private_dns_zone_ids": true}}}),
		},
	})
	docs, errs, _ := read(t, p, Options{})
	if len(errs) > 0 || len(docs) != 2 {
		t.Fatalf("%d docs: %s", len(docs), messages(errs))
	}
	pe := byAddress(t, docs, "azurerm_private_endpoint.pe")
	g := zoneGroupsOfDoc(docs, pe)
	if len(g) != 1 || g[0].ID != pe.ID+"/privateDnsZoneGroups/default" || !strings.HasPrefix(pe.ID, "/subscriptions/") {
		t.Fatalf("zone groups %v of %s", g, pe.ID)
	}
	if _, ok := at(t, g[0], "properties.privateDnsZoneConfigs").(resource.Unknown); !ok {
		t.Errorf("zone IDs unknown in the plan: %v", at(t, g[0], "properties.privateDnsZoneConfigs"))
	}
}
