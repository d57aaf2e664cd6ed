package funcs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
)

func eval(t *testing.T, table map[string]interfaceFunc, src string) (cty.Value, hcl.Diagnostics) {
	t.Helper()
	expr, d := hclsyntax.ParseExpression([]byte(src), "test.tf", hcl.Pos{Line: 1, Column: 1})
	if d.HasErrors() {
		t.Fatalf("parse %s: %v", src, d)
	}
	return expr.Value(&hcl.EvalContext{Functions: table})
}

type interfaceFunc = function.Function

func TestFunctions(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a.txt"), []byte("hello\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "t.tftpl"), []byte("%{ for n in names }${upper(n)};%{ endfor }"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "sub", "b.json"), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	absDir, _ := filepath.EvalSymlinks(dir)
	table := Table(Options{BaseDir: dir, Allowed: func(p string) bool { return strings.HasPrefix(p, absDir) }})
	tests := []struct {
		expr string
		want cty.Value
	}{
		{`length("héllo")`, cty.NumberIntVal(5)},
		{`length([1, 2])`, cty.NumberIntVal(2)},
		{`length({a = 1})`, cty.NumberIntVal(1)},
		{`alltrue([true, true])`, cty.True},
		{`alltrue([])`, cty.True},
		{`alltrue([true, false])`, cty.False},
		{`anytrue([false, true])`, cty.True},
		{`anytrue([])`, cty.False},
		{`one([])`, cty.NullVal(cty.DynamicPseudoType)},
		{`one(["a"])`, cty.StringVal("a")},
		{`sum([1, 2, 3.5])`, cty.NumberFloatVal(6.5)},
		{`index(["a", "b"], "b")`, cty.NumberIntVal(1)},
		{`strcontains("kv-prod", "prod")`, cty.True},
		{`startswith("kv-prod", "kv-")`, cty.True},
		{`endswith("kv-prod", "dev")`, cty.False},
		{`replace("kv-prod-01", "/-[0-9]+$/", "")`, cty.StringVal("kv-prod")},
		{`replace("a.b.c", ".", "-")`, cty.StringVal("a-b-c")},
		{`base64decode(base64encode("kv"))`, cty.StringVal("kv")},
		{`md5("kv")`, cty.StringVal("82d09147453d572bc287f74aad062cfa")},
		{`sha256("")`, cty.StringVal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")},
		{`uuidv5("dns", "example.com")`, cty.StringVal("cfbff0d1-9375-5685-968c-48ce8b15ae17")},
		{`cidrsubnet("10.0.0.0/16", 8, 2)`, cty.StringVal("10.0.2.0/24")},
		{`cidrsubnet("fd00::/56", 8, 1)`, cty.StringVal("fd00:0:0:1::/64")},
		{`cidrhost("10.0.0.0/24", 5)`, cty.StringVal("10.0.0.5")},
		{`cidrhost("10.0.0.0/24", -2)`, cty.StringVal("10.0.0.254")},
		{`cidrnetmask("10.0.0.0/12")`, cty.StringVal("255.240.0.0")},
		{`cidrsubnets("10.1.0.0/16", 4, 4, 8)`, cty.ListVal([]cty.Value{cty.StringVal("10.1.0.0/20"), cty.StringVal("10.1.16.0/20"), cty.StringVal("10.1.32.0/24")})},
		{`timecmp("2027-01-01T00:00:00Z", "2026-01-01T00:00:00Z")`, cty.NumberIntVal(1)},
		{`timeadd("2026-01-01T00:00:00Z", "24h")`, cty.StringVal("2026-01-02T00:00:00Z")},
		{`formatdate("YYYY-MM-DD", "2026-03-04T00:00:00Z")`, cty.StringVal("2026-03-04")},
		{`tostring(12)`, cty.StringVal("12")},
		{`try(tonumber("x"), 7)`, cty.NumberIntVal(7)},
		{`can(regex("^kv", "kv-1"))`, cty.True},
		{`coalesce(null, "b")`, cty.StringVal("b")},
		{`trimspace(file("a.txt"))`, cty.StringVal("hello")},
		{`fileexists("a.txt")`, cty.True},
		{`fileexists("nope.txt")`, cty.False},
		{`filebase64("a.txt")`, cty.StringVal("aGVsbG8K")},
		{`filemd5("a.txt")`, cty.StringVal("b1946ac92492d2347c6235b4d2611184")},
		{`filesha256("a.txt")`, cty.StringVal("5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03")},
		{`filebase64sha512("a.txt")`, cty.StringVal("58IrmUxZ2c8rSOVJseJGZmNgRZMNPafBrLKZ0cO3+TH5Sq5B7dosKyB6NuEPi8uNRSI+VIePWzFufOO2vAGWKQ==")},
		{`templatefile("t.tftpl", { names = ["a", "b"] })`, cty.StringVal("A;B;")},
		{`fileset(".", "**/*.json")`, cty.SetVal([]cty.Value{cty.StringVal("sub/b.json")})},
		{`basename("a/b/c.tf")`, cty.StringVal("c.tf")},
		{`dirname("a/b/c.tf")`, cty.StringVal("a/b")},
		{`matchkeys(["a", "b"], ["x", "y"], ["y"])`, cty.ListVal([]cty.Value{cty.StringVal("b")})},
		{`transpose({a = ["1", "2"], b = ["2"]})`, cty.MapVal(map[string]cty.Value{
			"1": cty.ListVal([]cty.Value{cty.StringVal("a")}),
			"2": cty.ListVal([]cty.Value{cty.StringVal("a"), cty.StringVal("b")}),
		})},
		{`nonsensitive(sensitive("x"))`, cty.StringVal("x")},
		{`merge({a = 1}, {b = 2})`, cty.ObjectVal(map[string]cty.Value{"a": cty.NumberIntVal(1), "b": cty.NumberIntVal(2)})},
		{`flatten([["a"], ["b"]])`, cty.TupleVal([]cty.Value{cty.StringVal("a"), cty.StringVal("b")})},
		{`jsondecode(jsonencode({a = [1]})).a[0]`, cty.NumberIntVal(1)},
	}
	for _, tc := range tests {
		got, d := eval(t, table, tc.expr)
		if d.HasErrors() {
			t.Errorf("%s: %v", tc.expr, d)
			continue
		}
		if !got.RawEquals(tc.want) {
			t.Errorf("%s = %#v, want %#v", tc.expr, got, tc.want)
		}
	}
}

