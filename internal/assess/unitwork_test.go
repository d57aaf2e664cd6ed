package assess

import (
	"context"
	"fmt"
	"testing"

	"github.com/kvguard/kvguard/internal/resource"
)

// TestUnitsWaitOnlyForTheirComponents ends units one after another, each
// with a vault and its secrets, as a reader of one file after another
// does: Done waits for the unit's components, which the workers count off
// in runs, and must return once they are judged even when no more work
// follows (a worker holding its count while it waits for work would block
// it for ever, and the test's deadline would end it). Every secret must be
// judged once.
func TestUnitsWaitOnlyForTheirComponents(t *testing.T) {
	t.Parallel()
	cat := defender(t)
	a := New(cat, Options{Now: now, Workers: 2})
	const units, secrets = 20, 37
	for i := range units {
		u := a.Unit()
		kv := vault(fmt.Sprintf("kv%d", i), map[string]any{"enableSoftDelete": true})
		u.Add(kv)
		for j := range secrets {
			name := fmt.Sprintf("s%d", j)
			attrs := resource.ObjectAttributes{Enabled: true}
			if j%2 == 0 {
				attrs.Expires = "2030-01-01T00:00:00Z"
			}
			u.Add(resource.NewPooledComponent(resource.TypeSecret, resource.Ref{ID: kv.ID}, kv.ID+"/secrets/"+name, name, attrs))
		}
		u.Done()
	}
	res := a.Finish(context.Background())
	defer res.Close()
	if got := res.Summary.Inventory.Components[resource.TypeSecret]; got != units*secrets {
		t.Fatalf("%d secrets judged, want %d", got, units*secrets)
	}
	healthy, unhealthy := 0, 0
	for as := range res.All() {
		if as.Recommendation.ID != "keyvault-secret-expiry" {
			continue
		}
		for _, c := range as.Components {
			switch c.Status {
			case Healthy:
				healthy++
			case Unhealthy:
				unhealthy++
			}
		}
	}
	if want := units * (secrets + 1) / 2; healthy != want || unhealthy != units*secrets-want {
		t.Errorf("%d healthy and %d unhealthy secrets, want %d and %d", healthy, unhealthy, want, units*secrets-want)
	}
}
