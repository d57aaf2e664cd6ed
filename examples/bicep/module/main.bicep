// A Bicep module called twice (a loop), and a registry module, which is
// reported as not followed.
var vaults = [
  { name: 'kv-mod-a', rbac: true }
  { name: 'kv-mod-b', rbac: false }
]

module vaultModules 'modules/vault.bicep' = [for v in vaults: {
  name: 'vault-${v.name}'
  params: {
    vaultName: v.name
    rbac: v.rbac
  }
}]

module registry 'br/public:avm/res/key-vault/vault:0.11.0' = {
  name: 'avm-vault'
  params: {
    name: 'kv-avm'
  }
}

output vaultIds array = [for i in range(0, length(vaults)): vaultModules[i].outputs.vaultId]
