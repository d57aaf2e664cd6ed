package terraform

// omittedFromRequest lists the properties of a vault document that the
// azurerm provider leaves out of the request it sends (PUT
// Microsoft.KeyVault/vaults), although the document carries them as
// Azure stores them: a Deny judges the request (docs/deny-preview.md), so
// these are the document's ServiceDefaults. From resourceKeyVaultCreate
// (hashicorp/terraform-provider-azurerm,
// internal/services/keyvault/key_vault_resource.go): EnablePurgeProtection
// is set "if purgeProtectionEnabled" only, and SoftDeleteRetentionInDays
// "if v != 90" only. Every other argument the mapper reads (sku,
// tenant_id, enable_rbac_authorization, enabled_for_*, network_acls,
// access_policy, and EnableSoftDelete, always true) is sent as written or
// with its schema default. A value unknown before apply is sent, whatever
// it turns out to be, so it stays.
func omittedFromRequest(props map[string]any) []string {
	var out []string
	if v, ok := props["enablePurgeProtection"]; ok && v == false {
		out = append(out, "properties.enablePurgeProtection")
	}
	if v, ok := props["softDeleteRetentionInDays"]; ok && v == int64(90) {
		out = append(out, "properties.softDeleteRetentionInDays")
	}
	return out
}

// withRequestDefaults records on a vault document what the provider does
// not send (omittedFromRequest).
func withRequestDefaults(b *built) *built {
	if props, ok := b.doc.Body["properties"].(map[string]any); ok {
		b.doc.ServiceDefaults = omittedFromRequest(props)
	}
	return b
}
