package azuresim

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/kvguard/kvguard/internal/resource"
)

// GenOptions describes a generated estate.
type GenOptions struct {
	// Subscriptions is the number of subscriptions (default 1).
	Subscriptions int
	// Vaults is the number of key vaults, spread round-robin over the
	// subscriptions.
	Vaults int
	// ManagedHSMs is the number of managed HSMs, spread the same way.
	ManagedHSMs int
	// SecretsPerVault, KeysPerVault and CertificatesPerVault are the
	// objects of every vault.
	SecretsPerVault      int
	KeysPerVault         int
	CertificatesPerVault int
	// KeysPerHSM are the keys of every managed HSM, listed through
	// Resource Manager (managedHSMs/{name}/keys).
	KeysPerHSM int
	// Seed makes the estate reproducible: the same options give the same
	// estate.
	Seed uint64
	// TenantID defaults to a fixed GUID.
	TenantID string
}

// genEpoch anchors every generated timestamp, so that estates do not
// depend on the day they are generated.
var genEpoch = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Unix()

var genLocations = []string{"westeurope", "northeurope", "eastus", "westus2"}

// Generate builds an estate whose vaults mix every healthy and unhealthy
// case of the Key Vault recommendations, in stable proportions: about 75%
// of vaults use RBAC, 90% have soft delete, 60% restrict the network, 30%
// have an approved private endpoint, 70% of secrets and 60% of keys
// expire.
func Generate(o GenOptions) *Estate {
	if o.Subscriptions <= 0 {
		o.Subscriptions = 1
	}
	e := &Estate{TenantID: o.TenantID}
	if e.TenantID == "" {
		e.TenantID = defaultTenant
	}
	for i := range o.Subscriptions {
		id := fmt.Sprintf("%08x-%04x-4000-8000-%012x", uint32(o.Seed), i, i+1)
		e.Subscriptions = append(e.Subscriptions, &Subscription{ID: id, DisplayName: fmt.Sprintf("sim-subscription-%02d", i)})
	}
	for i := range o.Vaults {
		s := e.Subscriptions[i%o.Subscriptions]
		s.Vaults = append(s.Vaults, genVault(e.TenantID, s.ID, i, o))
	}
	for i := range o.ManagedHSMs {
		s := e.Subscriptions[i%o.Subscriptions]
		s.Vaults = append(s.Vaults, genHSM(e.TenantID, s.ID, i, o))
	}
	half := (o.Subscriptions + 1) / 2
	mg := ManagementGroup{Name: "sim-mg-a"}
	for _, s := range e.Subscriptions[:half] {
		mg.Subscriptions = append(mg.Subscriptions, s.ID)
	}
	e.ManagementGroups = []ManagementGroup{mg}
	e.sortAll()
	return e
}

func genVault(tenant, sub string, i int, o GenOptions) *Vault {
	r := rand.New(rand.NewPCG(o.Seed, uint64(i)))
	name := fmt.Sprintf("kvsim-%05d", i)
	rg := fmt.Sprintf("rg-sim-%02d", i%7)
	id := fmt.Sprintf("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.KeyVault/vaults/%s", sub, rg, name)
	props := map[string]any{
		"tenantId":                  tenant,
		"sku":                       map[string]any{"family": "A", "name": pick(r, 0.8, "standard", "premium")},
		"accessPolicies":            []any{},
		"softDeleteRetentionInDays": int64(90),
		"vaultUri":                  "https://" + name + ".vault.azure.net/",
		"provisioningState":         "Succeeded",
		"enabledForDeployment":      false,
	}
	switch p := r.Float64(); {
	case p < 0.75:
		props["enableRbacAuthorization"] = true
	case p < 0.90:
		props["enableRbacAuthorization"] = false
	}
	switch p := r.Float64(); {
	case p < 0.90:
		props["enableSoftDelete"] = true
	case p < 0.95:
		props["enableSoftDelete"] = false
	}
	if r.Float64() < 0.5 {
		props["enablePurgeProtection"] = true
	}
	props["publicNetworkAccess"] = pick(r, 0.35, "Disabled", "Enabled")
	acls := map[string]any{"bypass": "AzureServices", "defaultAction": "Allow", "ipRules": []any{}, "virtualNetworkRules": []any{}}
	if r.Float64() < 0.4 {
		acls["defaultAction"] = "Deny"
		acls["ipRules"] = []any{map[string]any{"value": fmt.Sprintf("203.0.113.%d/32", i%250)}}
	}
	props["networkAcls"] = acls
	pecs := []any{}
	switch p := r.Float64(); {
	case p < 0.30:
		pecs = append(pecs, genPEC(id, name, "Approved"))
	case p < 0.35:
		pecs = append(pecs, genPEC(id, name, "Pending"))
	}
	props["privateEndpointConnections"] = pecs
	v := &Vault{
		ID: id, Type: resource.TypeVault, Name: name, ResourceGroup: rg, Subscription: sub,
		Body: map[string]any{
			"id": id, "name": name, "type": resource.TypeVault,
			"location":   genLocations[i%len(genLocations)],
			"tags":       map[string]any{"env": pick(r, 0.5, "prod", "dev")},
			"properties": props,
		},
	}
	genObjects(v, r, i, o)
	switch p := r.Float64(); {
	case p < 0.5:
		v.DiagnosticSettings = append(v.DiagnosticSettings, genDiagnostic(id, true))
	case p < 0.6:
		v.DiagnosticSettings = append(v.DiagnosticSettings, genDiagnostic(id, false))
	}
	return v
}

