// Package arm holds what the two template front ends share: the
// evaluation of Azure Resource Manager deployment templates and the one
// mapping from an evaluated ARM resource to kvguard documents. The ARM
// template reader (source/armtemplate) and the Bicep reader
// (source/bicep) both use it, so that a Bicep file and the template
// bicep build makes from it give equal documents, and neither imports
// the other.
//
//   - Engine evaluates a template the way Azure Resource Manager does,
//     with the expression language of internal/armexpr: parameters,
//     variables (with copy), user-defined functions, conditions, resource
//     and property copy loops, nested child resources, existing
//     resources, nested deployments (inline, inner and outer expression
//     scope) and linked templates given by relativePath. Values that
//     cannot be known before deployment stay resource.Unknown.
//     Engine.Deploy evaluates a top-level template; Engine.Nest evaluates
//     one as a nested deployment with inner scope, with given parameter
//     values and deployment context (Bicep modules written as ARM
//     templates, and deployments declared as resources in Bicep).
//   - Mapper turns an evaluated resource (Resource: type, API version,
//     name, ID, scope, evaluated body, provenance) into documents:
//     service defaults, Key Vault components, private endpoint connection
//     states, parents, secure-value scrubbing.
//   - BuildID builds the ID Azure gives a resource declared in a
//     template, extension resources included.
//   - ParseJSON reads template and parameter files as Azure does (JSON
//     with comments and raw control characters in strings).
//
// It imports internal/resource, internal/jsonpos and internal/armexpr,
// nothing else of kvguard's.
package arm
