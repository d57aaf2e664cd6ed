package terraform

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kvguard/kvguard/internal/resource"
)

func writePlan(t *testing.T, plan map[string]any) string {
	t.Helper()
	b, err := json.MarshalIndent(plan, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	dir := writeTree(t, map[string]string{"plan.json": string(b)})
	return dir + "/plan.json"
}

func change(addr, module, typ, name string, after, unknown map[string]any, actions ...string) map[string]any {
	if len(actions) == 0 {
		actions = []string{"create"}
	}
	rc := map[string]any{
		"address": addr, "mode": "managed", "type": typ, "name": name,
		"provider_name": "registry.terraform.io/hashicorp/azurerm",
		"change":        map[string]any{"actions": actions, "before": nil, "after": after, "after_unknown": unknown},
	}
	if module != "" {
		rc["module_address"] = module
	}
	return rc
}

func refs(r ...string) map[string]any { return map[string]any{"references": r} }

func TestPlanLinkingThroughModules(t *testing.T) {
	t.Parallel()
	const kvID = "/subscriptions/33333333-3333-3333-3333-333333333333/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv-a"
	p := writePlan(t, map[string]any{
		"format_version": "1.2",
		"variables":      map[string]any{"sub": map[string]any{"value": "33333333-3333-3333-3333-333333333333"}},
		"resource_changes": []any{
			change(`module.kv["a"].azurerm_key_vault.this`, `module.kv["a"]`, "azurerm_key_vault", "this",
				map[string]any{"name": "kv-a", "resource_group_name": "rg", "rbac_authorization_enabled": true},
				map[string]any{"id": true, "enable_rbac_authorization": true, "network_acls": true}),
			change("azurerm_key_vault_secret.s", "", "azurerm_key_vault_secret", "s",
				map[string]any{"name": "s", "value": "plan-secret-value", "value_wo": "plan-wo-value"},
				map[string]any{"key_vault_id": true, "id": true}),
			change("azurerm_monitor_diagnostic_setting.d", "", "azurerm_monitor_diagnostic_setting", "d",
				map[string]any{"name": "d", "enabled_log": []any{map[string]any{"category_group": "audit"}}},
				map[string]any{"target_resource_id": true}),
			change("azurerm_key_vault_key.gone", "", "azurerm_key_vault_key", "gone", nil, nil, "delete"),
			change("azurerm_key_vault_key.unlinked", "", "azurerm_key_vault_key", "unlinked",
				map[string]any{"name": "u", "key_type": "RSA"}, map[string]any{"key_vault_id": true}),
		},
		"configuration": map[string]any{
			"provider_config": map[string]any{"azurerm": map[string]any{"name": "azurerm", "expressions": map[string]any{"subscription_id": refs("var.sub")}}},
			"root_module": map[string]any{
				"resources": []any{
					map[string]any{"address": "azurerm_key_vault_secret.s", "mode": "managed", "type": "azurerm_key_vault_secret", "name": "s",
						"expressions": map[string]any{"key_vault_id": refs(`module.kv["a"].id`, `module.kv["a"]`, "module.kv")}},
					map[string]any{"address": "azurerm_monitor_diagnostic_setting.d", "mode": "managed", "type": "azurerm_monitor_diagnostic_setting", "name": "d",
						"expressions": map[string]any{"target_resource_id": refs("local.kv_id")}},
					map[string]any{"address": "azurerm_key_vault_key.unlinked", "mode": "managed", "type": "azurerm_key_vault_key", "name": "unlinked",
						"expressions": map[string]any{"key_vault_id": refs("data.azurerm_key_vault.x.id", "data.azurerm_key_vault.x")}},
				},
				"module_calls": map[string]any{
					"kv": map[string]any{
						"source":              "./kv",
						"for_each_expression": refs("var.vaults"),
						"module": map[string]any{
							"outputs": map[string]any{"id": map[string]any{"expression": refs("azurerm_key_vault.this.id", "azurerm_key_vault.this")}},
							"resources": []any{map[string]any{"address": "azurerm_key_vault.this", "mode": "managed", "type": "azurerm_key_vault", "name": "this",
								"expressions": map[string]any{"name": map[string]any{"constant_value": "kv-a"}, "rbac_authorization_enabled": map[string]any{"constant_value": true}}}},
						},
					},
				},
			},
		},
	})
	docs, errs, _ := read(t, p, Options{})
	if len(errs) > 0 {
		t.Fatal(messages(errs))
	}
	if diff := cmp.Diff([]string{"azurerm_key_vault_key.unlinked", "azurerm_key_vault_secret.s", "azurerm_monitor_diagnostic_setting.d", `module.kv["a"].azurerm_key_vault.this`}, addresses(docs)); diff != "" {
		t.Errorf("addresses: %s", diff)
	}
	v := byAddress(t, docs, `module.kv["a"].azurerm_key_vault.this`)
	if v.ID != kvID || v.Source.Kind != "terraform-plan" || v.Source.StartLine == 0 {
		t.Errorf("vault id %s, source %+v", v.ID, v.Source)
	}
	if at(t, v, "properties.networkAcls") != nil {
		t.Errorf("networkAcls = %v; unconfigured Optional+Computed blocks take their default (absent)", at(t, v, "properties.networkAcls"))
	}
	if at(t, v, "properties.enableRbacAuthorization") != true {
		t.Errorf("rbac = %v, the known name wins", at(t, v, "properties.enableRbacAuthorization"))
	}
	s := byAddress(t, docs, "azurerm_key_vault_secret.s")
	if s.Parent.ID != kvID || s.ID != kvID+"/secrets/s" {
		t.Errorf("secret parent %s id %s", s.Parent.ID, s.ID)
	}
	if strings.Contains(mustJSON(t, s.Body), "plan-secret-value") || strings.Contains(mustJSON(t, s.Body), "plan-wo-value") {
		t.Error("the secret value reached a document")
	}
	if d := byAddress(t, docs, "azurerm_monitor_diagnostic_setting.d"); d.Parent.ID != "terraform:local.kv_id" {
		t.Errorf("diag parent = %s", d.Parent.ID)
	}
	if k := byAddress(t, docs, "azurerm_key_vault_key.unlinked"); k.Parent.ID != "terraform:data.azurerm_key_vault.x.id" {
		t.Errorf("unlinked parent = %s", k.Parent.ID)
	}
}

func TestPlanUnknownAttribute(t *testing.T) {
	t.Parallel()
	p := writePlan(t, map[string]any{
		"format_version": "1.2",
		"resource_changes": []any{
			change("azurerm_key_vault_secret.s", "", "azurerm_key_vault_secret", "s",
				map[string]any{"name": "s", "key_vault_id": "/subscriptions/1/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv"},
				map[string]any{"expiration_date": true}),
		},
	})
	docs, errs, _ := read(t, p, Options{})
	if len(errs) > 0 || len(docs) != 1 {
		t.Fatal(messages(errs))
	}
	if diff := cmp.Diff(resource.Unknown{Expr: "known after apply: expiration_date"}, at(t, docs[0], "attributes.expiresOn")); diff != "" {
		t.Error(diff)
	}
}

func TestPlanState(t *testing.T) {
	t.Parallel()
	p := writePlan(t, map[string]any{
		"format_version":    "1.0",
		"terraform_version": "1.9.0",
		"values": map[string]any{"root_module": map[string]any{
			"child_modules": []any{map[string]any{
				"address": "module.kv",
				"resources": []any{map[string]any{
					"address": "module.kv.azurerm_key_vault.this", "mode": "managed", "type": "azurerm_key_vault", "name": "this",
					"values": map[string]any{"id": "/subscriptions/4/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv", "name": "kv", "resource_group_name": "rg", "enable_rbac_authorization": true},
				}},
			}},
		}},
	})
	docs, errs, _ := read(t, p, Options{})
	if len(errs) > 0 || len(docs) != 1 {
		t.Fatalf("%d docs, %s", len(docs), messages(errs))
	}
	if docs[0].ID != "/subscriptions/4/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv" || docs[0].Source.StartLine == 0 {
		t.Errorf("%s %+v", docs[0].ID, docs[0].Source)
	}
}

func TestPlanBadInput(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, src, want string
		line, col       int
	}{
		{name: "syntax", src: "{\n  \"format_version\": \"1.2\",\n  \"resource_changes\": [ }\n", want: "invalid plan JSON", line: 3, col: 25},
		{name: "no format_version", src: "{\n  \"terraform_version\": \"1.9.0\",\n  \"planned_values\": {}\n}\n", want: "format version is missing", line: 1, col: 1},
		{name: "unsupported format_version", src: "{\n  \"format_version\": \"2.0\",\n  \"planned_values\": {}\n}\n", want: "unsupported plan format version", line: 2, col: 3},
		{name: "wrong type", src: "{\n  \"format_version\": \"1.2\",\n  \"resource_changes\": \"x\"\n}\n", want: "invalid Terraform plan", line: 3},
		{name: "trailing data", src: "{\"format_version\": \"1.2\"} {}", want: "after top-level value", line: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := writeTree(t, map[string]string{"plan.json": tc.src}) + "/plan.json"
			_, errs, _ := read(t, p, Options{})
			if len(errs) != 1 || !strings.Contains(errs[0].Error(), tc.want) {
				t.Fatalf("errors %q, want %q", messages(errs), tc.want)
			}
			if errs[0].Pos.Line != tc.line || (tc.col != 0 && errs[0].Pos.Col != tc.col) {
				t.Errorf("position %s, want %d:%d", errs[0].Pos, tc.line, tc.col)
			}
		})
	}
}

