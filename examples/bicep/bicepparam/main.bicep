param vaultName string
param enableRbac bool = false
param allowPublic bool = true

resource kv 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: vaultName
  location: resourceGroup().location
  properties: {
    tenantId: subscription().tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: enableRbac
    publicNetworkAccess: allowPublic ? 'Enabled' : 'Disabled'
  }
}
