package azuresim

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/kvguard/kvguard/internal/resource"
)

// Estate is what the simulator serves: a tenant, its subscriptions, and
// their vaults and managed HSMs with their secrets, keys, certificates and
// diagnostic settings. It never holds a secret's value: the simulator has
// none to give.
type Estate struct {
	// TenantID is the Entra ID tenant of every subscription.
	TenantID string
	// Subscriptions are sorted by ID.
	Subscriptions []*Subscription
	// ManagementGroups name groups of subscriptions.
	ManagementGroups []ManagementGroup
	// Policy holds the tenant's Azure Policy objects as ARM returns them
	// (id, name, type, properties): policy assignments, definitions
	// (built-in ones at /providers/Microsoft.Authorization/...), set
	// definitions and exemptions, at any scope (policy.go serves them).
	Policy []map[string]any
}

// Subscription is one Azure subscription of the estate.
type Subscription struct {
	ID          string
	DisplayName string
	// Vaults holds the key vaults and managed HSMs, sorted by ID.
	Vaults []*Vault
}

// ManagementGroup is a management group and the subscriptions directly
// below it. Groups form a hierarchy through Parent; a group without one
// sits below the tenant root group (whose name is the tenant ID).
type ManagementGroup struct {
	Name string
	// DisplayName is the group's friendly name (Name when empty).
	DisplayName   string
	Parent        string
	Subscriptions []string
}

// Vault is a key vault (Type resource.TypeVault) or a managed HSM
// (resource.TypeManagedHSM).
type Vault struct {
	ID            string
	Type          string
	Name          string
	ResourceGroup string
	Subscription  string
	// Body is the ARM GET body. The simulator rewrites properties.vaultUri
	// (hsmUri) to its own Key Vault DNS suffix when it serves it.
	Body map[string]any
	// Secrets and Certificates are a key vault's objects; Keys those of
	// a key vault or a managed HSM.
	Secrets      []Object
	Keys         []Object
	Certificates []Object
	// DiagnosticSettings are ARM bodies of Microsoft.Insights/diagnosticSettings.
	DiagnosticSettings []map[string]any
	// Forbidden maps a part (resource.Gap.Part: "properties",
	// resource.TypeSecret, resource.TypeKey, resource.TypeCertificate,
	// resource.TypeDiagnosticSetting) to the message of the 403 the
	// simulator answers for it. A snapshot's gaps become Forbidden parts,
	// so that serving a snapshot reproduces what could not be read.
	Forbidden map[string]string
}

// Object is a secret, key or certificate's metadata. Timestamps are Unix
// seconds, 0 when absent.
type Object struct {
	Name        string
	Enabled     bool
	NotBefore   int64
	Expires     int64
	Created     int64
	Updated     int64
	ContentType string
	Tags        map[string]string
	Managed     bool
	// Keys.
	KeyType string
	KeySize int
	Curve   string
	// RotationPolicy is the key's rotation policy in the ARM shape
	// ({"lifetimeActions": [...], "attributes": {"expiryTime": "P1Y"}}),
	// nil when the key has only the default policy.
	RotationPolicy map[string]any
	// X5t is a certificate's thumbprint.
	X5t string
	// CertificatePolicy is a certificate's policy as the data plane
	// writes it (key_props, x509_props, lifetime_actions, issuer,
	// secret_props, attributes), without its id; nil when unknown, and
	// then the certificate is served without one.
	CertificatePolicy map[string]any
	// IssuerCN is the common name of the CA that signed a certificate:
	// the issuer of the X.509 certificate served as its cer ("" for a
	// self-signed one).
	IssuerCN string
}

// VaultCount returns the number of key vaults and managed HSMs.
func (e *Estate) VaultCount() int {
	n := 0
	for _, s := range e.Subscriptions {
		n += len(s.Vaults)
	}
	return n
}

// Vaults returns every vault and managed HSM, in subscription then ID order.
func (e *Estate) Vaults() []*Vault {
	var out []*Vault
	for _, s := range e.Subscriptions {
		out = append(out, s.Vaults...)
	}
	return out
}

func (e *Estate) subscription(id string) *Subscription {
	for _, s := range e.Subscriptions {
		if strings.EqualFold(s.ID, id) {
			return s
		}
	}
	return nil
}

func (e *Estate) sortAll() {
	sort.Slice(e.Subscriptions, func(i, j int) bool { return e.Subscriptions[i].ID < e.Subscriptions[j].ID })
	for _, s := range e.Subscriptions {
		sort.Slice(s.Vaults, func(i, j int) bool { return resource.Key(s.Vaults[i].ID) < resource.Key(s.Vaults[j].ID) })
	}
}

