// Package bicepgen writes synthetic Bicep files for the Bicep reader's
// benchmarks (bench/bicep and internal/source/bicep).
package bicepgen

import (
	"fmt"
	"strings"
)

// File is a Bicep file of n vaults, each with ten looped secrets, an
// interpolated name, a ternary and a network ACL loop. With unique, the
// names also call uniqueString(resourceGroup().id), as real templates do.
func File(n int, unique bool) string {
	suffix := ""
	if unique {
		suffix = "-${uniqueString(resourceGroup().id)}"
	}
	var b strings.Builder
	b.WriteString("param prefix string = 'kv'\nvar names = [for i in range(0, 10): 's${i}']\n")
	for i := range n {
		fmt.Fprintf(&b, `// kvguard:ignore keyvault-firewall generated
resource kv%[1]d 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: '${prefix}-%[1]d%[2]s'
  location: resourceGroup().location
  properties: {
    tenantId: subscription().tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: %[1]d %% 2 == 0 ? true : false
    networkAcls: { defaultAction: 'Deny', ipRules: [for ip in ['1.2.3.4']: { value: ip }] }
  }
  resource s 'secrets' = [for n in names: {
    name: n
    properties: { attributes: { exp: 1767225600 } }
  }]
}
`, i, suffix)
	}
	return b.String()
}