// genObjects gives vault i its secrets, keys and certificates.
func genObjects(v *Vault, r *rand.Rand, i int, o GenOptions) {
	for j := range o.SecretsPerVault {
		v.Secrets = append(v.Secrets, genSecret(r, j))
	}
	for j := range o.KeysPerVault {
		v.Keys = append(v.Keys, genKey(r, j))
	}
	// Certificate policies draw from a source of their own, so that the
	// rest of a generated estate is what it was before they existed.
	rc := rand.New(rand.NewPCG(o.Seed^certSalt, uint64(i)))
	for j := range o.CertificatesPerVault {
		c := genCertificate(r, j)
		genCertificatePolicy(rc, &c)
		v.Certificates = append(v.Certificates, c)
	}
}

func pick(r *rand.Rand, p float64, a, b string) string {
	if r.Float64() < p {
		return a
	}
	return b
}

func genPEC(vaultID, name, status string) map[string]any {
	pe := fmt.Sprintf("/subscriptions/00000000-0000-0000-0000-00000000feed/resourceGroups/rg-net/providers/Microsoft.Network/privateEndpoints/pe-%s", name)
	return map[string]any{
		"id":   vaultID + "/privateEndpointConnections/pec-" + name,
		"etag": "",
		"properties": map[string]any{
			"provisioningState": "Succeeded",
			"privateEndpoint":   map[string]any{"id": pe},
			"privateLinkServiceConnectionState": map[string]any{
				"status": status, "description": "", "actionsRequired": "None",
			},
		},
	}
}

func genTimes(r *rand.Rand, o *Object, expiresP float64) {
	o.Created = genEpoch - int64(r.IntN(400))*86400
	o.Updated = o.Created + int64(r.IntN(30))*86400
	if r.Float64() < expiresP {
		o.Expires = genEpoch + int64(200+r.IntN(700))*86400
	}
}

func genSecret(r *rand.Rand, j int) Object {
	o := Object{Name: fmt.Sprintf("secret-%03d", j), Enabled: r.Float64() < 0.95}
	genTimes(r, &o, 0.7)
	if r.Float64() < 0.5 {
		o.ContentType = "text/plain"
	}
	return o
}

func genKey(r *rand.Rand, j int) Object {
	o := Object{Name: fmt.Sprintf("key-%03d", j), Enabled: true}
	genTimes(r, &o, 0.6)
	switch p := r.Float64(); {
	case p < 0.6:
		o.KeyType, o.KeySize = "RSA", 2048
	case p < 0.8:
		o.KeyType, o.KeySize = "RSA-HSM", 3072
	default:
		o.KeyType, o.Curve = "EC", "P-256"
	}
	if r.Float64() < 0.3 {
		o.RotationPolicy = map[string]any{
			"lifetimeActions": []any{map[string]any{
				"trigger": map[string]any{"timeAfterCreate": "P90D"},
				"action":  map[string]any{"type": "Rotate"},
			}},
			"attributes": map[string]any{"expiryTime": "P1Y"},
		}
	}
	return o
}

func genCertificate(r *rand.Rand, j int) Object {
	o := Object{Name: fmt.Sprintf("cert-%03d", j), Enabled: true}
	genTimes(r, &o, 1)
	o.X5t = fmt.Sprintf("x5t%016x", r.Uint64())
	return o
}

func genDiagnostic(vaultID string, enabled bool) map[string]any {
	id := vaultID + "/providers/microsoft.insights/diagnosticSettings/audit"
	return map[string]any{
		"id": id, "name": "audit", "type": resource.TypeDiagnosticSetting,
		"properties": map[string]any{
			"workspaceId": "/subscriptions/00000000-0000-0000-0000-00000000feed/resourceGroups/rg-log/providers/Microsoft.OperationalInsights/workspaces/law",
			"logs": []any{map[string]any{
				"category": "AuditEvent", "categoryGroup": nil, "enabled": enabled,
				"retentionPolicy": map[string]any{"enabled": false, "days": int64(0)},
			}},
			"metrics": []any{map[string]any{"category": "AllMetrics", "enabled": true,
				"retentionPolicy": map[string]any{"enabled": false, "days": int64(0)}}},
		},
	}
}

