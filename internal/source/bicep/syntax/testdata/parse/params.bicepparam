using './main.bicep'

param vaultName = 'kv-prod'
param retention = 90
var suffix = 'x'
param tags = {
  env: 'prod${suffix}'
}
