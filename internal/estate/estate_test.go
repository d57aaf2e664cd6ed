package estate

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kvguard/kvguard/internal/policy"
	"github.com/kvguard/kvguard/internal/resource"
)

func policyQuery(typ string) policy.RelatedQuery { return policy.RelatedQuery{Type: typ} }

const sub = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg/providers/"

func vault(id, host string, src resource.Provenance, props map[string]any) *resource.Document {
	if props == nil {
		props = map[string]any{}
	}
	if host != "" {
		props["vaultUri"] = "https://" + host + "/"
	}
	name := id[strings.LastIndexByte(id, '/')+1:]
	return &resource.Document{ID: id, Type: resource.TypeVault, Name: name, Source: src,
		Body: map[string]any{"id": id, "name": name, "type": resource.TypeVault, "properties": props}}
}

func at(file string, line int) resource.Provenance {
	return resource.Provenance{Kind: "azure-json", File: file, StartLine: line, EndLine: line + 5}
}

// permutations returns every order of docs.
func permutations(docs []*resource.Document) [][]*resource.Document {
	if len(docs) <= 1 {
		return [][]*resource.Document{docs}
	}
	var out [][]*resource.Document
	for i := range docs {
		rest := append(append([]*resource.Document(nil), docs[:i]...), docs[i+1:]...)
		for _, p := range permutations(rest) {
			out = append(out, append([]*resource.Document{docs[i]}, p...))
		}
	}
	return out
}

func seal(docs []*resource.Document) (*Index, []*resource.InputError) {
	e := New()
	for _, d := range docs {
		e.Add(d)
	}
	return e.Seal()
}

func errorsText(errs []*resource.InputError) string {
	var b strings.Builder
	for _, e := range errs {
		fmt.Fprintf(&b, "%v|%s\n", e.Warning, e.Error())
	}
	return b.String()
}

// TestDuplicatesDoNotDependOnOrder: which copy of a duplicated ID is
// "first", which is judged and what is reported are the same in every
// order the copies arrive in.
func TestDuplicatesDoNotDependOnOrder(t *testing.T) {
	t.Parallel()
	id := sub + "Microsoft.KeyVault/vaults/kv"
	listed := vault(id, "", at("b-list.json", 2), nil)
	listed.Gaps = []resource.Gap{{Part: resource.PartProperties, Err: "az keyvault list output"}}
	shown := vault(strings.ToUpper(id), "", at("c-show.json", 1), map[string]any{"enableRbacAuthorization": true})
	again := vault(id, "", at("d-show.json", 1), map[string]any{"enableRbacAuthorization": false})
	var wantErrs string
	for i, docs := range permutations([]*resource.Document{listed, shown, again}) {
		ix, errs := seal(docs)
		if len(ix.Docs()) != 1 || ix.Docs()[0] != shown {
			t.Fatalf("order %d: kept %v, want the first copy with properties (c-show.json)", i, ix.Docs()[0].Source)
		}
		got := errorsText(errs)
		if i == 0 {
			wantErrs = got
			if len(errs) != 2 || !strings.Contains(got, "first at b-list.json:2") || !strings.Contains(got, "c-show.json:1") || !strings.Contains(got, "d-show.json:1") {
				t.Fatalf("errors:\n%s", got)
			}
		} else if got != wantErrs {
			t.Fatalf("order %d reports\n%s\nwant\n%s", i, got, wantErrs)
		}
	}
}

