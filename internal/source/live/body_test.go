package live

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kvguard/kvguard/internal/resource"
)

func decodeBody(t *testing.T, s string) map[string]any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader([]byte(s)))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	resource.NormalizeNumbers(m)
	return m
}

func TestFromAzureBody(t *testing.T) {
	t.Parallel()
	const vault = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv"
	cases := []struct {
		name       string
		body       string
		wantType   string
		wantParent resource.Ref
		wantBody   map[string]any // checked keys only
		notOK      bool
	}{
		{name: "ARM secret", body: `{"id": "` + vault + `/secrets/db", "name": "db", "type": "Microsoft.KeyVault/vaults/secrets",
			"properties": {"value": "NEVER", "contentType": "text/plain", "attributes": {"enabled": true, "exp": 1798761600, "created": 1740787200}}}`,
			wantType: resource.TypeSecret, wantParent: resource.Ref{ID: vault},
			wantBody: map[string]any{"contentType": "text/plain", "attributes": map[string]any{"enabled": true,
				"expiresOn": "2027-01-01T00:00:00Z", "createdOn": "2025-03-01T00:00:00Z"}}},
		{name: "ARM key", body: `{"id": "` + vault + `/keys/k", "type": "microsoft.keyvault/vaults/keys",
			"properties": {"kty": "RSA-HSM", "keySize": 3072, "attributes": {"enabled": true}, "rotationPolicy": {"attributes": {"expiryTime": "P1Y"}}}}`,
			wantType: resource.TypeKey, wantParent: resource.Ref{ID: vault},
			wantBody: map[string]any{"name": "k", "keyType": "RSA-HSM", "keySize": int64(3072), "rotationPolicy": map[string]any{"attributes": map[string]any{"expiryTime": "P1Y"}}}},
		{name: "diagnostic setting", body: `{"id": "` + vault + `/providers/microsoft.insights/diagnosticSettings/a", "name": "a", "type": "Microsoft.Insights/diagnosticSettings", "properties": {}}`,
			wantType: resource.TypeDiagnosticSetting, wantParent: resource.Ref{ID: vault}},
		{name: "vault from Resource Graph", body: `{"id": "` + vault + `", "name": "kv", "type": "microsoft.keyvault/vaults", "properties": {"softDeleteRetentionInDays": 90}}`,
			wantType: resource.TypeVault, wantBody: map[string]any{"properties": map[string]any{"softDeleteRetentionInDays": int64(90)}}},
		{name: "data-plane certificate", body: `{"id": "https://kv.vault.azure.net/certificates/web", "x5t": "x", "attributes": {"enabled": true, "exp": 1798761600}}`,
			wantType: resource.TypeCertificate, wantParent: resource.Ref{Host: "kv.vault.azure.net"},
			wantBody: map[string]any{"name": "web", "attributes": map[string]any{"enabled": true, "expiresOn": "2027-01-01T00:00:00Z"}}},
		{name: "data-plane key", body: `{"kid": "https://kv.vault.azure.net/keys/k1", "managed": true, "attributes": {"enabled": false}}`,
			wantType: resource.TypeKey, wantParent: resource.Ref{Host: "kv.vault.azure.net"}, wantBody: map[string]any{"managed": true}},
		{name: "data-plane secret", body: `{"id": "https://kv.vault.azure.net/secrets/s", "value": "NEVER", "contentType": "x", "attributes": {}}`,
			wantType: resource.TypeSecret, wantParent: resource.Ref{Host: "kv.vault.azure.net"}, wantBody: map[string]any{"contentType": "x"}},
		{name: "no id", body: `{"name": "x"}`, notOK: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d, ok := fromAzureBody(decodeBody(t, tc.body))
			if ok == tc.notOK {
				t.Fatalf("ok = %v", ok)
			}
			if tc.notOK {
				return
			}
			if d.Type != tc.wantType || d.Parent != tc.wantParent {
				t.Errorf("type %s parent %+v, want %s %+v", d.Type, d.Parent, tc.wantType, tc.wantParent)
			}
			for k, want := range tc.wantBody {
				if diff := cmp.Diff(want, d.Body[k]); diff != "" {
					t.Errorf("body.%s (-want +got):\n%s", k, diff)
				}
			}
			if b, _ := json.Marshal(d.Body); bytes.Contains(b, []byte("NEVER")) {
				t.Errorf("a secret value reached the document: %s", b)
			}
		})
	}
}
