// A module written as an ARM template (a template kept from before the
// move to Bicep): the JSON file is deployed as a nested deployment with
// the parameters given here.
module legacyVault 'legacy-vault.json' = {
  name: 'legacy-vault'
  params: {
    vaultName: 'kv-json-module'
    allowedIps: ['203.0.113.10/32']
  }
}

// Its outputs are read like a Bicep module's.
output vaultUri string = legacyVault.outputs.vaultUri
output keyName string = legacyVault.outputs.keyName