// TestAmbiguousHost: two existing vaults claim one host (a vault deleted
// and recreated elsewhere, two exports of different times). Components
// named by that host go to the first vault in file order, whatever order
// the vaults arrive in, and the match names both.
func TestAmbiguousHost(t *testing.T) {
	t.Parallel()
	a := vault(sub+"Microsoft.KeyVault/vaults/kv-payments", "kv-payments.vault.azure.net", at("azure/vaults.json", 3), nil)
	b := vault(strings.Replace(sub, "11111111-1111-1111-1111-111111111111", "22222222-2222-2222-2222-222222222222", 1)+"Microsoft.KeyVault/vaults/kv-payments",
		"kv-payments.vault.azure.net", at("estate.json", 42), nil)
	for i, docs := range permutations([]*resource.Document{b, a}) {
		ix, _ := seal(docs)
		m := ix.VaultFor(resource.Ref{Host: "KV-PAYMENTS.vault.azure.net"}, "")
		if m.Doc != a || len(m.Others) != 1 || m.Others[0] != b {
			t.Fatalf("order %d: matched %v (others %v), want azure/vaults.json's vault with estate.json's as the other", i, m.Doc.Source, m.Others)
		}
		w := m.Warning("the secrets and keys listed for kv-payments.vault.azure.net")
		if w == nil || !w.Warning || !strings.Contains(w.Msg, "azure/vaults.json:3") || !strings.Contains(w.Msg, "estate.json:42") {
			t.Fatalf("order %d: warning %v", i, w)
		}
	}
	ix, _ := seal([]*resource.Document{a})
	if m := ix.VaultFor(resource.Ref{Host: "kv-payments.vault.azure.net"}, ""); m.Doc != a || m.Warning("x") != nil {
		t.Errorf("one candidate: %+v", m)
	}
}

// TestSortErrors: problems are listed by file, line, column and message.
func TestSortErrors(t *testing.T) {
	t.Parallel()
	errs := []*resource.InputError{
		{Pos: resource.Position{File: "b.tf", Line: 1}, Msg: "x"},
		{Pos: resource.Position{File: "a.tf", Line: 10, Col: 2}, Msg: "y"},
		{Pos: resource.Position{File: "a.tf", Line: 10, Col: 2}, Msg: "b"},
		{Pos: resource.Position{File: "a.tf", Line: 9, Col: 30}, Msg: "z"},
		{Msg: "standard input is empty"},
	}
	SortErrors(errs)
	var got []string
	for _, e := range errs {
		got = append(got, e.Error())
	}
	want := "standard input is empty|a.tf:9:30: z|a.tf:10:2: b|a.tf:10:2: y|b.tf:1: x"
	if strings.Join(got, "|") != want {
		t.Errorf("got  %s\nwant %s", strings.Join(got, "|"), want)
	}
}

func TestConcrete(t *testing.T) {
	t.Parallel()
	cases := []struct {
		id   string
		want bool
	}{
		{sub + "Microsoft.KeyVault/vaults/kv", true},
		{"/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/kvguard-rg/providers/Microsoft.KeyVault/vaults/kv", false},
		{"/subscriptions/{subscription}/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv", false},
		{sub + "Microsoft.KeyVault/vaults/[parameters('keyVaultName')]", false},
		{sub + "Microsoft.KeyVault/vaults/${var.name}", false},
		{sub + "Microsoft.KeyVault/vaults/(unknown: var.name)", false},
		{"terraform:azurerm_key_vault.kv", false},
		{"https://kv.vault.azure.net/", false},
		{"", false},
	}
	for _, c := range cases {
		if got := Concrete(c.id); got != c.want {
			t.Errorf("Concrete(%q) = %v, want %v", c.id, got, c.want)
		}
	}
}

