package terraform

import (
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kvguard/kvguard/internal/resource"
)

func addresses(docs []*resource.Document) []string {
	var out []string
	for _, d := range docs {
		out = append(out, d.Source.Address)
	}
	sort.Strings(out)
	return out
}

func TestExpansion(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		src   string
		addrs []string
		warn  string
	}{
		{
			name:  "count",
			src:   vault("kv", "count = 2\nrbac_authorization_enabled = count.index == 1"),
			addrs: []string{"azurerm_key_vault.kv[0]", "azurerm_key_vault.kv[1]"},
		},
		{name: "count zero", src: vault("kv", "count = 0"), addrs: nil},
		{name: "for_each empty", src: vault("kv", "for_each = {}"), addrs: nil},
		{
			name:  "for_each map",
			src:   vault("kv", `for_each = { prod = true, "dev.eu" = false }`+"\nrbac_authorization_enabled = each.value"),
			addrs: []string{`azurerm_key_vault.kv["dev.eu"]`, `azurerm_key_vault.kv["prod"]`},
		},
		{
			name:  "for_each set",
			src:   vault("kv", `for_each = toset(["a", "b"])`),
			addrs: []string{`azurerm_key_vault.kv["a"]`, `azurerm_key_vault.kv["b"]`},
		},
		{
			name:  "unknown count",
			src:   "variable \"n\" { type = number }\n" + vault("kv", "count = var.n"),
			addrs: []string{"azurerm_key_vault.kv[*]"},
			warn:  "count = var.n is not known before apply",
		},
		{
			name:  "unknown for_each",
			src:   "variable \"m\" { type = map(string) }\n" + vault("kv", "for_each = var.m"),
			addrs: []string{"azurerm_key_vault.kv[*]"},
			warn:  "for_each = var.m is not known before apply",
		},
		{
			name: "module count and for_each",
			src: `
module "a" {
  source   = "./m"
  for_each = toset(["x"])
  n        = each.key
}
module "b" {
  source = "./m"
  count  = 2
  n      = "b${count.index}"
}`,
			addrs: []string{`module.a["x"].azurerm_key_vault.this`, "module.b[0].azurerm_key_vault.this", "module.b[1].azurerm_key_vault.this"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := writeTree(t, map[string]string{
				"main.tf":   tc.src,
				"m/main.tf": "variable \"n\" {}\nresource \"azurerm_key_vault\" \"this\" {\n name = var.n\n resource_group_name = \"rg\"\n}\n",
			})
			docs, errs, warns := read(t, dir, Options{})
			if len(errs) > 0 {
				t.Fatal(messages(errs))
			}
			if diff := cmp.Diff(tc.addrs, addresses(docs)); diff != "" {
				t.Errorf("addresses (-want +got):\n%s", diff)
			}
			if tc.warn != "" && !strings.Contains(messages(warns), tc.warn) {
				t.Errorf("warnings %q do not say %q", messages(warns), tc.warn)
			}
		})
	}
}

func TestCountIndexInBody(t *testing.T) {
	t.Parallel()
	docs := readHCL(t, vault("kv", "count = 2\nrbac_authorization_enabled = count.index == 1"))
	if at(t, byAddress(t, docs, "azurerm_key_vault.kv[0]"), "properties.enableRbacAuthorization") != false ||
		at(t, byAddress(t, docs, "azurerm_key_vault.kv[1]"), "properties.enableRbacAuthorization") != true {
		t.Error("count.index not applied per instance")
	}
}

