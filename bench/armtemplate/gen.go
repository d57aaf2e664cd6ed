package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
)

// generate writes n templates under dir, spread over subdirectories of 100,
// each with about resources Key Vault resources (vaults, secrets in copy
// loops, keys, private endpoints, a nested deployment), in both template
// forms (every fourth one is languageVersion 2.0). It returns the paths.
func generate(dir string, n, resources int, seed uint64) ([]string, error) {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	paths := make([]string, 0, n)
	for i := 0; i < n; i++ {
		sub := filepath.Join(dir, fmt.Sprintf("team%03d", i/100))
		if err := os.MkdirAll(sub, 0o755); err != nil {
			return nil, err
		}
		p := filepath.Join(sub, fmt.Sprintf("kv%05d.json", i))
		var body string
		if i%4 == 3 {
			body = symbolicTemplate(i, resources, rng)
		} else {
			body = classicTemplate(i, resources, rng)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			return nil, err
		}
		paths = append(paths, p)
	}
	return paths, nil
}

const header = `{
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "contentVersion": "1.0.0.0",
`

func apiVersion(rng *rand.Rand) string {
	return []string{"2019-09-01", "2021-10-01", "2023-07-01", "2024-11-01", "2026-02-01"}[rng.IntN(5)]
}

// classicTemplate: parameters, variables, a vault per block with nested
// and copied secrets, a key, a private endpoint; a nested deployment.
func classicTemplate(i, resources int, rng *rand.Rand) string {
	var b strings.Builder
	b.WriteString(header)
	fmt.Fprintf(&b, `  "parameters": {
    "prefix": {"type": "string", "defaultValue": "kv%05d"},
    "location": {"type": "string", "defaultValue": "[resourceGroup().location]"},
    "secretCount": {"type": "int", "defaultValue": 3},
    "now": {"type": "string", "defaultValue": "[utcNow()]"}
  },
  "variables": {
    "suffix": "[uniqueString(resourceGroup().id, parameters('prefix'))]",
    "tags": {"team": "[format('team-{0}', %d)]", "env": "[if(equals(mod(%d, 2), 0), 'prod', 'dev')]"}
  },
  "resources": [
`, i, i, i)
	blocks := max(1, resources/6)
	for k := 0; k < blocks; k++ {
		if k > 0 {
			b.WriteString(",\n")
		}
		rbac := ""
		if rng.IntN(2) == 0 {
			rbac = `"enableRbacAuthorization": true,`
		}
		fmt.Fprintf(&b, `    {
      "type": "Microsoft.KeyVault/vaults",
      "apiVersion": "%s",
      "name": "[format('{0}-{1}-%d', parameters('prefix'), take(variables('suffix'), 5))]",
      "location": "[parameters('location')]",
      "tags": "[variables('tags')]",
      "properties": {
        "tenantId": "[subscription().tenantId]",
        "sku": {"family": "A", "name": "standard"},
        %s
        "networkAcls": {"defaultAction": "%s", "bypass": "AzureServices", "copy": [{"name": "ipRules", "count": 2, "input": {"value": "[format('10.%d.{0}.0/24', copyIndex('ipRules'))]"}}]}
      },
      "resources": [
        {"type": "secrets", "apiVersion": "2023-07-01", "name": "nested", "dependsOn": ["[format('{0}-{1}-%d', parameters('prefix'), take(variables('suffix'), 5))]"],
         "properties": {"value": "x", "attributes": {"exp": "[dateTimeToEpoch(dateTimeAdd('2026-01-01T00:00:00Z', 'P1Y'))]"}}}
      ]
    },
    {
      "type": "Microsoft.KeyVault/vaults/secrets",
      "apiVersion": "2023-07-01",
      "name": "[format('{0}-{1}-%d/s{2}', parameters('prefix'), take(variables('suffix'), 5), copyIndex())]",
      "copy": {"name": "secrets%d", "count": "[parameters('secretCount')]"},
      "properties": {"value": "x", "attributes": "[if(equals(copyIndex(), 0), createObject(), createObject('exp', dateTimeToEpoch(dateTimeAdd(parameters('now'), 'P90D'))))]"}
    },
    {
      "type": "Microsoft.KeyVault/vaults/keys",
      "apiVersion": "2024-11-01",
      "name": "[concat(parameters('prefix'), '-', take(variables('suffix'), 5), '-%d/cmk')]",
      "properties": {"kty": "RSA", "keySize": 2048, "rotationPolicy": {"attributes": {"expiryTime": "P1Y"}}}
    },
    {
      "type": "Microsoft.Network/privateEndpoints",
      "apiVersion": "2023-09-01",
      "name": "[format('pe-{0}-%d', parameters('prefix'))]",
      "location": "[parameters('location')]",
      "properties": {
        "subnet": {"id": "[resourceId('Microsoft.Network/virtualNetworks/subnets', 'vnet', 'pe')]"},
        "privateLinkServiceConnections": [{"name": "kv", "properties": {"groupIds": ["vault"], "privateLinkServiceId": "[resourceId('Microsoft.KeyVault/vaults', format('{0}-{1}-%d', parameters('prefix'), take(variables('suffix'), 5)))]"}}]
      }
    }`, apiVersion(rng), k, rbac, []string{"Allow", "Deny"}[rng.IntN(2)], k%250, k, k, k, k, k, k)
	}
	fmt.Fprintf(&b, `,
    {
      "type": "Microsoft.Resources/deployments",
      "apiVersion": "2022-09-01",
      "name": "nested",
      "properties": {
        "mode": "Incremental",
        "expressionEvaluationOptions": {"scope": "inner"},
        "parameters": {"name": {"value": "[format('{0}-nested', parameters('prefix'))]"}},
        "template": {
          "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
          "contentVersion": "1.0.0.0",
          "parameters": {"name": {"type": "string"}},
          "resources": [
            {"type": "Microsoft.KeyVault/vaults", "apiVersion": "%s", "name": "[parameters('name')]", "location": "[resourceGroup().location]",
             "properties": {"tenantId": "[subscription().tenantId]", "sku": {"family": "A", "name": "standard"}, "publicNetworkAccess": "Disabled"}}
          ]
        }
      }
    }
  ]
}
`, apiVersion(rng))
	return b.String()
}

