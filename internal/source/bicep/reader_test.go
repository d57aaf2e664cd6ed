package bicep

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/kvguard/kvguard/internal/resource"
)

const (
	rg      = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/kvguard-rg/providers/"
	otherRG = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/other-rg/providers/"
)

// noCache is a Bicep restore cache that holds nothing.
const noCache = "/nonexistent/kvguard-test-bicep-cache"

// writeFiles writes a set of files into a temporary folder and returns
// its path.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// readAll reads path with opts and returns the documents and problems.
func readAll(t *testing.T, path string, opts Options) ([]*resource.Document, []*resource.InputError) {
	t.Helper()
	var docs []*resource.Document
	err := New(opts).Read(t.Context(), path, func(d *resource.Document) { docs = append(docs, d) })
	return docs, inputErrors(t, err)
}

func inputErrors(t *testing.T, err error) []*resource.InputError {
	t.Helper()
	var out []*resource.InputError
	for _, e := range unjoin(err) {
		if e == nil {
			continue
		}
		var ie *resource.InputError
		if !errors.As(e, &ie) {
			t.Fatalf("error %v is not an *resource.InputError", e)
		}
		out = append(out, ie)
	}
	return out
}

// summary is what the reader tests compare of a document.
type summary struct {
	Address string
	ID      string
	Type    string
	Parent  string
	Lines   [2]int
	Fields  map[string]any
}

// summarize reduces documents to their address, ID, type, parent, line
// range and the body fields asked for (dotted paths).
func summarize(docs []*resource.Document, fields ...string) []summary {
	var out []summary
	for _, d := range docs {
		s := summary{Address: d.Source.Address, ID: strings.TrimPrefix(d.ID, rg), Type: d.Type,
			Parent: strings.TrimPrefix(d.Parent.ID, rg), Lines: [2]int{d.Source.StartLine, d.Source.EndLine}}
		for _, f := range fields {
			if v, ok := d.Get(strings.Split(f, ".")...); ok {
				if s.Fields == nil {
					s.Fields = map[string]any{}
				}
				if u, ok := v.(resource.Unknown); ok {
					v = "unknown: " + u.Expr
				}
				s.Fields[f] = v
			}
		}
		out = append(out, s)
	}
	return out
}

func messages(errs []*resource.InputError, dir string) []string {
	var out []string
	for _, e := range errs {
		m := strings.ReplaceAll(e.Error(), dir+string(filepath.Separator), "")
		if e.Warning {
			m = "warning: " + m
		}
		out = append(out, m)
	}
	return out
}

