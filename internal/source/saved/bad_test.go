package saved

import (
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"

	"github.com/kvguard/kvguard/internal/resource"
)

const vaultID = "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv-bad"

// badInputs are inputs with problems. Each names the documents still
// emitted and the exact messages: bad input never stops the rest of the
// read, and every message names file:line:col.
var badInputs = []struct {
	name     string
	in       string
	docs     []string // names of the documents emitted, in order
	errs     []string
	warnings []string
}{
	{
		name: "empty file",
		in:   "",
		errs: []string{"f.json: empty file"},
	},
	{
		name: "blank file",
		in:   " \n\t\n",
		errs: []string{"f.json: empty file"},
	},
	{
		name: "malformed after the first resource",
		in: "[{\"id\": \"" + vaultID + "\", \"properties\": {}},\n" +
			" {\"id\": \"x\" \"name\": 1},\n" +
			" {\"id\": \"" + vaultID + "2\", \"properties\": {}}]",
		docs: []string{"kv-bad"},
		errs: []string{`f.json:2:13: expected ',' or '}' after object member, found '"'; the rest of the file was not read`},
	},
	{
		name: "truncated",
		in:   "{\"value\": [{\"id\": \"" + vaultID + "\", \"properties\": {}},\n {\"id\": \"/subscriptions/s1/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv-2\", \"prop",
		docs: []string{"kv-bad"},
		errs: []string{"f.json:2:89: unterminated string; the rest of the file was not read"},
	},
	{
		name: "unknown shape (package.json)",
		in: "{\n  \"name\": \"kvguard-web\",\n  \"version\": \"1.0.0\",\n  \"private\": true,\n  \"scripts\": {\"test\": \"jest\"},\n" +
			"  \"dependencies\": {},\n  \"devDependencies\": {}\n}\n",
		errs: []string{`f.json:1:1: not a recognised Azure resource JSON shape: found an object with members name, version, private, scripts, dependencies, … but no "id"`},
	},
	{
		name: "top-level string",
		in:   `"hello"`,
		errs: []string{"f.json:1:1: not a recognised Azure resource JSON shape: found a string at the top level"},
	},
	{
		name: "array of names (az keyvault list --query [].name)",
		in:   "[\n  \"kv1\",\n  \"kv2\",\n  \"kv3\"\n]",
		errs: []string{"f.json:2:3: not a recognised Azure resource JSON shape: found a string where a resource object was expected (and 2 more elements like it in this array)"},
	},
	{
		name: "Resource Graph projection without id",
		in:   `{"count": 2, "data": [{"name": "kv1", "rbac": true}, {"name": "kv2", "rbac": false}], "skip_token": null, "total_records": 2}`,
		errs: []string{`f.json:1:23: not a recognised Azure resource JSON shape: found an object with members name, rbac but no "id" where a resource object was expected (and 1 more elements like it in this array)`},
	},
	{
		name: "ARM template",
		in:   `{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#", "contentVersion": "1.0.0.0", "resources": [{"type": "Microsoft.KeyVault/vaults", "apiVersion": "2023-07-01", "name": "kv"}]}`,
		errs: []string{"f.json:1:1: not a recognised Azure resource JSON shape: found an ARM template (kvguard reads templates as templates, not as saved resources)"},
	},
	{
		name: "Resource Graph table format",
		in:   `{"totalRecords": 1, "count": 1, "data": {"columns": [{"name": "id", "type": "string"}], "rows": [["/subscriptions/s1"]]}}`,
		errs: []string{`f.json:1:1: not a recognised Azure resource JSON shape: found a Resource Graph result in table format (use resultFormat objectArray, as az graph query does)`},
	},
	{
		name: "wrong types in a vault",
		in: "{\n" +
			"  \"id\": \"" + vaultID + "\",\n" +
			"  \"type\": \"Microsoft.KeyVault/vaults\",\n" +
			"  \"properties\": {\n" +
			"    \"enableRbacAuthorization\": \"yes\",\n" +
			"    \"enableSoftDelete\": \"TRUE\",\n" +
			"    \"enablePurgeProtection\": 1,\n" +
			"    \"publicNetworkAccess\": false,\n" +
			"    \"networkAcls\": {\"defaultAction\": [\"Deny\"]},\n" +
			"    \"privateEndpointConnections\": [{\"properties\": {\"privateLinkServiceConnectionState\": {\"status\": 1}}}, \"x\"]\n" +
			"  }\n" +
			"}\n",
		docs: []string{"kv-bad"},
		errs: []string{
			`f.json:5:32 (` + vaultID + `): properties.enableRbacAuthorization: expected a boolean, found the string "yes"`,
			`f.json:7:30 (` + vaultID + `): properties.enablePurgeProtection: expected a boolean, found the number 1`,
			`f.json:8:28 (` + vaultID + `): properties.publicNetworkAccess: expected a string, found the boolean false`,
			`f.json:9:38 (` + vaultID + `): properties.networkAcls.defaultAction: expected a string, found an array`,
			`f.json:10:35 (` + vaultID + `): properties.privateEndpointConnections[0].properties.privateLinkServiceConnectionState.status: expected a string, found the number 1`,
			`f.json:10:35 (` + vaultID + `): properties.privateEndpointConnections[1]: expected an object, found the string "x"`,
		},
	},
	{
		name: "properties not an object",
		in:   `{"id": "` + vaultID + `", "properties": "oops"}`,
		docs: []string{"kv-bad"},
		errs: []string{`f.json:1:104 (` + vaultID + `): properties: expected an object, found the string "oops"`},
	},
	{
		name: "wrong types in secrets",
		in: "[\n" +
			`{"id": "` + vaultID + `/secrets/s1", "type": "Microsoft.KeyVault/vaults/secrets", "properties": {"attributes": {"enabled": "true", "exp": "2027-01-01"}, "contentType": 5}},` + "\n" +
			`{"id": "https://kv-bad.vault.azure.net/secrets/s2", "attributes": {"expires": "next year", "created": 1700000000, "exp": null}},` + "\n" +
			`{"id": "https://kv-bad.vault.azure.net/secrets/s3", "attributes": {"exp": 99999999999999}, "managed": "no"},` + "\n" +
			`{"id": "https://kv-bad.vault.azure.net/secrets/s4", "attributes": "none"}` + "\n" +
			"]",
		docs: []string{"s1", "s2", "s3", "s4"},
		errs: []string{
			`f.json:2:187 (` + vaultID + `/secrets/s1): properties.attributes.enabled: expected a boolean, found the string "true"`,
			`f.json:2:202 (` + vaultID + `/secrets/s1): properties.attributes.exp: expected a number (Unix seconds), found the string "2027-01-01"`,
			`f.json:2:232 (` + vaultID + `/secrets/s1): properties.contentType: expected a string, found the number 5`,
			`f.json:3:79 (https://kv-bad.vault.azure.net/secrets/s2): attributes.expires: the string "next year" is not an ISO 8601 time`,
			`f.json:4:75 (https://kv-bad.vault.azure.net/secrets/s3): attributes.exp: 99999999999999 is outside the years 1 to 9999`,
			`f.json:4:103 (https://kv-bad.vault.azure.net/secrets/s3): managed: expected a boolean, found the string "no"`,
			`f.json:5:67 (https://kv-bad.vault.azure.net/secrets/s4): attributes: expected an object, found the string "none"`,
		},
	},
	{
		name: "duplicate IDs",
		in: "[\n" +
			`{"id": "` + vaultID + `", "properties": {"enableRbacAuthorization": true}},` + "\n" +
			`{"id": "` + strings.ToUpper(vaultID) + `/", "properties": {"enableRbacAuthorization": false}},` + "\n" +
			`{"id": "https://kv-bad.vault.azure.net/secrets/a", "attributes": {}},` + "\n" +
			`{"id": "https://KV-BAD.vault.azure.net:443/secrets/A/0123456789abcdef0123456789abcdef", "value": "x", "attributes": {}}` + "\n" +
			"]",
		docs: []string{"kv-bad", "a"},
		errs: []string{
			"f.json:3:1: duplicate resource ID " + strings.ToUpper(vaultID) + "/ (first at f.json:2); this one is ignored",
			"f.json:5:1: duplicate resource ID https://kv-bad.vault.azure.net/secrets/A (first at f.json:4); this one is ignored",
		},
	},
	{
		name: "bad ids",
		in:   "[{\"id\": 42}, {\"id\": \"kv1\"}, {\"id\": \"/foo/bar\"}, {\"id\": \"https://kv.vault.azure.net/storage/x\"}, {\"kid\": \"https://kv.vault.azure.net/\"}]",
		errs: []string{
			"f.json:1:9: id: expected a string, found the number 42",
			`f.json:1:21: id "kv1" is neither an Azure resource ID nor a Key Vault object URL`,
			`f.json:1:36: id "/foo/bar" is not an Azure resource ID`,
			`f.json:1:56: id "https://kv.vault.azure.net/storage/x" is not a Key Vault object URL (https://<vault>/secrets|keys|certificates/<name>[/<version>])`,
			`f.json:1:105: id "https://kv.vault.azure.net/" is not a Key Vault object URL (https://<vault>/secrets|keys|certificates/<name>[/<version>])`,
		},
	},
	{
		name: "malformed suppressions",
		in: "[\n" +
			`{"id": "` + vaultID + `", "properties": {}, "tags": {"kvguard:ignore": ""}},` + "\n" +
			`{"id": "` + vaultID + `2", "properties": {}, "tags": {"kvguard:ignore": "keyvault-rbac exp:someday"}},` + "\n" +
			`{"id": "` + vaultID + `3", "properties": {}, "metadata": {"kvguard:ignore": 5}}` + "\n" +
			"]",
		docs: []string{"kv-bad", "kv-bad2", "kv-bad3"},
		errs: []string{
			`f.json:2:135 (` + vaultID + `): tags.kvguard:ignore: kvguard:ignore needs a recommendation id, e.g. "kvguard:ignore keyvault-rbac reason exp:2027-01-31"`,
			`f.json:3:136 (` + vaultID + `2): tags.kvguard:ignore: kvguard:ignore keyvault-rbac: expiry "someday" is not a date in the form exp:YYYY-MM-DD`,
			`f.json:4:140 (` + vaultID + `3): metadata.kvguard:ignore: expected a string or an array of strings, found the number 5`,
		},
	},
	{
		name: "garbage after the value",
		in:   `{"id": "` + vaultID + `", "properties": {}} x`,
		docs: []string{"kv-bad"},
		errs: []string{"f.json:1:108: invalid character 'x' looking for beginning of value; the rest of the file was not read"},
	},
	{
		name:     "type contradicts the id",
		in:       `{"id": "` + vaultID + `", "type": "Microsoft.Storage/storageAccounts", "properties": {}}`,
		docs:     []string{"kv-bad"},
		warnings: []string{`f.json:1:98 (` + vaultID + `): type "Microsoft.Storage/storageAccounts" does not match the type in the id (Microsoft.KeyVault/vaults); using the id's`},
	},
	{
		name: "deleted objects are not judged",
		in:   `[{"id": "https://kv.vault.azure.net/deletedsecrets/old", "recoveryId": "https://kv.vault.azure.net/deletedsecrets/old"}, {"kid": "https://kv.vault.azure.net/keys/k", "recoveryId": "https://kv.vault.azure.net/deletedkeys/k", "deletedDate": "2025-01-01T00:00:00+00:00"}]`,
		warnings: []string{
			"f.json:1:9 (https://kv.vault.azure.net/secrets/old): " + noteText[noteDeletedSecret],
			"f.json:1:130 (https://kv.vault.azure.net/keys/k): " + noteText[noteDeletedKey],
		},
	},
	{
		// az keyvault list-deleted: types without the locations segment
		// of their IDs, neither read by kvguard: skipped without a word.
		name: "deleted vaults are another type",
		in:   `[{"id": "/subscriptions/s1/providers/Microsoft.KeyVault/locations/westus/deletedVaults/kv-old", "name": "kv-old", "type": "Microsoft.KeyVault/deletedVaults", "properties": {"vaultId": "` + vaultID + `"}}]`,
	},
	{
		name: "empty containers",
		in:   `[{"value": [], "nextLink": null}, {"count": 0, "data": [], "skip_token": null, "total_records": 0}, []]`,
	},
	{
		name: "bad snapshot",
		in: "{\"kvguardSnapshot\": {\"version\": \"2\"},\n" +
			" \"resources\": [{\"id\": \"" + vaultID + "/secrets/s\", \"type\": \"Microsoft.KeyVault/vaults/secrets\", \"properties\": {\"attributes\": {}}}],\n" +
			" \"gaps\": [\n" +
			"  {\"resourceId\": \"" + vaultID + "\", \"error\": \"403\"},\n" +
			"  {\"resourceId\": \"kv\", \"part\": \"properties\", \"error\": \"403\"},\n" +
			"  {\"resourceId\": \"" + vaultID + "/secrets/s\", \"part\": \"properties\", \"error\": \"403\"},\n" +
			"  7]}",
		docs: []string{"s"},
		errs: []string{
			`f.json:1:21: kvguardSnapshot.version "2" is not supported (this kvguard reads version 1); read as version 1`,
			`f.json:4:3: gaps[0].part: is missing`,
			`f.json:5:3: gaps[1].resourceId "kv" is not an Azure resource ID`,
			`f.json:6:3 (` + vaultID + `/secrets/s): gap not applied: the resource it names was emitted before the snapshot's gaps were read (it is a Key Vault object, to which gaps do not attach, or it was read before this snapshot); write gaps before resources`,
			`f.json:7:3: gaps[3]: expected an object, found the number 7`,
		},
	},
	{
		name: "value larger than the limit",
		in:   "[{\"id\": \"" + vaultID + "\", \"properties\": {}},\n {\"id\": \"" + vaultID + "2\", \"properties\": {\"note\": \"" + strings.Repeat("x", 200<<10) + "\"}},\n {\"id\": \"" + vaultID + "3\"}]",
		docs: []string{"kv-bad"},
		errs: []string{"f.json:2:115: a single value is larger than 64 KiB; kvguard reads one resource at a time and refuses values this large; the rest of the file was not read"},
	},
	{
		name: "a huge secret value is skipped, not refused",
		in:   `{"id": "https://kv.vault.azure.net/secrets/big", "attributes": {"enabled": true}, "value": "` + strings.Repeat("y", 300<<10) + `"}`,
		docs: []string{"big"},
	},
	{
		name: "nesting too deep",
		in:   strings.Repeat("[", 600) + strings.Repeat("]", 600),
		errs: []string{"f.json:1:513: nesting deeper than 512 levels; the rest of the file was not read"},
	},
}

