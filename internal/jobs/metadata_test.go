package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kvguard/kvguard/internal/resource"
	"github.com/kvguard/kvguard/internal/store"
)

// TestComponentRecorder: a vault's listings replace what was recorded of
// them, except a kind the scan could not read (a gap); certificates,
// named by their vault's host, are recorded on the vault; enabled and
// expiry come from the documents' attributes.
func TestComponentRecorder(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "kvguard.db"), store.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	const vault = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv"
	if err := st.PutComponentDetails(ctx, nil, []store.ComponentDetail{
		{Vault: vault, Kind: store.KindSecret, Name: "old-secret"}, {Vault: vault, Kind: store.KindKey, Name: "old-key"},
	}); err != nil {
		t.Fatal(err)
	}
	r := &componentRecorder{ctx: ctx, st: st, dataPlane: true}
	v := &resource.Document{ID: vault, Type: resource.TypeVault, Name: "kv",
		Body: map[string]any{"properties": map[string]any{"vaultUri": "https://kv.vault.azure.net/"}},
		Gaps: []resource.Gap{{Part: resource.TypeSecret, Err: "403"}}}
	exp := time.Date(2027, 1, 2, 3, 4, 5, 0, time.UTC)
	r.add(v)
	r.add(resource.NewComponent(resource.TypeKey, resource.Ref{ID: vault}, vault+"/keys/k1", "k1",
		resource.ObjectAttributes{Enabled: true, Expires: exp}, nil))
	r.add(resource.NewComponent(resource.TypeCertificate, resource.Ref{Host: "kv.vault.azure.net"},
		"https://kv.vault.azure.net/certificates/c1", "c1", resource.ObjectAttributes{Enabled: false}, nil))
	r.add(resource.NewComponent(resource.TypeCertificate, resource.Ref{Host: "other.vault.azure.net"},
		"https://other.vault.azure.net/certificates/c2", "c2", resource.ObjectAttributes{}, nil))
	r.flush()
	if r.err != nil {
		t.Fatal(r.err)
	}
	rows, err := st.DB().QueryContext(ctx, "SELECT resource_id, kind, name, enabled, expires_at FROM component_details ORDER BY kind, name")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var id, kind, name string
		var enabled, expires int64
		if err := rows.Scan(&id, &kind, &name, &enabled, &expires); err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%s %s %s enabled=%d expires=%d", filepath.Base(id), kind, name, enabled, expires))
	}
	want := []string{
		"kv certificate c1 enabled=0 expires=0",
		fmt.Sprintf("kv key k1 enabled=1 expires=%d", exp.UnixMilli()),
		"kv secret old-secret enabled=-1 expires=0", // the secrets were not read: kept
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("recorded (-want +got):\n%s", diff)
	}
}
