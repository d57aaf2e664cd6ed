package armexpr

import (
	"fmt"
	"sort"
	"strings"

	"github.com/kvguard/kvguard/internal/resource"
)

// builtins holds every template function by lower-cased name. It is
// filled once by registry() and read-only afterwards.
var builtins = registry()

func registry() map[string]Func {
	m := map[string]Func{}
	for _, group := range []map[string]Func{
		stringFuncs(), arrayFuncs(), logicFuncs(), numericFuncs(), scopeFuncs(), dateFuncs(), lambdaFuncs(), cidrFuncs(),
	} {
		for k, f := range group {
			m[strings.ToLower(k)] = f
		}
	}
	// distinct and like were first written for the Bicep front end
	// (bicep_extra.go); they are template functions like the others.
	m["distinct"] = bicepDistinct
	m["like"] = bicepLike
	return m
}

// Builtin returns the ARM template function with that name
// (case-insensitive), e.g. "uniqueString". Every list* function (listKeys,
// listSecrets, ...) is known and returns an unknown.
func Builtin(name string) (Func, bool) {
	l := strings.ToLower(name)
	if f, ok := builtins[l]; ok {
		return f, true
	}
	if strings.HasPrefix(l, "list") && len(l) > 4 {
		return listFunc(name), true
	}
	return nil, false
}

// Builtins lists the names of the template functions, sorted.
func Builtins() []string {
	names := make([]string, 0, len(builtins))
	for k := range builtins {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

func knownFunction(lname string) bool {
	_, ok := Builtin(lname)
	return ok
}

// listFunc is listKeys, listSecrets, listAccountSas, ...: values known only
// to the deployed resource.
func listFunc(name string) Func {
	return func(env *Env, args []any) (any, error) {
		if env != nil && env.Reference != nil {
			v, err := env.Reference(args)
			if err != nil {
				return nil, err
			}
			if !resource.IsUnknown(v) {
				return v, nil
			}
		}
		return unknownOf(name, args), nil
	}
}

// argError is a bad argument to a function.
func argError(format string, args ...any) error { return fmt.Errorf(format, args...) }

func nargs(args []any, lo, hi int) error {
	if len(args) < lo || (hi >= 0 && len(args) > hi) {
		switch {
		case lo == hi:
			return argError("expects %d argument%s, got %d", lo, plural(lo), len(args))
		case hi < 0:
			return argError("expects at least %d argument%s, got %d", lo, plural(lo), len(args))
		default:
			return argError("expects %d to %d arguments, got %d", lo, hi, len(args))
		}
	}
	return nil
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func argString(args []any, i int) (string, error) {
	s, ok := args[i].(string)
	if !ok {
		return "", argError("argument %d must be a string, not %s", i+1, TypeName(args[i]))
	}
	return s, nil
}

func argInt(args []any, i int) (int64, error) {
	n, ok := asInt(args[i])
	if !ok {
		return 0, argError("argument %d must be an integer, not %s", i+1, TypeName(args[i]))
	}
	return n, nil
}

func argArray(args []any, i int) ([]any, error) {
	a, ok := args[i].([]any)
	if !ok {
		return nil, argError("argument %d must be an array, not %s", i+1, TypeName(args[i]))
	}
	return a, nil
}

func argObject(args []any, i int) (map[string]any, error) {
	o, ok := args[i].(map[string]any)
	if !ok {
		return nil, argError("argument %d must be an object, not %s", i+1, TypeName(args[i]))
	}
	return o, nil
}

func argLambda(args []any, i int) (Lambda, error) {
	switch l := args[i].(type) {
	case Lambda:
		return l, nil
	case *Lambda:
		return *l, nil
	}
	return Lambda{}, argError("argument %d must be a lambda, not %s", i+1, TypeName(args[i]))
}

// strict wraps a function that needs every argument known at the top
// level: an unknown argument makes the result unknown, naming the call
// (or, when it has few possible values, one of the results under each:
// see byChoice).
func strict(name string, lo, hi int, f func(env *Env, args []any) (any, error)) Func {
	return func(env *Env, args []any) (any, error) {
		if err := nargs(args, lo, hi); err != nil {
			return nil, err
		}
		if anyUnknown(args) {
			if v, ok := byChoice(name, args, func(a []any) (any, error) { return strict(name, lo, hi, f)(env, a) }); ok {
				return v, nil
			}
			return unknownOf(name, args), nil
		}
		for i := range args {
			args[i] = normalize(args[i])
		}
		return f(env, args)
	}
}

// maxChoices bounds the values an unknown with choices is evaluated
// under.
const maxChoices = 16

// byChoice evaluates a call whose one unknown argument has few possible
// values (resource.Unknown.Choices) under each of them: the common result
// when they agree, else an unknown whose choices are the results. ok is
// false when that does not apply (several unknowns, no choices, a choice
// that fails or is itself unknown).
func byChoice(name string, args []any, f func([]any) (any, error)) (any, bool) {
	at := -1
	for i, a := range args {
		if resource.IsUnknown(a) {
			if at >= 0 {
				return nil, false
			}
			at = i
		}
	}
	u := args[at].(resource.Unknown)
	if u.Choices == nil || len(u.Choices.Values) == 0 || len(u.Choices.Values) > maxChoices {
		return nil, false
	}
	var results []any
	for _, c := range u.Choices.Values {
		if resource.IsAbsent(c) {
			return nil, false
		}
		a := append([]any(nil), args...)
		a[at] = c
		v, err := f(a)
		if err != nil || ContainsUnknown(v) {
			return nil, false
		}
		seen := false
		for _, r := range results {
			if eq, _ := DeepEqual(r, v); eq {
				seen = true
				break
			}
		}
		if !seen {
			results = append(results, v)
		}
	}
	if len(results) == 1 {
		return results[0], true
	}
	return resource.UnknownOneOf(RenderCall(name, args), results...), true
}

// deep is strict, but also for unknowns nested inside arguments.
func deep(name string, lo, hi int, f func(env *Env, args []any) (any, error)) Func {
	return func(env *Env, args []any) (any, error) {
		if err := nargs(args, lo, hi); err != nil {
			return nil, err
		}
		for _, a := range args {
			if ContainsUnknown(a) {
				return unknownOf(name, args), nil
			}
		}
		for i := range args {
			args[i] = normalize(args[i])
		}
		return f(env, args)
	}
}

func checkString(s string) (string, error) {
	if len(s) > MaxStringLen {
		return "", argError("the result is longer than %d bytes", MaxStringLen)
	}
	return s, nil
}

func checkArray(a []any) ([]any, error) {
	if len(a) > MaxArrayLen {
		return nil, argError("the result has more than %d elements", MaxArrayLen)
	}
	return a, nil
}
