package cli

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// newResourceKind is a kind of resource issue 11 taught kvguard to read
// (beyond vaults, their secrets and keys, and private endpoints to
// vaults), recognised in the documents `kvguard inspect` prints.
type newResourceKind struct {
	id, what string
	is       func(doc map[string]any) bool
}

// newResourceKinds are the kinds every IaC language must show in an
// equivalence case judged with --all, or say why it cannot
// (noEquivalenceCase).
var newResourceKinds = []newResourceKind{
	{"certificate", "a certificate with its policy", func(d map[string]any) bool {
		return docType(d, "Microsoft.KeyVault.Data/vaults/certificates")
	}},
	{"certificate-issuer", "a certificate issued by an integrated CA (a certificate issuer)", func(d map[string]any) bool {
		if !docType(d, "Microsoft.KeyVault.Data/vaults/certificates") {
			return false
		}
		issuer, _ := d["issuer"].(map[string]any)
		name, _ := issuer["name"].(string)
		return name != "" && !strings.EqualFold(name, "Self") && !strings.EqualFold(name, "Unknown")
	}},
	{"key-rotation-policy", "a vault key's rotation policy", func(d map[string]any) bool {
		return (docType(d, "Microsoft.KeyVault.Data/vaults/keys") && d["rotationPolicy"] != nil) ||
			(docType(d, "kvguard/keyRotationPolicy") && strings.Contains(parentOf(d), ".vault."))
	}},
	{"managed-hsm", "a managed HSM", func(d map[string]any) bool {
		return docType(d, "Microsoft.KeyVault/managedHSMs")
	}},
	{"hsm-key", "a managed HSM key", func(d map[string]any) bool {
		return docType(d, "Microsoft.ManagedHSM.Data/managedHsms/keys")
	}},
	{"hsm-key-rotation-policy", "a managed HSM key's rotation policy", func(d map[string]any) bool {
		return (docType(d, "Microsoft.ManagedHSM.Data/managedHsms/keys") && d["rotationPolicy"] != nil) ||
			(docType(d, "kvguard/keyRotationPolicy") && strings.Contains(parentOf(d), ".managedhsm."))
	}},
	{"vault-diagnostic-setting", "a diagnostic setting of a vault", func(d map[string]any) bool {
		return docType(d, "Microsoft.Insights/diagnosticSettings") && strings.Contains(parentOf(d), "/microsoft.keyvault/vaults/")
	}},
	{"hsm-diagnostic-setting", "a diagnostic setting of a managed HSM", func(d map[string]any) bool {
		return docType(d, "Microsoft.Insights/diagnosticSettings") && strings.Contains(parentOf(d), "/microsoft.keyvault/managedhsms/")
	}},
	{"hsm-private-endpoint", "an approved private endpoint to a managed HSM", hsmPrivateEndpoint},
}

// noEquivalenceCase says, by "<language>/<kind>", why no example of that
// language can hold that kind.
var noEquivalenceCase = map[string]string{
	"arm/certificate":          "Key Vault certificates are data-plane objects: Resource Manager has no certificates resource type (a vault's ARM children are secrets, keys, access policies and private endpoint connections), so no template creates one",
	"bicep/certificate":        "as for ARM: Bicep compiles to ARM templates, which cannot create a certificate",
	"arm/certificate-issuer":   "certificate issuers are data-plane objects (SetCertificateIssuer), with no Resource Manager resource type",
	"bicep/certificate-issuer": "as for ARM: Bicep compiles to ARM templates, which cannot create a certificate issuer",
}