// TestLinksStayInTheirDeployment: a planned document links to another
// deployment's document, or to an existing one, only through a concrete
// ID; a placeholder ID means the same only within its deployment.
func TestLinksStayInTheirDeployment(t *testing.T) {
	t.Parallel()
	placeholderID := "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/kvguard-rg/providers/Microsoft.KeyVault/vaults/[parameters('name')]"
	concreteID := sub + "Microsoft.KeyVault/vaults/kv-real"
	planned := func(id, dep string) *resource.Document {
		v := vault(id, "", resource.Provenance{Kind: "bicep", File: dep, StartLine: 1}, nil)
		v.Deployment = dep
		return v
	}
	a, resolved := planned(placeholderID, "a/main.bicep"), planned(concreteID, "a/main.bicep")
	existing := vault(sub+"Microsoft.KeyVault/vaults/kv-live", "kv-live.vault.azure.net", at("saved.json", 1), nil)
	pe := &resource.Document{ID: sub + "Microsoft.Network/privateEndpoints/pe", Type: resource.TypePrivateEndpoint, Name: "pe", Deployment: "b/main.bicep",
		Body: map[string]any{"properties": map[string]any{"privateLinkServiceConnections": []any{
			map[string]any{"properties": map[string]any{"privateLinkServiceId": placeholderID}}}}}}
	diag := &resource.Document{ID: placeholderID + "/providers/Microsoft.Insights/diagnosticSettings/d", Type: resource.TypeDiagnosticSetting, Name: "d",
		Parent: resource.Ref{ID: placeholderID}, Deployment: "b/main.bicep"}
	ix, _ := seal([]*resource.Document{a, resolved, existing, pe, diag})
	cases := []struct {
		name string
		ref  resource.Ref
		dep  string
		want *resource.Document
	}{
		{"placeholder ID, same deployment", resource.Ref{ID: placeholderID}, "a/main.bicep", a},
		{"placeholder ID, other deployment", resource.Ref{ID: placeholderID}, "b/main.bicep", nil},
		{"placeholder ID, existing data", resource.Ref{ID: placeholderID}, "", nil},
		{"concrete ID, other deployment", resource.Ref{ID: concreteID}, "b/main.bicep", resolved},
		{"concrete ID, existing data", resource.Ref{ID: concreteID}, "", resolved},
		{"existing vault from a deployment", resource.Ref{ID: existing.ID}, "b/main.bicep", existing},
		{"host, existing data", resource.Ref{Host: "kv-live.vault.azure.net"}, "", existing},
		{"host, from a deployment", resource.Ref{Host: "kv-live.vault.azure.net"}, "b/main.bicep", nil},
	}
	for _, c := range cases {
		if got := ix.VaultFor(c.ref, c.dep).Doc; got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
	}
	if conns, ok := a.Get("properties", "privateEndpointConnections"); ok {
		t.Errorf("another deployment's endpoint was linked through a placeholder ID: %v", conns)
	}
	if docs, known, _ := ix.Related(a, policyQuery(resource.TypeDiagnosticSetting)); !known || len(docs) != 0 {
		t.Errorf("another deployment's diagnostic setting is related through a placeholder ID: %v", docs)
	}
}

// TestCrosses: a document can be judged with its own input's documents
// alone unless it exists (no deployment) or names a real subscription in
// its ID, its parent's or a private endpoint's target.
func TestCrosses(t *testing.T) {
	t.Parallel()
	const concreteVault = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv"
	const zero = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv"
	const placeholder = "/subscriptions/{subscription}/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv"
	pe := func(target any) *resource.Document {
		return &resource.Document{ID: "terraform:azurerm_private_endpoint.pe", Type: resource.TypePrivateEndpoint, Deployment: "main",
			Body: map[string]any{"properties": map[string]any{"privateLinkServiceConnections": []any{
				map[string]any{"properties": map[string]any{"privateLinkServiceId": target}}}}}}
	}
	for _, c := range []struct {
		name string
		doc  *resource.Document
		want bool
	}{
		{"existing", &resource.Document{ID: placeholder, Type: resource.TypeVault}, true},
		{"planned, placeholder subscription", &resource.Document{ID: placeholder, Type: resource.TypeVault, Deployment: "main"}, false},
		{"planned, all-zero subscription", &resource.Document{ID: zero, Type: resource.TypeVault, Deployment: "main"}, false},
		{"planned, Terraform address", &resource.Document{ID: "terraform:azurerm_key_vault.kv", Type: resource.TypeVault, Deployment: "main"}, false},
		{"planned, real subscription", &resource.Document{ID: concreteVault, Type: resource.TypeVault, Deployment: "main"}, true},
		{"planned, real subscription and an expression", &resource.Document{ID: concreteVault + "/secrets/[parameters('s')]", Deployment: "main"}, true},
		{"planned secret of a concrete vault", &resource.Document{ID: "terraform:azurerm_key_vault_secret.s", Parent: resource.Ref{ID: concreteVault}, Deployment: "main"}, true},
		{"planned secret of a planned vault", &resource.Document{ID: "terraform:azurerm_key_vault_secret.s", Parent: resource.Ref{ID: placeholder}, Deployment: "main"}, false},
		{"private endpoint to a concrete vault", pe(concreteVault), true},
		{"private endpoint to a planned vault", pe("terraform:azurerm_key_vault.kv"), false},
		{"private endpoint to an unknown", pe(resource.Unknown{Expr: "var.kv"}), false},
	} {
		if got := Crosses(c.doc); got != c.want {
			t.Errorf("%s: Crosses = %v, want %v", c.name, got, c.want)
		}
	}
}