// LoadEstate reads an estate from a kvguard snapshot (docs/snapshot.md):
// vaults and managed HSMs, ARM-plane secrets and keys (of vaults and
// managed HSMs), data-plane certificates (with their policies when the
// snapshot holds their bundles), diagnostic settings, and the gaps (served as 403s). Other
// resources are ignored.
func LoadEstate(path string) (*Estate, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	e, err := ReadEstate(f)
	if err != nil {
		return nil, fmt.Errorf("read estate %s: %w", path, err)
	}
	return e, nil
}

type snapshotFile struct {
	Header struct {
		TenantID string `json:"tenantId"`
		Scope    struct {
			Subscriptions    []string `json:"subscriptions"`
			ManagementGroups []string `json:"managementGroups"`
		} `json:"scope"`
	} `json:"kvguardSnapshot"`
	Resources []map[string]any `json:"resources"`
	Gaps      []struct {
		ResourceID string `json:"resourceId"`
		Part       string `json:"part"`
		Error      string `json:"error"`
	} `json:"gaps"`
}

// ReadEstate reads a snapshot from r (see LoadEstate).
func ReadEstate(r io.Reader) (*Estate, error) {
	dec := json.NewDecoder(r)
	dec.UseNumber()
	var snap snapshotFile
	if err := dec.Decode(&snap); err != nil {
		return nil, err
	}
	e := &Estate{TenantID: snap.Header.TenantID}
	b := estateBuilder{e: e, vaults: map[string]*Vault{}, hosts: map[string]*Vault{}}
	for _, s := range snap.Header.Scope.Subscriptions {
		b.sub(s)
	}
	// Vaults first, so that their children find them whatever the order.
	var rest []map[string]any
	for _, body := range snap.Resources {
		resource.NormalizeNumbers(body)
		resource.StripSecretValues(body)
		delete(body, "kvguard") // the snapshot's provenance, not Azure's

		typ, _ := body["type"].(string)
		if strings.EqualFold(typ, resource.TypeVault) || strings.EqualFold(typ, resource.TypeManagedHSM) {
			if err := b.addVault(body); err != nil {
				return nil, err
			}
			continue
		}
		rest = append(rest, body)
	}
	for _, body := range rest {
		b.addChild(body)
	}
	for _, g := range snap.Gaps {
		v := b.vaults[resource.Key(g.ResourceID)]
		if v == nil {
			return nil, fmt.Errorf("gap on %s: no such vault in the snapshot", g.ResourceID)
		}
		if v.Forbidden == nil {
			v.Forbidden = map[string]string{}
		}
		v.Forbidden[g.Part] = g.Error
	}
	if e.TenantID == "" {
		e.TenantID = b.tenant
	}
	if e.TenantID == "" {
		e.TenantID = defaultTenant
	}
	for _, mg := range snap.Header.Scope.ManagementGroups {
		// A snapshot does not record membership: the group covers every
		// subscription of the estate.
		g := ManagementGroup{Name: mg}
		for _, s := range e.Subscriptions {
			g.Subscriptions = append(g.Subscriptions, s.ID)
		}
		e.ManagementGroups = append(e.ManagementGroups, g)
	}
	e.sortAll()
	return e, nil
}

const defaultTenant = "72f988bf-0000-4000-8000-00000000c0de"

type estateBuilder struct {
	e      *Estate
	vaults map[string]*Vault
	hosts  map[string]*Vault
	tenant string
}

func (b *estateBuilder) sub(id string) *Subscription {
	if s := b.e.subscription(id); s != nil {
		return s
	}
	s := &Subscription{ID: id, DisplayName: "Subscription " + id[:min(8, len(id))]}
	b.e.Subscriptions = append(b.e.Subscriptions, s)
	return s
}

func (b *estateBuilder) addVault(body map[string]any) error {
	id, _ := body["id"].(string)
	pid, ok := resource.ParseID(id)
	if !ok || pid.Subscription == "" || pid.ResourceGroup == "" {
		return fmt.Errorf("vault id %q is not a resource ID", id)
	}
	typ := resource.CanonicalType(body["type"].(string))
	body["type"] = typ
	v := &Vault{ID: id, Type: typ, Name: pid.Name(), ResourceGroup: pid.ResourceGroup, Subscription: pid.Subscription, Body: body}
	s := b.sub(pid.Subscription)
	s.Vaults = append(s.Vaults, v)
	b.vaults[resource.Key(id)] = v
	if props, ok := body["properties"].(map[string]any); ok {
		for _, k := range []string{"vaultUri", "hsmUri"} {
			if u, ok := props[k].(string); ok {
				b.hosts[resource.VaultHost(u)] = v
			}
		}
		if t, ok := props["tenantId"].(string); ok && b.tenant == "" {
			b.tenant = t
		}
	}
	b.hosts[strings.ToLower(v.Name)] = v
	return nil
}