// TestEquivalenceCoversNewResourceTypes: for each IaC language, every kind
// of resource issue 11 added (certificates and their issuers, rotation
// policies, managed HSMs and their keys, diagnostic settings, private
// endpoints to HSMs) is in an equivalence case judged with --all, in the
// example and in its saved-Azure twin, so that TestEquivalence compares
// the verdicts of the rules that read it; or noEquivalenceCase says why
// that language cannot create it.
func TestEquivalenceCoversNewResourceTypes(t *testing.T) {
	t.Parallel()
	const examplesRoot = "../../examples"
	covered := map[string][]string{} // "<language>/<kind>" → cases
	for _, c := range equivalenceCases {
		if !slices.Contains(c.args, "--all") {
			continue
		}
		lang, _, _ := strings.Cut(c.name, "/")
		iac := inspectDocs(t, filepath.Join(examplesRoot, filepath.FromSlash(c.example)))
		twin := inspectDocs(t, filepath.Join("testdata", "equivalence", filepath.FromSlash(c.name)))
		for _, k := range newResourceKinds {
			if slices.ContainsFunc(iac, k.is) && slices.ContainsFunc(twin, k.is) {
				covered[lang+"/"+k.id] = append(covered[lang+"/"+k.id], c.name)
			}
		}
	}
	for _, lang := range []string{"arm", "bicep", "terraform"} {
		for _, k := range newResourceKinds {
			key := lang + "/" + k.id
			cases, reason := covered[key], noEquivalenceCase[key]
			switch {
			case len(cases) == 0 && reason == "":
				t.Errorf("examples/%s: no equivalence case judged with --all shows %s in both the example and its twin; add one, or say in noEquivalenceCase why none can exist", lang, k.what)
			case len(cases) > 0 && reason != "":
				t.Errorf("examples/%s: noEquivalenceCase says no case can show %s (%s), but %v does", lang, k.what, reason, cases)
			case len(cases) > 0:
				t.Logf("%s: %v", key, cases)
			default:
				t.Logf("%s: none: %s", key, reason)
			}
		}
	}
	for key := range noEquivalenceCase {
		lang, kind, _ := strings.Cut(key, "/")
		if !slices.Contains([]string{"arm", "bicep", "terraform"}, lang) || !slices.ContainsFunc(newResourceKinds, func(k newResourceKind) bool { return k.id == kind }) {
			t.Errorf("noEquivalenceCase names %s, which is no language/kind", key)
		}
	}
}

// inspectDocs returns the documents `kvguard inspect path` builds.
func inspectDocs(t *testing.T, path string) []map[string]any {
	t.Helper()
	code, out, errOut := runCLIAt(t, equivalenceNow, "inspect", path)
	if code != ExitOK {
		t.Fatalf("inspect %s: exit %d\n%s", path, code, errOut)
	}
	var got struct{ Documents []map[string]any }
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("inspect %s: %v", path, err)
	}
	if len(got.Documents) == 0 {
		t.Fatalf("inspect %s: no documents", path)
	}
	return got.Documents
}

func docType(d map[string]any, typ string) bool {
	s, _ := d["type"].(string)
	return strings.EqualFold(s, typ)
}

// parentOf is the lower-cased ID or host of the resource a document
// belongs to.
func parentOf(d map[string]any) string {
	meta, _ := d["kvguard"].(map[string]any)
	parent, _ := meta["parent"].(map[string]any)
	for _, k := range []string{"id", "host"} {
		if s, _ := parent[k].(string); s != "" {
			return strings.ToLower(s)
		}
	}
	return ""
}

// hsmPrivateEndpoint recognises an IaC private endpoint whose approved
// connection names a managed HSM, or a saved managed HSM with an approved
// private endpoint connection.
func hsmPrivateEndpoint(d map[string]any) bool {
	props, _ := d["properties"].(map[string]any)
	approved := func(conns any, target func(map[string]any) bool) bool {
		list, _ := conns.([]any)
		for _, c := range list {
			cm, _ := c.(map[string]any)
			cp, _ := cm["properties"].(map[string]any)
			state, _ := cp["privateLinkServiceConnectionState"].(map[string]any)
			if s, _ := state["status"].(string); strings.EqualFold(s, "Approved") && target(cp) {
				return true
			}
		}
		return false
	}
	switch {
	case docType(d, "Microsoft.Network/privateEndpoints"):
		return approved(props["privateLinkServiceConnections"], func(cp map[string]any) bool {
			id, _ := cp["privateLinkServiceId"].(string)
			return strings.Contains(strings.ToLower(id), "/microsoft.keyvault/managedhsms/")
		})
	case docType(d, "Microsoft.KeyVault/managedHSMs"):
		return approved(props["privateEndpointConnections"], func(map[string]any) bool { return true })
	}
	return false
}
