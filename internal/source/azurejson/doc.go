// Package azurejson reads Azure resource JSON the way people already have
// it and turns it into resource documents: az CLI output (az keyvault
// list/show, az resource list, az graph query, az keyvault secret/key/
// certificate list and show), Azure PowerShell and PSRule exports, ARM REST
// bodies (a GET body, a list page {"value": [...], "nextLink": ...}, the
// vaults/{v}/secrets and /keys lists), Key Vault data-plane list pages,
// arrays and JSON sequences of any of these, and kvguard's own snapshot
// format (docs/snapshot.md).
//
// The shape is recognised by content, never by file name: each object is
// classified by its members (an "id" that is a resource ID or a Key Vault
// URL, a "value"/"data"/"resources" array, a "kvguardSnapshot" header).
// Files are streamed with jsonpos one resource at a time, so a saved estate
// of millions of secrets is read in bounded memory and every document
// carries its file and line range.
//
// Bad input never stops the scan: each problem becomes a
// *resource.InputError at file:line:col, the value it concerns becomes a
// resource.Unknown (so verdicts that depend on it are Unknown, not
// guessed), and everything else is still read. A secret's value is never
// decoded into memory, kept or logged.
//
// The package imports resource and jsonpos only; it must not import
// policy, catalog, assess or report.
package azurejson
