// Package saved reads Azure resource JSON the way people already have
// it and turns it into resource documents: az CLI output (az keyvault
// list/show, az resource list, az graph query, az keyvault secret/key/
// certificate list and show, az network private-endpoint, az monitor
// diagnostic-settings), Azure PowerShell and PSRule exports, ARM REST
// bodies (a GET body, a list page {"value": [...], "nextLink": ...}, the
// vaults/{v}/secrets and /keys lists), Resource Graph REST results, Key
// Vault data-plane list pages, arrays and JSON sequences of any of these,
// and kvguard's own snapshot format (docs/snapshot.md).
//
// The shape is recognised by content, never by file name: each object is
// classified by its members (an "id" that is a resource ID or a Key Vault
// URL, a "value"/"data"/"resources" array, a "kvguardSnapshot" header).
// Files are streamed with jsonpos one resource at a time, so a saved estate
// of millions of secrets is read in bounded memory and every document
// carries its file and line range. The resources of a long array are
// decoded by several workers (Options.Workers; parallel.go), and still
// emitted in file order, on the calling goroutine, with the same documents
// and errors as a read on one goroutine. Where the array has one element
// per line (a saved estate), the workers are handed blocks of whole lines
// and find the elements themselves (blocks.go), so that no byte is scanned
// twice and the reading goroutine only reads. The workers read ARM-plane secrets
// and keys in the form Azure writes them on a fast path (fastcomp.go) that
// builds the same documents without intermediate maps, and hand anything
// else to the general path.
//
// What the documents look like:
//
//   - Vaults, managed HSMs, private endpoints, private endpoint connections
//     and diagnostic settings keep their ARM body, with the type spelled
//     canonically, Azure PowerShell's members turned back into ARM ones, and
//     the az CLI's flattened bodies (SDK models without their "properties"
//     level) put back into ARM shape. Other resource types are skipped.
//   - A vault or HSM without properties (az keyvault list, az resource list)
//     gets a "properties" gap, so its control-plane verdicts are Unknown.
//   - Secrets, keys and certificates become resource.NewComponent documents;
//     their vault is the ID's parent, or the URL's host for data-plane
//     objects. A data-plane document is read as one only when it has that
//     shape (shape.go): certificate policies, list-versions items and
//     deleted objects share the URLs but are not objects; they are noted
//     once per file (a warning), never guessed. A key rotation policy (az
//     keyvault key rotation-policy show) becomes a
//     resource.TypeKeyRotationPolicy document, joined to its key before
//     judging (estate.RotationPolicies).
//   - A snapshot's gaps are attached to the resources they name; a gap
//     naming a resource absent from the snapshot becomes a
//     resource.Placeholder (nil Body, "properties" gap).
//
// Bad input never stops the scan: each problem becomes a
// *resource.InputError at file:line:col, the value it concerns becomes a
// resource.Unknown (so verdicts that depend on it are Unknown, not
// guessed), and everything else is still read. Malformed JSON stops the
// rest of its file only, with a message saying so. A secret's value is
// never decoded into memory, kept or logged.
//
// The package imports resource and jsonpos only; it must not import
// policy, catalog, assess or report.
package saved
