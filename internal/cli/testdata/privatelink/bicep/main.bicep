resource kv 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: 'kv-bicep-ok'
  location: 'westeurope'
  properties: {
    tenantId: subscription().tenantId
    sku: { family: 'A', name: 'standard' }
  }
}

resource pe 'Microsoft.Network/privateEndpoints@2024-05-01' = {
  name: 'pe-bicep-ok'
  location: 'westeurope'
  properties: {
    subnet: { id: '/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/s' }
    privateLinkServiceConnections: [ { name: 'kv', properties: { privateLinkServiceId: kv.id, groupIds: [ 'vault' ] } } ]
  }
}

resource zg 'Microsoft.Network/privateEndpoints/privateDnsZoneGroups@2024-05-01' = {
  parent: pe
  name: 'default'
  properties: {
    privateDnsZoneConfigs: [ { name: 'vault', properties: { privateDnsZoneId: '/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg/providers/Microsoft.Network/privateDnsZones/privatelink.vaultcore.azure.net' } } ]
  }
}

resource peNoDNS 'Microsoft.Network/privateEndpoints@2024-05-01' = {
  name: 'pe-bicep-nodns-bad'
  location: 'westeurope'
  properties: {
    subnet: { id: '/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/s' }
    privateLinkServiceConnections: [ { name: 'kv', properties: { privateLinkServiceId: kv.id, groupIds: [ 'vault' ] } } ]
  }
}
