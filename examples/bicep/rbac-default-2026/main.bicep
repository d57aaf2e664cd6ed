// keyvault-rbac: from API version 2026-02-01 a vault created without
// enableRbacAuthorization gets RBAC (healthy). The same vault declared at
// 2023-07-01 would keep access policies.
resource kv 'Microsoft.KeyVault/vaults@2026-02-01' = {
  name: 'kv-rbac-default'
  location: resourceGroup().location
  properties: {
    tenantId: subscription().tenantId
    sku: { family: 'A', name: 'standard' }
  }
}