func TestReadDocuments(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		files    map[string]string
		main     string
		opts     Options
		fields   []string
		want     []summary
		wantErrs []string
	}{
		{
			name: "vault defaults by API version",
			files: map[string]string{"main.bicep": `resource old 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: 'old'
  location: 'westeurope'
  properties: {
    tenantId: subscription().tenantId
    sku: { family: 'A', name: 'standard' }
  }
}
resource new 'Microsoft.KeyVault/vaults@2026-02-01' = {
  name: 'new'
  location: 'westeurope'
  properties: {
    tenantId: subscription().tenantId
    sku: { family: 'A', name: 'standard' }
  }
}
`},
			fields: []string{"properties.enableRbacAuthorization", "properties.enableSoftDelete", "properties.publicNetworkAccess"},
			want: []summary{
				{Address: "old", ID: "Microsoft.KeyVault/vaults/old", Type: resource.TypeVault, Lines: [2]int{1, 8},
					Fields: map[string]any{"properties.enableRbacAuthorization": false, "properties.enableSoftDelete": true, "properties.publicNetworkAccess": "Enabled"}},
				{Address: "new", ID: "Microsoft.KeyVault/vaults/new", Type: resource.TypeVault, Lines: [2]int{9, 16},
					Fields: map[string]any{"properties.enableRbacAuthorization": true, "properties.enableSoftDelete": true, "properties.publicNetworkAccess": "Enabled"}},
			},
		},
		{
			name: "nested, parent and looped secrets",
			files: map[string]string{"main.bicep": `param names array = ['a', 'b']
resource kv 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: 'kv1'
  properties: {}
  resource nested 'secrets' = {
    name: 'nested'
    properties: {
      attributes: { exp: dateTimeToEpoch(dateTimeAdd(utcNow(), 'P90D')) }
    }
  }
  resource looped 'secrets' = [for (n, i) in names: {
    name: '${n}-${i}'
    properties: { attributes: { exp: 1767225600 } }
  }]
}
resource withParent 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: kv
  name: 'p'
  properties: { value: 'never read' }
}
`},
			fields: []string{"attributes.expiresOn", "value", "properties.value"},
			want: []summary{
				{Address: "kv", ID: "Microsoft.KeyVault/vaults/kv1", Type: resource.TypeVault, Lines: [2]int{2, 15}},
				{Address: "kv::nested", ID: "Microsoft.KeyVault/vaults/kv1/secrets/nested", Type: resource.TypeSecret, Parent: "Microsoft.KeyVault/vaults/kv1", Lines: [2]int{5, 10},
					Fields: map[string]any{"attributes.expiresOn": "unknown: dateTimeToEpoch(dateTimeAdd(utcNow(), 'P90D'))"}},
				{Address: "kv::looped[0]", ID: "Microsoft.KeyVault/vaults/kv1/secrets/a-0", Type: resource.TypeSecret, Parent: "Microsoft.KeyVault/vaults/kv1", Lines: [2]int{11, 14},
					Fields: map[string]any{"attributes.expiresOn": "2026-01-01T00:00:00Z"}},
				{Address: "kv::looped[1]", ID: "Microsoft.KeyVault/vaults/kv1/secrets/b-1", Type: resource.TypeSecret, Parent: "Microsoft.KeyVault/vaults/kv1", Lines: [2]int{11, 14},
					Fields: map[string]any{"attributes.expiresOn": "2026-01-01T00:00:00Z"}},
				{Address: "withParent", ID: "Microsoft.KeyVault/vaults/kv1/secrets/p", Type: resource.TypeSecret, Parent: "Microsoft.KeyVault/vaults/kv1", Lines: [2]int{16, 20}},
			},
		},
		{
			name: "symbolic references, conditions and existing",
			files: map[string]string{"main.bicep": `param deploy bool = false
resource kv 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: 'shared'
  scope: resourceGroup('other-rg')
}
resource skipped 'Microsoft.KeyVault/vaults@2023-07-01' = if (deploy) {
  name: 'skipped'
}
resource diag 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'audit'
  scope: kv
  properties: {
    vaultId: kv.id
    vaultName: kv.name
    vaultUri: kv.properties.vaultUri
    fallback: kv.?tags ?? 'none'
    logs: [ { categoryGroup: 'audit', enabled: true } ]
  }
}
`},
			fields: []string{"properties.vaultId", "properties.vaultName", "properties.vaultUri"},
			want: []summary{
				// An existing vault is reported with its declaration: a
				// placeholder whose properties are not in the input.
				{Address: "kv", ID: "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/other-rg/providers/Microsoft.KeyVault/vaults/shared",
					Type: resource.TypeVault, Lines: [2]int{2, 5}},
				{Address: "diag", ID: "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/other-rg/providers/Microsoft.KeyVault/vaults/shared/providers/Microsoft.Insights/diagnosticSettings/audit",
					Type: resource.TypeDiagnosticSetting, Parent: "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/other-rg/providers/Microsoft.KeyVault/vaults/shared", Lines: [2]int{9, 19},
					Fields: map[string]any{
						"properties.vaultId":   "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/other-rg/providers/Microsoft.KeyVault/vaults/shared",
						"properties.vaultName": "shared", "properties.vaultUri": "unknown: kv.properties.vaultUri",
					}},
			},
		},
		{
			name: "local module and registry module",
			files: map[string]string{
				"main.bicep": `module vaults 'modules/vault.bicep' = [for n in ['x', 'y']: {
  name: 'deploy-${n}'
  params: { vaultName: 'kv-${n}' }
}]
module avm 'br/public:avm/res/key-vault/vault:0.11.0' = {
  name: 'avm'
  params: { name: 'kv-avm' }
}
output uri string = vaults[0].outputs.uri
`,
				"modules/vault.bicep": `param vaultName string
resource kv 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: vaultName
  properties: { enableRbacAuthorization: true }
}
output uri string = kv.properties.vaultUri
`},
			fields: []string{"properties.enableRbacAuthorization"},
			want: []summary{
				{Address: "vaults[0]::kv", ID: "Microsoft.KeyVault/vaults/kv-x", Type: resource.TypeVault, Lines: [2]int{2, 5}, Fields: map[string]any{"properties.enableRbacAuthorization": true}},
				{Address: "vaults[1]::kv", ID: "Microsoft.KeyVault/vaults/kv-y", Type: resource.TypeVault, Lines: [2]int{2, 5}, Fields: map[string]any{"properties.enableRbacAuthorization": true}},
			},
			wantErrs: []string{"warning: main.bicep:5:12: registry module br/public:avm/res/key-vault/vault:0.11.0 not followed: not in the Bicep restore cache; run bicep restore to read it; what it deploys for the vaults it is handed is unknown"},
		},
		{
			name: "bicepparam beside the file",
			files: map[string]string{
				"main.bicep": `param vaultName string
@secure()
param adminKey string
param rbac bool = false
resource kv 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: vaultName
  properties: { enableRbacAuthorization: rbac, tag: adminKey }
}
`,
				"main.bicepparam": `using './main.bicep'
var env = 'prod'
param vaultName = 'kv-${env}'
param rbac = true
param adminKey = 'not read'
`},
			fields: []string{"properties.enableRbacAuthorization", "properties.tag"},
			want: []summary{{Address: "kv", ID: "Microsoft.KeyVault/vaults/kv-prod", Type: resource.TypeVault, Lines: [2]int{5, 8},
				Fields: map[string]any{"properties.enableRbacAuthorization": true, "properties.tag": "unknown: adminKey"}}},
		},
		{
			name: "a bicepparam file given directly",
			files: map[string]string{
				"infra/main.bicep": "param n string\nresource kv 'Microsoft.KeyVault/vaults@2023-07-01' = {\n  name: n\n}\n",
				"prod.bicepparam":  "using 'infra/main.bicep'\nparam n = 'kv-prod'\n",
			},
			main: "prod.bicepparam",
			want: []summary{{Address: "kv", ID: "Microsoft.KeyVault/vaults/kv-prod", Type: resource.TypeVault, Lines: [2]int{2, 4}}},
		},
		{
			name: "bicepparam extends a base file",
			files: map[string]string{
				"main.bicep":      "param n string\nparam env string\nresource kv 'Microsoft.KeyVault/vaults@2023-07-01' = {\n  name: '${n}-${env}'\n}\n",
				"base.bicepparam": "using none\nparam n = 'kv'\nparam env = 'dev'\n",
				"main.bicepparam": "using './main.bicep'\nextends 'base.bicepparam'\nparam env = 'prod'\n",
			},
			want: []summary{{Address: "kv", ID: "Microsoft.KeyVault/vaults/kv-prod", Type: resource.TypeVault, Lines: [2]int{3, 5}}},
		},
		{
			name: "ARM parameters file beside the Bicep file",
			files: map[string]string{
				"main.bicep":           "param n string\nresource kv 'Microsoft.KeyVault/vaults@2023-07-01' = {\n  name: n\n}\n",
				"main.parameters.json": `{"parameters": {"n": {"value": "kv-json"}}}`,
			},
			want: []summary{{Address: "kv", ID: "Microsoft.KeyVault/vaults/kv-json", Type: resource.TypeVault, Lines: [2]int{2, 4}}},
		},
		{
			name: "resource-typed parameter",
			files: map[string]string{"main.bicep": `param vault resource 'Microsoft.KeyVault/vaults@2023-07-01' = '/subscriptions/s/resourceGroups/r/providers/Microsoft.KeyVault/vaults/kvp'
resource s 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  name: '${vault.name}/s'
  properties: { contentType: vault.type }
}
`},
			fields: []string{"contentType"},
			want: []summary{{Address: "s", ID: "Microsoft.KeyVault/vaults/kvp/secrets/s", Type: resource.TypeSecret, Parent: "Microsoft.KeyVault/vaults/kvp", Lines: [2]int{2, 5},
				Fields: map[string]any{"contentType": "Microsoft.KeyVault/vaults"}}},
		},
		{
			name: "a module calling itself",
			files: map[string]string{
				"main.bicep": "module self 'main.bicep' = {\n  name: 'again'\n}\nresource kv 'Microsoft.KeyVault/vaults@2023-07-01' = {\n  name: 'kv'\n}\n",
			},
			want: []summary{
				{Address: "kv", ID: "Microsoft.KeyVault/vaults/kv", Type: resource.TypeVault, Lines: [2]int{4, 6}},
			},
			wantErrs: []string{"main.bicep:1:13: module cycle: main.bicep → main.bicep; Azure cannot deploy it, and the module is not read"},
		},
		{
			name: "a module written as an ARM template",
			files: map[string]string{
				"main.bicep": `param name string
module vaults './vault.json' = [for (r, i) in ['a', 'b']: {
  name: 'vault-${r}'
  scope: resourceGroup('other-rg')
  params: { vaultName: '${name}-${r}', rbac: i == 0 }
}]
resource sa 'Microsoft.Storage/storageAccounts@2023-01-01' = {
  name: 'sa'
  properties: {
    id: vaults[1].outputs.id
    rbac: vaults[0].outputs.rbac
  }
}
output uri string = vaults[0].outputs.vaultUri
`,
				"vault.json": `{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#", "contentVersion": "1.0.0.0",
  "parameters": {"vaultName": {"type": "string"}, "rbac": {"type": "bool"}},
  "resources": [{"type": "Microsoft.KeyVault/vaults", "apiVersion": "2023-07-01", "name": "[parameters('vaultName')]",
    "properties": {"enableRbacAuthorization": "[parameters('rbac')]", "deployment": "[deployment().name]"}}],
  "outputs": {"id": {"type": "string", "value": "[resourceId('Microsoft.KeyVault/vaults', parameters('vaultName'))]"},
    "rbac": {"type": "bool", "value": "[parameters('rbac')]"},
    "vaultUri": {"type": "string", "value": "[reference(parameters('vaultName')).vaultUri]"}}}`,
			},
			fields: []string{"properties.enableRbacAuthorization", "properties.deployment", "properties.id", "properties.rbac"},
			want: []summary{
				{Address: "vaults[0]::resources[0]", ID: otherRG + "Microsoft.KeyVault/vaults/[parameters('name')]-a", Type: resource.TypeVault, Lines: [2]int{3, 4},
					Fields: map[string]any{"properties.enableRbacAuthorization": true, "properties.deployment": "vault-a"}},
				{Address: "vaults[1]::resources[0]", ID: otherRG + "Microsoft.KeyVault/vaults/[parameters('name')]-b", Type: resource.TypeVault, Lines: [2]int{3, 4},
					Fields: map[string]any{"properties.enableRbacAuthorization": false, "properties.deployment": "vault-b"}},
				{Address: "sa", ID: "Microsoft.Storage/storageAccounts/sa", Type: "Microsoft.Storage/storageAccounts", Lines: [2]int{7, 13},
					Fields: map[string]any{"properties.id": "unknown: vaults[1].outputs.id", "properties.rbac": true}},
			},
			wantErrs: []string{`warning: main.bicep:1:7: parameter "name" has no value (no default, and none given in a parameters file); it is treated as unknown`},
		},
		{
			name: "a nested deployment declared as a resource",
			files: map[string]string{"main.bicep": `resource nested 'Microsoft.Resources/deployments@2022-09-01' = {
  name: 'nested'
  properties: {
    mode: 'Incremental'
    template: {
      '$schema': 'https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#'
      contentVersion: '1.0.0.0'
      resources: [
        {
          type: 'Microsoft.KeyVault/vaults'
          apiVersion: '2026-02-01'
          name: 'kv-nested'
          properties: { tenantId: subscription().tenantId, literal: '[not evaluated]' }
          resources: [{ type: 'secrets', apiVersion: '2026-02-01', name: 's', properties: { attributes: { exp: 1798761600 } } }]
        }
      ]
      outputs: { answer: { type: 'int', value: 42 } }
    }
  }
}
resource linked 'Microsoft.Resources/deployments@2022-09-01' = {
  name: 'linked'
  properties: { mode: 'Incremental', templateLink: { uri: 'https://example.com/t.json' } }
}
resource sa 'Microsoft.Storage/storageAccounts@2023-01-01' = {
  name: 'sa'
  properties: { answer: nested.properties.outputs.answer.value, mode: nested.properties.mode }
}
`},
			fields: []string{"properties.enableRbacAuthorization", "properties.literal", "attributes.expiresOn", "properties.answer", "properties.mode"},
			want: []summary{
				{Address: "nested::resources[0]", ID: "Microsoft.KeyVault/vaults/kv-nested", Type: resource.TypeVault, Lines: [2]int{1, 20},
					Fields: map[string]any{"properties.enableRbacAuthorization": true, "properties.literal": "[not evaluated]"}},
				{Address: "nested::resources[0].resources[0]", ID: "Microsoft.KeyVault/vaults/kv-nested/secrets/s", Type: resource.TypeSecret, Parent: "Microsoft.KeyVault/vaults/kv-nested", Lines: [2]int{1, 20},
					Fields: map[string]any{"attributes.expiresOn": "2027-01-01T00:00:00Z"}},
				{Address: "sa", ID: "Microsoft.Storage/storageAccounts/sa", Type: "Microsoft.Storage/storageAccounts", Lines: [2]int{25, 28},
					Fields: map[string]any{"properties.answer": int64(42), "properties.mode": "Incremental"}},
			},
			wantErrs: []string{"warning: main.bicep:21:10: the resources of nested deployment linked are not evaluated: its template is linked (templateLink), not inline"},
		},
		{
			name:  "a parameter without a value gives a placeholder name",
			files: map[string]string{"main.bicep": "param n string\nresource kv 'Microsoft.KeyVault/vaults@2023-07-01' = {\n  name: n\n}\n"},
			want:  []summary{{Address: "kv", ID: "Microsoft.KeyVault/vaults/[parameters('n')]", Type: resource.TypeVault, Lines: [2]int{2, 4}}},
			wantErrs: []string{
				`warning: main.bicep:1:7: parameter "n" has no value (no default, and none given in a parameters file); it is treated as unknown`,
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := writeFiles(t, tc.files)
			main := tc.main
			if main == "" {
				main = "main.bicep"
			}
			opts := tc.opts
			if opts.RestoreCache == "" {
				opts.RestoreCache = noCache // whatever the machine has restored
			}
			docs, errs := readAll(t, filepath.Join(dir, main), opts)
			if diff := cmp.Diff(tc.want, summarize(docs, tc.fields...)); diff != "" {
				t.Errorf("documents (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantErrs, messages(errs, dir)); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReadNeverEmitsSecretValues(t *testing.T) {
	t.Parallel()
	dir := writeFiles(t, map[string]string{"main.bicep": `resource kv 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: 'kv'
  resource s 'secrets' = {
    name: 's'
    properties: { value: 'TOP-SECRET-VALUE', contentType: 'text/plain' }
  }
}
`})
	docs, _ := readAll(t, filepath.Join(dir, "main.bicep"), Options{})
	for _, d := range docs {
		if strings.Contains(cmp.Diff(nil, d.Body), "TOP-SECRET-VALUE") {
			t.Errorf("document %s holds the secret's value", d.ID)
		}
	}
}

func TestReadSuppressions(t *testing.T) {
	t.Parallel()
	dir := writeFiles(t, map[string]string{"main.bicep": `// unrelated comment

// kvguard:ignore keyvault-rbac legacy access policies exp:2027-01-31
// kvguard:ignore keyvault-firewall "behind a proxy"
@description('a vault')
resource kv 'Microsoft.KeyVault/vaults@2023-07-01' = { // kvguard:ignore keyvault-private-link
  name: 'kv'
}

// kvguard:ignore keyvault-purge-protection

resource notAbove 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: 'kv2'
}

// kvguard:ignore
resource bad 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: 'kv3'
}
`})
	docs, errs := readAll(t, filepath.Join(dir, "main.bicep"), Options{})
	if len(docs) != 3 {
		t.Fatalf("got %d documents, want 3", len(docs))
	}
	type sup struct {
		Rule, Reason string
		Line         int
		Expires      string
	}
	var got []sup
	for _, s := range docs[0].Suppressions {
		exp := ""
		if !s.Expires.IsZero() {
			exp = s.Expires.Format(time.DateOnly)
		}
		got = append(got, sup{s.RuleID, s.Reason, s.Pos.Line, exp})
	}
	want := []sup{
		{"keyvault-rbac", "legacy access policies", 3, "2027-01-31"},
		{"keyvault-firewall", "behind a proxy", 4, ""},
		{"keyvault-private-link", "", 6, ""},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("suppressions (-want +got):\n%s", diff)
	}
	if len(docs[1].Suppressions) != 0 {
		t.Errorf("a comment separated by a blank line applied: %v", docs[1].Suppressions)
	}
	msgs := messages(errs, dir)
	if len(msgs) != 1 || !strings.HasPrefix(msgs[0], "main.bicep:16:1: kvguard:ignore needs a recommendation id") {
		t.Errorf("problems = %q, want the malformed suppression at 16:1", msgs)
	}
}

// TestReadBadInput checks that broken files give positioned errors, the
// rest of the file is still read, and nothing panics or hangs.
func TestReadBadInput(t *testing.T) {
	t.Parallel()
	good := "\nresource ok 'Microsoft.KeyVault/vaults@2023-07-01' = {\n  name: 'ok'\n}\n"
	tests := []struct {
		name    string
		src     string
		wantErr string
		wantOK  bool
	}{
		{"syntax error", "var x = (1 +\n" + good, "main.bicep:1:13: expected an expression, found 'new line'", true},
		{"unterminated string", "var x = 'abc\n" + good, "main.bicep:1:9: unterminated string", true},
		{"unknown function", "var x = nosuchfn(1)\n" + good, `main.bicep:1:9: unknown function "nosuchfn"`, true},
		{"unknown name", "var x = y\n" + good, `main.bicep:1:9: unknown name "y"`, true},
		{"self-referencing variable", "var a = b\nvar b = a\n" + good, `main.bicep:2:9: variable "a" refers to itself (through a)`, true},
		{"huge loop", "var xs = [for i in range(0, 5000): i]\nresource many 'Microsoft.KeyVault/vaults@2023-07-01' = [for i in range(0, 5000): {\n  name: 'kv${i}'\n}]\n" + good,
			"main.bicep:2:66: loop over 5000 elements: more than the 800 a deployment allows; the loop was not evaluated", true},
		{"deep variables", deepVars(2000) + good, "variables refer to variables more than 500 levels deep", true},
		{"deep nesting", "var x = " + strings.Repeat("(", 5000) + "1" + strings.Repeat(")", 5000) + "\n" + good, "expression nested more than 200 levels deep", true},
		{"invalid character", "var x = 1 # 2\n" + good, `main.bicep:1:11: unexpected character "#"`, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := writeFiles(t, map[string]string{"main.bicep": tc.src})
			var docs []*resource.Document
			err := New(Options{}).Read(t.Context(), filepath.Join(dir, "main.bicep"), func(d *resource.Document) { docs = append(docs, d) })
			msgs := messages(inputErrors(t, err), dir)
			found := false
			for _, m := range msgs {
				if strings.Contains(m, tc.wantErr) {
					found = true
				}
			}
			if !found {
				t.Errorf("problems = %q, want one containing %q", msgs, tc.wantErr)
			}
			gotOK := false
			for _, d := range docs {
				gotOK = gotOK || d.Source.Address == "ok"
			}
			if gotOK != tc.wantOK {
				t.Errorf("resource ok read = %v, want %v", gotOK, tc.wantOK)
			}
		})
	}
}

func deepVars(n int) string {
	var b strings.Builder
	for i := range n {
		b.WriteString("var v" + strconv.Itoa(i) + " = v" + strconv.Itoa(i+1) + "\n")
	}
	b.WriteString("var v" + strconv.Itoa(n) + " = 1\nvar use = v0\n")
	b.WriteString("resource deep 'Microsoft.KeyVault/vaults@2023-07-01' = {\n  name: use\n}\n")
	return b.String()
}
