package armexpr

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/kvguard/kvguard/internal/resource"
)

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		wantCol int
		wantMsg string
	}{
		{"[]", 1, "empty expression"},
		{"[concat('a',)]", 13, "unexpected \")\""},
		{"['open]", 2, "unterminated string literal"},
		{"[nope()]", 2, `unknown function "nope"`},
		{"[concat('a') x]", 14, "after the expression"},
		{"[a.b]", 2, "is not a function call"},
		{"[concat(1 2)]", 11, "expected ',' or ')'"},
		{"[x[0]]", 2, "is not a function call"},
		{"[" + strings.Repeat("concat(", 300) + "1" + strings.Repeat(")", 300) + "]", 0, "nested deeper"},
		{"[99999999999999999999]", 2, "out of range"},
	}
	for _, tt := range tests {
		t.Run(tt.in[:min(len(tt.in), 20)], func(t *testing.T) {
			t.Parallel()
			_, err := Parse(tt.in)
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("Parse(%q) error = %v, want *Error", tt.in, err)
			}
			if tt.wantCol > 0 && pe.Column() != tt.wantCol {
				t.Errorf("column = %d, want %d (%v)", pe.Column(), tt.wantCol, err)
			}
			if !strings.Contains(pe.Msg, tt.wantMsg) {
				t.Errorf("message %q does not contain %q", pe.Msg, tt.wantMsg)
			}
		})
	}
}

func TestLiterals(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"[[escaped]", "[escaped]"},
		{"[[", "["},
		{"[no end", "[no end"},
		{"no start]", "no start]"},
		{"", ""},
		{"[", "["},
	}
	for _, tt := range tests {
		v, err := EvalString(nil, tt.in)
		if err != nil || v != tt.want {
			t.Errorf("EvalString(%q) = %v, %v; want %q", tt.in, v, err, tt.want)
		}
	}
}

func TestParseWhitespaceAndCase(t *testing.T) {
	t.Parallel()
	v, err := EvalString(nil, "[ CONCAT( 'a' , ToLower( 'B' ) ) ]")
	if err != nil || v != "ab" {
		t.Fatalf("got %v, %v", v, err)
	}
}

// TestBuiltinContract checks the functions the issue names are all there,
// case-insensitively, for the Bicep front end that calls Builtin.
func TestBuiltinContract(t *testing.T) {
	t.Parallel()
	names := []string{
		"parameters", "variables", "concat", "format", "resourceId", "subscriptionResourceId", "tenantResourceId",
		"extensionResourceId", "managementGroupResourceId", "subscription", "resourceGroup", "tenant", "managementGroup",
		"environment", "deployment", "if", "equals", "not", "and", "or", "coalesce", "empty", "length", "contains",
		"union", "createArray", "createObject", "json", "string", "int", "bool", "toLower", "toUpper", "replace", "split",
		"first", "last", "take", "skip", "range", "uniqueString", "guid", "dateTimeAdd", "dateTimeToEpoch",
		"dateTimeFromEpoch", "utcNow", "copyIndex", "reference", "listKeys", "listSecrets", "startsWith", "endsWith",
		"indexOf", "lastIndexOf", "substring", "trim", "padLeft", "base64", "base64ToString", "base64ToJson", "uri",
		"uriComponent", "uriComponentToString", "dataUri", "dataUriToString", "intersection", "items", "min", "max",
		"flatten", "filter", "map", "reduce", "sort", "toObject", "groupBy", "mapValues", "lambda", "lambdaVariables",
		"objectKeys", "shallowMerge", "tryGet", "tryIndexFromEnd", "add", "sub", "mul", "div", "mod", "less",
		"lessOrEquals", "greater", "greaterOrEquals", "newGuid", "pickZones", "providers", "join", "array", "null",
		"true", "false", "parseCidr", "cidrSubnet", "cidrHost", "parseUri", "buildUri", "deployer", "fail",
	}
	for _, n := range names {
		for _, variant := range []string{n, strings.ToUpper(n), strings.ToLower(n)} {
			if _, ok := Builtin(variant); !ok {
				t.Errorf("Builtin(%q) missing", variant)
			}
		}
	}
	if _, ok := Builtin("notAFunction"); ok {
		t.Error("Builtin(notAFunction) found")
	}
	if len(Builtins()) < len(names)-2 {
		t.Errorf("Builtins() lists %d functions", len(Builtins()))
	}
}

