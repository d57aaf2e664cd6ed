package assess

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// sortAssessments deals assessments out by recommendation and sorts only
// what is out of order: whatever the input's order, the result is
// exactly what one stable sort by compareAssessments gives, ties (equal
// in every key) kept in input order.
func TestSortAssessmentsIsOneStableSort(t *testing.T) {
	t.Parallel()
	recs := []*Recommendation{{ID: "a"}, {ID: "b"}, {ID: "c"}}
	order := map[*Recommendation]int{recs[0]: 2, recs[1]: 0, recs[2]: 1}
	unknown := &Recommendation{ID: "not in the order"} // ranks as 0, beside recs[1]
	ids := []string{"/s/1/vaults/kv-a", "/S/1/VAULTS/KV-A", "/s/1/vaults/kv-b", "/s/1/vaults/kv-B", "/s/2/vaults/kv-a"}
	make1 := func(rng *rand.Rand, n int) []*Assessment {
		as := make([]*Assessment, n)
		for i := range as {
			r := recs[rng.IntN(len(recs))]
			if rng.IntN(10) == 0 {
				r = unknown
			}
			as[i] = &Assessment{
				Recommendation: r,
				Resource:       Resource{ID: ids[rng.IntN(len(ids))], Deployment: []string{"", "d"}[rng.IntN(2)]},
				Status:         []Status{Healthy, Unhealthy}[rng.IntN(2)],
				Reason:         fmt.Sprint(i), // tells ties apart below
			}
			if rng.IntN(3) > 0 {
				as[i].Reason = "same" // ties, whose input order must stay
			}
		}
		return as
	}
	inputs := map[string]func(rng *rand.Rand) []*Assessment{
		"shuffled": func(rng *rand.Rand) []*Assessment { return make1(rng, 200) },
		// In ID order already within each recommendation, as the
		// documents are judged: nothing to sort after dealing.
		"in order per recommendation": func(rng *rand.Rand) []*Assessment {
			as := make1(rng, 200)
			slices.SortStableFunc(as, func(x, y *Assessment) int {
				return cmp.Or(strings.Compare(strings.ToLower(x.Resource.ID), strings.ToLower(y.Resource.ID)), compareRest(x, y))
			})
			return as
		},
		"one":  func(rng *rand.Rand) []*Assessment { return make1(rng, 1) },
		"none": func(*rand.Rand) []*Assessment { return nil },
	}
	for name, input := range inputs {
		t.Run(name, func(t *testing.T) {
			for seed := range uint64(50) {
				rng := rand.New(rand.NewPCG(seed, 1))
				as := input(rng)
				want := slices.Clone(as)
				slices.SortStableFunc(want, func(x, y *Assessment) int {
					return compareAssessments(order, x, y, strings.ToLower(x.Resource.ID), strings.ToLower(y.Resource.ID))
				})
				sortAssessments(as, order)
				for i := range as {
					if as[i] != want[i] {
						t.Fatalf("seed %d: position %d holds %+v, want %+v", seed, i, *as[i], *want[i])
					}
				}
			}
		})
	}
}

// BenchmarkSortAssessments sorts the assessments of the saved estate's
// ten thousand vaults (bench/estate): six recommendations each, in file
// order, which deals the vaults out over 21 subscriptions in turn.
func BenchmarkSortAssessments(b *testing.B) {
	recs := make([]*Recommendation, 6)
	order := map[*Recommendation]int{}
	for i := range recs {
		recs[i] = &Recommendation{ID: fmt.Sprint(i)}
		order[recs[i]] = i
	}
	var as []*Assessment
	for v := range 10000 {
		id := fmt.Sprintf("/subscriptions/5ab%05x-0000-4000-8000-%012x/resourceGroups/rg-%03d/providers/Microsoft.KeyVault/vaults/kv-%05d", v%21, v%21, v/50, v)
		for _, r := range recs {
			as = append(as, &Assessment{Recommendation: r, Resource: Resource{ID: id}, Status: Healthy})
		}
	}
	work := make([]*Assessment, len(as))
	b.ReportAllocs()
	for b.Loop() {
		copy(work, as)
		sortAssessments(work, order)
	}
}