func TestDynamicBlocks(t *testing.T) {
	t.Parallel()
	docs := readHCL(t, `
variable "acls" {
  type = list(object({ action = string }))
  default = [{ action = "Deny" }]
}
variable "unknown" {}
`+vault("on", `dynamic "network_acls" {
  for_each = var.acls
  iterator = acl
  content {
    bypass         = "None"
    default_action = acl.value.action
  }
}`)+vault("off", `dynamic "network_acls" {
  for_each = []
  content {
    bypass = "None"
    default_action = "Deny"
  }
}`)+vault("unk", `dynamic "network_acls" {
  for_each = var.unknown
  content {
    bypass = "None"
    default_action = "Deny"
  }
}`)+`
resource "azurerm_monitor_diagnostic_setting" "d" {
  name               = "d"
  target_resource_id = azurerm_key_vault.on.id
  dynamic "enabled_log" {
    for_each = toset(["AuditEvent", "AzurePolicyEvaluationDetails"])
    content {
      category = enabled_log.value
    }
  }
}`)
	if got := at(t, byAddress(t, docs, "azurerm_key_vault.on"), "properties.networkAcls.defaultAction"); got != "Deny" {
		t.Errorf("on: defaultAction = %v", got)
	}
	if got := at(t, byAddress(t, docs, "azurerm_key_vault.off"), "properties.networkAcls"); got != nil {
		t.Errorf("off: networkAcls = %v, want absent", got)
	}
	u, ok := at(t, byAddress(t, docs, "azurerm_key_vault.unk"), "properties.networkAcls").(resource.Unknown)
	if !ok || !strings.Contains(u.Expr, "var.unknown") {
		t.Errorf("unk: networkAcls = %v, want Unknown naming var.unknown", u)
	}
	logs, _ := at(t, byAddress(t, docs, "azurerm_monitor_diagnostic_setting.d"), "properties.logs").([]any)
	if len(logs) != 2 {
		t.Errorf("logs = %v", logs)
	}
}

func TestModules(t *testing.T) {
	t.Parallel()
	dir := writeTree(t, map[string]string{
		"main.tf": `
locals {
  env = "prod"
}
module "kv" {
  source = "./modules/kv"
  name   = "kv-${local.env}"
  net    = { default_action = "Deny" }
}
module "secrets" {
  source   = "./modules/secret"
  for_each = { a = "2027-01-01T00:00:00Z", b = null }
  vault_id = module.kv.vault.id
  name     = each.key
  expiry   = each.value
}
resource "azurerm_key_vault_key" "k" {
  name         = "k"
  key_vault_id = module.kv.id
  key_type     = "RSA"
}
resource "azurerm_key_vault_secret" "uri" {
  name         = "uri"
  key_vault_id = module.kv.id
  value        = module.kv.uri
  content_type = module.kv.uri
}`,
		"modules/kv/main.tf": `
variable "name" { type = string }
variable "net" {
  type = object({
    bypass         = optional(string, "AzureServices")
    default_action = string
  })
}
resource "azurerm_key_vault" "this" {
  name                = var.name
  resource_group_name = "rg"
  location            = "westeurope"
  network_acls {
    bypass         = var.net.bypass
    default_action = var.net.default_action
  }
}
output "id" { value = azurerm_key_vault.this.id }
output "vault" { value = azurerm_key_vault.this }
output "uri" { value = azurerm_key_vault.this.vault_uri }`,
		"modules/secret/main.tf": `
variable "vault_id" {}
variable "name" {}
variable "expiry" { default = null }
resource "azurerm_key_vault_secret" "this" {
  name            = var.name
  key_vault_id    = var.vault_id
  value           = "x"
  expiration_date = var.expiry
}`,
	})
	docs, errs, _ := read(t, dir, Options{})
	if len(errs) > 0 {
		t.Fatal(messages(errs))
	}
	const id = "/subscriptions/{subscription}/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv-prod"
	v := byAddress(t, docs, "module.kv.azurerm_key_vault.this")
	if v.ID != id || at(t, v, "properties.networkAcls.bypass") != "AzureServices" || at(t, v, "properties.networkAcls.defaultAction") != "Deny" {
		t.Errorf("vault: %s %v", v.ID, v.Body["properties"])
	}
	if filepath.Base(filepath.Dir(v.Source.File)) != "kv" {
		t.Errorf("vault file = %s", v.Source.File)
	}
	for _, addr := range []string{`module.secrets["a"].azurerm_key_vault_secret.this`, `module.secrets["b"].azurerm_key_vault_secret.this`, "azurerm_key_vault_key.k"} {
		if d := byAddress(t, docs, addr); d.Parent.ID != id {
			t.Errorf("%s parent = %q", addr, d.Parent.ID)
		}
	}
	if got := at(t, byAddress(t, docs, `module.secrets["a"].azurerm_key_vault_secret.this`), "attributes.expiresOn"); got != "2027-01-01T00:00:00Z" {
		t.Errorf("a expiry = %v", got)
	}
	if got := at(t, byAddress(t, docs, `module.secrets["b"].azurerm_key_vault_secret.this`), "attributes.expiresOn"); got != nil {
		t.Errorf("b expiry = %v, want absent", got)
	}
	ct, _ := at(t, byAddress(t, docs, "azurerm_key_vault_secret.uri"), "contentType").(resource.Unknown)
	if !strings.Contains(ct.Expr, "module.kv.azurerm_key_vault.this.vault_uri") {
		t.Errorf("contentType = %v, want an unknown from the module's vault_uri", ct)
	}
}