// TestBuiltinDirect calls functions as the Bicep evaluator does: with
// evaluated arguments, a Lambda of its own, and no hooks.
func TestBuiltinDirect(t *testing.T) {
	t.Parallel()
	env := &Env{Deployment: DefaultDeployment()}
	call := func(name string, args ...any) any {
		t.Helper()
		f, ok := Builtin(name)
		if !ok {
			t.Fatalf("no %s", name)
		}
		v, err := f(env, args)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return v
	}
	double := Lambda{Params: []string{"x"}, Call: func(a []any) (any, error) { n, _ := asInt(a[0]); return n * 2, nil }}
	if got := call("map", []any{int64(1), 2}, double); !cmp.Equal(got, []any{int64(2), int64(4)}) {
		t.Errorf("map = %v", got)
	}
	if got := call("uniqueString", "hello", "world"); got != "a7wkljktk6wne" {
		t.Errorf("uniqueString = %v", got)
	}
	if got := call("reference", "x"); !resource.IsUnknown(got) {
		t.Errorf("reference without a hook = %v, want unknown", got)
	}
	if got := call("if", resource.Unknown{Expr: "u"}, "a", "a"); got != "a" {
		t.Errorf("if(unknown, a, a) = %v", got)
	}
	if got := call("coalesce", nil, "x", resource.Unknown{Expr: "u"}); got != "x" {
		t.Errorf("coalesce = %v", got)
	}
	u, ok := call("toLower", resource.Unknown{Expr: "parameters('n')"}).(resource.Unknown)
	if !ok || u.Expr != "toLower(parameters('n'))" {
		t.Errorf("toLower(unknown) = %#v", u)
	}
	if got := call("resourceGroup").(map[string]any)["id"]; got != "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/kvguard-rg" {
		t.Errorf("resourceGroup().id = %v", got)
	}
	d := DefaultDeployment()
	d.Scope = ScopeSubscription
	env.Deployment = d
	if got := call("resourceId", "Microsoft.Resources/resourceGroups", "rg"); got != "/subscriptions/00000000-0000-0000-0000-000000000000/providers/Microsoft.Resources/resourceGroups/rg" {
		t.Errorf("resourceId at subscription scope = %v", got)
	}
}

func TestDeployment(t *testing.T) {
	t.Parallel()
	tests := []struct {
		d    Deployment
		want string
	}{
		{Deployment{}, "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/kvguard-rg"},
		{Deployment{Scope: ScopeSubscription, SubscriptionID: "s"}, "/subscriptions/s"},
		{Deployment{Scope: ScopeManagementGroup, ManagementGroup: "mg"}, "/providers/Microsoft.Management/managementGroups/mg"},
		{Deployment{Scope: ScopeTenant}, ""},
	}
	for _, tt := range tests {
		if got := tt.d.ScopeID(); got != tt.want {
			t.Errorf("%+v.ScopeID() = %q, want %q", tt.d, got, tt.want)
		}
	}
	if DefaultDeployment() != (Deployment{}).WithDefaults() {
		t.Error("WithDefaults of the zero value differs from DefaultDeployment")
	}
	for _, cloud := range []string{"AzureCloud", "AzureUSGovernment", "AzureChinaCloud"} {
		env := Environment(cloud)
		if env["name"] != cloud {
			t.Errorf("Environment(%s).name = %v", cloud, env["name"])
		}
	}
}
