// A nested deployment declared as a resource, with an inline template (as
// older Bicep code, or code converted from ARM with `bicep decompile`,
// writes it). Its vault kv-bicep-nested has RBAC on and public network
// access disabled; its secret 'app-secret' has no expiry (unhealthy); its
// output feeds a private endpoint with automatic approval (healthy).
//
// The strings of an inline template are literals: Bicep escapes "[...]",
// so the template is written with Bicep values, not ARM expressions.
param location string = 'westeurope'

var vaultName = 'kv-bicep-nested'

resource vaultDeployment 'Microsoft.Resources/deployments@2022-09-01' = {
  name: 'vault-deployment'
  properties: {
    mode: 'Incremental'
    template: {
      '$schema': 'https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#'
      contentVersion: '1.0.0.0'
      resources: [
        {
          type: 'Microsoft.KeyVault/vaults'
          apiVersion: '2023-07-01'
          name: vaultName
          location: location
          properties: {
            tenantId: subscription().tenantId
            sku: { family: 'A', name: 'standard' }
            enableRbacAuthorization: true
            publicNetworkAccess: 'Disabled'
          }
          resources: [
            {
              type: 'secrets'
              apiVersion: '2023-07-01'
              name: 'app-secret'
              dependsOn: [vaultName]
              properties: { contentType: 'text/plain' }
            }
          ]
        }
      ]
      outputs: {
        vaultId: { type: 'string', value: resourceId('Microsoft.KeyVault/vaults', vaultName) }
      }
    }
  }
}

resource endpoint 'Microsoft.Network/privateEndpoints@2023-09-01' = {
  name: 'pe-kv-bicep-nested'
  location: location
  properties: {
    subnet: { id: resourceId('Microsoft.Network/virtualNetworks/subnets', 'vnet', 'endpoints') }
    privateLinkServiceConnections: [
      {
        name: 'kv'
        properties: {
          privateLinkServiceId: vaultDeployment.properties.outputs.vaultId.value
          groupIds: ['vault']
        }
      }
    ]
  }
}
