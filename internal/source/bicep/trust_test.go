package bicep

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kvguard/kvguard/internal/resource"
)

// findDoc returns the document whose address is addr.
func findDoc(docs []*resource.Document, addr string) *resource.Document {
	for _, d := range docs {
		if d.Source.Address == addr {
			return d
		}
	}
	return nil
}

// hasError reports whether one of errs (warnings included when warn)
// holds substr, at line (0: any).
func hasError(errs []*resource.InputError, substr string, line int, warn bool) bool {
	for _, e := range errs {
		if strings.Contains(e.Msg, substr) && (line == 0 || e.Pos.Line == line) && e.Warning == warn {
			return true
		}
	}
	return false
}

// TestUnknownLoops checks that a loop over a collection with no value
// gives one placeholder copy, addressed [*], known in shape: a secret
// without an expiry is a secret without an expiry whatever the number,
// and an endpoint that may not exist proves nothing.
func TestUnknownLoops(t *testing.T) {
	t.Parallel()
	dir := writeFiles(t, map[string]string{"main.bicep": `param names array
param subnetId string = 'x'
resource kv 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: 'kv-loop'
  location: 'eastus'
  properties: { tenantId: subscription().tenantId, sku: { family: 'A', name: 'standard' } }
}
resource secrets 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = [for n in names: {
  parent: kv
  name: n
  properties: { value: 'x' }
}]
resource pes 'Microsoft.Network/privateEndpoints@2023-04-01' = [for (n, i) in names: {
  name: 'pe-${i}'
  location: 'eastus'
  properties: {
    subnet: { id: subnetId }
    privateLinkServiceConnections: [ { name: 'c', properties: { privateLinkServiceId: kv.id, groupIds: [ 'vault' ] } } ]
  }
}]
`})
	docs, errs := readAll(t, dir+"/main.bicep", Options{})
	s := findDoc(docs, "secrets[*]")
	if s == nil {
		t.Fatalf("no placeholder secret; docs %v, errs %v", summarize(docs), errs)
	}
	if s.Type != resource.TypeSecret || s.Parent.ID != rg+"Microsoft.KeyVault/vaults/kv-loop" {
		t.Errorf("placeholder secret = %s parent %s", s.Type, s.Parent.ID)
	}
	if v, ok := s.Get("attributes", "expiresOn"); ok && v != nil {
		t.Errorf("the loop body sets no expiry, got %v", v)
	}
	pe := findDoc(docs, "pes[*]")
	if pe == nil {
		t.Fatal("no placeholder endpoint")
	}
	conns, _ := pe.Get("properties", "privateLinkServiceConnections")
	st := conns.([]any)[0].(map[string]any)["properties"].(map[string]any)["privateLinkServiceConnectionState"].(map[string]any)["status"]
	if u, ok := st.(resource.Unknown); !ok || !strings.Contains(u.Expr, "pes[*]") {
		t.Errorf("the status of an endpoint that may not exist is unknown, got %#v", st)
	}
	if !hasError(errs, "judges it once, as secrets[*]", 8, true) {
		t.Errorf("no warning for the loop: %v", errs)
	}
}

// TestMalformedChildren checks child resources whose name does not give
// their vault: an input error at the resource, judged against the one
// vault dependsOn names, else not judged; never a vault named "".
func TestMalformedChildren(t *testing.T) {
	t.Parallel()
	dir := writeFiles(t, map[string]string{"main.bicep": `resource kv 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: 'kv-one'
  location: 'eastus'
  properties: { tenantId: subscription().tenantId, sku: { family: 'A', name: 'standard' } }
}
resource orphan 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  name: 'fail'
  properties: { value: 'x' }
}
resource adopted 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  name: 'adopted'
  dependsOn: [ kv ]
  properties: { value: 'x' }
}
resource unresolved 'Microsoft.KeyVault/vaults/keys@2023-07-01' = {
  name: '${kv.properties.vaultUri}/k'
  properties: { kty: 'RSA' }
}
`})
	docs, errs := readAll(t, dir+"/main.bicep", Options{})
	for _, d := range docs {
		if d.Parent.ID != "" && !strings.HasSuffix(d.Parent.ID, "/vaults/kv-one") {
			t.Errorf("%s hangs from %q", d.Source.Address, d.Parent.ID)
		}
	}
	if findDoc(docs, "orphan") != nil || findDoc(docs, "unresolved") != nil {
		t.Errorf("a child that names no vault is not judged: %v", summarize(docs))
	}
	if a := findDoc(docs, "adopted"); a == nil || a.ID != rg+"Microsoft.KeyVault/vaults/kv-one/secrets/adopted" {
		t.Errorf("adopted = %v", summarize(docs))
	}
	for line, want := range map[int]string{7: "incorrect segment lengths", 11: "judged as a child of kv-one", 16: "cannot resolve"} {
		if !hasError(errs, want, line, false) {
			t.Errorf("no error %q on line %d: %v", want, line, errs)
		}
	}
}

