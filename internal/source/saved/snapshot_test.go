package saved

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kvguard/kvguard/internal/resource"
)

func vaultLine(name string) string {
	return `{"id": "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/` + name + `", "type": "Microsoft.KeyVault/vaults", "properties": {"enableRbacAuthorization": true}}`
}

func gapLine(name, part string) string {
	return `{"resourceId": "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/` + name + `", "part": "` + part + `", "error": "403"}`
}

// TestSnapshotHolding checks the order documents come out of a snapshot
// whose gaps follow its resources, and what happens when more resources
// come before the gaps than the reader holds back.
func TestSnapshotHolding(t *testing.T) {
	t.Parallel()
	secret := `{"id": "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv1/secrets/s", "type": "Microsoft.KeyVault/vaults/secrets", "properties": {}}`
	in := "{\"kvguardSnapshot\": {\"version\": \"1\"},\n\"resources\": [\n" +
		vaultLine("kv1") + ",\n" + secret + ",\n" + vaultLine("kv2") + ",\n" + vaultLine("kv3") + "\n],\n" +
		"\"gaps\": [\n" + gapLine("kv1", resource.TypeSecret) + ",\n" + gapLine("kv3", resource.TypeKey) + "\n]}"

	type out struct {
		Name string
		Gaps []string
	}
	run := func(maxHeld int) ([]out, []string) {
		r := New(Options{})
		r.maxHeld = maxHeld
		var got []out
		err := r.ReadFrom(t.Context(), strings.NewReader(in), "snap.json", func(d *resource.Document) {
			o := out{Name: d.Name}
			for _, g := range d.Gaps {
				o.Gaps = append(o.Gaps, g.Part)
			}
			got = append(got, o)
		})
		errs, _ := splitErrors(t, err)
		return got, errs
	}

	got, errs := run(defaultMaxHeld)
	want := []out{{"s", nil}, {"kv1", []string{resource.TypeSecret}}, {"kv2", nil}, {"kv3", []string{resource.TypeKey}}}
	if diff := cmp.Diff(want, got); diff != "" || errs != nil {
		t.Errorf("errors %q; documents (-want +got):\n%s", errs, diff)
	}

	got, errs = run(2)
	want = []out{{"s", nil}, {"kv1", nil}, {"kv2", nil}, {"kv3", nil}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("documents (-want +got):\n%s", diff)
	}
	wantErrs := []string{
		"snap.json:9:1 (/subscriptions/s1/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv1): gap not applied: the resource it names was emitted before the snapshot's gaps were read (more than 2 resources came before them); write gaps before resources",
		"snap.json:10:1 (/subscriptions/s1/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv3): gap not applied: the resource it names was emitted before the snapshot's gaps were read (more than 2 resources came before them); write gaps before resources",
	}
	if diff := cmp.Diff(wantErrs, errs); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
}

// TestSnapshotProperties: a snapshot vault without properties and without
// a gap saying why still gets a properties gap; with a gap, the snapshot's
// reason replaces the reader's.
func TestSnapshotProperties(t *testing.T) {
	t.Parallel()
	in := `{"kvguardSnapshot": {"version": "1"}, "resources": [
	{"id": "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv1", "type": "Microsoft.KeyVault/vaults"},
	{"id": "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv2", "type": "Microsoft.KeyVault/vaults"}],
	"gaps": [` + gapLine("kv2", "properties") + `]}`
	var got [][]resource.Gap
	err := New(Options{}).ReadFrom(t.Context(), strings.NewReader(in), "snap.json", func(d *resource.Document) { got = append(got, d.Gaps) })
	if err != nil {
		t.Fatal(err)
	}
	want := [][]resource.Gap{
		{{Part: "properties", Err: "the snapshot has no properties for this vault and records no gap saying why"}},
		{{Part: "properties", Err: "403"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestPlaceholder covers resource.Placeholder and CanonicalType, which this
// package added to resource.
func TestPlaceholder(t *testing.T) {
	t.Parallel()
	id := "/subscriptions/s1/resourcegroups/rg/providers/microsoft.keyvault/vaults/kv9"
	d := resource.Placeholder(id, resource.Provenance{Kind: KindSnapshot}, "why", resource.Gap{Part: resource.TypeSecret, Err: "403"})
	want := &resource.Document{ID: id, Type: resource.TypeVault, Name: "kv9", Source: resource.Provenance{Kind: KindSnapshot},
		Gaps: []resource.Gap{{Part: resource.TypeSecret, Err: "403"}, {Part: resource.PartProperties, Err: "why"}}}
	if diff := cmp.Diff(want, d); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	for in, want := range map[string]string{
		"microsoft.keyvault/vaults":                            resource.TypeVault,
		"MICROSOFT.NETWORK/PRIVATEENDPOINTS":                   resource.TypePrivateEndpoint,
		"microsoft.insights/diagnosticsettings":                resource.TypeDiagnosticSetting,
		"Microsoft.Storage/storageAccounts":                    "Microsoft.Storage/storageAccounts",
		"microsoft.keyvault/managedhsms/keys":                  resource.TypeARMHSMKey,
		"microsoft.keyvault/vaults/privateendpointconnections": resource.TypeVaultPEConnection,
	} {
		if got := resource.CanonicalType(in); got != want {
			t.Errorf("CanonicalType(%q) = %q, want %q", in, got, want)
		}
	}
}
