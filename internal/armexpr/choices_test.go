package armexpr

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/kvguard/kvguard/internal/resource"
)

// TestChoices checks that a function of an unknown with few values is
// evaluated under each: the common result, or an unknown with the
// results as its choices.
func TestChoices(t *testing.T) {
	env := &Env{Parameter: func(name string) (any, error) {
		switch name {
		case "mode":
			return resource.UnknownOneOf("parameters('mode')", "Allow", "Deny"), nil
		case "flag":
			return resource.UnknownOneOf("parameters('flag')", true, false), nil
		}
		return resource.Unknown{Expr: "parameters('" + name + "')"}, nil
	}}
	for _, c := range []struct {
		expr string
		want any
	}{
		{"[toLower(parameters('mode'))]", resource.UnknownOneOf("toLower(parameters('mode'))", "allow", "deny")},
		{"[equals(parameters('mode'), 'Deny')]", resource.UnknownOneOf("equals(parameters('mode'), 'Deny')", false, true)},
		{"[contains(createArray('Allow', 'Deny'), parameters('mode'))]", true},
		{"[if(parameters('flag'), 'a', 'b')]", resource.UnknownOneOf("if(parameters('flag'), 'a', 'b')", "a", "b")},
		{"[if(parameters('other'), 'a', 'b')]", resource.UnknownOneOf("if(parameters('other'), 'a', 'b')", "a", "b")},
		{"[if(parameters('other'), 'a', 'a')]", "a"},
		{"[not(not(parameters('flag')))]", resource.UnknownOneOf("not(not(parameters('flag')))", true, false)},
		{"[and(parameters('flag'), parameters('other'))]", resource.Unknown{Expr: "and(parameters('flag'), parameters('other'))"}},
	} {
		e, err := Parse(c.expr)
		if err != nil {
			t.Fatal(err)
		}
		got, err := e.Eval(env)
		if err != nil || !cmp.Equal(got, c.want) {
			t.Errorf("%s = %#v, %v; want %#v", c.expr, got, err, c.want)
		}
	}
}
