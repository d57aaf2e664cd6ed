package live_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kvguard/kvguard/internal/azuresim"
	"github.com/kvguard/kvguard/internal/source/live"
)

// hierarchyEstate has 150 subscriptions (the entity list spans pages):
// the first two below Production, the third below Development, both
// below Platform; the rest directly below the tenant root group.
func hierarchyEstate() *azuresim.Estate {
	est := azuresim.Generate(azuresim.GenOptions{Subscriptions: 150, Vaults: 6, SecretsPerVault: 1, Seed: 21})
	est.ManagementGroups = []azuresim.ManagementGroup{
		{Name: "platform", DisplayName: "Platform"},
		{Name: "prod", DisplayName: "Production", Parent: "platform",
			Subscriptions: []string{est.Subscriptions[0].ID, est.Subscriptions[1].ID}},
		{Name: "dev", DisplayName: "Development", Parent: "platform", Subscriptions: []string{est.Subscriptions[2].ID}},
	}
	return est
}

func ancestryLines(list []live.SubscriptionAncestry) []string {
	var out []string
	for _, a := range list {
		var groups []string
		for _, g := range a.Groups {
			groups = append(groups, g.Name+"="+g.DisplayName)
		}
		out = append(out, a.Subscription+": "+strings.Join(groups, " < "))
	}
	return out
}

// TestScanAncestry: with Options.Ancestry the scan reads each
// subscription's management groups, nearest first, from Resource Graph
// or from the entity list (without Resource Graph, or when it refuses);
// without it, it sends no such request.
func TestScanAncestry(t *testing.T) {
	t.Parallel()
	est := hierarchyEstate()
	sim := startSim(t, est, azuresim.Options{})
	subs := est.Subscriptions
	root := est.TenantID + "=Tenant Root Group"
	for _, graph := range []bool{true, false} {
		t.Run(fmt.Sprintf("resource graph %v", graph), func(t *testing.T) {
			opts := baseOptions(t, sim)
			opts.Subscriptions = []string{subs[0].ID, subs[2].ID, subs[149].ID}
			opts.NoResourceGraph = !graph
			opts.Ancestry = true
			var c collector
			sum, err := live.Scan(t.Context(), opts, c.emit)
			if err != nil {
				t.Fatal(err)
			}
			want := []string{
				subs[0].ID + ": prod=Production < platform=Platform < " + root,
				subs[2].ID + ": dev=Development < platform=Platform < " + root,
				subs[149].ID + ": " + root,
			}
			if diff := cmp.Diff(want, ancestryLines(sum.Ancestry)); diff != "" {
				t.Errorf("ancestry (-want +got):\n%s", diff)
			}
		})
	}
	// Resource Graph answered the first scan; the second read the entity
	// list: 150 subscriptions and 4 groups, two pages of 100 entities, the
	// second a GET of the next link.
	if n := entityRequests(sim); n != 2 {
		t.Errorf("%d entity list requests, want 2 (2 pages)", n)
	}

	// Resource Graph refuses: the entity list answers.
	simNoGraph := startSim(t, hierarchyEstate(), azuresim.Options{DisableResourceGraph: true})
	opts := baseOptions(t, simNoGraph)
	opts.Subscriptions, opts.Ancestry = []string{subs[1].ID}, true
	var c collector
	sum, err := live.Scan(t.Context(), opts, c.emit)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{subs[1].ID + ": prod=Production < platform=Platform < " + root}, ancestryLines(sum.Ancestry)); diff != "" {
		t.Errorf("Resource Graph refused: ancestry (-want +got):\n%s", diff)
	}

	// Without Options.Ancestry: no request, no ancestry.
	sim2 := startSim(t, hierarchyEstate(), azuresim.Options{})
	opts = baseOptions(t, sim2)
	opts.Subscriptions = []string{subs[0].ID}
	sum, err = live.Scan(t.Context(), opts, c.emit)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Ancestry != nil || entityRequests(sim2) != 0 {
		t.Errorf("without Options.Ancestry: ancestry %v, %d entity requests", sum.Ancestry, entityRequests(sim2))
	}
}

func entityRequests(sim *azuresim.Simulator) int {
	n := 0
	for _, r := range sim.Requests() {
		if strings.EqualFold(r.Path, "/providers/Microsoft.Management/getEntities") && r.Status == 200 {
			n++
		}
	}
	return n
}

// TestScanParentGroup: scanning a management group reads the
// subscriptions of the groups below it too, through ARM's descendants
// and through Resource Graph alike.
func TestScanParentGroup(t *testing.T) {
	t.Parallel()
	est := hierarchyEstate()
	sim := startSim(t, est, azuresim.Options{})
	for _, graph := range []bool{true, false} {
		t.Run(fmt.Sprintf("resource graph %v", graph), func(t *testing.T) {
			opts := baseOptions(t, sim)
			opts.ManagementGroups = []string{"platform"}
			opts.NoResourceGraph = !graph
			var c collector
			sum, err := live.Scan(t.Context(), opts, c.emit)
			if err != nil {
				t.Fatal(err)
			}
			// Vaults are dealt to the 150 subscriptions in turn: the first
			// three subscriptions hold vaults 0, 1 and 2.
			if sum.Subscriptions != 3 || sum.VaultsFound != 3 {
				t.Errorf("summary %+v, want 3 subscriptions and 3 vaults", sum)
			}
		})
	}
}
