package policy

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kvguard/kvguard/internal/resource"
)

func builtin(t *testing.T, guid string, params map[string]any) *Policy {
	t.Helper()
	dir := builtinDir(t)
	data, err := os.ReadFile(filepath.Join(dir, guid+".json"))
	if err != nil {
		t.Skipf("built-in %s not available (set KVGUARD_AZURE_POLICY_DIR): %v", guid, err)
	}
	def, err := ParseDefinition(data, guid+".json")
	if err != nil {
		t.Fatal(err)
	}
	p, err := Compile(def, params)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func vaultDoc(props map[string]any) *resource.Document {
	body := map[string]any{"id": vaultID, "name": "kv1", "type": resource.TypeVault, "location": "westeurope"}
	if props != nil {
		body["properties"] = props
	}
	return &resource.Document{ID: vaultID, Type: resource.TypeVault, Name: "kv1", Body: body}
}

type verdictCase struct {
	name  string
	doc   *resource.Document
	want  Outcome
	field string // a reason must name this path (NonCompliant/Unknown cases)
}

func runCases(t *testing.T, p *Policy, cases []verdictCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := p.Evaluate(c.doc, sliceRelated(nil), Options{Now: time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)})
			if r.Outcome != c.want {
				t.Fatalf("outcome %v, want %v (reasons %v, err %v)", r.Outcome, c.want, r.Reasons, r.Err)
			}
			if c.field != "" {
				found := false
				for _, rs := range r.Reasons {
					if strings.Contains(rs.Path, c.field) || strings.Contains(rs.Field, c.field) {
						found = true
					}
				}
				if !found {
					t.Errorf("no reason names %s: %v", c.field, r.Reasons)
				}
			}
		})
	}
}

func TestRBACBuiltin(t *testing.T) {
	t.Parallel()
	p := builtin(t, "12d4fa5e-1f9f-4c21-97a9-b99b3c6611b5", nil)
	runCases(t, p, []verdictCase{
		{"absent", vaultDoc(map[string]any{}), NonCompliant, "properties.enableRbacAuthorization"},
		{"no properties at all", vaultDoc(nil), NonCompliant, "enableRbacAuthorization"},
		{"false", vaultDoc(map[string]any{"enableRbacAuthorization": false}), NonCompliant, "enableRbacAuthorization"},
		{"string False", vaultDoc(map[string]any{"enableRbacAuthorization": "False"}), NonCompliant, "enableRbacAuthorization"},
		{"null", vaultDoc(map[string]any{"enableRbacAuthorization": nil}), NonCompliant, "enableRbacAuthorization"},
		{"true", vaultDoc(map[string]any{"enableRbacAuthorization": true}), Compliant, ""},
		{"string TRUE", vaultDoc(map[string]any{"enableRbacAuthorization": "TRUE"}), Compliant, ""},
		{"createMode recover", vaultDoc(map[string]any{"createMode": "Recover"}), Compliant, ""},
		{"unknown", vaultDoc(map[string]any{"enableRbacAuthorization": resource.Unknown{Expr: "var.rbac"}}), Unknown, "enableRbacAuthorization"},
		{"a secret is out of scope", resource.NewComponent(resource.TypeSecret, resource.Ref{ID: vaultID}, "s", "s", resource.ObjectAttributes{}, nil), NotApplicable, ""},
		{"an HSM is out of scope", &resource.Document{ID: "/subscriptions/x/resourceGroups/r/providers/Microsoft.KeyVault/managedHSMs/h", Type: resource.TypeManagedHSM, Body: map[string]any{"location": "x"}}, NotApplicable, ""},
	})
}

func TestSoftDeleteBuiltin(t *testing.T) {
	t.Parallel()
	p := builtin(t, "1e66c121-a66a-4b1f-9b83-0fd99bf0fc2d", nil)
	runCases(t, p, []verdictCase{
		{"absent", vaultDoc(map[string]any{}), NonCompliant, "enableSoftDelete"},
		{"false", vaultDoc(map[string]any{"enableSoftDelete": false}), NonCompliant, "enableSoftDelete"},
		{"string false", vaultDoc(map[string]any{"enableSoftDelete": "false"}), NonCompliant, "enableSoftDelete"},
		{"true", vaultDoc(map[string]any{"enableSoftDelete": true}), Compliant, ""},
		{"recover", vaultDoc(map[string]any{"createMode": "recover", "enableSoftDelete": false}), Compliant, ""},
	})
}