// symbolicTemplate is the languageVersion 2.0 form.
func symbolicTemplate(i, resources int, rng *rand.Rand) string {
	var b strings.Builder
	b.WriteString(header)
	fmt.Fprintf(&b, `  "languageVersion": "2.0",
  "parameters": {
    "name": {"type": "string", "defaultValue": "kvs%05d"},
    "secrets": {"type": "array", "defaultValue": [{"name": "a", "exp": 1798761600}, {"name": "b"}]}
  },
  "resources": {
`, i)
	blocks := max(1, resources/4)
	for k := 0; k < blocks; k++ {
		if k > 0 {
			b.WriteString(",\n")
		}
		fmt.Fprintf(&b, `    "vault%d": {
      "type": "Microsoft.KeyVault/vaults",
      "apiVersion": "%s",
      "name": "[format('{0}-%d', parameters('name'))]",
      "location": "[resourceGroup().location]",
      "properties": {"tenantId": "[tenant().tenantId]", "sku": {"family": "A", "name": "premium"}, "publicNetworkAccess": "%s"}
    },
    "secrets%d": {
      "copy": {"name": "secrets%d", "count": "[length(parameters('secrets'))]"},
      "type": "Microsoft.KeyVault/vaults/secrets",
      "apiVersion": "2023-07-01",
      "name": "[format('{0}-%d/{1}', parameters('name'), parameters('secrets')[copyIndex()].name)]",
      "properties": {"value": "x", "attributes": {"exp": "[tryGet(parameters('secrets')[copyIndex()], 'exp')]"}},
      "dependsOn": ["vault%d"]
    },
    "diag%d": {
      "type": "Microsoft.Insights/diagnosticSettings",
      "apiVersion": "2021-05-01-preview",
      "scope": "[format('Microsoft.KeyVault/vaults/{0}-%d', parameters('name'))]",
      "name": "audit",
      "properties": {"logs": [{"categoryGroup": "audit", "enabled": true}]},
      "dependsOn": ["vault%d"]
    }`, k, apiVersion(rng), k, []string{"Enabled", "Disabled"}[rng.IntN(2)], k, k, k, k, k, k, k)
	}
	b.WriteString("\n  }\n}\n")
	return b.String()
}
