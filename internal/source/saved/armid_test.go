package saved

import (
	"fmt"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"github.com/kvguard/kvguard/internal/jsonpos"
	"github.com/kvguard/kvguard/internal/resource"
)

// splitID must agree with resource.ParseID and resource.ParentID, which it
// replaces on the hot path.
func TestSplitIDAgreesWithResource(t *testing.T) {
	t.Parallel()
	ids := []string{
		"/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv",
		"/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv/",
		"/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv/secrets/s1",
		"/subscriptions/s/resourcegroups/rg/providers/microsoft.keyvault/vaults/kv/providers/microsoft.insights/diagnosticSettings/d",
		"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/privateEndpoints/pe/privateLinkServiceConnections/c",
		"/subscriptions/s/resourceGroups/rg/PROVIDERS/Microsoft.KeyVault/managedHSMs/h/keys/k",
		"/providers/Microsoft.Management/managementGroups/mg",
	}
	for _, id := range ids {
		a, ok := splitID(id)
		pid, pok := resource.ParseID(id)
		if !ok || !pok {
			t.Fatalf("%s: splitID %v, ParseID %v", id, ok, pok)
		}
		if a.fullType() != pid.FullType() || a.name != pid.Name() || a.scope != pid.Scope {
			t.Errorf("%s: got %q %q %q, want %q %q %q", id, a.fullType(), a.name, a.scope, pid.FullType(), pid.Name(), pid.Scope)
		}
		if want := resource.ParentID(id); strings.TrimRight(a.parent, "/") != strings.TrimRight(want, "/") {
			t.Errorf("%s: parent %q, want %q", id, a.parent, want)
		}
		if !a.typeIs(strings.ToUpper(pid.FullType())) {
			t.Errorf("%s: typeIs(%s) is false", id, pid.FullType())
		}
		for _, other := range []string{pid.FullType() + "/x", pid.Provider, "Other.Provider/" + strings.Join(pid.Types, "/"), pid.Provider + "/" + strings.Join(pid.Types[:len(pid.Types)-1], "/")} {
			if a.typeIs(other) {
				t.Errorf("%s: typeIs(%q) is true", id, other)
			}
		}
	}
	for _, bad := range []string{"", "/", "kv", "/foo/bar", "/providers///0", "/subscriptions/s/providers/P/t", "/subscriptions/s/providers/P/t//n", "/subscriptions/s/providers/"} {
		if a, ok := splitID(bad); ok && a.depth > 0 {
			t.Errorf("splitID(%q) = %+v, want not ok", bad, a)
		}
	}
}

func FuzzSplitID(f *testing.F) {
	f.Add("/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv/secrets/s1")
	f.Add("/subscriptions/s/resourcegroups/rg/providers/microsoft.keyvault/vaults/kv/providers/microsoft.insights/diagnosticSettings/d")
	f.Fuzz(func(t *testing.T, id string) {
		a, ok := splitID(id)
		if !ok || a.depth == 0 {
			return
		}
		pid, pok := resource.ParseID(id)
		if !pok {
			t.Fatalf("splitID accepts %q, ParseID does not", id)
		}
		if a.fullType() != pid.FullType() || a.name != pid.Name() || !a.typeIs(pid.FullType()) {
			t.Fatalf("%q: %q %q, ParseID %q %q", id, a.fullType(), a.name, pid.FullType(), pid.Name())
		}
		if want := strings.TrimRight(resource.ParentID(id), "/"); strings.TrimRight(a.parent, "/") != want {
			t.Fatalf("%q: parent %q, ParentID %q", id, a.parent, want)
		}
	})
}

// foldHash must give equal IDs (as resource.SameID compares them) equal
// hashes, whatever their case and trailing slashes.
func TestFoldHash(t *testing.T) {
	t.Parallel()
	for _, id := range []string{
		"", "/", "a", "/subscriptions/s/resourceGroups/RG/providers/Microsoft.KeyVault/vaults/KV-01/secrets/S",
		"https://KV.vault.azure.net/secrets/A", "/subscriptions/s/résumé/ÉTÉ", "@[`{~AZaz09", strings.Repeat("AbCdEfGh", 9) + "Z",
	} {
		for _, other := range []string{strings.ToLower(id), strings.ToUpper(id), id + "/", id + "//"} {
			if resource.SameID(id, other) && foldHash(id) != foldHash(other) {
				t.Errorf("foldHash(%q) != foldHash(%q)", id, other)
			}
		}
	}
	// '@' and '`', '[' and '{' differ by 0x20 but are not letters.
	if foldHash("@[") == foldHash("`{") {
		t.Error("non-letters folded")
	}
}

