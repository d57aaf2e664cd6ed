// keyvault-rbac: kv-rbac-on turns RBAC on (healthy); kv-rbac-off keeps
// access policies (unhealthy); kv-rbac-unset leaves the flag out at API
// version 2023-07-01, where Azure stores false (unhealthy).
param location string = resourceGroup().location

var common = {
  tenantId: subscription().tenantId
  sku: { family: 'A', name: 'standard' }
  publicNetworkAccess: 'Disabled'
}

resource rbacOn 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: 'kv-rbac-on'
  location: location
  properties: union(common, { enableRbacAuthorization: true })
}

resource rbacOff 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: 'kv-rbac-off'
  location: location
  properties: union(common, {
    enableRbacAuthorization: false
    accessPolicies: [
      {
        tenantId: subscription().tenantId
        objectId: '11111111-1111-1111-1111-111111111111'
        permissions: { secrets: ['get', 'list'] }
      }
    ]
  })
}

resource rbacUnset 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: 'kv-rbac-unset'
  location: location
  properties: common
}
