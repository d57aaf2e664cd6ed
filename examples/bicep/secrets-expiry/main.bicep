// keyvault-secret-expiry: secrets with a literal expiry, with the usual
// "90 days from deployment" idiom (unknown before deployment, but set),
// looped secrets, and one without an expiry.
@secure()
param dbPassword string

param appSecrets array = ['api-key', 'session-key']

resource kv 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: 'kv-secrets'
  location: 'westeurope'
  properties: {
    tenantId: subscription().tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: true
    publicNetworkAccess: 'Disabled'
  }

  resource fixed 'secrets' = {
    name: 'fixed-expiry'
    properties: {
      value: dbPassword
      attributes: {
        exp: 1798761600 // 2027-01-01
      }
    }
  }

  resource rolling 'secrets' = [for s in appSecrets: {
    name: s
    properties: {
      contentType: 'text/plain'
      attributes: {
        exp: dateTimeToEpoch(dateTimeAdd(utcNow(), 'P90D'))
      }
    }
  }]
}

resource noExpiry 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: kv
  name: 'no-expiry'
  properties: {
    value: dbPassword
  }
}
