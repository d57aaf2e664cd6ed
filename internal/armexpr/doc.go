// Package armexpr is the Azure Resource Manager template expression
// language: a lexer and parser for "[...]" expressions and the library of
// template functions (parameters, variables, concat, format, resourceId,
// uniqueString, guid, union, dateTimeAdd, lambdas, ...), evaluated the way
// Azure Resource Manager evaluates them.
//
// Values are plain JSON data (map[string]any, []any, string, int64,
// float64, bool, nil) plus resource.Unknown for what cannot be known before
// deployment (reference(), list*(), utcNow() without a fixed time, a
// parameter with no value). Functions propagate unknowns: a result that
// depends on an unknown argument is itself unknown, naming the call, while
// a result that does not (if() with a known condition, coalesce() after a
// known non-null value, length() of an array with unknown elements) stays
// known.
//
// The ARM template reader (internal/source/armtemplate) and the Bicep
// evaluator (internal/source/bicep) share this library; they supply the
// template-specific parts (parameters, variables, copy loops, references,
// user-defined functions) through the hooks of Env.
//
// This package imports only internal/resource of kvguard's packages.
package armexpr
