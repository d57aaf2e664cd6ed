// Package armtemplate reads Azure Resource Manager deployment templates
// (classic templates with a resources array, languageVersion 2.0 templates
// with symbolic names, and the templates the Bicep compiler writes) and
// turns every resource they would deploy into the resource document Azure
// would store for it, with service defaults filled in.
//
// It evaluates the template the way Azure Resource Manager does, with the
// expression language of internal/armexpr: parameters (from parameter
// files, defaults, or unknown), variables (with copy), user-defined
// functions, conditions, resource and property copy loops, nested child
// resources, existing resources, nested deployments (inline, inner and
// outer expression scope) and linked templates given by relativePath.
// Values that cannot be known before deployment stay resource.Unknown.
//
// Every document carries its provenance: the file and line range of the
// resource object, and its address in the template (the symbolic name, or
// a path such as resources[2].resources[0]).
//
// Two parts serve the Bicep reader too, so that a Bicep file and the
// template bicep build makes from it give equal documents:
//
//   - Mapper is the one mapping from an evaluated ARM resource (Resource:
//     type, API version, name, ID, scope, evaluated body, provenance) to
//     kvguard documents: service defaults, Key Vault components, private
//     endpoint connection states, parents, secure-value scrubbing.
//   - Reader.Nest evaluates a template (a file, or an inline template
//     given as data) as a nested deployment with inner scope, with given
//     parameter values and deployment context, into a caller's Mapper:
//     Bicep modules written as ARM templates, and deployments declared
//     as resources in Bicep.
//
// It imports internal/resource, internal/jsonpos and internal/armexpr,
// nothing else of kvguard's.
package armtemplate