func (b *estateBuilder) addChild(body map[string]any) {
	id, _ := body["id"].(string)
	if id == "" {
		id, _ = body["kid"].(string)
	}
	if strings.HasPrefix(id, "/") {
		typ, _ := body["type"].(string)
		switch resource.CanonicalType(typ) {
		case resource.TypeARMSecret:
			if v := b.vaults[resource.Key(resource.ParentID(id))]; v != nil {
				v.Secrets = append(v.Secrets, objectFromARM(body))
			}
		case resource.TypeARMKey, resource.TypeARMHSMKey:
			if v := b.vaults[resource.Key(resource.ParentID(id))]; v != nil {
				v.Keys = append(v.Keys, objectFromARM(body))
			}
		case resource.TypeDiagnosticSetting:
			if pid, ok := resource.ParseID(id); ok {
				if v := b.vaults[resource.Key(pid.Scope)]; v != nil {
					v.DiagnosticSettings = append(v.DiagnosticSettings, body)
				}
			}
		}
		return
	}
	host := resource.VaultHost(id)
	v := b.hosts[host]
	if v == nil {
		v = b.hosts[strings.SplitN(host, ".", 2)[0]]
	}
	if v == nil {
		return
	}
	o := objectFromDataPlane(body)
	switch kind := dataPlaneKind(id); kind {
	case "certificates":
		v.Certificates = append(v.Certificates, o)
	case "secrets":
		if !hasObject(v.Secrets, o.Name) {
			v.Secrets = append(v.Secrets, o)
		}
	case "keys":
		if !hasObject(v.Keys, o.Name) {
			v.Keys = append(v.Keys, o)
		}
	}
}

func hasObject(objs []Object, name string) bool {
	for _, o := range objs {
		if strings.EqualFold(o.Name, name) {
			return true
		}
	}
	return false
}

func dataPlaneKind(u string) string {
	i := strings.Index(u, "://")
	if i < 0 {
		return ""
	}
	rest := u[i+3:]
	parts := strings.Split(rest, "/")
	if len(parts) < 3 {
		return ""
	}
	return strings.ToLower(parts[1])
}

func objectFromARM(body map[string]any) Object {
	name, _ := body["name"].(string)
	props, _ := body["properties"].(map[string]any)
	o := attributesObject(name, props)
	o.ContentType, _ = props["contentType"].(string)
	o.Tags = stringMap(body["tags"])
	o.KeyType, _ = props["kty"].(string)
	if n, ok := props["keySize"].(int64); ok {
		o.KeySize = int(n)
	}
	o.Curve, _ = props["curveName"].(string)
	o.RotationPolicy, _ = props["rotationPolicy"].(map[string]any)
	return o
}

func objectFromDataPlane(body map[string]any) Object {
	id, _ := body["id"].(string)
	if id == "" {
		id, _ = body["kid"].(string)
	}
	o := attributesObject(resource.ObjectNameFromURL(id), body)
	o.ContentType, _ = body["contentType"].(string)
	o.Tags = stringMap(body["tags"])
	o.Managed, _ = body["managed"].(bool)
	o.X5t, _ = body["x5t"].(string)
	// A certificate bundle (GET /certificates/{name}, as a --data-plane
	// snapshot holds it) carries the policy and the X.509 certificate.
	if p, ok := body["policy"].(map[string]any); ok {
		o.CertificatePolicy = make(map[string]any, len(p))
		for k, e := range p {
			if k != "id" {
				o.CertificatePolicy[k] = e
			}
		}
	}
	if cer, ok := body["cer"].(string); ok {
		o.IssuerCN = issuerOf(cer)
	}
	return o
}

func attributesObject(name string, holder map[string]any) Object {
	o := Object{Name: name, Enabled: true}
	a, _ := holder["attributes"].(map[string]any)
	if en, ok := a["enabled"].(bool); ok {
		o.Enabled = en
	}
	o.NotBefore = unix(a["nbf"])
	o.Expires = unix(a["exp"])
	o.Created = unix(a["created"])
	o.Updated = unix(a["updated"])
	return o
}

func unix(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case float64:
		return int64(x)
	}
	return 0
}

func stringMap(v any) map[string]string {
	m, ok := v.(map[string]any)
	if !ok || len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, e := range m {
		if s, ok := e.(string); ok {
			out[k] = s
		}
	}
	return out
}