// TestIDSet: equal IDs in any case are one, distinct IDs never are, with
// the table grown from the heap to off it (idSet.alloc) or reserved off it
// at once, and after it has been released.
func TestIDSet(t *testing.T) {
	t.Parallel()
	base := "/subscriptions/5ab00000-0000-4000-8000-000000000000/resourceGroups/rg-001/providers/Microsoft.KeyVault/vaults/kv-%05d/secrets/secret-%d"
	for _, reserve := range []int{0, 200_000} {
		var s idSet
		s.reserve(reserve)
		for round := range 2 { // the second after release
			for i := range 200_000 {
				id := fmt.Sprintf(base, i%1000, i)
				if _, dup := s.add(id, i+1); dup {
					t.Fatalf("reserve %d, round %d: %s reported as a duplicate", reserve, round, id)
				}
			}
			first, dup := s.add(strings.ToUpper(fmt.Sprintf(base, 7, 7))+"/", 1)
			if !dup || first != 8 {
				t.Errorf("reserve %d, round %d: upper-case copy: dup %v, first %d", reserve, round, dup, first)
			}
			if !s.has(fmt.Sprintf(base, 999, 199_999)) || s.has(fmt.Sprintf(base, 0, 200_000)) {
				t.Errorf("reserve %d, round %d: has is wrong", reserve, round)
			}
			if round == 0 && s.off == nil && runtime.GOOS == "linux" {
				t.Errorf("reserve %d: a table of %d slots is on the heap", reserve, len(s.keys))
			}
			s.release()
			if s.has(fmt.Sprintf(base, 1, 1)) {
				t.Errorf("reserve %d: released set still has an ID", reserve)
			}
		}
	}
}

// TestRawObjectReset guards reset against fields added later: every field
// but the two buffers must come back zero.
func TestRawObjectReset(t *testing.T) {
	t.Parallel()
	o := &rawObject{}
	v := reflect.ValueOf(o).Elem()
	for i := range v.NumField() {
		f := v.Field(i)
		f = reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem() // settable though unexported
		switch f.Kind() {
		case reflect.Bool:
			f.SetBool(true)
		case reflect.Int:
			f.SetInt(1)
		case reflect.String:
			f.SetString("x")
		case reflect.Map:
			f.Set(reflect.MakeMap(f.Type()))
		case reflect.Slice:
			f.Set(reflect.MakeSlice(f.Type(), 1, 1))
		case reflect.Struct:
			if f.Type() == reflect.TypeOf(jsonpos.Pos{}) {
				f.Set(reflect.ValueOf(jsonpos.Pos{Line: 1}))
			} else {
				f.Set(reflect.ValueOf(armID{id: "x"}))
			}
		}
	}
	o.reset()
	for i := range v.NumField() {
		name := v.Type().Field(i).Name
		if name == "attrsBuf" || name == "firstKeys" {
			continue
		}
		if !v.Field(i).IsZero() {
			t.Errorf("reset leaves %s set", name)
		}
	}
}

// TestIDCacheSplitsAsIsComponentID: a run of IDs split through the cache
// (each reusing the last one's split when only the name differs) gives
// what splitting each afresh gives, whatever came before it.
func TestIDCacheSplitsAsIsComponentID(t *testing.T) {
	t.Parallel()
	const kv = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv"
	ids := []string{
		kv + "/secrets/a",
		kv + "/secrets/b",
		kv + "/secrets/providers",
		kv + "/secrets/c/",
		kv + "/secrets/d",
		kv + "/secrets/e/versions",
		kv + "/secrets/f",
		kv + "/keys/k1",
		kv + "/keys/k2",
		kv + "/keys/",
		kv + "/keys/k3",
		strings.ToUpper(kv) + "/KEYS/k4",
		strings.ToUpper(kv) + "/KEYS/k5",
		"/providers/Microsoft.KeyVault/vaults/kv/secrets/t1",
		"/providers/Microsoft.KeyVault/vaults/kv/secrets/t2",
		"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/sa/blobServices/b1",
		"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/sa/blobServices/b2",
		kv + "2/secrets/a",
		kv + "2/secrets/a2",
		kv + "/secrets/x",
		kv + "/secrets",
		kv + "/secrets/y",
	}
	var c idCache
	var parents []string
	buf := make([]byte, 0, 256)
	for _, id := range ids {
		// As a pooled secret's ID is: a view of a buffer written over
		// before the next (resource.PoolSlot.Text).
		buf = append(buf[:0], id...)
		view := unsafe.String(unsafe.SliceData(buf), len(buf))
		gotOK, got := c.componentID(view)
		wantOK, want := isComponentID(id)
		if gotOK != wantOK || (wantOK && got != want) {
			t.Errorf("%s: cache gives %v %+v; isComponentID %v %+v", id, gotOK, got, wantOK, want)
		}
		if wantOK {
			parents = append(parents, got.parent)
		}
		for i := range buf {
			buf[i] = 0xff
		}
	}
	// The parents returned are the cache's, not views of the IDs.
	i := 0
	for _, id := range ids {
		if ok, want := isComponentID(id); ok {
			if parents[i] != want.parent {
				t.Errorf("%s: parent %q after its ID was written over, want %q", id, parents[i], want.parent)
			}
			i++
		}
	}
}

// BenchmarkComponentID splits a vault's secrets' IDs one after another,
// afresh and through the cache.
func BenchmarkComponentID(b *testing.B) {
	const kv = "/subscriptions/5ab00000-0000-4000-8000-000000000000/resourceGroups/rg-000/providers/Microsoft.KeyVault/vaults/kv-00000/secrets/"
	ids := make([]string, 100)
	for i := range ids {
		ids[i] = kv + "secret-" + strconv.Itoa(i)
	}
	b.Run("afresh", func(b *testing.B) {
		for b.Loop() {
			for _, id := range ids {
				isComponentID(id)
			}
		}
	})
	b.Run("cached", func(b *testing.B) {
		var c idCache
		for b.Loop() {
			for _, id := range ids {
				c.componentID(id)
			}
		}
	})
}