func TestFirewallBuiltin(t *testing.T) {
	t.Parallel()
	p := builtin(t, "55615ac9-af46-4a59-874e-391cc3dfb490", nil)
	acl := func(action string) map[string]any {
		return map[string]any{"defaultAction": action, "bypass": "AzureServices"}
	}
	runCases(t, p, []verdictCase{
		{"no networkAcls, no publicNetworkAccess", vaultDoc(map[string]any{}), NonCompliant, "networkAcls.defaultAction"},
		{"Allow, Enabled", vaultDoc(map[string]any{"networkAcls": acl("Allow"), "publicNetworkAccess": "Enabled"}), NonCompliant, "publicNetworkAccess"},
		{"Deny, Enabled", vaultDoc(map[string]any{"networkAcls": acl("Deny"), "publicNetworkAccess": "Enabled"}), Compliant, ""},
		{"deny lower-case", vaultDoc(map[string]any{"networkAcls": acl("deny")}), Compliant, ""},
		{"Allow, Disabled", vaultDoc(map[string]any{"networkAcls": acl("Allow"), "publicNetworkAccess": "Disabled"}), Compliant, ""},
		{"no acls, disabled lower-case", vaultDoc(map[string]any{"publicNetworkAccess": "disabled"}), Compliant, ""},
		{"bypass None does not matter", vaultDoc(map[string]any{"networkAcls": map[string]any{"defaultAction": "Allow", "bypass": "None"}}), NonCompliant, ""},
		{"unknown action, enabled", vaultDoc(map[string]any{"networkAcls": map[string]any{"defaultAction": resource.Unknown{Expr: "var.action"}}}), Unknown, "defaultAction"},
		{"unknown action, disabled", vaultDoc(map[string]any{"networkAcls": map[string]any{"defaultAction": resource.Unknown{Expr: "var.action"}}, "publicNetworkAccess": "Disabled"}), Compliant, ""},
	})
	// With an allow-list, a rule outside it is non-compliant even with Deny.
	strict := builtin(t, "55615ac9-af46-4a59-874e-391cc3dfb490", map[string]any{"restrictIPAddresses": "Yes", "allowedIPAddresses": []any{"10.0.0.0/16"}})
	rules := func(ips ...string) map[string]any {
		var rs []any
		for _, ip := range ips {
			rs = append(rs, map[string]any{"value": ip})
		}
		return map[string]any{"defaultAction": "Deny", "ipRules": rs}
	}
	runCases(t, strict, []verdictCase{
		{"inside allow-list", vaultDoc(map[string]any{"networkAcls": rules("10.0.1.0/24", "10.0.2.3")}), Compliant, ""},
		{"outside allow-list", vaultDoc(map[string]any{"networkAcls": rules("10.0.1.0/24", "52.1.2.3")}), NonCompliant, ""},
		{"outside but public access disabled", vaultDoc(map[string]any{"networkAcls": rules("52.1.2.3"), "publicNetworkAccess": "Disabled"}), Compliant, ""},
	})
}

func TestPrivateLinkBuiltin(t *testing.T) {
	t.Parallel()
	p := builtin(t, "a6abeaec-4d90-4a02-805f-6b26c4d3fbe9", nil)
	conns := func(states ...any) map[string]any {
		var cs []any
		for _, s := range states {
			cs = append(cs, map[string]any{"properties": map[string]any{"privateLinkServiceConnectionState": map[string]any{"status": s}}})
		}
		return map[string]any{"privateEndpointConnections": cs}
	}
	runCases(t, p, []verdictCase{
		{"none", vaultDoc(map[string]any{}), NonCompliant, "privateEndpointConnections"},
		{"empty", vaultDoc(conns()), NonCompliant, ""},
		{"pending", vaultDoc(conns("Pending")), NonCompliant, ""},
		{"rejected", vaultDoc(conns("Rejected")), NonCompliant, ""},
		{"disconnected", vaultDoc(conns("Disconnected")), NonCompliant, ""},
		{"approved", vaultDoc(conns("Approved")), Compliant, ""},
		{"approved lower-case", vaultDoc(conns("approved")), Compliant, ""},
		{"pending and approved", vaultDoc(conns("Pending", "Approved")), Compliant, ""},
		{"unknown status", vaultDoc(conns(resource.Unknown{Expr: "known after apply"})), Unknown, ""},
		{"pending and unknown", vaultDoc(conns("Pending", resource.Unknown{Expr: "x"})), Unknown, ""},
		{"public access disabled is no exemption", vaultDoc(map[string]any{"publicNetworkAccess": "Disabled"}), NonCompliant, ""},
	})
}

