package armtemplate

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kvguard/kvguard/internal/resource"
)

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const vaultOK = `{"type": "Microsoft.KeyVault/vaults", "apiVersion": "2023-07-01", "name": "kv-ok", "location": "eastus", "properties": {"enableRbacAuthorization": true}}`

func tmpl(resources ...string) string {
	return `{
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "contentVersion": "1.0.0.0",
  "resources": [
` + strings.Join(resources, ",\n") + `
  ]
}`
}

// TestBadInput feeds broken templates: each gives input errors at the
// right place (file:line:col), never a panic or a hang, and whatever can
// still be read is read.
func TestBadInput(t *testing.T) {
	t.Parallel()
	deepVars := func(n int) string {
		var b strings.Builder
		b.WriteString(`{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#", "contentVersion": "1.0.0.0", "variables": {`)
		for i := 0; i < n; i++ {
			fmt.Fprintf(&b, `"v%d": "[variables('v%d')]", `, i, i+1)
		}
		fmt.Fprintf(&b, `"v%d": "end"}, "resources": [{"type": "Microsoft.KeyVault/vaults", "apiVersion": "2023-07-01", "name": "[variables('v0')]", "location": "eastus"}, %s]}`, n, vaultOK)
		return b.String()
	}
	doubling := func(n int) string {
		var b strings.Builder
		b.WriteString(`{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#", "contentVersion": "1.0.0.0", "variables": {"d0": "abcdefghijklmnopqrstuvwxyz"`)
		for i := 1; i <= n; i++ {
			fmt.Fprintf(&b, `, "d%d": "[concat(variables('d%d'), variables('d%d'))]"`, i, i-1, i-1)
		}
		fmt.Fprintf(&b, `}, "resources": [{"type": "Microsoft.Storage/storageAccounts", "apiVersion": "2023-01-01", "name": "sa", "tags": {"t": "[variables('d%d')]"}}, %s]}`, n, vaultOK)
		return b.String()
	}
	tests := []struct {
		name     string
		content  string
		wantErr  string // substring of an error's message
		wantPos  string // "line:col" of that error ("" to skip)
		wantDocs int
		warning  bool
	}{
		{"invalid JSON", "{\n  \"resources\": [\n    {\"type\": }\n  ]\n}", "invalid JSON", "3:14", 0, false},
		{"not an object", `[1, 2]`, "not an ARM template", "1:1", 0, false},
		{"no resources", `{"$schema": "x", "parameters": {}}`, "no resources member", "1:1", 0, false},
		{"expression does not parse", tmpl(vaultOK, `    {"type": "Microsoft.KeyVault/vaults", "apiVersion": "2023-07-01", "name": "kv-bad", "properties": {"tenantId": "[concat('a',)]"}}`),
			"unexpected \")\"", "6:129", 2, false},
		{"unknown function", tmpl(`    {"type": "Microsoft.KeyVault/vaults", "apiVersion": "2023-07-01", "name": "[nope('x')]"}`, vaultOK),
			`unknown function "nope"`, "5:81", 2, false},
		{"self-referencing variable", `{"contentVersion": "1.0.0.0", "variables": {"a": "[variables('b')]", "b": "[variables('a')]"}, "resources": [{"type": "Microsoft.KeyVault/vaults", "apiVersion": "2023-07-01", "name": "[variables('a')]"}, ` + vaultOK + `]}`,
			"refers to itself", "", 2, false},
		{"deep variables", deepVars(300), "levels deep", "", 2, false},
		{"exponential variables", doubling(40), "longer than", "", 2, false},
		{"huge copy count", tmpl(`    {"type": "Microsoft.KeyVault/vaults", "apiVersion": "2023-07-01", "name": "[format('kv{0}', copyIndex())]", "copy": {"name": "c", "count": 100000}}`),
			"above Azure's limit of 800", "5:144", 800, false},
		{"copies of copies", tmpl(`    {"type": "Microsoft.Storage/storageAccounts", "apiVersion": "2023-01-01", "name": "sa", "properties": {"copy": [{"name": "a", "count": 800, "input": {"copy": [{"name": "b", "count": 800, "input": {"copy": [{"name": "c", "count": 800, "input": 1}]}}]}}]}}`),
			"more than 2000000 copy iterations", "5:211", 0, false},
		{"unknown copy count", `{"contentVersion": "1.0.0.0", "parameters": {"n": {"type": "int"}}, "resources": [{"type": "Microsoft.KeyVault/vaults", "apiVersion": "2023-07-01", "name": "[format('kv{0}', copyIndex())]", "copy": {"name": "c", "count": "[parameters('n')]"}}, ` + vaultOK + `]}`,
			"count of copy \"c\" is not known before deployment", "", 2, true},
		{"resource not an object", tmpl(`    "just a string"`, vaultOK), "a resource must be an object", "5:5", 1, false},
		{"resource without type", tmpl(`    {"name": "x"}`, vaultOK), "needs a type", "5:5", 1, false},
		{"resource without name", tmpl(`    {"type": "Microsoft.KeyVault/vaults"}`, vaultOK), "needs a name", "5:5", 1, false},
		{"non-boolean condition", tmpl(`    {"condition": "yes", "type": "Microsoft.KeyVault/vaults", "apiVersion": "2023-07-01", "name": "kv-c"}`), "must be a boolean", "5:19", 1, false},
		{"resources not a list", `{"contentVersion": "1.0.0.0", "resources": 3}`, "must be an array", "1:44", 0, false},
		{"bad suppression", tmpl(`    {"type": "Microsoft.KeyVault/vaults", "apiVersion": "2023-07-01", "name": "kv-s", "metadata": {"kvguard:ignore": "keyvault-rbac exp:tomorrow"}}`),
			"is not a date", "5:118", 1, false},
		{"missing linked template", tmpl(`    {"type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": "l", "properties": {"mode": "Incremental", "templateLink": {"relativePath": "nothere.json"}}}`, vaultOK),
			"is not there", "", 1, true},
		{"template linked by URI", tmpl(`    {"type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": "l", "properties": {"mode": "Incremental", "templateLink": {"uri": "https://example.com/t.json"}}}`, vaultOK),
			"is not read", "", 1, true},
		{"self-linked template", tmpl(`    {"type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": "l", "properties": {"mode": "Incremental", "templateLink": {"relativePath": "t.json"}}}`, vaultOK),
			"linked template cycle", "", 1, false},
		{"missing parameter", `{"contentVersion": "1.0.0.0", "parameters": {"kvName": {"type": "string"}}, "resources": [{"type": "Microsoft.KeyVault/vaults", "apiVersion": "2023-07-01", "name": "[parameters('kvName')]"}]}`,
			`parameter "kvName" has no value`, "1:56", 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			p := writeFile(t, dir, "t.json", tt.content)
			// No time limit: whatever the machine's load, the read must
			// end with the error (a hang fails through go test -timeout).
			var docs []*resource.Document
			err := New(Options{}).Read(t.Context(), p, func(d *resource.Document) { docs = append(docs, d) })
			errs := inputErrors(t, err)
			var found *resource.InputError
			for _, e := range errs {
				if strings.Contains(e.Msg, tt.wantErr) {
					found = e
					break
				}
			}
			if found == nil {
				t.Fatalf("no error containing %q; got %v", tt.wantErr, errs)
			}
			if found.Pos.File != p {
				t.Errorf("error file = %q, want %q", found.Pos.File, p)
			}
			if tt.wantPos != "" {
				if got := fmt.Sprintf("%d:%d", found.Pos.Line, found.Pos.Col); got != tt.wantPos {
					t.Errorf("error at %s, want %s (%v)", got, tt.wantPos, found)
				}
			}
			if found.Warning != tt.warning {
				t.Errorf("warning = %v, want %v (%v)", found.Warning, tt.warning, found)
			}
			if len(docs) != tt.wantDocs {
				t.Errorf("%d documents, want %d", len(docs), tt.wantDocs)
			}
			for _, e := range errs {
				if strings.Contains(e.Msg, "internal error") {
					t.Errorf("panic: %v", e)
				}
			}
		})
	}
}