// TestWrongTypes checks the types Azure checks at deployment, for what
// the recommendations read: an input error at the value, and Unknown.
func TestWrongTypes(t *testing.T) {
	t.Parallel()
	dir := writeFiles(t, map[string]string{"main.bicep": `resource kv 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: 'kv-types'
  location: 'eastus'
  properties: {
    tenantId: subscription().tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: 'yes'
    networkAcls: { defaultAction: 1, ipRules: [ 'not-an-object' ] }
  }
}
resource s 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: kv
  name: 's'
  properties: { value: 'x', attributes: { exp: 'soon', enabled: 'true' } }
}
`})
	docs, errs := readAll(t, dir+"/main.bicep", Options{})
	kv, s := findDoc(docs, "kv"), findDoc(docs, "s")
	if kv == nil || s == nil {
		t.Fatalf("docs %v", summarize(docs))
	}
	for _, c := range []struct {
		doc  *resource.Document
		path []string
		line int
		msg  string
	}{
		{kv, []string{"properties", "enableRbacAuthorization"}, 7, `properties.enableRbacAuthorization: expected a boolean, found the string "yes"`},
		{kv, []string{"properties", "networkAcls", "defaultAction"}, 8, "properties.networkAcls.defaultAction: expected a string, found the number 1"},
		{kv, []string{"properties", "networkAcls", "ipRules"}, 8, "properties.networkAcls.ipRules.0: expected an object"},
		{s, []string{"attributes", "expiresOn"}, 14, "properties.attributes.exp: expected a number (Unix seconds)"},
		{s, []string{"attributes", "enabled"}, 14, "properties.attributes.enabled: expected a boolean"},
	} {
		if !hasError(errs, c.msg, c.line, false) {
			t.Errorf("no error %q on line %d: %v", c.msg, c.line, errs)
		}
		v, _ := c.doc.Get(c.path...)
		if c.path[len(c.path)-1] == "ipRules" {
			v = v.([]any)[0]
		}
		if !resource.IsUnknown(v) {
			t.Errorf("%s %v = %#v, want unknown", c.doc.Source.Address, c.path, v)
		}
	}
}

// TestInstanceCap checks that loops multiplied through modules stop at
// the cap before they are expanded, with an input error.
func TestInstanceCap(t *testing.T) {
	t.Parallel()
	dir := writeFiles(t, map[string]string{
		"main.bicep": "module m 'mod.bicep' = [for i in range(0, 800): { name: 'm${i}' }]\n",
		"mod.bicep": `resource kvs 'Microsoft.KeyVault/vaults@2023-07-01' = [for i in range(0, 800): {
  name: 'kv${uniqueString(deployment().name)}${i}'
  location: 'eastus'
}]
`})
	docs, errs := readAll(t, dir+"/main.bicep", Options{MaxInstances: 5000})
	if len(docs) > 5000 {
		t.Errorf("%d documents, above the cap", len(docs))
	}
	if !hasError(errs, "more than 5000 resource instances", 0, false) {
		t.Errorf("no cap error: %v", errs[:min(3, len(errs))])
	}
	n := 0
	for _, e := range errs {
		if strings.Contains(e.Msg, "resource instances") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("the cap is reported %d times", n)
	}
}

// TestModuleCycle checks that modules calling each other are an input
// error naming the cycle, and that the rest is still read.
func TestModuleCycle(t *testing.T) {
	t.Parallel()
	dir := writeFiles(t, map[string]string{
		"a.bicep": "module b 'b.bicep' = {\n  name: 'b'\n}\nresource kv 'Microsoft.KeyVault/vaults@2023-07-01' = {\n  name: 'kv-a'\n  location: 'eastus'\n}\n",
		"b.bicep": "module a 'a.bicep' = {\n  name: 'a'\n}\n",
	})
	docs, errs := readAll(t, dir+"/a.bicep", Options{})
	want := "module cycle: " + dir + "/a.bicep → " + dir + "/b.bicep → " + dir + "/a.bicep"
	if !hasError(errs, want, 1, false) {
		t.Errorf("no error %q: %v", want, errs)
	}
	if len(docs) != 1 {
		t.Errorf("docs = %v", summarize(docs))
	}
}

// TestUnknownWithFewValues checks that an unknown with few possible values
// says which: @allowed, a union of literals, a bool, and a conditional
// whose condition is unknown but whose branches are known.
func TestUnknownWithFewValues(t *testing.T) {
	t.Parallel()
	dir := writeFiles(t, map[string]string{"main.bicep": `@allowed([ 'Allow', 'Deny' ])
param action string
param access 'Enabled' | 'Disabled'
param rbac bool
param region string
resource kv 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: 'kv-choices'
  location: 'eastus'
  properties: {
    tenantId: subscription().tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: rbac
    publicNetworkAccess: access
    networkAcls: { defaultAction: action, bypass: region == 'west' ? 'AzureServices' : 'None' }
    enablePurgeProtection: !rbac
  }
}
`})
	docs, _ := readAll(t, dir+"/main.bicep", Options{})
	kv := findDoc(docs, "kv")
	if kv == nil {
		t.Fatal("no vault")
	}
	for _, c := range []struct {
		path []string
		want []any
	}{
		{[]string{"properties", "enableRbacAuthorization"}, []any{true, false}},
		{[]string{"properties", "publicNetworkAccess"}, []any{"Enabled", "Disabled"}},
		{[]string{"properties", "networkAcls", "defaultAction"}, []any{"Allow", "Deny"}},
		{[]string{"properties", "networkAcls", "bypass"}, []any{"AzureServices", "None"}},
		{[]string{"properties", "enablePurgeProtection"}, []any{false, true}},
	} {
		v, _ := kv.Get(c.path...)
		u, ok := v.(resource.Unknown)
		if !ok || u.Choices == nil || !cmp.Equal(u.Choices.Values, c.want) {
			t.Errorf("%v = %#v, want one of %v", c.path, v, c.want)
		}
	}
}
