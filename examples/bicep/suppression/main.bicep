// kvguard:ignore keyvault-rbac migrating to RBAC in Q3 exp:2027-06-30
resource legacy 'Microsoft.KeyVault/vaults@2023-07-01' = { // kvguard:ignore keyvault-firewall "fronted by a proxy"
  name: 'kv-suppressed'
  location: 'westeurope'
  properties: {
    tenantId: subscription().tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: false
  }

  // kvguard:ignore keyvault-secret-expiry rotated by an external job
  resource rotated 'secrets' = {
    name: 'rotated-externally'
    properties: {}
  }
}
