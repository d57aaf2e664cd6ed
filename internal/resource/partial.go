package resource

import "strings"

// PartCertificatePolicy is the Gap.Part of a vault whose certificates were
// listed but whose certificate policies (key properties, validity,
// lifetime actions, issuer: what only GET /certificates/{name} returns)
// could not all be read: the certificate components are there, with
// their attributes, and what they say of expiry still counts.
const PartCertificatePolicy = TypeCertificate + "/policy"

// PartialGap is a part of a resource's components that could not be read
// while the components themselves were: their rotation policies, their
// certificate policies. A gap with such a part (Gap.Part == Part) on a
// vault makes Unknown only the rules on components of type Component that
// read one of Aliases (policy.Reads), not every rule on the vault or on
// its components: a key whose rotation policy is unreadable still has an
// expiry to judge.
type PartialGap struct {
	// Part is the Gap.Part that marks it.
	Part string
	// Component is the component type whose documents lack the part.
	Component string
	// Aliases are the alias prefixes (lower-case) that read the part; a
	// rule reading any alias under one of them depends on it.
	Aliases []string
	// Noun says what is missing, for the verdict's reason.
	Noun string
}

// partialGaps are the parts that can be missing from components that were
// read. The aliases are the ones docs/architecture.md's shapes derive from
// each part (scheduledRotationDate from the rotation policy).
var partialGaps = []PartialGap{
	{Part: PartKeyRotationPolicy, Component: TypeKey, Noun: "keys' rotation policies", Aliases: []string{
		"microsoft.keyvault.data/vaults/keys/scheduledrotationdate",
		"microsoft.keyvault.data/vaults/keys/rotationpolicy",
	}},
	{Part: TypeHSMKey + "/rotationPolicy", Component: TypeHSMKey, Noun: "keys' rotation policies", Aliases: []string{
		"microsoft.managedhsm.data/managedhsms/keys/scheduledrotationdate",
		"microsoft.managedhsm.data/managedhsms/keys/rotationpolicy",
	}},
	{Part: PartCertificatePolicy, Component: TypeCertificate, Noun: "certificates' policies", Aliases: []string{
		"microsoft.keyvault.data/vaults/certificates/keyproperties",
		"microsoft.keyvault.data/vaults/certificates/properties.validityinmonths",
		"microsoft.keyvault.data/vaults/certificates/lifetimeactions",
		"microsoft.keyvault.data/vaults/certificates/issuer",
	}},
}

// PartialGapOf returns the PartialGap a gap marks, if it marks one.
func PartialGapOf(g Gap) (PartialGap, bool) {
	for _, p := range partialGaps {
		if strings.EqualFold(g.Part, p.Part) {
			return p, true
		}
	}
	return PartialGap{}, false
}

// ReadBy reports whether a rule reading fields (policy.Reads: lower-case
// aliases) on components of type component depends on the part.
func (p PartialGap) ReadBy(component string, fields []string) bool {
	if !strings.EqualFold(component, p.Component) {
		return false
	}
	for _, f := range fields {
		for _, a := range p.Aliases {
			if strings.HasPrefix(f, a) {
				return true
			}
		}
	}
	return false
}