func TestExpiryBuiltins(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ guid, typ string }{
		{"98728c90-32c7-4049-8429-847dc0f4fe37", resource.TypeSecret},
		{"152b15f7-8e1f-4c1f-ab71-8c010ba5dbc0", resource.TypeKey},
	} {
		p := builtin(t, c.guid, nil)
		comp := func(a resource.ObjectAttributes) *resource.Document {
			return resource.NewComponent(c.typ, resource.Ref{ID: vaultID}, vaultID+"/x/o", "o", a, nil)
		}
		runCases(t, p, []verdictCase{
			{c.typ + " without expiry", comp(resource.ObjectAttributes{Enabled: true}), NonCompliant, "attributes.expiresOn"},
			{c.typ + " disabled without expiry", comp(resource.ObjectAttributes{Enabled: false}), NonCompliant, "attributes.expiresOn"},
			{c.typ + " with expiry", comp(resource.ObjectAttributes{Enabled: true, Expires: "2027-01-01T00:00:00Z"}), Compliant, ""},
			{c.typ + " expired still has one", comp(resource.ObjectAttributes{Expires: "2020-01-01T00:00:00Z"}), Compliant, ""},
			{c.typ + " unknown expiry is set", comp(resource.ObjectAttributes{Expires: resource.Unknown{Expr: "timeadd(timestamp(), \"8760h\")"}}), Compliant, ""},
			{"vault out of data-plane mode", vaultDoc(map[string]any{}), NotApplicable, ""},
		})
	}
}

