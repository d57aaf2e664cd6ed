// Managed HSMs, their keys, a vault key with a rotation policy and
// diagnostic settings (extension resources with `scope:`); judged with
// --all. The same deployment as examples/arm/managed-hsm.json.
// Expected:
//   hsm-arm          purge protection Healthy (left out: the REST
//                    specification's default is on); public network access
//                    Healthy (networkAcls deny); resource logs Healthy;
//                    private link Healthy (pe-hsm-arm); HSM key expiry
//                    Unhealthy (hsm-legacy has none); hsm-wrap has a
//                    rotation policy, which no built-in judges
//   hsm-arm-open     purge protection Unhealthy; resource logs Unhealthy;
//                    private link Unhealthy
//   kv-arm-rotation  resource logs Healthy; key rotation Unhealthy
//                    ('unrotated' has no rotation policy; 'rotated' rotates
//                    30 days after its creation, known only once deployed)

param location string = 'westeurope'
param workspaceId string = '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-mon/providers/Microsoft.OperationalInsights/workspaces/law'

resource hsm 'Microsoft.KeyVault/managedHSMs@2023-07-01' = {
  name: 'hsm-arm'
  location: location
  sku: {
    family: 'B'
    name: 'Standard_B1'
  }
  properties: {
    tenantId: subscription().tenantId
    initialAdminObjectIds: [
      '00000000-0000-0000-0000-0000000000aa'
    ]
    softDeleteRetentionInDays: 30
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: 'Deny'
    }
  }

  resource wrap 'keys' = {
    name: 'hsm-wrap'
    properties: {
      kty: 'RSA-HSM'
      keySize: 3072
      keyOps: [
        'wrapKey'
        'unwrapKey'
      ]
      attributes: {
        exp: 1845849600
      }
      rotationPolicy: {
        attributes: {
          expiryTime: 'P2Y'
        }
        lifetimeActions: [
          {
            trigger: {
              timeBeforeExpiry: 'P30D'
            }
            action: {
              type: 'rotate'
            }
          }
        ]
      }
    }
  }

  resource legacy 'keys' = {
    name: 'hsm-legacy'
    properties: {
      kty: 'RSA-HSM'
      keySize: 2048
      keyOps: [
        'sign'
        'verify'
      ]
    }
  }
}

// An automatically approved private endpoint to hsm-arm.
resource hsmEndpoint 'Microsoft.Network/privateEndpoints@2023-09-01' = {
  name: 'pe-hsm-arm'
  location: location
  properties: {
    subnet: {
      id: '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet-hub/subnets/private-endpoints'
    }
    privateLinkServiceConnections: [
      {
        name: 'hsm-arm'
        properties: {
          privateLinkServiceId: hsm.id
          groupIds: [
            'managedhsm'
          ]
        }
      }
    ]
  }
}

resource hsmAudit 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'hsm-audit'
  scope: hsm
  properties: {
    workspaceId: workspaceId
    logs: [
      {
        category: 'AuditEvent'
        enabled: true
      }
    ]
  }
}

resource hsmOpen 'Microsoft.KeyVault/managedHSMs@2023-07-01' = {
  name: 'hsm-arm-open'
  location: location
  sku: {
    family: 'B'
    name: 'Standard_B1'
  }
  properties: {
    tenantId: subscription().tenantId
    initialAdminObjectIds: [
      '00000000-0000-0000-0000-0000000000aa'
    ]
    enablePurgeProtection: false
  }
}

resource kv 'Microsoft.KeyVault/vaults@2024-11-01' = {
  name: 'kv-arm-rotation'
  location: location
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'premium'
    }
    enableRbacAuthorization: true
    enablePurgeProtection: true
    publicNetworkAccess: 'Disabled'
  }

  resource rotated 'keys' = {
    name: 'rotated'
    properties: {
      kty: 'RSA-HSM'
      keySize: 3072
      attributes: {
        exp: 1845849600
      }
      rotationPolicy: {
        attributes: {
          expiryTime: 'P1Y'
        }
        lifetimeActions: [
          {
            trigger: {
              timeAfterCreate: 'P30D'
            }
            action: {
              type: 'rotate'
            }
          }
          {
            trigger: {
              timeBeforeExpiry: 'P30D'
            }
            action: {
              type: 'notify'
            }
          }
        ]
      }
    }
  }

  resource unrotated 'keys' = {
    name: 'unrotated'
    properties: {
      kty: 'EC-HSM'
      curveName: 'P-256'
      attributes: {
        exp: 1830297600
      }
    }
  }
}

resource kvAudit 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'kv-audit'
  scope: kv
  properties: {
    workspaceId: workspaceId
    logs: [
      {
        categoryGroup: 'audit'
        enabled: true
      }
    ]
    metrics: [
      {
        category: 'AllMetrics'
        enabled: true
      }
    ]
  }
}
