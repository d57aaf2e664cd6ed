// Package estate holds the documents of one scan (or deployment unit) as
// the judge needs them: duplicates resolved (one document per resource ID
// and deployment), an index by ID, vault host, vault name and parent,
// private endpoints linked into the vaults they target, and the answers
// to the policy engine's related-resource queries (policy.Related).
//
// A planned (IaC) document's identity is its ID and its deployment
// (resource.Document.Deployment); lookups prefer the asking document's own
// deployment.
//
// It imports resource and policy (for the related-resource query); it
// never imports the catalog, the assessor, inputs or reports. Components
// (secrets, keys, certificates) are not kept here: the assessor judges them
// as they arrive and finds their vault with Index.VaultFor.
package estate
