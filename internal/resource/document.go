// Package resource holds the one shape every input becomes: the resource
// document, an ARM-shaped JSON body with its provenance, plus the small
// vocabulary around it (positions, input errors, unknown values, Azure
// resource IDs, suppressions).
//
// Inputs (internal/source/...) produce documents; the policy engine and the
// assessor read them; nothing downstream of a document knows which input it
// came from except to print its provenance. This package imports nothing of
// kvguard's.
package resource

import (
	"strings"
	"time"
)

// Well-known resource types. Component types follow the Azure Policy
// resource-provider mode Microsoft.KeyVault.Data.
const (
	TypeVault              = "Microsoft.KeyVault/vaults"
	TypeManagedHSM         = "Microsoft.KeyVault/managedHSMs"
	TypeSecret             = "Microsoft.KeyVault.Data/vaults/secrets"
	TypeKey                = "Microsoft.KeyVault.Data/vaults/keys"
	TypeCertificate        = "Microsoft.KeyVault.Data/vaults/certificates"
	TypeHSMKey             = "Microsoft.ManagedHSM.Data/managedHsms/keys"
	TypePrivateEndpoint    = "Microsoft.Network/privateEndpoints"
	TypeDiagnosticSetting  = "Microsoft.Insights/diagnosticSettings"
	TypeVaultPEConnection  = "Microsoft.KeyVault/vaults/privateEndpointConnections"
	TypeSubscription       = "Microsoft.Resources/subscriptions"
	TypeARMSecret          = "Microsoft.KeyVault/vaults/secrets"
	TypeARMKey             = "Microsoft.KeyVault/vaults/keys"
	TypeResourceDeployment = "Microsoft.Resources/deployments"
)

// Document is one resource as Azure Resource Manager would return it for
// GET at the newest API version (or, for a Key Vault object, as the
// Microsoft.KeyVault.Data policy mode sees it), with where it came from.
//
// Body is plain JSON data (map[string]any, []any, string, int64, float64,
// bool, nil) in which any leaf may be an Unknown: a value an IaC input
// could not resolve before deployment.
type Document struct {
	// ID is the resource ID. Inputs that cannot know the real ID (IaC
	// before deployment) use the best ID they can build; it must be unique
	// within a scan and is what Parent refers to.
	ID string
	// Type is the resource type, e.g. Microsoft.KeyVault/vaults.
	Type string
	// Name is the resource name (for components, the object name).
	Name string
	// Body is the ARM-shaped resource: id, name, type, location, tags,
	// sku, properties, ...
	Body map[string]any
	// Parent links a component (secret, key, certificate) or a related
	// resource (diagnostic setting) to the resource it belongs to.
	Parent Ref
	// Source says where the document came from.
	Source Provenance
	// Gaps are the parts of the resource that could not be read (a vault
	// whose secrets returned 403). Verdicts that depend on a gap are
	// Unknown, never Healthy.
	Gaps []Gap
	// Suppressions are the kvguard:ignore annotations found on the
	// resource in its source.
	Suppressions []Suppression
	// Deployment names the deployment a planned (IaC) document belongs
	// to: the input it was read from (a Terraform root module, a template,
	// a Bicep file). Different deployments may declare the same resource
	// ID — one template deployed per environment, or IDs built from
	// placeholders for what is unknown before deployment — and their
	// documents are kept apart. Empty for resources that exist (saved or
	// live data), whose IDs are unique.
	Deployment string
	// ServiceDefaults are the body paths (dot-separated, e.g.
	// properties.enableSoftDelete) an IaC input filled in with what the
	// resource provider stores when the request leaves them out. The
	// request a deployment sends does not carry them, and the provider
	// applies them after Azure Policy has judged the request: a Deny
	// preview judges the body without them (docs/deny-preview.md).
	ServiceDefaults []string
	// Pool is the pool entry of a document made by NewPooledComponent
	// (Release puts it back), nil for every other document. It says how
	// the document's memory is managed, not what the document is: any two
	// compare equal (PoolSlot.Equal, which go-cmp uses) and it is never
	// written out.
	Pool *PoolSlot `json:"-"`
}

