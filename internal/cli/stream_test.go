package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/kvguard/kvguard/internal/assess"
	"github.com/kvguard/kvguard/internal/catalog"
	"github.com/kvguard/kvguard/internal/report"
	"github.com/kvguard/kvguard/internal/source"
	"github.com/kvguard/kvguard/internal/testcorpus"
)

// scanned is what pipeline gives: the table, JSON and SARIF reports, the
// assessor's document counts and how many runs were spilled.
type scanned struct {
	reports [3][]byte
	stats   assess.Stats
	runs    int // of assessments
	msgRuns int // of input problems
}

// pipeline scans paths as the scan command does, either unit by unit
// (source.ReadUnits, each unit judged when done) or with every document
// kept until the end (source.Read into Assessor.Add, as before units),
// spilling runs of assessments past spill bytes (negative: never).
func pipeline(t *testing.T, paths []string, units bool, spill int) scanned {
	t.Helper()
	cat, err := catalog.Build(catalog.BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	as := assess.New(cat, assess.Options{Now: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC), SpillBytes: spill, SpillMessages: spill, TempDir: t.TempDir()})
	so := source.Options{ReadRoots: scannedTrees(paths)}
	if units {
		err = source.ReadUnits(context.Background(), paths, so, func(source.Input) source.Unit { return as.Unit() }, as.AddError)
	} else {
		err = source.Read(context.Background(), paths, so, as.Add, as.AddError)
	}
	if err != nil {
		t.Fatal(err)
	}
	res := as.Finish(context.Background())
	defer func() {
		if err := res.Close(); err != nil {
			t.Error(err)
		}
	}()
	var s scanned
	for i, id := range []string{"table", "json", "sarif"} {
		f, err := report.Lookup(id)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := f.New(report.Options{ToolVersion: "test", Verbose: true, SourceRoot: "/"}).Write(&b, res); err != nil {
			t.Fatal(err)
		}
		if err := res.Err(); err != nil {
			t.Fatal(err)
		}
		s.reports[i] = b.Bytes()
	}
	s.stats = as.Stats()
	s.runs, s.msgRuns = res.Runs()
	return s
}

// TestStreamingGivesTheSameReports: judging unit by unit, and merging
// runs spilled to disk after every unit, give the table, JSON and SARIF
// reports that keeping every document (and assessment) until the end
// gives, over the examples and the shared corpus.
func TestStreamingGivesTheSameReports(t *testing.T) {
	t.Parallel()
	trees := map[string]string{"examples": "../../examples"}
	if dir, ok := testcorpus.Find(testcorpus.Corpus); ok {
		trees["corpus"] = dir
	}
	for name, root := range trees {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			args := topLevelInputs(t, root)
			whole := pipeline(t, args, false, -1)
			for _, spill := range []int{-1, 1, 64 << 10} {
				got := pipeline(t, args, true, spill)
				for i, format := range []string{"table", "json", "sarif"} {
					if !bytes.Equal(whole.reports[i], got.reports[i]) {
						t.Errorf("spilling past %d bytes: the %s report differs from the whole estate's:\n%s", spill, format, firstDifference(whole.reports[i], got.reports[i]))
					}
				}
				if spill == 1 && (got.runs < 10 || got.msgRuns < 2) {
					t.Errorf("spilling past 1 byte and 1 message wrote %d and %d runs; want one per unit judged and per batch of messages", got.runs, got.msgRuns)
				}
				if spill == -1 && got.runs+got.msgRuns != 0 {
					t.Errorf("never spilling wrote %d and %d runs", got.runs, got.msgRuns)
				}
			}
			if whole.stats.Peak != whole.stats.Documents {
				t.Errorf("keeping every document: most held %d of %d", whole.stats.Peak, whole.stats.Documents)
			}
		})
	}
}