func TestUnknownOrigins(t *testing.T) {
	t.Parallel()
	dir := writeTree(t, map[string]string{
		"main.tf": `
variable "key_expiry" { type = string }
module "k" {
  source = "./k"
  expiry = var.key_expiry
}`,
		"k/main.tf": `
variable "expiry" {}
variable "missing" {}
locals { e = var.expiry }
resource "azurerm_key_vault_key" "this" {
  name            = "k"
  key_vault_id    = var.missing
  key_type        = "RSA"
  expiration_date = local.e
}`,
	})
	docs, errs, _ := read(t, dir, Options{})
	if len(errs) > 0 {
		t.Fatal(messages(errs))
	}
	k := byAddress(t, docs, "module.k.azurerm_key_vault_key.this")
	if diff := cmp.Diff(resource.Unknown{Expr: "local.e (from var.key_expiry)"}, at(t, k, "attributes.expiresOn")); diff != "" {
		t.Errorf("expiresOn: %s", diff)
	}
	if k.Parent.ID != "terraform:module.k.var.missing" {
		t.Errorf("parent = %q", k.Parent.ID)
	}
}

func TestVariablePrecedence(t *testing.T) {
	t.Parallel()
	dir := writeTree(t, map[string]string{
		"main.tf": `
variable "a" { default = "default" }
variable "b" { default = "default" }
variable "c" { default = "default" }
variable "d" { default = "default" }
variable "e" { default = "default" }
variable "f" { default = "default" }
variable "tags" {
  type    = map(string)
  default = {}
}
resource "azurerm_key_vault" "kv" {
  name                = "kv"
  resource_group_name = "rg"
  tags = merge(var.tags, { a = var.a, b = var.b, c = var.c, d = var.d, e = var.e, f = var.f })
}`,
		"terraform.tfvars":      "a = \"tfvars\"\nb = \"tfvars\"\nc = \"tfvars\"\nd = \"tfvars\"\ne = \"tfvars\"\n",
		"terraform.tfvars.json": `{"b": "tfvars.json", "c": "tfvars.json", "d": "tfvars.json", "e": "tfvars.json"}`,
		"a.auto.tfvars":         "c = \"a.auto\"\nd = \"a.auto\"\ne = \"a.auto\"\n",
		"b.auto.tfvars.json":    `{"d": "b.auto", "e": "b.auto"}`,
		"extra.tfvars":          "e = \"var-file\"\nf = \"var-file\"\n",
	})
	docs, errs, _ := read(t, dir, Options{
		VarFiles: []string{filepath.Join(dir, "extra.tfvars")},
		Vars:     map[string]string{"f": "var-flag", "tags": `{ team = "kv" }`, "undeclared": "ignored"},
	})
	if len(errs) > 0 {
		t.Fatal(messages(errs))
	}
	want := map[string]any{"a": "tfvars", "b": "tfvars.json", "c": "a.auto", "d": "b.auto", "e": "var-file", "f": "var-flag", "team": "kv"}
	if diff := cmp.Diff(want, byAddress(t, docs, "azurerm_key_vault.kv").Body["tags"]); diff != "" {
		t.Errorf("tags (-want +got):\n%s", diff)
	}
}

