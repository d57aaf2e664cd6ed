param vaultName string
param rbac bool
param location string = resourceGroup().location

resource kv 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: vaultName
  location: location
  properties: {
    tenantId: subscription().tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: rbac
    networkAcls: { defaultAction: 'Deny', bypass: 'AzureServices' }
  }

  resource secret 'secrets' = {
    name: 'app-secret'
    properties: {
      attributes: { exp: 1798761600 }
    }
  }
}

output vaultId string = kv.id
