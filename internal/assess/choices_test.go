package assess

import (
	"strings"
	"testing"

	"github.com/kvguard/kvguard/internal/resource"
)

// TestVerdictsForEveryChoice: an unknown with few possible values gives
// the common verdict and says it holds for every value; where the values
// disagree, the verdict is Unknown and the reason names the deciding one.
func TestVerdictsForEveryChoice(t *testing.T) {
	t.Parallel()
	open := healthyProps("kv-open")
	open["publicNetworkAccess"] = resource.UnknownOneOf("var.public", "Enabled", resource.Absent)
	open["networkAcls"] = map[string]any{"defaultAction": "Allow"}
	either := healthyProps("kv-either")
	either["publicNetworkAccess"] = resource.UnknownOneOf("var.public", "Enabled", "Disabled")
	either["networkAcls"] = map[string]any{"defaultAction": "Allow"}
	res := run(t, Options{}, vault("kv-open", open), vault("kv-either", either))

	a := find(t, res, "keyvault-firewall", "kv-open")
	if a.Status != Unhealthy || !strings.Contains(a.Reason, "for every value of var.public") {
		t.Errorf("kv-open: %s %q, want Unhealthy for every value of var.public", a.Status, a.Reason)
	}
	b := find(t, res, "keyvault-firewall", "kv-either")
	if b.Status != Unknown || !strings.Contains(b.Reason, "depends on var.public") {
		t.Errorf("kv-either: %s %q, want Unknown naming var.public", b.Status, b.Reason)
	}
}