func TestUnknownResults(t *testing.T) {
	t.Parallel()
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "x"), []byte("secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	table := Table(Options{BaseDir: t.TempDir(), Allowed: func(string) bool { return false }})
	for _, src := range []string{
		`timestamp()`, `plantimestamp()`, `uuid()`, `bcrypt("x")`,
		`timeadd(timestamp(), "8760h")`,
		`file("` + filepath.ToSlash(filepath.Join(outside, "x")) + `")`,
		`file("~/.ssh/id_rsa")`,
		`alltrue([true, timestamp() == ""])`,
	} {
		got, d := eval(t, table, src)
		if d.HasErrors() {
			t.Errorf("%s: %v", src, d)
			continue
		}
		if got.IsWhollyKnown() {
			t.Errorf("%s = %#v, want unknown", src, got)
		}
	}
	// A known false decides alltrue even beside an unknown.
	if got, _ := eval(t, table, `alltrue([false, timestamp() == ""])`); !got.RawEquals(cty.False) {
		t.Errorf("alltrue with a false = %#v", got)
	}
}

func TestErrors(t *testing.T) {
	t.Parallel()
	table := Table(Options{})
	for _, src := range []string{
		`one(["a", "b"])`, `sum([])`, `index(["a"], "z")`, `cidrsubnet("10.0.0.0/30", 8, 1)`,
		`cidrnetmask("fd00::/8")`, `base64decode("!!")`, `timecmp("x", "y")`, `uuidv5("nope", "x")`,
	} {
		if _, d := eval(t, table, src); !d.HasErrors() {
			t.Errorf("%s: no error", src)
		}
	}
}

// TestSetProductBounded: setproduct refuses a product too large to build,
// before building it.
func TestSetProductBounded(t *testing.T) {
	t.Parallel()
	tbl := Table(Options{})
	r := cty.ListVal([]cty.Value{cty.StringVal("a"), cty.StringVal("b")})
	if v, err := tbl["setproduct"].Call([]cty.Value{r, r}); err != nil || v.LengthInt() != 4 {
		t.Errorf("setproduct of two pairs: %#v, %v", v, err)
	}
	big, err := tbl["range"].Call([]cty.Value{cty.NumberIntVal(1000)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tbl["setproduct"].Call([]cty.Value{big, big, big}); err == nil || !strings.Contains(err.Error(), "more than 100000") {
		t.Errorf("setproduct of a billion: %v", err)
	}
}
