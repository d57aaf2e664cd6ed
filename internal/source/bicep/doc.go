// Package bicep reads Azure Bicep files into kvguard resource documents
// without a Bicep compiler: it parses them with package syntax (the
// lexer and parser for the grammar of Azure/bicep) and evaluates what the
// compiled ARM template would deploy.
//
// The evaluator mirrors the compiler's lowering of Bicep to ARM template
// expressions (string interpolation → format, ?? → coalesce, a == b →
// equals, symbolic references → resourceId/reference, ...), and evaluates
// every function through internal/armexpr's library, so that a .bicep file
// and the JSON `bicep build` makes from it give equal documents. Evaluated
// resources are handed to the template mapping shared with the ARM
// template reader (source/internal/arm: arm.Mapper), the one place that
// turns an ARM resource into documents. Modules written as ARM templates
// (module m './x.json') and Microsoft.Resources/deployments resources
// with an inline template are evaluated by the ARM template evaluation
// itself (arm.Engine.Nest), into the same Mapper.
//
// Addresses: a resource's Provenance.Address is its symbolic name, "kv";
// a nested child resource joins its parents with "::" as Bicep's own
// resource-access operator does, "kv::secret"; a loop copy appends its
// index, "secrets[2]" (and "kv::secrets[2]"); a resource inside a module
// is prefixed by the module's address, "kvModule::secret" or
// "kvModules[1]::kv". The same string is what a user writes in Bicep to
// reach the resource, so it can be searched for. A resource of a module
// written as an ARM template, or of a nested deployment's inline
// template, takes the template address after the prefix:
// "kvModule::resources[0]", "nested::resources[0].resources[1]".
//
// Files, bottom up: run.go, state.go and model.go hold the state of a
// read and the data model (file instances, symbols, resource and module
// copies, scopes); eval*.go and scope.go evaluate expressions;
// resources.go, properties.go, modules.go, registry.go, deployments.go,
// file.go and check.go handle declarations; params.go, emit.go and
// roots.go parameter files, output and directory walks; reader.go the
// API. Expressions reach declarations
// only where the language recurses (kv.id evaluates kv's name):
// resourceProperty, moduleProperty, resRef.instance and asScope.
//
// This package imports resource, armexpr, source/internal/arm and
// source/bicep/syntax, never another input's package, policy, catalog,
// assess or report.
package bicep
