package arm

import (
	"slices"
	"testing"

	"github.com/kvguard/kvguard/internal/resource"
)

// TestApplyHSMDefaultsHSMURI: a managed HSM with a known name gets the
// hsmUri Azure computes (public cloud), marked as a service default; an
// unknown or invalid name gets none, and a written one is kept.
func TestApplyHSMDefaultsHSMURI(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		body    map[string]any
		wantURI any
		filled  bool
	}{
		{"known name", map[string]any{"name": "hsm-prod", "properties": map[string]any{}}, "https://hsm-prod.managedhsm.azure.net/", true},
		{"unknown name", map[string]any{"name": resource.Unknown{Expr: "parameters('name')"}, "properties": map[string]any{}}, nil, false},
		{"invalid name", map[string]any{"name": "hsm_prod", "properties": map[string]any{}}, nil, false},
		{"too short", map[string]any{"name": "hs", "properties": map[string]any{}}, nil, false},
		{"written uri kept", map[string]any{"name": "hsm-prod", "properties": map[string]any{"hsmUri": "https://x.managedhsm.azure.net/"}}, "https://x.managedhsm.azure.net/", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			filled := applyHSMDefaults(tt.body)
			got := propsOf(tt.body)["hsmUri"]
			if got != tt.wantURI {
				t.Errorf("hsmUri = %v, want %v", got, tt.wantURI)
			}
			if has := slices.Contains(filled, "properties.hsmUri"); has != tt.filled {
				t.Errorf("service defaults %v: hsmUri filled = %v, want %v", filled, has, tt.filled)
			}
		})
	}
}
