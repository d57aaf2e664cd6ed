resource kv 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: vaultName
  location: location
  properties: {
    tenantId: subscription().tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: true
  }

  // kvguard:ignore keyvault-firewall reason
  resource secret 'secrets' = {
    name: 'db-password'
    properties: {
      attributes: {
        exp: dateTimeToEpoch(dateTimeAdd(utcNow(), 'P90D'))
      }
    }
  }

  @batchSize(2)
  resource keys 'keys' = [for (k, i) in keyNames: if (i > 0) {
    name: k
  }]
}

resource existingKv 'Microsoft.KeyVault/vaults@2019-09-01' existing = {
  name: 'other'
  scope: resourceGroup('otherRg')
}

resource cond 'Microsoft.KeyVault/vaults/secrets@2023-07-01' =
  if (deploy) {
    parent: kv
    name: 's'
  }

module kvModule './kv.bicep' = {
  name: 'kvDeploy'
  params: {
    name: kv::secret.name
  }
}

module registry 'br/public:avm/res/key-vault/vault:0.11.0' = [for n in names: {
  name: n
}]