func genHSM(tenant, sub string, i int, o GenOptions) *Vault {
	r := rand.New(rand.NewPCG(o.Seed^0x5eed, uint64(i)))
	name := fmt.Sprintf("hsmsim-%03d", i)
	rg := "rg-sim-hsm"
	id := fmt.Sprintf("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.KeyVault/managedHSMs/%s", sub, rg, name)
	v := &Vault{
		ID: id, Type: resource.TypeManagedHSM, Name: name, ResourceGroup: rg, Subscription: sub,
		Body: map[string]any{
			"id": id, "name": name, "type": resource.TypeManagedHSM, "location": "westeurope",
			"sku": map[string]any{"family": "B", "name": "Standard_B1"},
			"properties": map[string]any{
				"tenantId": tenant, "initialAdminObjectIds": []any{"00000000-0000-0000-0000-000000000001"},
				"enableSoftDelete": true, "softDeleteRetentionInDays": int64(90),
				"enablePurgeProtection": r.Float64() < 0.5,
				"hsmUri":                "https://" + name + ".managedhsm.azure.net/",
				"provisioningState":     "Succeeded", "publicNetworkAccess": pick(r, 0.5, "Disabled", "Enabled"),
				"networkAcls": map[string]any{"bypass": "AzureServices", "defaultAction": pick(r, 0.5, "Deny", "Allow")},
			},
		},
	}
	for j := range o.KeysPerHSM {
		v.Keys = append(v.Keys, genHSMKey(r, j))
	}
	switch p := r.Float64(); {
	case p < 0.5:
		v.DiagnosticSettings = append(v.DiagnosticSettings, genDiagnostic(id, true))
	case p < 0.6:
		v.DiagnosticSettings = append(v.DiagnosticSettings, genDiagnostic(id, false))
	}
	return v
}

// certSalt seeds the certificate policies' source apart from the vault's.
const certSalt = 0xce27

// The issuers of generated certificates: the policy's issuer name and the
// common name of the CA that signs such a certificate ("" self-signed).
var genIssuers = []struct{ name, cn string }{
	{"Self", ""},
	{"DigiCert", "DigiCert Global G2 TLS RSA SHA256 2020 CA1"},
	{"GlobalSign", "GlobalSign GCC R3 DV TLS CA 2020"},
	{"Unknown", "Contoso Internal Issuing CA"},
}

// genCertificatePolicy gives a certificate a policy (the data plane's
// shape) that mixes the healthy and unhealthy cases of the certificate
// recommendations: key type and size or curve, validity, issuer, and
// lifetime actions.
func genCertificatePolicy(r *rand.Rand, o *Object) {
	key := map[string]any{"exportable": true, "reuse_key": false}
	switch p := r.Float64(); {
	case p < 0.5:
		key["kty"], key["key_size"] = "RSA", int64(2048)
	case p < 0.65:
		key["kty"], key["key_size"] = "RSA", int64(4096)
	case p < 0.75:
		key["kty"], key["key_size"] = "RSA", int64(1024)
	case p < 0.9:
		key["kty"], key["crv"] = "EC", "P-256"
	default:
		key["kty"], key["crv"] = "EC", "P-256K"
	}
	months := []int64{12, 12, 12, 24, 36}[r.IntN(5)]
	is := genIssuers[r.IntN(len(genIssuers))]
	o.IssuerCN = is.cn
	var actions []any
	switch p := r.Float64(); {
	case p < 0.5:
		actions = append(actions, lifetimeAction("lifetime_percentage", 80, "AutoRenew"))
	case p < 0.8:
		actions = append(actions, lifetimeAction("days_before_expiry", 30, "EmailContacts"))
	case p < 0.9:
		actions = append(actions, lifetimeAction("days_before_expiry", 10, "AutoRenew"))
	}
	o.CertificatePolicy = map[string]any{
		"key_props":    key,
		"secret_props": map[string]any{"contentType": "application/x-pkcs12"},
		"x509_props": map[string]any{
			"subject": "CN=" + o.Name + ".contoso.test", "ekus": []any{"1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"},
			"key_usage": []any{"digitalSignature", "keyEncipherment"}, "validity_months": months,
			"basic_constraints": map[string]any{"ca": false},
		},
		"lifetime_actions": orEmpty(actions),
		"issuer":           map[string]any{"name": is.name},
		"attributes":       map[string]any{"enabled": true, "created": o.Created, "updated": o.Updated},
	}
}

func lifetimeAction(trigger string, n int64, action string) map[string]any {
	return map[string]any{"trigger": map[string]any{trigger: n}, "action": map[string]any{"action_type": action}}
}

// genHSMKey makes a managed HSM key: HSM-backed types only, as a managed
// HSM holds, with sizes and curves on both sides of the recommendations'
// defaults.
func genHSMKey(r *rand.Rand, j int) Object {
	o := Object{Name: fmt.Sprintf("hsmkey-%03d", j), Enabled: true}
	genTimes(r, &o, 0.6)
	switch p := r.Float64(); {
	case p < 0.4:
		o.KeyType, o.KeySize = "RSA-HSM", 2048
	case p < 0.55:
		o.KeyType, o.KeySize = "RSA-HSM", 3072
	case p < 0.75:
		o.KeyType, o.Curve = "EC-HSM", pick(r, 0.7, "P-256", "P-256K")
	default:
		o.KeyType = "oct-HSM"
		o.KeySize = 256
		if r.Float64() < 0.4 {
			o.KeySize = 128
		}
	}
	return o
}
