package armexpr

import (
	"regexp"
	"testing"
)

// TestUniqueString checks uniqueString against values Azure itself
// computed, each from a source that ran Azure's own implementation.
func TestUniqueString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args   []string
		want   string
		source string
	}{
		{[]string{"/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/myRg"}, "js26ofeqkqeve",
			"Azure/bicep src/Bicep.Cli.IntegrationTests/Files/SnapshotCommandTests/basic/main.snapshot.json: storageAccountName 'store${uniqueString(resourceGroup().id)}' evaluated by the deployment engine to storejs26ofeqkqeve"},
		{[]string{"/subscriptions/00000000-0000-0000-0000-000000000000", "resource-id"}, "cwvxuqg24sifi",
			"Azure/terraform-provider-azapi internal/services/functions/unique_string_function_test.go"},
		{[]string{"tyeth"}, "zcztcwvu6iyg6",
			"stackoverflow.com/questions/43295720: computed with Azure.Deployments.Expression's uniqueString"},
		{[]string{"hello", "world"}, "a7wkljktk6wne",
			"github.com/JasonWhall/go-azure-uniquestring README (hash 571013382255652050)"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			t.Parallel()
			if got := UniqueString(tt.args...); got != tt.want {
				t.Errorf("UniqueString(%q) = %q, want %q (%s)", tt.args, got, tt.want, tt.source)
			}
		})
	}
	if got := Murmur64([]byte("hello-world")); got != 571013382255652050 {
		t.Errorf("Murmur64(hello-world) = %d, want 571013382255652050", got)
	}
}

// TestUniqueStringShape checks every length of tail (0-7 bytes after the
// 8-byte blocks) gives 13 characters of the alphabet, deterministically.
func TestUniqueStringShape(t *testing.T) {
	t.Parallel()
	re := regexp.MustCompile(`^[a-z2-7]{13}$`)
	seen := map[string]bool{}
	s := ""
	for i := 0; i < 40; i++ {
		u := UniqueString(s)
		if !re.MatchString(u) || u != UniqueString(s) {
			t.Fatalf("UniqueString(%q) = %q", s, u)
		}
		if seen[u] {
			t.Fatalf("UniqueString collides at length %d", i)
		}
		seen[u] = true
		s += string(rune('a' + i%26))
	}
}

// TestGUID checks guid() against RFC 4122 §4.3 version-5 UUIDs in ARM's
// namespace 11fb06fb-712d-4ddd-98c7-e71bbd588830 over the arguments joined
// with '-' (the algorithm Microsoft documents for guid()). The expected
// values were computed independently with Python's uuid.uuid5.
func TestGUID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"abc"}, "a9b46cc2-65a6-5559-9f14-7091827ab32f"},
		{[]string{"a", "b"}, "2d796349-8c7e-55ec-9624-54ece82ed031"},
		{[]string{"a-b"}, "2d796349-8c7e-55ec-9624-54ece82ed031"},
	}
	for _, tt := range tests {
		if got := GUID(tt.args...); got != tt.want {
			t.Errorf("GUID(%q) = %q, want %q", tt.args, got, tt.want)
		}
	}
	re := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	if g := GUID("/subscriptions/x", "principal", "role"); !re.MatchString(g) {
		t.Errorf("GUID is not a version-5 UUID: %s", g)
	}
}