func TestIsPlan(t *testing.T) {
	t.Parallel()
	tests := []struct {
		head string
		want bool
	}{
		{`{"format_version":"1.2","terraform_version":"1.9.5","variables":{}`, true},
		{"\ufeff  {\n \"format_version\": \"1.0\", \"terraform_version\": \"1.9.0\", \"values\": {", true},
		{`{"terraform_version":"1.9.5","planned_values":{`, true},
		{`{"resource_changes": [`, true},
		{`{"version": 4, "terraform_version": "1.5.0", "serial": 3, "lineage": "x", "resources": []}`, false},
		{`{"value": [{"id": "/subscriptions/x"}]}`, false},
		{`[{"format_version": "1.2"}]`, false},
		{``, false},
	}
	for _, tc := range tests {
		if got := IsPlan([]byte(tc.head)); got != tc.want {
			t.Errorf("IsPlan(%q) = %v, want %v", tc.head, got, tc.want)
		}
	}
}

func TestPlanReferencePrefixes(t *testing.T) {
	t.Parallel()
	p := writePlan(t, map[string]any{
		"format_version": "1.2",
		"resource_changes": []any{
			change("azurerm_key_vault.kv", "", "azurerm_key_vault", "kv", map[string]any{"name": "kv", "resource_group_name": "rg"}, map[string]any{"id": true}),
			change("azurerm_key_vault.kv2", "", "azurerm_key_vault", "kv2", map[string]any{"name": "kv2", "resource_group_name": "rg"}, map[string]any{"id": true}),
			change("azurerm_key_vault_secret.s", "", "azurerm_key_vault_secret", "s", map[string]any{"name": "s"}, map[string]any{"key_vault_id": true}),
		},
		"configuration": map[string]any{"root_module": map[string]any{"resources": []any{
			map[string]any{"address": "azurerm_key_vault_secret.s", "mode": "managed", "type": "azurerm_key_vault_secret", "name": "s",
				"expressions": map[string]any{"key_vault_id": refs("azurerm_key_vault.kv2.id", "azurerm_key_vault.kv2")}},
		}}},
	})
	docs, errs, _ := read(t, p, Options{})
	if len(errs) > 0 {
		t.Fatal(messages(errs))
	}
	if got := byAddress(t, docs, "azurerm_key_vault_secret.s").Parent.ID; !strings.HasSuffix(got, "/vaults/kv2") {
		t.Errorf("parent = %s, want kv2", got)
	}
}

