// Package armtemplate reads Azure Resource Manager deployment templates
// (classic templates with a resources array, languageVersion 2.0 templates
// with symbolic names, and the templates the Bicep compiler writes) and
// turns every resource they would deploy into the resource document Azure
// would store for it, with service defaults filled in.
//
// This package is the front end: it tells templates and parameter files
// apart, reads a template with its parameter files (given, or
// <base>.parameters.json beside it), and finds the templates others link.
// The evaluation itself (parameters, variables, copy loops, nested and
// linked deployments, the expression language of internal/armexpr) and
// the mapping to documents live in source/internal/arm, which the Bicep
// reader shares. Values that cannot be known before deployment stay
// resource.Unknown.
//
// Every document carries its provenance: the file and line range of the
// resource object, and its address in the template (the symbolic name, or
// a path such as resources[2].resources[0]).
//
// It imports internal/resource, internal/jsonpos, internal/armexpr and
// source/internal/arm, nothing else of kvguard's.
package armtemplate
