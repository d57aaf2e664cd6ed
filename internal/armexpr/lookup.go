package armexpr

import "fmt"

// Dialect is a language built on the template expression language.
// Azure Policy rules are the case: they use the template functions minus a
// few (resourceId, reference, copyIndex, …) plus their own (field,
// current, addDays, ipRangeContains, requestContext, policy), and their
// utcNow has another default format. A dialect's expressions are parsed
// with Dialect.Parse and evaluated with Env.Functions set to the same
// Functions.
type Dialect struct {
	// Name names the dialect in messages ("policy rules").
	Name string
	// Functions returns the dialect's own functions by lower-case name;
	// they take precedence over the built-ins of the same name.
	Functions func(lname string) (Func, bool)
	// Refuse reports the built-ins the dialect does not allow.
	Refuse func(lname string) bool
}

// Parse parses an expression of the dialect: function names are checked
// against the dialect's own functions, then the built-ins it allows.
func (d *Dialect) Parse(s string) (Expr, error) { return parse(s, d) }

// check accepts a function name at parse time.
func (d *Dialect) check(lname, name string) error {
	if d != nil {
		if d.Functions != nil {
			if _, ok := d.Functions(lname); ok {
				return nil
			}
		}
		if d.Refuse != nil && d.Refuse(lname) && knownFunction(lname) {
			return fmt.Errorf("function %s is not allowed in %s", name, d.Name)
		}
	}
	if !knownFunction(lname) {
		return fmt.Errorf("unknown function %q", name)
	}
	return nil
}

// lookup finds a function at evaluation time: the dialect's first.
func (env *Env) lookup(name, lname string) (Func, bool) {
	if env.Functions != nil {
		if fn, ok := env.Functions(lname); ok {
			return fn, true
		}
	}
	return Builtin(name)
}
