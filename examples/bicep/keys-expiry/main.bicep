// keyvault-key-expiry: a key with an expiry and a rotation policy, and a
// key without an expiry.
resource kv 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: 'kv-keys'
  location: 'westeurope'
  properties: {
    tenantId: subscription().tenantId
    sku: { family: 'A', name: 'premium' }
    enableRbacAuthorization: true
    publicNetworkAccess: 'Disabled'
  }
}

resource withExpiry 'Microsoft.KeyVault/vaults/keys@2023-07-01' = {
  parent: kv
  name: 'cmk'
  properties: {
    kty: 'RSA-HSM'
    keySize: 3072
    attributes: {
      exp: 1830297600 // 2028-01-01
    }
    rotationPolicy: {
      lifetimeActions: [
        { trigger: { timeAfterCreate: 'P90D' }, action: { type: 'rotate' } }
      ]
      attributes: { expiryTime: 'P1Y' }
    }
  }
}

resource noExpiry 'Microsoft.KeyVault/vaults/keys@2023-07-01' = {
  parent: kv
  name: 'signing'
  properties: {
    kty: 'EC'
    curveName: 'P-256'
  }
}