func TestPlanDeferred(t *testing.T) {
	t.Parallel()
	p := writePlan(t, map[string]any{
		"format_version": "1.2",
		"complete":       false,
		"deferred_changes": []any{map[string]any{
			"reason": "resource_config_unknown",
			"resource_change": change(`azurerm_private_endpoint.pe["*"]`, "", "azurerm_private_endpoint", "pe",
				map[string]any{"name": "pe", "resource_group_name": "rg", "private_service_connection": []any{map[string]any{"name": "c", "is_manual_connection": false,
					"private_connection_resource_id": "/subscriptions/1/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv"}}}, nil),
		}},
	})
	docs, errs, _ := read(t, p, Options{})
	if len(errs) > 0 || len(docs) != 1 {
		t.Fatalf("%d docs: %s", len(docs), messages(errs))
	}
	st, ok := at(t, docs[0], "properties.privateLinkServiceConnections.0.properties.privateLinkServiceConnectionState.status").(resource.Unknown)
	if !ok || !strings.Contains(st.Expr, "deferred") || docs[0].Source.StartLine == 0 {
		t.Errorf("status %v, source %+v", st, docs[0].Source)
	}
}

func TestPlanEncodings(t *testing.T) {
	t.Parallel()
	src := `{"format_version":"1.2","resource_changes":[` + mustJSON(t, change("azurerm_key_vault.kv", "", "azurerm_key_vault", "kv", map[string]any{"name": "kv", "resource_group_name": "rg"}, nil)) + `]}`
	utf16le := []byte{0xFF, 0xFE}
	for _, r := range src {
		utf16le = append(utf16le, byte(r), 0)
	}
	for name, data := range map[string][]byte{"utf8-bom": append([]byte{0xEF, 0xBB, 0xBF}, src...), "utf16le": utf16le} {
		if !IsPlan(data[:200]) {
			t.Errorf("%s: IsPlan false", name)
		}
		p := writeTree(t, map[string]string{"plan.json": string(data)}) + "/plan.json"
		docs, errs, _ := read(t, p, Options{})
		if len(errs) > 0 || len(docs) != 1 {
			t.Errorf("%s: %d docs, %s", name, len(docs), messages(errs))
		}
	}
}
