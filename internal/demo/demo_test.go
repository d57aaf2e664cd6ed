package demo

import (
	"log/slog"
	"testing"

	"github.com/kvguard/kvguard/internal/resource"
	"github.com/kvguard/kvguard/internal/source/live"
)

// TestDemo: the estate is the same every time, and the live scan of it
// reads every vault from the simulator, some of them Unknown-making
// (forbidden), none from Azure.
func TestDemo(t *testing.T) {
	t.Parallel()
	a, b := Estate(), Estate()
	if a.VaultCount() != 24 || len(a.Subscriptions) != 3 {
		t.Fatalf("%d vaults in %d subscriptions", a.VaultCount(), len(a.Subscriptions))
	}
	for i, v := range a.Vaults() {
		if b.Vaults()[i].ID != v.ID {
			t.Fatalf("vault %d differs: %s, %s", i, v.ID, b.Vaults()[i].ID)
		}
	}
	d, err := Start(nil, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	docs := 0
	sum, err := live.Scan(t.Context(), d.Live(), func(*resource.Document) { docs++ })
	if err != nil {
		t.Fatal(err)
	}
	if sum.VaultsFound != 24 || sum.VaultsUnreadable != len(ForbiddenVaults) || docs == 0 {
		t.Errorf("scanned %+v in %d documents; want 24 vaults, %d unreadable", sum, docs, len(ForbiddenVaults))
	}
	if n := len(d.Simulator().ValueRequests()); n != 0 {
		t.Errorf("%d requests for secret values", n)
	}
}
