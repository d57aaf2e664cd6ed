// Package syntax is the Bicep language's syntax: tokens, a lexer, the
// syntax tree and a recursive-descent parser for the grammar of
// Azure/bicep (docs/grammar.md), for .bicep and .bicepparam sources.
//
// Parse and ParseParams return the tree of everything that parsed and
// the errors joined (each a *resource.InputError at file:line:col); a
// source with errors still gives a tree, so that its readable parts are
// read. The tree records every node's extent (Span) and the source's
// comments (for kvguard:ignore annotations). Nothing here evaluates: the
// evaluator is package bicep.
//
// It imports internal/resource (for InputError), nothing else of
// kvguard's.
package syntax