// Ref names another resource: by resource ID, or (for data-plane objects
// known only by URL) by the vault's host name, e.g. myvault.vault.azure.net.
type Ref struct {
	ID   string `json:"id,omitempty"`
	Host string `json:"host,omitempty"`
}

// IsZero reports whether the reference names nothing.
func (r Ref) IsZero() bool { return r.ID == "" && r.Host == "" }

// String renders the reference for messages.
func (r Ref) String() string {
	if r.ID != "" {
		return r.ID
	}
	return r.Host
}

// Provenance says where a document came from. File and line range for
// files; resource ID, API version and time read for live Azure.
type Provenance struct {
	// Kind names the input: "azure-json", "snapshot", "terraform",
	// "terraform-plan", "arm", "bicep", "azure".
	Kind string
	// File is the path of the input file, as given on the command line
	// (or a path below a given directory).
	File      string
	StartLine int
	EndLine   int
	// Address is the resource's name in its code: a Terraform address
	// (module.kv.azurerm_key_vault.this[0]), a Bicep symbolic name, an ARM
	// symbolic name or template path (resources[2].resources[0]).
	Address string
	// APIVersion is the API version the body was read at or declared with.
	APIVersion string
	// ReadAt is when a live resource was read.
	ReadAt time.Time
}

// Gap is a part of a resource that could not be read.
type Gap struct {
	// Part names what is missing: "properties" (the resource body), or the
	// component type whose listing failed (TypeSecret, TypeKey, ...), or a
	// related type (TypeDiagnosticSetting).
	Part string `json:"part"`
	// Err says why, in words fit for the user.
	Err string `json:"error"`
}

// GapFor returns the gap covering part, if any.
func (d *Document) GapFor(part string) (Gap, bool) {
	for _, g := range d.Gaps {
		if strings.EqualFold(g.Part, part) {
			return g, true
		}
	}
	return Gap{}, false
}

// IsType compares the document's type case-insensitively, as Azure does.
func (d *Document) IsType(t string) bool { return strings.EqualFold(d.Type, t) }

// Get walks the body along dotted keys (case-insensitive) and returns the
// value and whether it was present.
func (d *Document) Get(path ...string) (any, bool) {
	var cur any = d.Body
	for _, p := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		v, ok := LookupFold(m, p)
		if !ok {
			return nil, false
		}
		cur = v
	}
	return cur, true
}

// LookupFold finds key in m, exactly first, then case-insensitively, as
// Azure treats property names.
func LookupFold(m map[string]any, key string) (any, bool) {
	if v, ok := m[key]; ok {
		return v, true
	}
	for k, v := range m {
		if strings.EqualFold(k, key) {
			return v, true
		}
	}
	return nil, false
}

// Unknown marks a value that cannot be known before deployment: a variable
// with no value, an attribute of a resource not yet created, utcNow().
// Expr names the expression, for the verdict's reason.
type Unknown struct {
	Expr string
	// Choices, when not nil, lists every value the unknown can take.
	Choices *Choices
}

// String renders the unknown for messages.
func (u Unknown) String() string { return "(unknown: " + u.Expr + ")" }

// IsUnknown reports whether v is an Unknown marker.
func IsUnknown(v any) bool {
	_, ok := v.(Unknown)
	return ok
}

// Unknowns lists the unknown values of a body with their dotted paths, in
// a stable order, for `kvguard inspect`.
func Unknowns(body any) []UnknownAt {
	var out []UnknownAt
	walkUnknowns(body, "", &out)
	return out
}

// UnknownAt is an Unknown and where it sits in a body.
type UnknownAt struct {
	Path string `json:"path"`
	Expr string `json:"expression"`
}

func walkUnknowns(v any, path string, out *[]UnknownAt) {
	switch x := v.(type) {
	case Unknown:
		*out = append(*out, UnknownAt{Path: path, Expr: x.Expr})
	case map[string]any:
		for _, k := range sortedKeys(x) {
			p := k
			if path != "" {
				p = path + "." + k
			}
			walkUnknowns(x[k], p, out)
		}
	case []any:
		for i, e := range x {
			walkUnknowns(e, path+"["+itoa(i)+"]", out)
		}
	}
}
