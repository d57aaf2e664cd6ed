// keyvault-soft-delete: kv-sd-default leaves soft delete out (Azure
// turns it on: healthy); kv-sd-off asks for it off (unhealthy: the
// request says false, whatever Azure does with it).
resource sdDefault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: 'kv-sd-default'
  location: 'westeurope'
  properties: {
    tenantId: subscription().tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: true
  }
}

resource sdOff 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: 'kv-sd-off'
  location: 'westeurope'
  properties: {
    tenantId: subscription().tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: true
    enableSoftDelete: false
  }
}
