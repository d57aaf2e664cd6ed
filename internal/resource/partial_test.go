package resource

import "testing"

// TestPartialGapReadBy: a partial gap concerns the rules on its component
// type that read one of its aliases, and no other.
func TestPartialGapReadBy(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		part      string
		component string
		fields    []string
		want      bool
	}{
		{"rotation rule", PartKeyRotationPolicy, TypeKey,
			[]string{"microsoft.keyvault.data/vaults/keys/attributes.createdon", "microsoft.keyvault.data/vaults/keys/scheduledrotationdate"}, true},
		{"key expiry rule", PartKeyRotationPolicy, TypeKey, []string{"microsoft.keyvault.data/vaults/keys/attributes.expireson"}, false},
		{"other component type", PartKeyRotationPolicy, TypeSecret, []string{"microsoft.keyvault.data/vaults/keys/scheduledrotationdate"}, false},
		{"certificate issuer rule", PartCertificatePolicy, TypeCertificate, []string{"microsoft.keyvault.data/vaults/certificates/issuer.name"}, true},
		{"certificate validity rule", PartCertificatePolicy, TypeCertificate, []string{"microsoft.keyvault.data/vaults/certificates/properties.validityinmonths"}, true},
		{"certificate expiry rule", PartCertificatePolicy, TypeCertificate, []string{"microsoft.keyvault.data/vaults/certificates/attributes.expireson"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, ok := PartialGapOf(Gap{Part: tt.part})
			if !ok {
				t.Fatalf("%s is not a partial gap", tt.part)
			}
			if got := p.ReadBy(tt.component, tt.fields); got != tt.want {
				t.Errorf("ReadBy = %v, want %v", got, tt.want)
			}
		})
	}
	for _, part := range []string{PartProperties, TypeKey, TypeDiagnosticSetting, PartUnfollowed} {
		if _, ok := PartialGapOf(Gap{Part: part}); ok {
			t.Errorf("%s is taken for a partial gap", part)
		}
	}
}
