// A vault that copies its access model and network exposure from an
// existing platform vault: properties of a deployed resource are read at
// deployment (reference()), so before deployment they are unknown and
// kvguard says so (RBAC and firewall Unknown, naming the expression)
// rather than guess.
resource platform 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: 'kv-platform'
}

resource follower 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: 'kv-follows-platform'
  location: 'westeurope'
  properties: {
    tenantId: subscription().tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: platform.properties.enableRbacAuthorization
    publicNetworkAccess: platform.properties.publicNetworkAccess
  }
}
