package resource

import "strings"

// Well-known types that have no constant of their own above but that saved
// Azure JSON carries.
const (
	TypeHSMPEConnection = "Microsoft.KeyVault/managedHSMs/privateEndpointConnections"
	TypeARMHSMKey       = "Microsoft.KeyVault/managedHSMs/keys"
	// TypePrivateDNSZoneGroup is a private endpoint's DNS zone group, the
	// child keyvault-private-dns-zone looks for.
	TypePrivateDNSZoneGroup = "Microsoft.Network/privateEndpoints/privateDnsZoneGroups"
)

// canonicalTypes maps the lower-cased form of each well-known type to its
// canonical casing. Azure compares types case-insensitively, but Resource
// Graph returns them lower-cased and Azure PowerShell mixes both; documents
// carry one spelling so that reports and golden files stay stable.
var canonicalTypes = func() map[string]string {
	m := map[string]string{}
	for _, t := range []string{
		TypeVault, TypeManagedHSM, TypeSecret, TypeKey, TypeCertificate, TypeHSMKey,
		TypePrivateEndpoint, TypeDiagnosticSetting, TypeVaultPEConnection, TypeSubscription,
		TypeARMSecret, TypeARMKey, TypeResourceDeployment, TypeHSMPEConnection, TypeARMHSMKey,
		TypePrivateDNSZoneGroup,
	} {
		m[strings.ToLower(t)] = t
	}
	return m
}()

// CanonicalType returns the canonical casing of a well-known resource type
// ("microsoft.keyvault/vaults" gives "Microsoft.KeyVault/vaults"), and any
// other type unchanged.
func CanonicalType(t string) string {
	if c, ok := canonicalTypes[strings.ToLower(t)]; ok {
		return c
	}
	return t
}
