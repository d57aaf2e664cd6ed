package cli

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestPrivateLinkChildren scans each input of testdata/privatelink with
// the rules that look for the child resources of vaults and private
// endpoints (privateEndpointConnections, privateDnsZoneGroups): every
// resource named -ok must be Healthy, every one named -bad Unhealthy.
// Before the estate derived the connection children and the readers
// emitted DNS zone groups, every -ok resource but the ARM/Bicep zone
// groups was Unhealthy.
func TestPrivateLinkChildren(t *testing.T) {
	t.Parallel()
	rules := []string{"keyvault-private-endpoint-deploy", "managedhsm-private-endpoint-deploy", "keyvault-private-dns-zone"}
	tests := []struct {
		input string
		want  []string // "rule resource", every verdict expected
	}{
		{"terraform", []string{
			"keyvault-private-dns-zone pe-tf-dns-ok", "keyvault-private-dns-zone pe-tf-nodns-bad",
			"keyvault-private-endpoint-deploy kv-tf-manual-bad", "keyvault-private-endpoint-deploy kv-tf-ok"}},
		{"arm", []string{
			"keyvault-private-dns-zone pe-arm-nested-ok", "keyvault-private-dns-zone pe-arm-nodns-bad", "keyvault-private-dns-zone pe-arm-top-ok",
			"keyvault-private-endpoint-deploy kv-arm-none-bad", "keyvault-private-endpoint-deploy kv-arm-ok",
			"managedhsm-private-endpoint-deploy hsm-arm-ok"}},
		{"bicep", []string{
			"keyvault-private-dns-zone pe-bicep-nodns-bad", "keyvault-private-dns-zone pe-bicep-ok",
			"keyvault-private-endpoint-deploy kv-bicep-ok"}},
		{"saved", []string{
			"keyvault-private-dns-zone pe-saved-dns-ok", "keyvault-private-dns-zone pe-saved-nodns-bad",
			"keyvault-private-endpoint-deploy kv-saved-ok", "keyvault-private-endpoint-deploy kv-saved-pending-bad",
			"managedhsm-private-endpoint-deploy hsm-saved-ok"}},
	}
	for _, tc := range tests {
		t.Run(tc.input, func(t *testing.T) {
			t.Parallel()
			args := []string{"scan", filepath.Join("testdata", "privatelink", tc.input), "--format", "json", "--fail-on", "none"}
			for _, r := range rules {
				args = append(args, "-r", r)
			}
			code, out, errOut := runCLI(t, args, "")
			var rep struct {
				Assessments []struct {
					Recommendation struct{ ID string }
					Resource       struct{ Name string }
					Status, Reason string
				}
				Errors []struct{ Severity, Message string }
			}
			if err := json.Unmarshal([]byte(out), &rep); err != nil || code != ExitOK {
				t.Fatalf("exit %d, %v\n%s", code, err, errOut)
			}
			for _, e := range rep.Errors {
				t.Errorf("input problem: %s %s", e.Severity, e.Message)
			}
			var got []string
			for _, a := range rep.Assessments {
				key := a.Recommendation.ID + " " + a.Resource.Name
				got = append(got, key)
				want := "Healthy"
				if strings.HasSuffix(a.Resource.Name, "-bad") {
					want = "Unhealthy"
				}
				if a.Status != want {
					t.Errorf("%s: %s (%s), want %s", key, a.Status, a.Reason, want)
				}
			}
			slices.Sort(got)
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("verdicts on\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}
