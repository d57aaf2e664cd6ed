// A file using every kind of declaration.
targetScope = 'resourceGroup'

metadata info = {
  owner: 'team'
}

@description('The vault name.')
@minLength(3)
param vaultName string = 'kv${uniqueString(resourceGroup().id)}'
param tags object?
@secure()
param secret string
param location string = resourceGroup().location

import { sharedTags, shortName as short } from 'shared.bicep'
import * as lib from 'lib.bicep'

extension microsoftGraphV1

type skuName = 'standard' | 'premium'
type config = {
  @description('the sku')
  sku: skuName
  names: string[]
  retention: int?
  *: string
}
type pair = [
  string
  int
]

func prefixed(name string, n int) string => '${name}-${n}'

var flag = true
var typed string = 'x'

output vaultId string = kv.id
output kvRes resource 'Microsoft.KeyVault/vaults@2023-07-01' = kv
