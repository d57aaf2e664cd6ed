package assess

import (
	"context"
	"strings"
	"testing"

	"github.com/kvguard/kvguard/internal/catalog"
	"github.com/kvguard/kvguard/internal/resource"
)

// TestPartialGaps: a part of a vault's components that could not be read
// (their rotation policies, their certificate policies) makes Unknown
// only the rules that read it; the other rules on the same components are
// judged, and a component-type gap still makes all of that type's rules
// Unknown.
func TestPartialGaps(t *testing.T) {
	t.Parallel()
	all, err := catalog.All(catalog.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cat, err := all.Select([]string{"keyvault-key-rotation", "keyvault-key-expiry", "keyvault-certificate-validity", "keyvault-certificate-expiring"})
	if err != nil {
		t.Fatal(err)
	}
	expired := resource.ObjectAttributes{Enabled: true, Created: "2025-01-01T00:00:00Z", Expires: "2026-01-01T00:00:00Z"}
	tests := []struct {
		name string
		gap  resource.Gap
		want map[string]Status // by recommendation
	}{
		{"rotation policies unreadable", resource.Gap{Part: resource.PartKeyRotationPolicy, Err: "403 on rotationpolicy"},
			map[string]Status{"keyvault-key-rotation": Unknown, "keyvault-key-expiry": Healthy, "keyvault-certificate-validity": Unhealthy, "keyvault-certificate-expiring": Unhealthy}},
		{"certificate policies unreadable", resource.Gap{Part: resource.PartCertificatePolicy, Err: "403 on certificate get"},
			map[string]Status{"keyvault-key-rotation": Unhealthy, "keyvault-key-expiry": Healthy, "keyvault-certificate-validity": Unknown, "keyvault-certificate-expiring": Unhealthy}},
		{"certificate list unreadable", resource.Gap{Part: resource.TypeCertificate, Err: "403 on certificate list"},
			map[string]Status{"keyvault-key-rotation": Unhealthy, "keyvault-key-expiry": Healthy, "keyvault-certificate-validity": Unknown, "keyvault-certificate-expiring": Unknown}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v := vault("kv", healthyProps("kv"))
			v.Gaps = []resource.Gap{tt.gap}
			parent := resource.Ref{ID: v.ID}
			key := resource.NewComponent(resource.TypeKey, parent, v.ID+"/keys/k", "k", expired, map[string]any{"keyType": "RSA", "keySize": int64(2048)})
			cert := resource.NewComponent(resource.TypeCertificate, parent, v.ID+"/certificates/c", "c", expired,
				map[string]any{"properties": map[string]any{"validityInMonths": int64(36)}})
			a := New(cat, Options{Now: now})
			for _, d := range []*resource.Document{v, key, cert} {
				a.Add(d)
			}
			r := a.Finish(context.Background())
			for rec, want := range tt.want {
				as := find(t, r, rec, "kv")
				if as.Status != want {
					t.Errorf("%s: %s %q, want %s", rec, as.Status, as.Reason, want)
				}
				if want == Unknown && !strings.Contains(as.Reason, tt.gap.Err) {
					t.Errorf("%s: reason %q does not name the gap", rec, as.Reason)
				}
			}
		})
	}
}

// TestDiagnosticSettingsGap: a vault whose diagnostic settings could not
// be read is Unknown on the resource-logs rule, which looks for them, and
// judged as usual on its own settings.
func TestDiagnosticSettingsGap(t *testing.T) {
	t.Parallel()
	all, err := catalog.All(catalog.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cat, err := all.Select([]string{"keyvault-resource-logs", "keyvault-soft-delete", "keyvault-firewall"})
	if err != nil {
		t.Fatal(err)
	}
	v := vault("kv", healthyProps("kv"))
	v.Gaps = []resource.Gap{{Part: resource.TypeDiagnosticSetting, Err: "403 on diagnosticSettings"}}
	a := New(cat, Options{Now: now})
	a.Add(v)
	r := a.Finish(context.Background())
	for rec, want := range map[string]Status{"keyvault-resource-logs": Unknown, "keyvault-soft-delete": Healthy, "keyvault-firewall": Healthy} {
		as := find(t, r, rec, "kv")
		if as.Status != want {
			t.Errorf("%s: %s %q, want %s", rec, as.Status, as.Reason, want)
		}
		if want == Unknown && !strings.Contains(as.Reason, "403 on diagnosticSettings") {
			t.Errorf("%s: reason %q does not name the gap", rec, as.Reason)
		}
	}
}