func TestVarFileMissing(t *testing.T) {
	t.Parallel()
	dir := writeTree(t, map[string]string{"main.tf": vault("kv", "")})
	docs, errs, _ := read(t, dir, Options{VarFiles: []string{filepath.Join(dir, "nope.tfvars")}})
	if len(docs) != 1 || len(errs) != 1 || !strings.Contains(errs[0].Pos.File, "nope.tfvars") {
		t.Errorf("docs %d, errs %v", len(docs), messages(errs))
	}
}

func TestBadInput(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		files map[string]string
		want  string // substring of an error
		line  int    // its line
		docs  int    // documents still produced
	}{
		{
			name:  "invalid HCL, other files read",
			files: map[string]string{"a.tf": "resource \"azurerm_key_vault\" \"x\" {\n  name = \n}\n", "b.tf": vault("kv", "")},
			want:  "a.tf:2", line: 2, docs: 1,
		},
		{
			name:  "cycle in locals",
			files: map[string]string{"main.tf": "locals {\n  a = local.b\n  b = local.c\n  c = local.a\n}\n" + vault("kv", "tags = { x = local.a }")},
			want:  "cycle: local.", docs: 1,
		},
		{
			name:  "module calls itself",
			files: map[string]string{"main.tf": "module \"m\" {\n  source = \"./m\"\n}\n", "m/main.tf": "module \"again\" {\n  source = \"../m\"\n}\n" + vault("kv", "")},
			want:  "module.m.module.again: module cycle: ", line: 2, docs: 1,
		},
		{
			name:  "missing module directory",
			files: map[string]string{"main.tf": "module \"m\" {\n  source = \"./nowhere\"\n}\n" + vault("kv", "")},
			want:  "does not exist", line: 2, docs: 1,
		},
		{
			name:  "malformed suppression",
			files: map[string]string{"main.tf": "# kvguard:ignore\n" + vault("kv", "")},
			want:  "needs a recommendation id", line: 1, docs: 1,
		},
		{
			name:  "bad suppression date",
			files: map[string]string{"main.tf": "# kvguard:ignore keyvault-rbac exp:2027-13-45\n" + vault("kv", "")},
			want:  "exp:YYYY-MM-DD", line: 1, docs: 1,
		},
		{
			name:  "duplicate resource",
			files: map[string]string{"main.tf": vault("kv", "") + vault("kv", "")},
			want:  "duplicate resource", line: 9, docs: 1,
		},
		{
			name:  "for_each over a list",
			files: map[string]string{"main.tf": vault("kv", `for_each = ["a"]`)},
			want:  "use toset()", docs: 1,
		},
		{
			name:  "invalid JSON configuration",
			files: map[string]string{"main.tf.json": `{"resource": {"azurerm_key_vault": {"kv": {"name": }}}}`},
			want:  "main.tf.json:1", line: 1,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			docs, errs, _ := read(t, writeTree(t, tc.files), Options{})
			var hit *resource.InputError
			for _, e := range errs {
				if strings.Contains(e.Error(), tc.want) {
					hit = e
				}
			}
			if hit == nil {
				t.Fatalf("errors %q do not contain %q", messages(errs), tc.want)
			}
			if hit.Pos.Line == 0 || hit.Pos.Col == 0 || (tc.line != 0 && hit.Pos.Line != tc.line) {
				t.Errorf("position %s, want line %d", hit.Pos, tc.line)
			}
			if len(docs) != tc.docs {
				t.Errorf("%d documents, want %d", len(docs), tc.docs)
			}
		})
	}
}