// TestMultilineStrings reads a template whose strings hold raw line breaks
// and tabs (Azure accepts them; deployment scripts use them): it parses,
// and lines after the string still match the file.
func TestMultilineStrings(t *testing.T) {
	t.Parallel()
	content := "{\n  \"contentVersion\": \"1.0.0.0\",\n  \"resources\": [\n    {\"type\": \"Microsoft.Resources/deploymentScripts\", \"apiVersion\": \"2020-10-01\", \"name\": \"s\",\n     \"properties\": {\"scriptContent\": \"line one\n\tline two\r\nline three\"}},\n    {\"type\": \"Microsoft.KeyVault/vaults\", \"apiVersion\": \"2023-07-01\",\n     \"name\": \"kv\"}\n  ]\n}\n"
	p := writeFile(t, t.TempDir(), "t.json", content)
	docs, errs := readAll(t, p, Options{})
	if len(errs) > 0 || len(docs) != 2 {
		t.Fatalf("docs=%d errs=%v", len(docs), errs)
	}
	if got := docs[0].Body["properties"].(map[string]any)["scriptContent"]; got != "line one\n\tline two\r\nline three" {
		t.Errorf("scriptContent = %q", got)
	}
	if docs[1].Source.StartLine != 8 || docs[1].Source.EndLine != 9 {
		t.Errorf("vault lines %d-%d, want 8-9", docs[1].Source.StartLine, docs[1].Source.EndLine)
	}
	bad := writeFile(t, t.TempDir(), "bad.json", "{\"a\": \"x\ny\",\n \"resources\": [}\n")
	_, errs = readAll(t, bad, Options{})
	if len(errs) != 1 || errs[0].Pos.Line != 3 {
		t.Errorf("error after a multi-line string: %v, want one at line 3", errs)
	}
}

func TestCancelled(t *testing.T) {
	t.Parallel()
	p := writeFile(t, t.TempDir(), "t.json", tmpl(vaultOK))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	n := 0
	err := New(Options{}).Read(ctx, p, func(*resource.Document) { n++ })
	if err == nil || n != 0 {
		t.Errorf("cancelled read: %d documents, err %v", n, err)
	}
}