// TestMemoryIsFlatInUnits: scanning many deployments, the assessor never
// holds more documents than the units being read at once (one per
// reader, GOMAXPROCS of them) plus those kept because they may link
// across units — however many units there are. Documents are counted as
// they are given to a unit and as the unit drops them.
func TestMemoryIsFlatInUnits(t *testing.T) {
	t.Parallel()
	const units = 200
	dir := t.TempDir()
	for i := range units {
		write(t, filepath.Join(dir, fmt.Sprintf("m%03d", i), "main.tf"), fmt.Sprintf(streamModule, i))
	}
	write(t, filepath.Join(dir, "saved", "vault.json"), savedVault)
	one := pipeline(t, []string{filepath.Join(dir, "m000")}, true, -1)
	perUnit := one.stats.Documents
	if perUnit < 2 {
		t.Fatalf("one module gave %d documents", perUnit)
	}
	got := pipeline(t, []string{dir}, true, -1)
	if want := units*perUnit + 1; got.stats.Documents != want {
		t.Fatalf("%d documents read, want %d", got.stats.Documents, want)
	}
	if got.stats.Kept != 1 {
		t.Errorf("%d documents kept until the end, want 1 (the saved vault)", got.stats.Kept)
	}
	readers := runtime.GOMAXPROCS(0)
	if bound := readers*perUnit + got.stats.Kept; got.stats.Peak > bound {
		t.Errorf("%d documents held at once, more than %d readers × %d per unit + %d kept", got.stats.Peak, readers, perUnit, got.stats.Kept)
	}
	if got.stats.Live != 0 {
		t.Errorf("%d documents still held after Finish", got.stats.Live)
	}
	// The same scan with everything kept holds every document: the bound
	// above is the streaming's doing.
	whole := pipeline(t, []string{dir}, false, -1)
	if whole.stats.Peak != got.stats.Documents {
		t.Errorf("keeping everything held %d documents at most, want all %d", whole.stats.Peak, got.stats.Documents)
	}
	if !bytes.Equal(whole.reports[1], got.reports[1]) {
		t.Errorf("the JSON reports differ:\n%s", firstDifference(whole.reports[1], got.reports[1]))
	}
	var rep jsonReport
	if err := json.Unmarshal(got.reports[1], &rep); err != nil {
		t.Fatal(err)
	}
	if inv := rep.Summary.Inventory; inv.VaultsFound != units+1 || inv.Components.Secrets != units {
		t.Errorf("found %d vaults and %d secrets, want %d and %d", inv.VaultsFound, inv.Components.Secrets, units+1, units)
	}
}

// streamModule is a Terraform root module: a vault, its private endpoint
// and a secret without an expiry date (%d numbers it).
const streamModule = `
resource "azurerm_key_vault" "kv" {
  name                          = "kv-stream-%[1]d"
  location                      = "westeurope"
  resource_group_name           = "rg"
  tenant_id                     = "00000000-0000-0000-0000-000000000001"
  sku_name                      = "standard"
  rbac_authorization_enabled    = true
  public_network_access_enabled = false
}

resource "azurerm_private_endpoint" "pe" {
  name                = "pe-%[1]d"
  location            = "westeurope"
  resource_group_name = "rg"
  subnet_id           = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/s"
  private_service_connection {
    name                           = "psc"
    private_connection_resource_id = azurerm_key_vault.kv.id
    subresource_names              = ["vault"]
    is_manual_connection           = false
  }
}

resource "azurerm_key_vault_secret" "s" {
  name         = "s"
  value        = "x"
  key_vault_id = azurerm_key_vault.kv.id
}
`

// vaultID is the concrete ID of savedVault.
const vaultID = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-x/providers/Microsoft.KeyVault/vaults/kv-x"

// savedVault is az keyvault show output: a vault with no private endpoint
// connection of its own.
const savedVault = `{
  "id": "` + vaultID + `",
  "name": "kv-x", "type": "Microsoft.KeyVault/vaults", "location": "westeurope",
  "properties": {
    "tenantId": "22222222-2222-2222-2222-222222222222", "sku": {"family": "A", "name": "standard"},
    "enableRbacAuthorization": true, "enableSoftDelete": true, "softDeleteRetentionInDays": 90,
    "enablePurgeProtection": true, "publicNetworkAccess": "Disabled",
    "networkAcls": {"bypass": "None", "defaultAction": "Deny", "ipRules": [], "virtualNetworkRules": []},
    "vaultUri": "https://kv-x.vault.azure.net/"
  }
}`

