package assess

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestDedupeOrderMatchesStableSort checks the fast path of dedupe's sort
// against the stable sort it replaces, on names that differ only in case,
// repeat, and have IDs in both forms (shared prefix, whole ID).
func TestDedupeOrderMatchesStableSort(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	prefixes := []string{"https://kv.vault.azure.net/secrets/", "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv/secrets/"}
	for round := range 300 {
		n := rng.IntN(60)
		cs := make([]Component, n)
		for i := range cs {
			name := fmt.Sprintf("s%d", rng.IntN(20))
			if rng.IntN(3) == 0 {
				name = strings.ToUpper(name)
			}
			c := Component{Name: name, Type: "t", Reason: fmt.Sprint(i)}
			p := prefixes[rng.IntN(2)]
			if rng.IntN(2) == 0 {
				c.idPrefix = &p
			} else {
				c.ID = p + name
			}
			cs[i] = c
		}
		want := append([]Component(nil), cs...)
		sort.SliceStable(want, func(i, j int) bool {
			if !strings.EqualFold(want[i].Name, want[j].Name) {
				return strings.ToLower(want[i].Name) < strings.ToLower(want[j].Name)
			}
			if want[i].FullID() != want[j].FullID() {
				return want[i].FullID() < want[j].FullID()
			}
			return compareSameID(&want[i], &want[j]) < 0
		})
		got := append([]Component(nil), cs...)
		if !sortByNameASCII(got) {
			t.Fatal("ASCII names not sorted by the fast path")
		}
		if diff := cmp.Diff(want, got, cmp.AllowUnexported(Component{})); diff != "" {
			t.Fatalf("round %d (-stable sort +fast path):\n%s", round, diff)
		}
	}
	if sortByNameASCII([]Component{{Name: "é"}, {Name: "a"}}) {
		t.Error("non-ASCII names must take the stable sort")
	}
}
