// Package policy is an Azure Policy language engine: it parses policy
// definitions (Microsoft's built-ins verbatim, kvguard's catalog, users'
// own), compiles them once with their parameter values, and evaluates them
// against resource documents, giving Azure Policy's verdicts with Azure's
// "reasons for non-compliance".
//
// It implements conditions (allOf, anyOf, not; field, value and count with
// every operator), aliases with [*] and Azure's missing-field and case
// rules, template expressions with the functions policy rules may use,
// modes (All, Indexed, Microsoft.KeyVault.Data, Microsoft.ManagedHSM.Data)
// and effects (audit, deny, disabled, modify, auditIfNotExists and
// deployIfNotExists with their existence condition). Values marked
// resource.Unknown are handled in three-valued logic: a verdict that
// depends on one is Unknown, naming it. An unknown whose possible values
// are known (resource.UnknownOneOf: a boolean, a conditional's branches, a
// block present or absent) is settled by evaluating every combination
// (choices.go): the common outcome when they agree, "for every value of"
// the expressions tried, else Unknown naming the deciding values.
//
// The engine knows nothing of Key Vault beyond its alias table (alias.go).
// It imports internal/resource and internal/jsonpos only; never the
// catalog, the assessor or any input.
package policy
