using './main.bicep'

var env = 'prod'
param vaultName = 'kv-${env}-params'
param enableRbac = true
param allowPublic = false
