package bicep

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/kvguard/kvguard/internal/armexpr"
	"github.com/kvguard/kvguard/internal/resource"
	"github.com/kvguard/kvguard/internal/source/bicep/syntax"
)

// evalVar evaluates the variable v of a Bicep source held in memory.
func evalVar(t *testing.T, src string) (any, []string) {
	t.Helper()
	f, err := syntax.Parse([]byte(src), "eval.bicep")
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	r := newRun(t.Context(), Options{}, "eval.bicep")
	fe, err := r.newFileEval(&parsedFile{file: f, src: src}, r.dep, map[string]any{}, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	s, ok := fe.syms["v"]
	if !ok {
		t.Fatal("no variable v")
	}
	v, _ := fe.symbolValue(s, s.varD.Name)
	var msgs []string
	for _, e := range r.errs {
		msgs = append(msgs, e.Error())
	}
	return v, msgs
}

func TestEval(t *testing.T) {
	t.Parallel()
	unknown := func(expr string) resource.Unknown { return resource.Unknown{Expr: expr} }
	tests := []struct {
		name string
		src  string
		want any
	}{
		{"integer arithmetic", "var v = 1 + 2 * 3 - 10 / 3 % 2", int64(6)},
		{"negative literal", "var v = -5", int64(-5)},
		{"comparison", "var v = 2 > 1 && 1 <= 1 && !(1 == 2)", true},
		{"case-insensitive equality", "var v = 'ABC' =~ 'abc' && 'a' !~ 'B'", true},
		{"interpolation renders as format()", "var b = true\nvar n = 3\nvar a = [1]\nvar v = 'x-${b}-${n}-${a}'", "x-True-3-[1]"},
		{"braces in interpolated text", "var n = 1\nvar v = '{${n}}'", "{1}"},
		{"escapes", `var v = 'it\'s \$ \u{41}'`, "it's $ A"},
		{"multi-line string", "var v = '''\nline\n  two\n'''", "line\n  two\n"},
		{"ternary", "var v = 1 > 2 ? 'a' : 'b'", "b"},
		{"coalesce", "var n = null\nvar v = n ?? 'fallback'", "fallback"},
		{"safe access", "var o = {a: {}}\nvar v = o.a.?b.c ?? 'none'", "none"},
		{"index from end", "var v = [1, 2, 3][^1]", int64(3)},
		{"object with spread", "var base = {a: 1, b: 2}\nvar v = {...base, b: 3}", map[string]any{"a": int64(1), "b": int64(3)}},
		{"array with spread", "var v = [0, ...[1, 2]]", []any{int64(0), int64(1), int64(2)}},
		{"loop with index", "var v = [for (x, i) in ['a', 'b']: '${x}${i}']", []any{"a0", "b1"}},
		{"loop over items()", "var v = [for e in items({k: 'v'}): e.key]", []any{"k"}},
		{"lambda functions", "var v = map(filter([1, 2, 3, 4], x => x % 2 == 0), x => x * 10)", []any{int64(20), int64(40)}},
		{"reduce", "var v = reduce([1, 2, 3], 0, (acc, x) => acc + x)", int64(6)},
		{"user-defined function", "func twice(n int) int => n * 2\nvar v = twice(21)", int64(42)},
		{"namespaced functions", "var v = sys.concat('a', az.resourceGroup().name)", "akvguard-rg"},
		{"deployment context", "var v = '${subscription().subscriptionId}/${resourceGroup().location}'", "00000000-0000-0000-0000-000000000000/eastus"},
		{"uniqueString", "var v = uniqueString('a')", mustBuiltin("uniqueString", "a")},
		{"utcNow is unknown", "var v = dateTimeAdd(utcNow(), 'P90D')", unknown("dateTimeAdd(utcNow(), 'P90D')")},
		{"unknown propagates", "param p string\nvar v = '${p}-x'", unknown("'${p}-x'")},
		{"like and distinct", "var v = [like('abcdef', 'A*c*'), distinct([1, 2, 1])]", []any{true, []any{int64(1), int64(2)}}},
		{"nameof", "var obj = {}\nvar v = nameof(obj)", "obj"},
		{"resource constants", "resource kv 'Microsoft.KeyVault/vaults@2023-07-01' = {\n  name: 'kv1'\n}\nvar v = [kv.name, kv.type, kv.apiVersion, kv.id]",
			[]any{"kv1", "Microsoft.KeyVault/vaults", "2023-07-01", rg + "Microsoft.KeyVault/vaults/kv1"}},
		{"resource runtime property", "resource kv 'Microsoft.KeyVault/vaults@2023-07-01' = {\n  name: 'kv1'\n}\nvar v = kv.properties.vaultUri", unknown("kv.properties.vaultUri")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, msgs := evalVar(t, tc.src)
			for _, m := range msgs {
				if !strings.Contains(m, "has no value") {
					t.Errorf("problem: %s", m)
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("value (-want +got):\n%s", diff)
			}
		})
	}
}

func mustBuiltin(name string, args ...any) any {
	fn, _ := armexpr.Builtin(name)
	env := &armexpr.Env{Deployment: armexpr.DefaultDeployment()}
	v, err := fn(env, args)
	if err != nil {
		panic(err)
	}
	return v
}
