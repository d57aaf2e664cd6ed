package estate

import (
	"strings"
	"testing"

	"github.com/kvguard/kvguard/internal/resource"
)

// realSubscription decides without parsing most IDs; it must say what
// parsing them says.
func TestRealSubscriptionAsParsed(t *testing.T) {
	const vault = "/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv"
	tests := []struct {
		id   string
		want bool
	}{
		{"", false},
		{"/subscriptions/11111111-2222-3333-4444-555555555555" + vault, true},
		{"/SUBSCRIPTIONS/11111111-2222-3333-4444-555555555555" + vault, true},
		{"/subscriptions/00000000-0000-0000-0000-000000000000" + vault, false},
		{"/subscriptions/00000000-0000-0000-0000-000000000000", false},
		{"/subscriptions/11111111-2222-3333-4444-555555555555", true},
		{"/subscriptions/[subscription().subscriptionId]" + vault, false},
		{"/subscriptions/", false},
		{"/subscriptions", false},
		{"subscriptions/11111111-2222-3333-4444-555555555555" + vault, false},
		{"//subscriptions/abc" + vault, true},
		{"/subscriptions//subscriptions/abc" + vault, true},
		{"/subscriptions//x", false},
		{"/mysubscriptions/abc" + vault, false},
		{"/providers/Microsoft.Management/managementGroups/mg/subscriptions/abc" + vault, true},
		{"/ſubscriptions/abc" + vault, false}, // ſ lowers to itself
		{"/subscriptionſ/abc" + vault, false},
		{"/subscriptions/abc/providers/Microsoft.KeyVault/vaults", false}, // odd number of type/name segments
		{"/subscriptions/abc/", true},
		{"kv", false},
		{"${azurerm_key_vault.kv.id}", false},
	}
	for _, tt := range tests {
		if got := realSubscription(tt.id); got != tt.want || got != parsedSubscription(tt.id) {
			t.Errorf("realSubscription(%q) = %v, want %v (parsed: %v)", tt.id, got, tt.want, parsedSubscription(tt.id))
		}
	}
}

// parsedSubscription is realSubscription by parsing every ID.
func parsedSubscription(id string) bool {
	pid, ok := resource.ParseID(id)
	return ok && pid.Subscription != "" && !strings.EqualFold(pid.Subscription, placeholderSubscription) &&
		!strings.ContainsAny(pid.Subscription, openChars)
}

func FuzzRealSubscription(f *testing.F) {
	for _, s := range []string{"/subscriptions/abc/resourceGroups/rg/providers/P/t/n", "/SubScriptions//subscriptions/x/providers/a/b/c", "/ſubscriptions/x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		if got, want := realSubscription(id), parsedSubscription(id); got != want {
			t.Errorf("realSubscription(%q) = %v, parsing says %v", id, got, want)
		}
	})
}
