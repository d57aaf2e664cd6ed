package saved

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kvguard/kvguard/internal/resource"
)

// strictShapes are the data-plane shapes that sit under the same URLs as
// secrets, keys and certificates but are not one. Each is read alone: the
// documents it gives (names) and the messages.
var strictShapes = []struct {
	name     string
	in       string
	docs     []string
	errs     []string
	warnings []string
}{
	{
		// Once read as a key without expiry, it turned the real key of
		// that name Unhealthy and grew the key count; now it is the
		// key's rotation policy, joined to it before judging.
		name: "az keyvault key rotation-policy show",
		in: `{"attributes": {"created": "2024-10-23T08:00:00+00:00", "expiryTime": "P2Y", "updated": "2024-10-23T08:00:00+00:00"},
 "id": "https://kv1.vault.azure.net/keys/cmk/rotationpolicy",
 "lifetimeActions": [{"action": "Rotate", "timeAfterCreate": "P18M", "timeBeforeExpiry": null}]}`,
		docs: []string{"cmk"}, // a TypeKeyRotationPolicy document, never a key (TestRotationPolicyDocument)
	},
	{
		name: "REST key rotation policy",
		in: `{"id": "https://kv1.vault.azure.net/keys/cmk/rotationpolicy", "lifetimeActions": [{"trigger": {"timeBeforeExpiry": "P30D"}, "action": {"type": "Rotate"}}],
 "attributes": {"expiryTime": "P1Y", "created": 1482188947, "updated": 1482188947}}`,
		docs: []string{"cmk"},
	},
	{
		name: "az keyvault certificate policy show",
		in: `{"attributes": {"created": "2024-12-01T00:00:00+00:00", "enabled": true, "updated": "2024-12-01T00:00:00+00:00"},
 "id": "https://kv1.vault.azure.net/certificates/web-tls/policy", "issuerParameters": {"name": "Self"},
 "keyProperties": {"keySize": 2048, "keyType": "RSA"}, "x509CertificateProperties": {"validityInMonths": 12}}`,
		warnings: []string{"f.json:2:8 (https://kv1.vault.azure.net/certificates/web-tls): " + noteText[noteCertPolicy]},
	},
	{
		name: "az keyvault secret list-versions",
		in: `[{"attributes": {"enabled": true, "expires": null}, "contentType": null, "id": "https://kv1.vault.azure.net/secrets/db/7d4e3c5a9b1f4e2d8c6a0b3e5f7a9c1d", "name": "db"},
 {"attributes": {"enabled": false, "expires": "2026-01-01T00:00:00+00:00"}, "contentType": null, "id": "https://kv1.vault.azure.net/secrets/db/5e1f0d2c3b4a49f8a7e6d5c4b3a29180", "name": "db"}]`,
		warnings: []string{"f.json:1:80 (https://kv1.vault.azure.net/secrets/db): " + noteText[noteSecretVersion] + " (and 1 more like it in this file)"},
	},
	{
		name:     "az keyvault key list-versions",
		in:       `[{"attributes": {"enabled": true}, "kid": "https://kv1.vault.azure.net/keys/cmk/0f4b5d5c2e4a4b8e9c1d3e5f7a9b1c3d", "managed": null, "name": "cmk", "tags": null}]`,
		warnings: []string{"f.json:1:43 (https://kv1.vault.azure.net/keys/cmk): " + noteText[noteKeyVersion]},
	},
	{
		name:     "az keyvault certificate list-versions",
		in:       `[{"attributes": {"enabled": true}, "id": "https://kv1.vault.azure.net/certificates/web/5e1f0d2c3b4a49f8a7e6d5c4b3a29180", "x509Thumbprint": "fLi3U52HunIVNXubkEnf8tP6Wbo"}]`,
		warnings: []string{"f.json:1:42 (https://kv1.vault.azure.net/certificates/web): " + noteText[noteCertVersion]},
	},
	{
		name: "az keyvault secret list-deleted",
		in: `[{"attributes": {"enabled": true}, "deletedDate": "2025-01-01T00:00:00+00:00", "id": "https://kv1.vault.azure.net/secrets/old", "name": "old",
  "recoveryId": "https://kv1.vault.azure.net/deletedsecrets/old", "scheduledPurgeDate": "2025-04-01T00:00:00+00:00"}]`,
		warnings: []string{"f.json:1:86 (https://kv1.vault.azure.net/secrets/old): " + noteText[noteDeletedSecret]},
	},
	{
		name: "az keyvault secret show: a version with its value is the secret",
		in:   `{"attributes": {"enabled": true, "expires": "2027-01-01T00:00:00+00:00"}, "id": "https://kv1.vault.azure.net/secrets/db/7d4e3c5a9b1f4e2d8c6a0b3e5f7a9c1d", "name": "db", "value": "hunter2-NEVER-IN-OUTPUT"}`,
		docs: []string{"db"},
	},
	{
		name: "certificate issuers, contacts and pending operations are other types",
		in: `[{"id": "https://kv1.vault.azure.net/certificates/issuers/digicert", "provider": "DigiCert"},
 {"id": "https://kv1.vault.azure.net/certificates/contacts", "contactList": [{"email": "a@example.com"}]},
 {"id": "https://kv1.vault.azure.net/certificates/web/pending", "csr": "MIIC", "status": "inProgress"}]`,
	},
	{
		name: "a third segment that is no version",
		in:   `{"id": "https://kv1.vault.azure.net/secrets/db/latest", "attributes": {"enabled": true}}`,
		errs: []string{`f.json:1:8: id "https://kv1.vault.azure.net/secrets/db/latest" is not a Key Vault object URL (https://<vault>/secrets|keys|certificates/<name>[/<version>])`},
	},
}

