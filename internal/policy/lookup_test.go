package policy

import (
	"testing"

	"github.com/kvguard/kvguard/internal/resource"
)

// TestLookupResolvesOnce reads reason fields through Lookup's cache: the
// second lookup of a field must give what the first gave, from the same
// resolved field, and a field that cannot be resolved must fail both times.
func TestLookupResolvesOnce(t *testing.T) {
	doc := &resource.Document{ID: "/subscriptions/s/resourceGroups/g/providers/Microsoft.KeyVault/vaults/v", Type: resource.TypeVault, Name: "v",
		Body: map[string]any{"properties": map[string]any{"enableRbacAuthorization": false, "networkAcls": map[string]any{"defaultAction": "Allow"}}}}
	cases := []struct {
		field string
		want  any
	}{
		{"Microsoft.KeyVault/vaults/enableRbacAuthorization", false},
		{"Microsoft.KeyVault/vaults/networkAcls.defaultAction", "Allow"},
		{"name", "v"},
	}
	for _, c := range cases {
		for range 2 {
			got, err := Lookup(doc, c.field)
			if err != nil || got != c.want {
				t.Fatalf("Lookup(%q) = %v, %v; want %v", c.field, got, err, c.want)
			}
		}
		f1, _ := lookupField(c.field)
		f2, _ := lookupField(c.field)
		if f1 != f2 {
			t.Errorf("lookupField(%q) resolved the field again", c.field)
		}
	}
	for range 2 {
		if _, err := Lookup(doc, "not-a-field"); err == nil {
			t.Fatal("Lookup of an unknown field: no error")
		}
	}
}
