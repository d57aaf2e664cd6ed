// keyvault-private-link: kv-pl-auto has a private endpoint with automatic
// approval (Approved: healthy); kv-pl-manual only one waiting for manual
// approval (Pending: unhealthy); kv-pl-none none (unhealthy).
param vaultNames array = ['kv-pl-auto', 'kv-pl-manual', 'kv-pl-none']

resource vnet 'Microsoft.Network/virtualNetworks@2023-09-01' existing = {
  name: 'vnet'
  resource endpoints 'subnets' existing = {
    name: 'endpoints'
  }
}

resource vaults 'Microsoft.KeyVault/vaults@2023-07-01' = [for name in vaultNames: {
  name: name
  location: 'westeurope'
  properties: {
    tenantId: subscription().tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: true
    publicNetworkAccess: 'Disabled'
  }
}]

resource autoEndpoint 'Microsoft.Network/privateEndpoints@2023-09-01' = {
  name: 'pe-kv-pl-auto'
  location: 'westeurope'
  properties: {
    subnet: { id: vnet::endpoints.id }
    privateLinkServiceConnections: [
      {
        name: 'kv'
        properties: {
          privateLinkServiceId: vaults[0].id
          groupIds: ['vault']
        }
      }
    ]
  }
}

resource manualEndpoint 'Microsoft.Network/privateEndpoints@2023-09-01' = {
  name: 'pe-kv-pl-manual'
  location: 'westeurope'
  properties: {
    subnet: { id: vnet::endpoints.id }
    manualPrivateLinkServiceConnections: [
      {
        name: 'kv'
        properties: {
          privateLinkServiceId: vaults[1].id
          groupIds: ['vault']
          requestMessage: 'please approve'
        }
      }
    ]
  }
}