func TestRegistryModules(t *testing.T) {
	t.Parallel()
	dir := writeTree(t, map[string]string{
		"main.tf": `
module "naming" {
  source  = "Azure/naming/azurerm"
  version = "0.4.3"
}
module "kv" {
  source  = "Azure/avm-res-keyvault-vault/azurerm"
  version = "0.9.0"
  name    = module.naming.key_vault.name_unique
}`,
		".terraform/modules/modules.json": `{"Modules":[{"Key":"","Source":"","Dir":"."},{"Key":"kv","Source":"registry.terraform.io/Azure/avm-res-keyvault-vault/azurerm","Version":"0.9.0","Dir":".terraform/modules/kv"}]}`,
		".terraform/modules/kv/main.tf": "variable \"name\" {}\n" + `resource "azurerm_key_vault" "this" {
  name                = var.name
  resource_group_name = "rg"
  location            = "westeurope"
  sku_name            = "standard"
  tenant_id           = "00000000-0000-0000-0000-000000000001"
  rbac_authorization_enabled = true
}`,
	})
	docs, errs, warns := read(t, dir, Options{})
	if len(errs) > 0 {
		t.Fatal(messages(errs))
	}
	d := byAddress(t, docs, "module.kv.azurerm_key_vault.this")
	if d.ID != "terraform:module.kv.azurerm_key_vault.this" {
		t.Errorf("id = %s", d.ID)
	}
	if len(warns) != 1 || !strings.Contains(warns[0].Error(), "module.naming") || !strings.Contains(warns[0].Error(), "not followed") {
		t.Errorf("warnings = %q", messages(warns))
	}
}

func TestSuppressions(t *testing.T) {
	t.Parallel()
	dir := writeTree(t, map[string]string{
		"main.tf": `# unrelated comment

# kvguard:ignore keyvault-rbac "legacy app" exp:2027-01-31
// kvguard:ignore keyvault-firewall private by other means
` + vault("a", "") + `
resource "azurerm_key_vault" "b" { # kvguard:ignore keyvault-soft-delete
  name = "b"
  resource_group_name = "rg"
}

# kvguard:ignore keyvault-private-link not for c: a blank line separates it

resource "azurerm_key_vault" "c" {
  name = "c"
  resource_group_name = "rg"
  tags = { note = "kvguard:ignore keyvault-rbac inside a string is no comment" }
}`,
		"d.tf.json": `{"resource": {"azurerm_key_vault": {"d": {"//": "kvguard:ignore keyvault-rbac generated", "name": "d", "resource_group_name": "rg"}}}}`,
	})
	docs, errs, _ := read(t, dir, Options{})
	if len(errs) > 0 {
		t.Fatal(messages(errs))
	}
	rules := func(addr string) []string {
		var out []string
		for _, s := range byAddress(t, docs, addr).Suppressions {
			out = append(out, s.RuleID+"|"+s.Reason+"|"+s.Pos.String()[len(dir):])
		}
		sort.Strings(out)
		return out
	}
	sep := string(filepath.Separator)
	if diff := cmp.Diff([]string{"keyvault-firewall|private by other means|" + sep + "main.tf:4:1", "keyvault-rbac|legacy app|" + sep + "main.tf:3:1"}, rules("azurerm_key_vault.a")); diff != "" {
		t.Errorf("a: %s", diff)
	}
	a := byAddress(t, docs, "azurerm_key_vault.a")
	for _, s := range a.Suppressions {
		if s.RuleID == "keyvault-rbac" && s.Expires.Format("2006-01-02") != "2027-01-31" {
			t.Errorf("expiry = %v", s.Expires)
		}
	}
	if diff := cmp.Diff([]string{"keyvault-soft-delete||" + sep + "main.tf:14:36"}, rules("azurerm_key_vault.b")); diff != "" {
		t.Errorf("b: %s", diff)
	}
	if got := rules("azurerm_key_vault.c"); len(got) != 0 {
		t.Errorf("c: %v, want none", got)
	}
	if got := rules("azurerm_key_vault.d"); len(got) != 1 || !strings.HasPrefix(got[0], "keyvault-rbac|generated|") {
		t.Errorf("d: %v", got)
	}
}

