// Package bicep reads Azure Bicep files into kvguard resource documents
// without a Bicep compiler: a lexer and a recursive-descent parser for the
// grammar of Azure/bicep (docs/grammar.md), and an evaluator that computes
// what the compiled ARM template would deploy.
//
// The evaluator mirrors the compiler's lowering of Bicep to ARM template
// expressions (string interpolation → format, ?? → coalesce, a == b →
// equals, symbolic references → resourceId/reference, ...), and evaluates
// every function through internal/armexpr's library, so that a .bicep file
// and the JSON `bicep build` makes from it give equal documents. Evaluated
// resources are handed to the ARM template reader's mapping, the one place
// that turns an ARM resource into documents.
//
// Addresses: a resource's Provenance.Address is its symbolic name, "kv";
// a nested child resource joins its parents with "::" as Bicep's own
// resource-access operator does, "kv::secret"; a loop copy appends its
// index, "secrets[2]" (and "kv::secrets[2]"); a resource inside a module
// is prefixed by the module's address, "kvModule::secret" or
// "kvModules[1]::kv". The same string is what a user writes in Bicep to
// reach the resource, so it can be searched for.
//
// This package imports resource, armexpr and armtemplate, never policy,
// catalog, assess or report.
package bicep