// TestShapesReadStrictly: a document is read as a secret, key or
// certificate only when it has that shape; the others are noted (never
// guessed), and a secret's value is in no document or message.
func TestShapesReadStrictly(t *testing.T) {
	t.Parallel()
	for _, c := range strictShapes {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var logs bytes.Buffer
			var names []string
			var docs []*resource.Document
			err := New(Options{Logger: newTestLogger(&logs)}).ReadFrom(t.Context(), strings.NewReader(c.in), "f.json", func(d *resource.Document) {
				checkInvariants(t, d)
				names = append(names, d.Name)
				docs = append(docs, d)
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
			r := collect(t, docs, err)
			for _, where := range []string{strings.Join(r.Errors, "\n"), strings.Join(r.Warnings, "\n"), logs.String()} {
				if strings.Contains(where, "NEVER-IN-OUTPUT") {
					t.Errorf("a secret value leaked: %s", where)
				}
			}
		})
	}
}

// TestManagedHSMsTyped: managed HSMs, however a tool spells or omits
// their type, are typed Microsoft.KeyVault/managedHSMs (never vaults), so
// that the assessor can count them apart; their data-plane keys are HSM
// keys.
func TestManagedHSMsTyped(t *testing.T) {
	t.Parallel()
	const base = "/subscriptions/s/resourceGroups/rg/providers/"
	in := `[{"id": "` + base + `Microsoft.KeyVault/managedHSMs/h1", "name": "h1", "type": "microsoft.keyvault/managedhsms", "properties": {}},
 {"id": "` + base + `microsoft.keyvault/managedhsms/h2", "name": "h2", "properties": {}},
 {"id": "` + base + `Microsoft.KeyVault/managedHsms/h3", "location": "westus", "name": "h3", "resourceGroup": "rg", "tags": {}, "type": "Microsoft.KeyVault/managedHSMs"},
 {"ResourceId": "` + base + `Microsoft.KeyVault/managedHSMs/h4", "Name": "h4", "ResourceType": "Microsoft.KeyVault/managedHSMs", "Properties": {}},
 {"id": "` + base + `Microsoft.KeyVault/managedHSMs/h5", "name": "h5", "type": "Microsoft.KeyVault/vaults", "properties": {}},
 {"kid": "https://h1.managedhsm.azure.net/keys/k1", "attributes": {"enabled": true}},
 {"id": "` + base + `Microsoft.KeyVault/managedHSMs/h1/keys/k2", "type": "Microsoft.KeyVault/managedHSMs/keys", "properties": {"kty": "RSA-HSM", "attributes": {}}}]`
	want := map[string]string{
		"h1": resource.TypeManagedHSM, "h2": resource.TypeManagedHSM, "h3": resource.TypeManagedHSM,
		"h4": resource.TypeManagedHSM, "h5": resource.TypeManagedHSM, "k1": resource.TypeHSMKey, "k2": resource.TypeHSMKey,
	}
	got := map[string]string{}
	err := New(Options{}).ReadFrom(t.Context(), strings.NewReader(in), "f.json", func(d *resource.Document) {
		checkInvariants(t, d)
		got[d.Name] = d.Type
		if bt, ok := d.Body["type"]; ok && bt != d.Type {
			t.Errorf("%s: body type %v, document type %s", d.ID, bt, d.Type)
		}
	})
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("types (-want +got):\n%s", diff)
	}
	// h5's type contradicts its ID: a warning, and the ID wins.
	if errs, warns := splitErrors(t, err); len(errs) != 0 || len(warns) != 1 {
		t.Errorf("errors %q, warnings %q; want one warning for h5", errs, warns)
	}
}