func TestFileFunctions(t *testing.T) {
	t.Parallel()
	outside := writeTree(t, map[string]string{"secret.txt": "outside"})
	dir := writeTree(t, map[string]string{
		"main.tf": `
module "m" {
  source = "./m"
}
resource "azurerm_key_vault" "kv" {
  name                = trimspace(file("name.txt"))
  resource_group_name = "rg"
  tags = {
    outside = file("` + filepath.ToSlash(filepath.Join(outside, "secret.txt")) + `")
    tmpl    = templatefile("${path.module}/t.tftpl", { env = "prod" })
  }
}`,
		"name.txt": "kv-from-file\n",
		"t.tftpl":  "env=${env}",
		"m/main.tf": `resource "azurerm_key_vault" "kv" {
  name                = file("${path.module}/n.txt")
  resource_group_name = "rg"
}`,
		"m/n.txt": "kv-module",
	})
	docs, errs, _ := read(t, dir, Options{})
	if len(errs) > 0 {
		t.Fatal(messages(errs))
	}
	d := byAddress(t, docs, "azurerm_key_vault.kv")
	if d.Name != "kv-from-file" || at(t, d, "tags.tmpl") != "env=prod" {
		t.Errorf("name %q, tags %v", d.Name, d.Body["tags"])
	}
	if _, ok := at(t, d, "tags.outside").(resource.Unknown); !ok {
		t.Errorf("a file outside the tree was read: %v", at(t, d, "tags.outside"))
	}
	if got := byAddress(t, docs, "module.m.azurerm_key_vault.kv").Name; got != "kv-module" {
		t.Errorf("module file: %q", got)
	}
}

func TestUnknownFunction(t *testing.T) {
	t.Parallel()
	dir := writeTree(t, map[string]string{"main.tf": vault("kv", "rbac_authorization_enabled = provider::azurerm::rbac_default()\ntags = { a = nosuchfunc(1) }")})
	docs, errs, warns := read(t, dir, Options{})
	if len(errs) > 0 {
		t.Fatal(messages(errs))
	}
	if len(warns) != 2 || !strings.Contains(messages(warns), "main.tf:7:") {
		t.Errorf("warnings = %q", messages(warns))
	}
	if _, ok := at(t, docs[0], "properties.enableRbacAuthorization").(resource.Unknown); !ok {
		t.Errorf("rbac = %v, want unknown", at(t, docs[0], "properties.enableRbacAuthorization"))
	}
}

func TestSingleFilePath(t *testing.T) {
	t.Parallel()
	dir := writeTree(t, map[string]string{"main.tf": vault("kv", ""), "other.tf": vault("kv2", "")})
	docs, errs, _ := read(t, filepath.Join(dir, "main.tf"), Options{})
	if len(errs) > 0 || len(docs) != 2 {
		t.Errorf("docs %d errs %s: a .tf file means its directory", len(docs), messages(errs))
	}
}

func TestProviderSubscriptions(t *testing.T) {
	t.Parallel()
	dir := writeTree(t, map[string]string{
		"main.tf": `
variable "sub" { default = "11111111-1111-1111-1111-111111111111" }
provider "azurerm" {
  features {}
  subscription_id = var.sub
}
provider "azurerm" {
  alias           = "west"
  features {}
  subscription_id = "22222222-2222-2222-2222-222222222222"
}
resource "azurerm_key_vault" "default" {
  name                = "kv-default"
  resource_group_name = "rg"
}
resource "azurerm_key_vault" "west" {
  provider            = azurerm.west
  name                = "kv-west"
  resource_group_name = "rg"
}
module "inherit" {
  source = "./m"
}
module "passed" {
  source    = "./m"
  providers = { azurerm = azurerm.west }
}`,
		"m/main.tf": `resource "azurerm_key_vault" "this" {
  name                = "kv-m"
  resource_group_name = "rg-m"
}`,
	})
	docs, errs, _ := read(t, dir, Options{})
	if len(errs) > 0 {
		t.Fatal(messages(errs))
	}
	for addr, sub := range map[string]string{
		"azurerm_key_vault.default":             "11111111-1111-1111-1111-111111111111",
		"azurerm_key_vault.west":                "22222222-2222-2222-2222-222222222222",
		"module.inherit.azurerm_key_vault.this": "11111111-1111-1111-1111-111111111111",
		"module.passed.azurerm_key_vault.this":  "22222222-2222-2222-2222-222222222222",
	} {
		if id := byAddress(t, docs, addr).ID; !strings.HasPrefix(id, "/subscriptions/"+sub+"/") {
			t.Errorf("%s: id %s, want subscription %s", addr, id, sub)
		}
	}
}

