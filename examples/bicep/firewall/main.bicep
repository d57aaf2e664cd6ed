// keyvault-firewall: a vault is healthy when its firewall denies by
// default or public network access is disabled.
param allowedIps array = ['203.0.113.10/32', '198.51.100.0/24']

var base = {
  tenantId: subscription().tenantId
  sku: { family: 'A', name: 'standard' }
  enableRbacAuthorization: true
}

resource denyByDefault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: 'kv-fw-deny'
  location: 'westeurope'
  properties: union(base, {
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: 'Deny'
      ipRules: [for ip in allowedIps: { value: ip }]
    }
  })
}

resource publicDisabled 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: 'kv-fw-private'
  location: 'westeurope'
  properties: union(base, { publicNetworkAccess: 'Disabled' })
}

resource openToAll 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: 'kv-fw-open'
  location: 'westeurope'
  properties: union(base, {
    networkAcls: { defaultAction: 'Allow' }
  })
}
