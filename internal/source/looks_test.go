package source

import "testing"

func TestLooksLikeAzure(t *testing.T) {
	tests := []struct {
		name string
		head string
		want bool
	}{
		{"public cloud secret list", `{"value":[{"id":"https://kv1.vault.azure.net/secrets/a","attributes":{"enabled":true}}]}`, true},
		{"private cloud secret list", `{"value":[{"id":"https://kv1.vault.azuresim.test/secrets/a","attributes":{"enabled":true}}],"nextLink":null}`, true},
		{"private cloud key list", `[{"kid":"https://kv1.vault.contoso.internal/keys/k1","attributes":{"exp":1}}]`, true},
		{"object URL without attributes", `{"homepage":"https://example.com/secrets/a"}`, false},
		{"attributes without an object URL", `{"attributes":{"enabled":true},"id":"https://example.com/"}`, false},
		{"a function host file", `{"extensionBundle":{"id":"Microsoft.Azure.Functions.ExtensionBundle"}}`, false},
		{"resource type", `{"type":"Microsoft.KeyVault/vaults","name":"kv"}`, true},
	}
	for _, tc := range tests {
		if got := looksLikeAzure([]byte(tc.head)); got != tc.want {
			t.Errorf("%s: looksLikeAzure = %v, want %v", tc.name, got, tc.want)
		}
	}
}