func TestJSONConfiguration(t *testing.T) {
	t.Parallel()
	dir := writeTree(t, map[string]string{
		"main.tf.json": `{
  "variable": {"env": {"default": "prod"}},
  "resource": {
    "azurerm_key_vault": {
      "kv": {
        "name": "kv-${var.env}",
        "resource_group_name": "rg",
        "rbac_authorization_enabled": true,
        "network_acls": {"bypass": "None", "default_action": "Deny", "ip_rules": ["1.2.3.4"]}
      }
    },
    "azurerm_key_vault_secret": {
      "s": {"name": "s", "key_vault_id": "${azurerm_key_vault.kv.id}", "value": "x", "expiration_date": "2027-01-01T00:00:00Z"}
    }
  }
}`,
	})
	docs, errs, _ := read(t, dir, Options{})
	if len(errs) > 0 {
		t.Fatal(messages(errs))
	}
	v := byAddress(t, docs, "azurerm_key_vault.kv")
	if v.Name != "kv-prod" || at(t, v, "properties.networkAcls.defaultAction") != "Deny" || at(t, v, "properties.enableRbacAuthorization") != true {
		t.Errorf("vault: %s %v", v.Name, v.Body["properties"])
	}
	if v.Source.EndLine <= v.Source.StartLine {
		t.Errorf("line range %d-%d", v.Source.StartLine, v.Source.EndLine)
	}
	if s := byAddress(t, docs, "azurerm_key_vault_secret.s"); s.Parent.ID != v.ID {
		t.Errorf("secret parent %s", s.Parent.ID)
	}
}

func TestLegacyVaultURI(t *testing.T) {
	t.Parallel()
	docs := readHCL(t, `resource "azurerm_key_vault_secret" "s" {
  name      = "s"
  vault_uri = "https://kv-old.vault.azure.net/"
  value     = "x"
}`)
	s := byAddress(t, docs, "azurerm_key_vault_secret.s")
	if s.Parent.Host != "kv-old.vault.azure.net" || s.ID != "https://kv-old.vault.azure.net/secrets/s" {
		t.Errorf("parent %+v id %s", s.Parent, s.ID)
	}
}

func TestMaybeExisting(t *testing.T) {
	t.Parallel()
	docs := readHCL(t, `variable "n" { type = number }
`+vault("kv", "")+`
resource "azurerm_private_endpoint" "pe" {
  count               = var.n
  name                = "pe"
  resource_group_name = "rg"
  private_service_connection {
    name                           = "c"
    private_connection_resource_id = azurerm_key_vault.kv.id
    is_manual_connection           = false
  }
}
resource "azurerm_monitor_diagnostic_setting" "d" {
  count              = var.n
  name               = "d"
  target_resource_id = azurerm_key_vault.kv.id
  enabled_log {
    category = "AuditEvent"
  }
}`)
	pe := byAddress(t, docs, "azurerm_private_endpoint.pe[*]")
	st, ok := at(t, pe, "properties.privateLinkServiceConnections.0.properties.privateLinkServiceConnectionState.status").(resource.Unknown)
	if !ok || !strings.Contains(st.Expr, "not known before apply") {
		t.Errorf("status = %v: an endpoint that may not exist proves no approved connection", st)
	}
	if _, ok := at(t, byAddress(t, docs, "azurerm_monitor_diagnostic_setting.d[*]"), "properties.logs").(resource.Unknown); !ok {
		t.Error("logs of a setting that may not exist should be unknown")
	}
}

func TestUnusedLocalCycle(t *testing.T) {
	t.Parallel()
	_, errs, _ := read(t, writeTree(t, map[string]string{"main.tf": "locals {\n  a = local.b\n  b = \"${local.a}-x\"\n}\n"}), Options{})
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "main.tf:2:3: cycle: local.a → local.b → local.a") {
		t.Errorf("errors = %q", messages(errs))
	}
}