// inline compiles a definition given as JSON text.
func inline(t *testing.T, src string, params map[string]any) *Policy {
	t.Helper()
	def, err := ParseDefinition([]byte(src), "inline.json")
	if err != nil {
		t.Fatal(err)
	}
	p, err := Compile(def, params)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func rule(cond string) string {
	return `{"mode":"All","policyRule":{"if":{"allOf":[{"field":"type","equals":"Microsoft.KeyVault/vaults"},` + cond + `]},"then":{"effect":"audit"}}}`
}

func TestOperators(t *testing.T) {
	t.Parallel()
	doc := vaultDoc(map[string]any{
		"sku":                       map[string]any{"name": "Premium"},
		"softDeleteRetentionInDays": int64(30),
		"vaultUri":                  "https://kv1.vault.azure.net/",
		"networkAcls":               map[string]any{"ipRules": []any{map[string]any{"value": "1.2.3.4"}, map[string]any{"value": "5.6.7.8"}}, "virtualNetworkRules": []any{}},
		"tags":                      nil,
	})
	doc.Body["tags"] = map[string]any{"Env": "Prod"}
	cases := []struct {
		cond string
		want Outcome
	}{
		{`{"field":"Microsoft.KeyVault/vaults/sku.name","equals":"premium"}`, NonCompliant},
		{`{"field":"Microsoft.KeyVault/vaults/sku.name","notEquals":"premium"}`, Compliant},
		{`{"field":"Microsoft.KeyVault/vaults/vaultUri","like":"https://*.vault.azure.net/"}`, NonCompliant},
		{`{"field":"Microsoft.KeyVault/vaults/vaultUri","notLike":"*.vault.azure.cn*"}`, NonCompliant},
		{`{"field":"name","match":"kv#"}`, NonCompliant},
		{`{"field":"name","match":"KV#"}`, NotApplicable}, // name conditions decide applicability
		{`{"field":"name","matchInsensitively":"KV#"}`, NonCompliant},
		{`{"field":"name","notMatch":"??#"}`, NotApplicable},
		{`{"field":"Microsoft.KeyVault/vaults/sku.name","in":["Standard","PREMIUM"]}`, NonCompliant},
		{`{"field":"Microsoft.KeyVault/vaults/sku.name","notIn":["Standard"]}`, NonCompliant},
		{`{"field":"Microsoft.KeyVault/vaults/vaultUri","contains":"VAULT.azure"}`, NonCompliant},
		{`{"field":"tags","containsKey":"env"}`, NonCompliant},
		{`{"field":"tags['Env']","equals":"prod"}`, NonCompliant},
		{`{"field":"tags.Owner","exists":false}`, NonCompliant},
		{`{"field":"Microsoft.KeyVault/vaults/softDeleteRetentionInDays","less":90}`, NonCompliant},
		{`{"field":"Microsoft.KeyVault/vaults/softDeleteRetentionInDays","greaterOrEquals":"30"}`, NonCompliant},
		{`{"field":"Microsoft.KeyVault/vaults/softDeleteRetentionInDays","equals":"30"}`, NonCompliant},
		// missing fields: equals false, notEquals true, ordering false
		{`{"field":"Microsoft.KeyVault/vaults/createMode","equals":"default"}`, Compliant},
		{`{"field":"Microsoft.KeyVault/vaults/createMode","notEquals":"default"}`, NonCompliant},
		{`{"field":"Microsoft.KeyVault/vaults/createMode","notIn":["recover"]}`, NonCompliant},
		{`{"field":"Microsoft.KeyVault/vaults/enablePurgeProtection","less":"1"}`, Compliant},
		// [*]: every member; an empty or missing array meets the condition
		{`{"field":"Microsoft.KeyVault/vaults/networkAcls.ipRules[*].value","like":"*.*.*.*"}`, NonCompliant},
		{`{"field":"Microsoft.KeyVault/vaults/networkAcls.ipRules[*].value","equals":"1.2.3.4"}`, Compliant},
		{`{"field":"Microsoft.KeyVault/vaults/networkAcls.virtualNetworkRules[*].id","equals":"x"}`, NonCompliant},
		{`{"field":"Microsoft.KeyVault/vaults/privateEndpointConnections[*].privateLinkServiceConnectionState.status","equals":"x"}`, NonCompliant},
		// count: field count, where, value count with name and current()
		{`{"count":{"field":"Microsoft.KeyVault/vaults/networkAcls.ipRules[*]"},"equals":2}`, NonCompliant},
		{`{"count":{"field":"Microsoft.KeyVault/vaults/networkAcls.ipRules[*]","where":{"field":"Microsoft.KeyVault/vaults/networkAcls.ipRules[*].value","equals":"5.6.7.8"}},"equals":1}`, NonCompliant},
		{`{"count":{"value":["a","b","c"],"name":"v","where":{"value":"[current('v')]","notEquals":"b"}},"equals":2}`, NonCompliant},
		{`{"count":{"value":[1,2,3]},"greater":"[length(field('Microsoft.KeyVault/vaults/networkAcls.ipRules[*]'))]"}`, NonCompliant},
		{`{"count":{"field":"Microsoft.KeyVault/vaults/networkAcls.ipRules[*]","where":{"value":"[ipRangeContains('1.2.0.0/16', current('Microsoft.KeyVault/vaults/networkAcls.ipRules[*].value'))]","equals":true}},"equals":1}`, NonCompliant},
		{`{"count":{"field":"Microsoft.KeyVault/vaults/networkAcls.ipRules[*]","where":{"value":"[first(field('Microsoft.KeyVault/vaults/networkAcls.ipRules[*]')).value]","equals":"1.2.3.4"}},"equals":1}`, NonCompliant},
		// value conditions and functions
		{`{"value":"[requestContext().apiVersion]","greaterOrEquals":"2021-06-01-preview"}`, NonCompliant},
		{`{"value":"[padLeft(field('Microsoft.KeyVault/vaults/softDeleteRetentionInDays'), 3, '0')]","equals":"030"}`, NonCompliant},
		{`{"value":"[field('Microsoft.KeyVault/vaults/createMode')]","equals":""}`, NonCompliant},
		{`{"value":"[addDays('2026-01-01T00:00:00Z', 31)]","greater":"2026-01-31T23:59:59Z"}`, NonCompliant},
		{`{"value":"[if(empty(field('Microsoft.KeyVault/vaults/createMode')), 'none', 'some')]","equals":"none"}`, NonCompliant},
		{`{"value":"[concat(toUpper(substring(field('name'), 0, 1)), split('a-b', '-')[1])]","equals":"Kb"}`, NonCompliant},
		{`{"value":"[length(createArray(1, 2))]","equals":2}`, NonCompliant},
		{`{"not":{"field":"name","equals":"kv1"}}`, NotApplicable},
		{`{"not":{"field":"Microsoft.KeyVault/vaults/vaultUri","contains":"kv1"}}`, Compliant},
		{`{"anyOf":[{"field":"name","equals":"x"},{"field":"location","equals":"West Europe"}]}`, Compliant},
		{`{"field":"location","equals":"westeurope"}`, NonCompliant},
	}
	for _, c := range cases {
		t.Run(c.cond, func(t *testing.T) {
			t.Parallel()
			p := inline(t, rule(c.cond), nil)
			r := p.Evaluate(doc, nil, Options{})
			if r.Outcome != c.want {
				t.Fatalf("got %v want %v (reasons %v, err %v)", r.Outcome, c.want, r.Reasons, r.Err)
			}
		})
	}
}

func TestCompileErrorsCarryPositions(t *testing.T) {
	t.Parallel()
	cases := []struct{ src, want string }{
		{"{\"policyRule\":{\"if\":{\"field\":\"type\",\"equalz\":\"x\"},\"then\":{\"effect\":\"audit\"}}}", "inline.json:1:37: unknown condition member \"equalz\""},
		{"{\"policyRule\":{\"if\":{\"field\":\"type\"},\n\"then\":{\"effect\":\"audit\"}}}", "inline.json:1:21: condition on field has no operator"},
		{"{\"policyRule\":{\"if\":{\"value\":\"[nope(1)]\",\"equals\":1},\"then\":{\"effect\":\"audit\"}}}", `unknown function "nope"`},
		{"{\"policyRule\":{\"if\":{\"value\":\"[resourceId('a')]\",\"equals\":1},\"then\":{\"effect\":\"audit\"}}}", "not allowed in policy rules"},
		{"{\"parameters\":{\"p\":{\"type\":\"String\"}},\"policyRule\":{\"if\":{\"value\":\"[parameters('p')]\",\"equals\":1},\"then\":{\"effect\":\"audit\"}}}", "parameter p has no default value"},
		{"{\"policyRule\":{\"if\":{\"field\":\"type\",\"equals\":\"x\"},\"then\":{\"effect\":\"explode\"}}}", "unknown effect"},
		{"{\"policyRule\":{\"if\":{\"field\":\"notanalias\",\"equals\":\"x\"},\"then\":{\"effect\":\"audit\"}}}", "neither a policy alias"},
	}
	for _, c := range cases {
		def, err := ParseDefinition([]byte(c.src), "inline.json")
		if err == nil {
			_, err = Compile(def, nil)
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s:\n got %v\nwant %q", c.src, err, c.want)
		}
	}
}

func TestAuditIfNotExists(t *testing.T) {
	t.Parallel()
	p := builtin(t, "cf820ca0-f99e-4f3e-84fb-66e913812d21", nil)
	vault := vaultDoc(map[string]any{})
	diag := func(logs ...any) *resource.Document {
		return &resource.Document{ID: vaultID + "/providers/microsoft.insights/diagnosticSettings/d", Type: resource.TypeDiagnosticSetting, Parent: resource.Ref{ID: vaultID},
			Body: map[string]any{"properties": map[string]any{"workspaceId": "/ws", "logs": logs}}}
	}
	// Retention only matters for logs kept in a storage account.
	stored := func(logs ...any) *resource.Document {
		d := diag(logs...)
		d.Body["properties"].(map[string]any)["storageAccountId"] = "/sa"
		return d
	}
	log := func(enabled bool, retention bool, days int64) any {
		return map[string]any{"category": "AuditEvent", "enabled": enabled, "retentionPolicy": map[string]any{"enabled": retention, "days": days}}
	}
	for _, c := range []struct {
		name    string
		related []*resource.Document
		want    Outcome
	}{
		{"no diagnostic settings", nil, NonCompliant},
		{"log enabled to a workspace", []*resource.Document{diag(log(true, false, 0))}, Compliant},
		{"log disabled", []*resource.Document{diag(log(false, false, 0))}, NonCompliant},
		{"storage retention too short", []*resource.Document{stored(log(true, true, 30))}, NonCompliant},
		{"workspace only: retention does not matter", []*resource.Document{diag(log(true, true, 30))}, Compliant},
		{"storage retention long enough", []*resource.Document{stored(log(true, true, 400))}, Compliant},
		{"retention 0 means forever", []*resource.Document{stored(log(true, true, 0))}, Compliant},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := p.Evaluate(vault, sliceRelated(c.related), Options{})
			if r.Outcome != c.want {
				t.Fatalf("got %v want %v (%v %v)", r.Outcome, c.want, r.Reasons, r.Err)
			}
		})
	}
	r := p.Evaluate(vault, unknownRelated{}, Options{})
	if r.Outcome != Unknown || !strings.Contains(r.Err.Error(), "403") {
		t.Errorf("unreadable related listing: got %v %v, want Unknown naming the error", r.Outcome, r.Err)
	}
}

type unknownRelated struct{}

func (unknownRelated) Related(*resource.Document, RelatedQuery) ([]*resource.Document, bool, string) {
	return nil, false, "diagnostic settings could not be read: 403 Forbidden"
}

func TestDisabledEffectAndModes(t *testing.T) {
	t.Parallel()
	p := builtin(t, "12d4fa5e-1f9f-4c21-97a9-b99b3c6611b5", map[string]any{"effect": "Disabled"})
	if r := p.Evaluate(vaultDoc(map[string]any{}), nil, Options{}); r.Outcome != Disabled {
		t.Errorf("disabled effect: got %v", r.Outcome)
	}
	if _, err := Compile(p.Def, map[string]any{"effect": "Explode"}); err == nil || !strings.Contains(err.Error(), "allowed values") {
		t.Errorf("effect outside allowed values: %v", err)
	}
}