// TestLinksAcrossUnits: what links across inputs — resources that exist,
// and concrete IDs — links when each side is in a unit of its own, as
// when everything is judged together.
func TestLinksAcrossUnits(t *testing.T) {
	t.Parallel()
	savedPE := `{"id": "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-x/providers/Microsoft.Network/privateEndpoints/pe-x",
  "name": "pe-x", "type": "Microsoft.Network/privateEndpoints", "location": "westeurope",
  "properties": {"privateLinkServiceConnections": [{"name": "c", "properties": {"privateLinkServiceId": "` + vaultID + `",
    "groupIds": ["vault"], "privateLinkServiceConnectionState": {"status": "Approved"}}}]}}`
	secrets := `[{"id": "https://kv-x.vault.azure.net/secrets/s1", "name": "s1", "attributes": {"enabled": true}},
  {"id": "https://kv-x.vault.azure.net/secrets/s2", "name": "s2", "attributes": {"enabled": true, "expires": "2030-01-01T00:00:00+00:00"}}]`
	listed := `[{"id": "` + vaultID + `", "name": "kv-x", "type": "Microsoft.KeyVault/vaults", "location": "westeurope", "resourceGroup": "rg-x"}]`
	plannedPE := `
resource "azurerm_private_endpoint" "pe" {
  name                = "pe-planned"
  location            = "westeurope"
  resource_group_name = "rg-x"
  subnet_id           = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-x/providers/Microsoft.Network/virtualNetworks/v/subnets/s"
  private_service_connection {
    name                           = "psc"
    private_connection_resource_id = "` + vaultID + `"
    subresource_names              = ["vault"]
    is_manual_connection           = false
  }
}
`
	cases := []struct {
		name  string
		files map[string]string
		// want are the vault's verdicts, by recommendation.
		want map[string]string
		// wantMsg is a message the report must hold.
		wantMsg string
	}{
		{name: "no link", files: map[string]string{"a/vault.json": savedVault},
			want: map[string]string{"keyvault-private-link": "Unhealthy", "keyvault-secret-expiry": "Unknown"}},
		{name: "private endpoint in another saved file",
			files: map[string]string{"a/vault.json": savedVault, "b/pe.json": savedPE},
			want:  map[string]string{"keyvault-private-link": "Healthy"}},
		{name: "secrets in another saved file",
			files: map[string]string{"a/vault.json": savedVault, "b/secrets.json": secrets},
			want:  map[string]string{"keyvault-secret-expiry": "Unhealthy"}},
		{name: "duplicate IDs across files",
			files:   map[string]string{"a/list.json": listed, "b/vault.json": savedVault},
			want:    map[string]string{"keyvault-rbac": "Healthy", "keyvault-private-link": "Unhealthy"},
			wantMsg: "duplicate resource ID " + vaultID},
		{name: "planned private endpoint with a concrete target",
			files: map[string]string{"a/vault.json": savedVault, "pe/main.tf": plannedPE},
			want:  map[string]string{"keyvault-private-link": "Healthy"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			var paths []string
			for name, body := range c.files {
				write(t, filepath.Join(dir, name), body)
				paths = append(paths, filepath.Join(dir, strings.Split(name, "/")[0]))
			}
			got := pipeline(t, paths, true, 1)
			whole := pipeline(t, paths, false, -1)
			if !bytes.Equal(whole.reports[1], got.reports[1]) {
				t.Errorf("the JSON report differs from the whole estate's:\n%s", firstDifference(whole.reports[1], got.reports[1]))
			}
			var rep struct {
				jsonReport
				Errors []struct{ Message string }
			}
			if err := json.Unmarshal(got.reports[1], &rep); err != nil {
				t.Fatal(err)
			}
			if n := rep.Summary.Inventory.VaultsFound; n != 1 {
				t.Errorf("%d vaults found, want 1", n)
			}
			verdicts := map[string]string{}
			for _, a := range rep.Assessments {
				if strings.EqualFold(a.Resource.ID, vaultID) {
					verdicts[a.Recommendation.ID] = a.Status
				}
			}
			for rec, want := range c.want {
				if verdicts[rec] != want {
					t.Errorf("%s: %s, want %s (all: %v)", rec, verdicts[rec], want, verdicts)
				}
			}
			found := c.wantMsg == ""
			for _, e := range rep.Errors {
				found = found || strings.Contains(e.Message, c.wantMsg)
			}
			if !found {
				t.Errorf("no message says %q: %+v", c.wantMsg, rep.Errors)
			}
		})
	}
}