// TestMissingAttributesNoted: a secret or key whose input does not give
// its attributes (a projection such as az keyvault secret list --query
// "[].{id:id}", an ARM body without properties, attributes that are not
// an object) is judged as the input shows it, and a warning says so, once
// per file. (Making its expiry Unknown needs an Unknown that may also be
// absent: an Unknown value counts as set for exists.)
func TestMissingAttributesNoted(t *testing.T) {
	t.Parallel()
	in := `[{"id": "https://kv1.vault.azure.net/secrets/projected", "name": "projected"},
 {"id": "https://kv1.vault.azure.net/secrets/null", "attributes": null},
 {"id": "` + vaultID + `/secrets/arm-bare", "type": "Microsoft.KeyVault/vaults/secrets"},
 {"id": "` + vaultID + `/keys/arm-no-attributes", "type": "Microsoft.KeyVault/vaults/keys", "properties": {"kty": "RSA"}},
 {"id": "https://kv1.vault.azure.net/secrets/empty", "attributes": {}}]`
	var names []string
	err := New(Options{}).ReadFrom(t.Context(), strings.NewReader(in), "f.json", func(d *resource.Document) {
		checkInvariants(t, d)
		names = append(names, d.Name)
	})
	if diff := cmp.Diff([]string{"projected", "null", "arm-bare", "arm-no-attributes", "empty"}, names); diff != "" {
		t.Errorf("documents (-want +got):\n%s", diff)
	}
	errs, warns := splitErrors(t, err)
	want := []string{"f.json:1:2 (https://kv1.vault.azure.net/secrets/projected): " + noteText[noteNoAttributes] + " (and 3 more like it in this file)"}
	if len(errs) != 0 || !cmp.Equal(want, warns) {
		t.Errorf("errors %q, warnings (-want +got):\n%s", errs, cmp.Diff(want, warns))
	}
}

// TestRotationPolicyDocument: a saved rotation policy (az's flat shape and
// the REST body) becomes a resource.TypeKeyRotationPolicy document naming
// its key and vault, its body the policy without the id.
func TestRotationPolicyDocument(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		in         string
		wantID     string
		wantHost   string
		wantAction any
	}{
		{
			name: "az",
			in: `{"attributes": {"expiryTime": "P2Y"}, "id": "https://kv1.vault.azure.net/keys/cmk/rotationpolicy",
 "lifetimeActions": [{"action": "Rotate", "timeAfterCreate": "P18M", "timeBeforeExpiry": null}]}`,
			wantID: "https://kv1.vault.azure.net/keys/cmk/rotationpolicy", wantHost: "kv1.vault.azure.net", wantAction: "Rotate",
		},
		{
			name:   "REST, managed HSM",
			in:     `{"id": "https://hsm1.managedhsm.azure.net/keys/cmk/rotationpolicy", "lifetimeActions": [{"trigger": {"timeAfterCreate": "P30D"}, "action": {"type": "Rotate"}}]}`,
			wantID: "https://hsm1.managedhsm.azure.net/keys/cmk/rotationpolicy", wantHost: "hsm1.managedhsm.azure.net",
			wantAction: map[string]any{"type": "Rotate"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var docs []*resource.Document
			err := New(Options{}).ReadFrom(t.Context(), strings.NewReader(tt.in), "f.json", func(d *resource.Document) { docs = append(docs, d) })
			if err != nil {
				t.Fatal(err)
			}
			if len(docs) != 1 {
				t.Fatalf("got %d documents, want 1", len(docs))
			}
			d := docs[0]
			if d.Type != resource.TypeKeyRotationPolicy || d.ID != tt.wantID || d.Name != "cmk" || d.Parent.Host != tt.wantHost {
				t.Errorf("got type %q id %q name %q parent %v", d.Type, d.ID, d.Name, d.Parent)
			}
			if _, ok := d.Body["id"]; ok {
				t.Error("the body keeps the policy's id")
			}
			acts, _ := d.Body["lifetimeActions"].([]any)
			if len(acts) != 1 {
				t.Fatalf("lifetimeActions = %v", d.Body["lifetimeActions"])
			}
			if diff := cmp.Diff(tt.wantAction, acts[0].(map[string]any)["action"]); diff != "" {
				t.Errorf("action (-want +got):\n%s", diff)
			}
		})
	}
}