func TestBadInput(t *testing.T) {
	t.Parallel()
	for _, c := range badInputs {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			for _, reader := range []func(string) io.Reader{
				func(s string) io.Reader { return strings.NewReader(s) },
				func(s string) io.Reader { return iotest.HalfReader(strings.NewReader(s)) }, // refills at every other byte
			} {
				var names []string
				err := New(Options{MaxValueBytes: 64 << 10}).ReadFrom(t.Context(), reader(c.in), "f.json", func(d *resource.Document) {
					checkInvariants(t, d)
					names = append(names, d.Name)
				})
				errs, warns := splitErrors(t, err)
				if diff := cmp.Diff(c.docs, names); diff != "" {
					t.Errorf("documents (-want +got):\n%s", diff)
				}
				if diff := cmp.Diff(c.errs, errs); diff != "" {
					t.Errorf("errors (-want +got):\n%s", diff)
				}
				if diff := cmp.Diff(c.warnings, warns); diff != "" {
					t.Errorf("warnings (-want +got):\n%s", diff)
				}
			}
		})
	}
}

// TestWrongTypesBecomeUnknown checks what the documents hold after wrong
// types: the value is an Unknown naming it, so verdicts depending on it
// are Unknown, and the rest of the body is intact.
func TestWrongTypesBecomeUnknown(t *testing.T) {
	t.Parallel()
	in := `{"id": "` + vaultID + `", "properties": {"enableRbacAuthorization": "yes", "enableSoftDelete": "TRUE",
	  "networkAcls": {"defaultAction": 5, "bypass": "None"}}}
	  {"id": "https://kv-bad.vault.azure.net/secrets/s", "attributes": {"exp": "soon", "enabled": true}}`
	var docs []*resource.Document
	_ = New(Options{}).ReadFrom(t.Context(), strings.NewReader(in), "f.json", func(d *resource.Document) { docs = append(docs, d) })
	if len(docs) != 2 {
		t.Fatalf("got %d documents", len(docs))
	}
	want := map[string]any{
		"enableRbacAuthorization": resource.Unknown{Expr: `enableRbacAuthorization = "yes" (not a boolean)`},
		"enableSoftDelete":        "TRUE",
		"networkAcls":             map[string]any{"defaultAction": resource.Unknown{Expr: "defaultAction = 5 (not a string)"}, "bypass": "None"},
	}
	if diff := cmp.Diff(want, docs[0].Body["properties"]); diff != "" {
		t.Errorf("vault properties (-want +got):\n%s", diff)
	}
	wantAttrs := map[string]any{"expiresOn": resource.Unknown{Expr: `exp = "soon" (not Unix seconds)`}, "enabled": true}
	if diff := cmp.Diff(wantAttrs, docs[1].Body["attributes"]); diff != "" {
		t.Errorf("secret attributes (-want +got):\n%s", diff)
	}
}
