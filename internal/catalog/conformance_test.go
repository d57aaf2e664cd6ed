package catalog

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/kvguard/kvguard/internal/policy"
	"github.com/kvguard/kvguard/internal/resource"
)

// The variant documents of the conformance tests: for every alias a rule
// reads, absent, null, case variants, unknown (before deployment, and one
// of known values), and values on each side of every parameter value the
// tests use.

// absent marks a key left out of a generated body.
var absent = &struct{ absent bool }{true}

// conformanceNow is the instant utcNow() returns in the conformance tests.
var conformanceNow = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

// dayParams are the day counts the parameter sets use: the instants the
// variants hold lie on, just before and just after each of them.
var dayParams = []int{30, 90, 730}

func day(n int) string { return resource.FormatTime(conformanceNow.AddDate(0, 0, n)) }

// set puts v at key unless it is absent.
func set(m map[string]any, key string, v any) {
	if v != absent {
		m[key] = v
	}
}

func unknown(expr string, choices ...any) any {
	if len(choices) == 0 {
		return resource.Unknown{Expr: expr}
	}
	return resource.UnknownOneOf(expr, choices...)
}

const (
	condVault = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv"
	condHSM   = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.KeyVault/managedHSMs/hsm"
)

// component builds a data-plane document with the given body members.
func component(typ string, n int, members map[string]any) *resource.Document {
	parent := condVault
	if strings.HasPrefix(typ, "Microsoft.ManagedHSM.Data") {
		parent = condHSM
	}
	seg := typ[strings.LastIndexByte(typ, '/')+1:]
	name := fmt.Sprintf("c%d", n)
	id := parent + "/" + seg + "/" + name
	body := map[string]any{"id": id, "name": name, "type": typ}
	for k, v := range members {
		set(body, k, v)
	}
	return &resource.Document{ID: id, Type: typ, Name: name, Body: body, Parent: resource.Ref{ID: parent}}
}

// dateVariants are the attributes of the validity rules: creation,
// activation and expiry around every day parameter, relative to now and
// to the creation date.
func dateVariants(typ string, extra func(n int) map[string]any) []*resource.Document {
	var docs []*resource.Document
	createds := []any{absent, nil, day(-731), day(-730), day(-91), day(-30), day(0), unknown("var.created")}
	notBefores := []any{absent, nil, "", day(-731), day(-729), day(-89), unknown("var.nbf")}
	var expires []any
	expires = append(expires, absent, nil, unknown("timeadd(timestamp(), \"8760h\")"))
	for _, p := range dayParams {
		for _, d := range []int{p - 1, p, p + 1, -p} {
			expires = append(expires, day(d))
		}
	}
	n := 0
	for _, c := range createds {
		for _, nb := range notBefores {
			for _, e := range expires {
				es := []any{e}
				if cs, ok := c.(string); ok && e == absent {
					// Expiry relative to the creation date.
					ct, _ := time.Parse(time.RFC3339, cs)
					for _, p := range dayParams {
						for _, d := range []int{p - 1, p, p + 1} {
							es = append(es, resource.FormatTime(ct.AddDate(0, 0, d)))
						}
					}
				}
				for _, e := range es {
					attrs := map[string]any{"enabled": n%3 != 0}
					set(attrs, "createdOn", c)
					set(attrs, "notBefore", nb)
					set(attrs, "expiresOn", e)
					n++
					m := map[string]any{"attributes": attrs}
					if extra != nil {
						for k, v := range extra(n) {
							m[k] = v
						}
					}
					docs = append(docs, component(typ, n, m))
				}
			}
		}
	}
	return docs
}

var keyTypes = []any{absent, nil, "RSA", "rsa", "RSA-HSM", "rsa-hsm", "EC", "EC-HSM", "ec-hsm", "oct", "oct-HSM", "OCT-HSM", unknown("var.kty"), unknown("var.kty2", "RSA", "EC-HSM")}
var keySizes = []any{absent, nil, int64(127), int64(128), int64(129), int64(192), int64(256), int64(511), int64(512), int64(1024), int64(2047), int64(2048), int64(2049), int64(3071), int64(3072), int64(4095), int64(4096), unknown("var.size")}
var curves = []any{absent, nil, "P-256", "p-256", "P-256K", "P-384", "P-521", "SECP256K1", unknown("var.crv")}

// cryptoVariants crosses key type, size and curve, at the top level
// (keys) or under keyProperties (certificates).
func cryptoVariants(typ string, nested bool) []*resource.Document {
	var docs []*resource.Document
	n := 0
	for _, kt := range keyTypes {
		for _, ks := range keySizes {
			for _, crv := range curves {
				props := map[string]any{}
				set(props, "keyType", kt)
				set(props, "keySize", ks)
				set(props, "ellipticCurveName", crv)
				n++
				m := map[string]any{"attributes": map[string]any{"enabled": true, "expiresOn": day(400), "createdOn": day(-10)}}
				if nested {
					m["keyProperties"] = props
				} else {
					for k, v := range props {
						m[k] = v
					}
				}
				docs = append(docs, component(typ, 100000+n, m))
			}
		}
	}
	return docs
}

// certificatePolicyVariants cross validity, lifetime actions and issuer.
func certificatePolicyVariants() []*resource.Document {
	validities := []any{absent, nil, int64(1), int64(11), int64(12), int64(13), int64(24), unknown("var.months")}
	action := func(dbe, pct any) any {
		a := map[string]any{"action": "AutoRenew"}
		set(a, "daysBeforeExpiry", dbe)
		set(a, "lifetimePercentage", pct)
		return a
	}
	actions := []any{absent, nil, []any{},
		[]any{action(int64(29), absent)}, []any{action(int64(30), absent)}, []any{action(int64(31), absent)},
		[]any{action(absent, int64(79))}, []any{action(absent, int64(80))}, []any{action(absent, int64(81))},
		[]any{action(int64(10), absent), action(absent, int64(50))}, []any{action(int64(10), absent), action(int64(60), absent)},
		[]any{action(nil, nil)}, []any{action(unknown("var.days"), absent)}, unknown("var.actions")}
	issuerNames := []any{absent, nil, "Self", "DigiCert", "digicert", "GlobalSign", "Unknown", unknown("var.issuer")}
	commonNames := []any{absent, nil, "", "Contoso Issuing CA 01", "contoso issuing ca", "Fabrikam Root", unknown("var.cn")}
	var docs []*resource.Document
	n := 200000
	for _, v := range validities {
		for _, la := range actions {
			for _, in := range issuerNames {
				for _, cn := range commonNames {
					props := map[string]any{}
					set(props, "validityInMonths", v)
					issuer := map[string]any{}
					set(issuer, "name", in)
					set(issuer, "commonName", cn)
					m := map[string]any{"properties": props, "issuer": issuer, "lifetimeActions": la,
						"attributes": map[string]any{"enabled": true, "expiresOn": day(200)}}
					n++
					docs = append(docs, component(resource.TypeCertificate, n, m))
				}
			}
		}
	}
	return docs
}

// rotationVariants give keys a scheduled rotation around every day
// parameter after their creation.
func rotationVariants() []*resource.Document {
	var docs []*resource.Document
	n := 300000
	for _, c := range []any{absent, nil, day(-100), day(0), unknown("var.created")} {
		rots := []any{absent, nil, unknown("var.rotation")}
		if cs, ok := c.(string); ok {
			ct, _ := time.Parse(time.RFC3339, cs)
			for _, p := range dayParams {
				for _, d := range []int{p - 1, p, p + 1} {
					rots = append(rots, resource.FormatTime(ct.AddDate(0, 0, d)))
				}
			}
		} else {
			rots = append(rots, day(30))
		}
		for _, r := range rots {
			attrs := map[string]any{"enabled": true}
			set(attrs, "createdOn", c)
			m := map[string]any{"attributes": attrs, "keyType": "RSA"}
			set(m, "scheduledRotationDate", r)
			n++
			docs = append(docs, component(resource.TypeKey, n, m))
		}
	}
	return docs
}

func secretVariants() []*resource.Document {
	cts := []any{absent, nil, "", "text/plain", "application/x-pkcs12", unknown("var.ct")}
	return dateVariants(resource.TypeSecret, func(n int) map[string]any {
		if ct := cts[n%len(cts)]; ct != absent {
			return map[string]any{"contentType": ct}
		}
		return nil
	})
}

// resourceDoc builds a control-plane document.
func resourceDoc(typ, id string, top, props map[string]any) *resource.Document {
	name := id[strings.LastIndexByte(id, '/')+1:]
	body := map[string]any{"id": id, "name": name, "type": typ, "location": "westeurope"}
	for k, v := range top {
		set(body, k, v)
	}
	if props != nil {
		body["properties"] = props
	}
	return &resource.Document{ID: id, Type: typ, Name: name, Body: body}
}

var bools = []any{absent, nil, true, false, "true", "False", unknown("var.b"), unknown("var.b2", true, false)}

// protectionVariants cross the settings of the vault and HSM rules that
// vaultVariants leaves out: purge protection and virtual network rules.
func protectionVariants() []*resource.Document {
	var docs []*resource.Document
	createModes := []any{absent, "recover", "Recover", "default"}
	actions := []any{absent, nil, "Deny", "deny", "Allow", unknown("var.action")}
	vnets := []any{absent, nil, []any{}, []any{map[string]any{"id": "/subscriptions/s/vnet/subnets/a"}}, []any{map[string]any{"ignoreMissingVnetServiceEndpoint": true}},
		[]any{map[string]any{"id": "/x"}, map[string]any{}}, unknown("var.rules")}
	n := 0
	for _, typ := range []string{resource.TypeVault, resource.TypeManagedHSM} {
		for _, sd := range bools {
			for _, pp := range bools {
				for _, cm := range createModes {
					for _, act := range actions {
						for _, vn := range vnets {
							if typ == resource.TypeManagedHSM && vn != absent {
								continue
							}
							props := map[string]any{}
							set(props, "enableSoftDelete", sd)
							set(props, "enablePurgeProtection", pp)
							set(props, "createMode", cm)
							acl := map[string]any{}
							set(acl, "defaultAction", act)
							set(acl, "virtualNetworkRules", vn)
							props["networkAcls"] = acl
							n++
							id := fmt.Sprintf("%s%d", condVault, n)
							if typ == resource.TypeManagedHSM {
								id = fmt.Sprintf("%s%d", condHSM, n)
							}
							docs = append(docs, resourceDoc(typ, id, nil, props))
						}
					}
				}
			}
		}
	}
	// Managed HSMs' private endpoint connections and public access.
	conns := []any{absent, nil, []any{}, []any{pec("Pending")}, []any{pec("Approved")}, []any{pec("approved")}, []any{pec("Rejected"), pec(unknown("var.st"))}, []any{map[string]any{}}}
	for _, cs := range conns {
		for _, pna := range []any{absent, "Enabled", "Disabled", unknown("var.pna")} {
			props := map[string]any{}
			set(props, "privateEndpointConnections", cs)
			set(props, "publicNetworkAccess", pna)
			n++
			docs = append(docs, resourceDoc(resource.TypeManagedHSM, fmt.Sprintf("%s%d", condHSM, n), map[string]any{"sku": map[string]any{"name": "Standard_B1"}}, props))
		}
	}
	return docs
}

func pec(status any) any {
	return map[string]any{"properties": map[string]any{"privateLinkServiceConnectionState": map[string]any{"status": status}}}
}

// relatedSet is a scan's worth of documents and the related resources
// ifNotExists rules find among them.
type relatedSet struct {
	docs     []*resource.Document
	related  []*resource.Document
	byParent map[string][]*resource.Document
}

// index files the related documents by parent.
func (s *relatedSet) index() {
	s.byParent = map[string][]*resource.Document{}
	for _, d := range s.related {
		k := strings.ToLower(d.Parent.ID)
		s.byParent[k] = append(s.byParent[k], d)
	}
}

func (s *relatedSet) Related(doc *resource.Document, q policy.RelatedQuery) ([]*resource.Document, bool, string) {
	var out []*resource.Document
	for _, d := range s.byParent[strings.ToLower(doc.ID)] {
		if !d.IsType(q.Type) {
			continue
		}
		if q.Name != "" && !strings.EqualFold(q.Name, d.Name) {
			continue
		}
		out = append(out, d)
	}
	return out, true, ""
}

// diagnosticVariants give vaults and HSMs zero, one or two diagnostic
// settings drawn from a pool crossing every member the rules read.
func diagnosticVariants() *relatedSet {
	logEntry := func(cat, group, enabled, retEnabled, days any) any {
		e := map[string]any{}
		set(e, "category", cat)
		set(e, "categoryGroup", group)
		set(e, "enabled", enabled)
		rp := map[string]any{}
		set(rp, "enabled", retEnabled)
		set(rp, "days", days)
		if retEnabled != absent || days != absent {
			e["retentionPolicy"] = rp
		}
		return e
	}
	var logsPool []any
	logsPool = append(logsPool, absent, []any{})
	for _, cat := range []struct{ c, g any }{{"AuditEvent", absent}, {"auditevent", absent}, {absent, "audit"}, {absent, "allLogs"}, {"AzurePolicyEvaluationDetails", absent}} {
		for _, en := range []any{true, false, "True", nil} {
			for _, rd := range []struct{ e, d any }{{absent, absent}, {false, int64(0)}, {true, int64(0)}, {true, int64(1)}, {true, int64(364)}, {true, int64(365)}, {true, int64(366)}, {true, "365"}} {
				logsPool = append(logsPool, []any{logEntry(cat.c, cat.g, en, rd.e, rd.d)})
			}
		}
	}
	logsPool = append(logsPool, []any{logEntry("AuditEvent", absent, true, absent, absent), logEntry(absent, "allLogs", false, absent, absent)},
		[]any{logEntry(absent, "audit", true, absent, absent), logEntry(absent, "allLogs", true, absent, absent)}, unknown("var.logs"))
	metricsPool := []any{absent, []any{}, []any{map[string]any{"category": "AllMetrics", "enabled": true}}, []any{map[string]any{"category": "AllMetrics", "enabled": false}}}
	dests := []map[string]any{{}, {"workspaceId": "/subscriptions/s/ws/la1"}, {"workspaceId": "/subscriptions/s/WS/LA1"}, {"workspaceId": "/subscriptions/s/ws/other"},
		{"storageAccountId": "/subscriptions/s/sa"}, {"storageAccountId": "/subscriptions/s/sa", "workspaceId": "/subscriptions/s/ws/la1"}, {"eventHubAuthorizationRuleId": "/x/rule", "eventHubName": "Monitoring"}}
	names := []string{"setbypolicy", "kv-audit"}
	s := &relatedSet{}
	n := 0
	setting := func(parent string, i int) *resource.Document {
		props := map[string]any{}
		set(props, "logs", logsPool[i%len(logsPool)])
		set(props, "metrics", metricsPool[(i/len(logsPool))%len(metricsPool)])
		for k, v := range dests[(i/7)%len(dests)] {
			props[k] = v
		}
		name := names[(i/3)%len(names)]
		id := parent + "/providers/Microsoft.Insights/diagnosticSettings/" + name
		return &resource.Document{ID: id, Type: resource.TypeDiagnosticSetting, Name: name, Parent: resource.Ref{ID: parent},
			Body: map[string]any{"id": id, "name": name, "type": resource.TypeDiagnosticSetting, "properties": props}}
	}
	total := len(logsPool) * len(metricsPool) * 2
	for _, typ := range []string{resource.TypeVault, resource.TypeManagedHSM} {
		for i := -1; i < total; i++ {
			n++
			base := condVault
			if typ == resource.TypeManagedHSM {
				base = condHSM
			}
			id := fmt.Sprintf("%s-diag%d", base, n)
			loc := []string{"westeurope", "eastus"}[n%2]
			d := resourceDoc(typ, id, map[string]any{"location": loc}, map[string]any{})
			s.docs = append(s.docs, d)
			if i < 0 {
				continue // no setting at all
			}
			s.related = append(s.related, setting(id, i))
			if i%5 == 0 {
				s.related = append(s.related, setting(id, i*7+3))
			}
		}
	}
	return s
}

// endpointVariants cover private endpoints (with and without a DNS zone
// group) and vaults with private endpoint connection child resources.
func endpointVariants() *relatedSet {
	s := &relatedSet{}
	groupSets := []any{absent, []any{}, []any{"vault"}, []any{"Vault"}, []any{"managedhsm"}, []any{"vault", "other"}, unknown("var.groups")}
	n := 0
	for _, gs := range groupSets {
		for _, manual := range []bool{false, true} {
			for _, zone := range []bool{false, true} {
				n++
				id := fmt.Sprintf("/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.Network/privateEndpoints/pe%d", n)
				conn := map[string]any{"properties": map[string]any{"privateLinkServiceId": condVault}}
				set(conn["properties"].(map[string]any), "groupIds", gs)
				key := "privateLinkServiceConnections"
				if manual {
					key = "manualPrivateLinkServiceConnections"
				}
				s.docs = append(s.docs, resourceDoc(resource.TypePrivateEndpoint, id, nil, map[string]any{key: []any{conn}}))
				if zone {
					zid := id + "/privateDnsZoneGroups/default"
					s.related = append(s.related, &resource.Document{ID: zid, Type: "Microsoft.Network/privateEndpoints/privateDnsZoneGroups", Name: "default",
						Parent: resource.Ref{ID: id}, Body: map[string]any{"id": zid, "name": "default", "properties": map[string]any{}}})
				}
			}
		}
	}
	for _, typ := range []string{resource.TypeVault, resource.TypeManagedHSM} {
		for _, sts := range [][]any{nil, {"Approved"}, {"approved"}, {"Pending"}, {"Rejected", "Approved"}, {nil}, {unknown("var.st")}} {
			n++
			base, child := condVault, resource.TypeVaultPEConnection
			if typ == resource.TypeManagedHSM {
				base, child = condHSM, "Microsoft.KeyVault/managedHSMs/privateEndpointConnections"
			}
			id := fmt.Sprintf("%s-pe%d", base, n)
			s.docs = append(s.docs, resourceDoc(typ, id, nil, map[string]any{}))
			for i, st := range sts {
				cid := fmt.Sprintf("%s/privateEndpointConnections/c%d", id, i)
				props := map[string]any{"privateLinkServiceConnectionState": map[string]any{}}
				set(props["privateLinkServiceConnectionState"].(map[string]any), "status", st)
				s.related = append(s.related, &resource.Document{ID: cid, Type: child, Name: fmt.Sprintf("c%d", i), Parent: resource.Ref{ID: id},
					Body: map[string]any{"id": cid, "name": fmt.Sprintf("c%d", i), "type": child, "properties": props}})
			}
		}
	}
	return s
}

// paramSets are the parameter values each recommendation is compared
// under, besides its defaults: boundaries of every parameter the rule
// reads, and the values the frameworks assign.
var paramSets = map[string][]map[string]any{
	"keyvault-firewall": {
		{"restrictIPAddresses": "Yes", "allowedIPAddresses": []any{"10.0.0.0/8"}},
		{"restrictIPAddresses": "Yes", "forbiddenIPAddresses": []any{"52.0.0.0/8"}},
	},
	"keyvault-secret-max-validity":  {{"maximumValidityInDays": int64(30)}, {"maximumValidityInDays": int64(90)}, {"maximumValidityInDays": int64(730)}},
	"keyvault-key-max-validity":     {{"maximumValidityInDays": int64(30)}, {"maximumValidityInDays": int64(90)}, {"maximumValidityInDays": int64(730)}},
	"keyvault-secret-active-days":   {{"maximumValidityInDays": int64(30)}, {"maximumValidityInDays": int64(730)}},
	"keyvault-key-active-days":      {{"maximumValidityInDays": int64(30)}, {"maximumValidityInDays": int64(730)}},
	"keyvault-secret-expiring":      {{"minimumDaysBeforeExpiration": int64(30)}, {"minimumDaysBeforeExpiration": int64(90)}},
	"keyvault-key-expiring":         {{"minimumDaysBeforeExpiration": int64(30)}, {"minimumDaysBeforeExpiration": int64(90)}},
	"managedhsm-key-expiring":       {{"minimumDaysBeforeExpiration": int64(30)}, {"minimumDaysBeforeExpiration": int64(730)}},
	"keyvault-certificate-expiring": {{"daysToExpire": int64(30)}, {"daysToExpire": int64(90)}, {"daysToExpire": int64(730)}},
	"keyvault-key-rotation":         {{"maximumDaysToRotate": int64(30)}, {"maximumDaysToRotate": int64(90)}, {"maximumDaysToRotate": int64(730)}},
	"keyvault-key-rsa-size":         {{"minimumRSAKeySize": int64(2048)}, {"minimumRSAKeySize": int64(3072)}, {"minimumRSAKeySize": int64(4096)}},
	"keyvault-certificate-rsa-size": {{"minimumRSAKeySize": int64(2048)}, {"minimumRSAKeySize": int64(3072)}, {"minimumRSAKeySize": int64(4096)}},
	"managedhsm-key-rsa-size":       {{"minimumRSAKeySize": int64(3072)}, {"minimumRSAKeySize": int64(4096)}},
	"managedhsm-key-aes-size":       {{"minimumOCTKeySize": int64(192)}, {"minimumOCTKeySize": int64(256)}, {"minimumOCTKeySize": int64(512)}},
	"keyvault-key-type":             {{"allowedKeyTypes": []any{"RSA-HSM", "EC-HSM"}}, {"allowedKeyTypes": []any{"EC"}}},
	"managedhsm-key-type":           {{"allowedKeyTypes": []any{"RSA-HSM"}}},
	"keyvault-certificate-key-type": {{"allowedKeyTypes": []any{"RSA", "RSA-HSM", "EC", "EC-HSM"}}, {"allowedKeyTypes": []any{"EC-HSM"}}},
	"keyvault-key-ec-curve":         {{"allowedECNames": []any{"P-384", "P-521"}}},
	"managedhsm-key-ec-curve":       {{"allowedECNames": []any{"P-256"}}},
	"keyvault-certificate-ec-curve": {{"allowedECNames": []any{"P-256K"}}},
	"keyvault-certificate-validity": {{"maximumValidityInMonths": int64(1)}, {"maximumValidityInMonths": int64(24)}},
	"keyvault-certificate-lifetime-action": {
		{"minimumDaysBeforeExpiry": int64(30), "maximumPercentageLife": int64(80)},
		{"minimumDaysBeforeExpiry": int64(11), "maximumPercentageLife": int64(49)},
	},
	"keyvault-certificate-integrated-ca": {{"allowedCAs": []any{"DigiCert"}}},
	"keyvault-certificate-issuer-cn":     {{"caCommonName": "Contoso Issuing CA"}, {"caCommonName": "Fabrikam"}, {"caCommonName": ""}},
	"keyvault-certificate-issuer-cns":    {{"caCommonNames": []any{"Contoso Issuing CA", "Fabrikam"}}, {"caCommonNames": []any{}}, {"caCommonNames": []any{"Root"}}},
	"keyvault-resource-logs":             {{"requiredRetentionDays": "1"}, {"requiredRetentionDays": "365"}, {"requiredRetentionDays": "366"}},
	"managedhsm-resource-logs":           {{"requiredRetentionDays": "0"}, {"requiredRetentionDays": "365"}},
	"keyvault-diagnostics-log-analytics": {
		{"logAnalytics": "/subscriptions/s/ws/la1"}, {"logAnalytics": "/subscriptions/s/ws/la1", "AllMetricsEnabled": "False"},
	},
	"keyvault-diagnostics-event-hub":   {{"profileName": "kv-audit", "metricsEnabled": "True"}, {"eventHubLocation": "eastus", "logsEnabled": "False"}},
	"managedhsm-diagnostics-event-hub": {{"metricsEnabled": "True"}, {"eventHubLocation": "eastus", "logsEnabled": "False"}},
}

// conformanceDocs are every variant, and the related resources of the
// ifNotExists rules.
func allConformanceDocs() *relatedSet {
	s := &relatedSet{}
	// The six's full cross product is compared in TestSameVerdictsAsMicrosoft;
	// every fifth of it (5 is prime to every dimension's size, so each
	// value of each dimension stays) suffices here.
	for i, d := range vaultVariants() {
		if i%5 == 0 {
			s.docs = append(s.docs, d)
		}
	}
	s.docs = append(s.docs, protectionVariants()...)
	s.docs = append(s.docs, secretVariants()...)
	s.docs = append(s.docs, dateVariants(resource.TypeKey, nil)...)
	s.docs = append(s.docs, dateVariants(resource.TypeHSMKey, nil)...)
	s.docs = append(s.docs, dateVariants(resource.TypeCertificate, nil)...)
	s.docs = append(s.docs, cryptoVariants(resource.TypeKey, false)...)
	s.docs = append(s.docs, cryptoVariants(resource.TypeHSMKey, false)...)
	s.docs = append(s.docs, cryptoVariants(resource.TypeCertificate, true)...)
	s.docs = append(s.docs, certificatePolicyVariants()...)
	s.docs = append(s.docs, rotationVariants()...)
	for _, r := range []*relatedSet{diagnosticVariants(), endpointVariants()} {
		s.docs = append(s.docs, r.docs...)
		s.related = append(s.related, r.related...)
	}
	s.index()
	return s
}

// microsoftDefinition compiles Microsoft's definition from file with the
// given values, adding a placeholder for any other parameter without a
// default (deployment-only values such as a subnet ID), as an assignment
// must.
func microsoftDefinition(t *testing.T, file string, params map[string]any) *policy.Policy {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	def, err := policy.ParseDefinition(data, file)
	if err != nil {
		t.Fatal(err)
	}
	values := map[string]any{}
	for k, v := range params {
		values[k] = v
	}
	for _, p := range def.Parameters {
		if _, given := lookupParam(values, p.Name); given || p.HasDefault {
			continue
		}
		switch strings.ToLower(p.Type) {
		case "array":
			values[p.Name] = []any{"placeholder"}
		default:
			values[p.Name] = "/subscriptions/s/placeholder"
		}
	}
	p, err := policy.Compile(def, values)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return p
}

// ourDefinition compiles kvguard's definition of r with the values it
// declares parameters for.
func ourDefinition(t *testing.T, r *Recommendation, params map[string]any) *policy.Policy {
	t.Helper()
	values := map[string]any{}
	for k, v := range params {
		if _, ok := r.Definition.Parameters[strings.ToLower(k)]; ok {
			values[k] = v
		}
	}
	p, err := policy.Compile(r.Definition, values)
	if err != nil {
		t.Fatalf("%s: %v", r.ID, err)
	}
	return p
}

// microsoftFiles finds the public and Azure Government definitions of a
// built-in.
func microsoftFiles(t *testing.T, guid string) []string {
	t.Helper()
	dir := builtinDir(t)
	var out []string
	for _, sub := range []string{"", "related", "azure-government"} {
		f := filepath.Join(dir, sub, guid+".json")
		if _, err := os.Stat(f); err == nil {
			out = append(out, f)
		}
	}
	return out
}

// TestEveryDefinitionMatchesMicrosoft compares every recommendation's
// definition with Microsoft's built-in, public and Azure Government, on
// every variant document, under the defaults and every parameter set.
func TestEveryDefinitionMatchesMicrosoft(t *testing.T) {
	t.Parallel()
	all, err := All(Options{})
	if err != nil {
		t.Fatal(err)
	}
	set := allConformanceDocs()
	defs, govs, comparisons := 0, 0, 0
	for _, r := range all.Recommendations {
		files := microsoftFiles(t, r.RelatedPolicy.ID)
		if len(files) == 0 {
			t.Errorf("%s: Microsoft's definition %s is missing from %s", r.ID, r.RelatedPolicy.ID, builtinDir(t))
			continue
		}
		defs++
		for _, f := range files {
			if strings.Contains(f, "azure-government") {
				govs++
			}
		}
		sets := paramSets[r.ID]
		if len(r.NeedsParams) == 0 {
			sets = append([]map[string]any{nil}, sets...)
		}
		docs := relevant(set.docs, r)
		counts := map[policy.Outcome]int{}
		for si, params := range sets {
			ours := ourDefinition(t, r, params)
			// Microsoft's gets the same values, including our defaults
			// for the parameters it leaves without one.
			theirParams := map[string]any{}
			for _, p := range r.Definition.Parameters {
				if p.HasDefault && !strings.Contains(strings.ToLower(p.Name), "effect") {
					theirParams[p.Name] = p.Default
				}
			}
			for k, v := range params {
				theirParams[k] = v
			}
			for _, f := range files {
				theirs := microsoftDefinition(t, f, theirParams)
				bad := 0
				for _, d := range docs {
					a := ours.Evaluate(d, set, policy.Options{Now: conformanceNow})
					b := theirs.Evaluate(d, set, policy.Options{Now: conformanceNow})
					comparisons++
					if a.Outcome != b.Outcome {
						if bad++; bad <= 5 {
							body, _ := json.Marshal(d.Body)
							t.Errorf("%s (params %v) vs %s: kvguard %v, Microsoft %v on %s", r.ID, params, f, a.Outcome, b.Outcome, body)
						}
					}
					counts[a.Outcome]++
				}
				if bad > 5 {
					t.Errorf("%s (params %d) vs %s: %d documents differ in all", r.ID, si, f, bad)
				}
			}
		}
		// The variants must exercise every verdict the rule gives.
		for _, o := range []policy.Outcome{policy.Compliant, policy.NonCompliant} {
			if counts[o] == 0 {
				t.Errorf("%s: no variant came out %v: the documents do not exercise the rule", r.ID, o)
			}
		}
	}
	if defs != len(all.Recommendations) {
		t.Errorf("compared %d definitions, want %d", defs, len(all.Recommendations))
	}
	t.Logf("%d definitions (%d with an Azure Government variant) × %d variant documents: %d comparisons", defs, govs, len(set.docs), comparisons)
}

// relevant keeps the documents of the types r judges (its component,
// its target, and their related resources' parents), and every 50th of
// the others: on those both definitions must say NotApplicable, which a
// sample shows as well as all.
func relevant(docs []*resource.Document, r *Recommendation) []*resource.Document {
	var out []*resource.Document
	for i, d := range docs {
		if d.IsType(r.Target) || (r.Component != "" && d.IsType(r.Component)) || i%50 == 0 {
			out = append(out, d)
		}
	}
	return out
}

// TestVariantsCoverEveryAlias checks that the variant documents set
// every alias each definition reads, so that no condition goes
// untested.
func TestVariantsCoverEveryAlias(t *testing.T) {
	t.Parallel()
	all, err := All(Options{})
	if err != nil {
		t.Fatal(err)
	}
	set := allConformanceDocs()
	seen := map[string]bool{}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				p := prefix + strings.ToLower(k)
				if prefix != "" && !strings.HasSuffix(prefix, "/") {
					p = prefix + "." + strings.ToLower(k)
				}
				seen[p] = true
				walk(p, e)
			}
		case []any:
			for _, e := range x {
				walk(prefix+"[*]", e)
			}
		}
	}
	for _, d := range append(set.docs, set.related...) {
		walk(strings.ToLower(d.Type)+"/", d.Body)
	}
	var missing []string
	for _, r := range all.Recommendations {
		for _, f := range r.ReasonFields {
			typ, prop := f[:strings.LastIndexByte(f, '/')], f[strings.LastIndexByte(f, '/')+1:]
			if strings.Contains(prop, "privateLinkServiceConnectionState") {
				continue // read through an alias path with a hidden properties level
			}
			key := strings.ToLower(typ) + "/"
			if !strings.Contains(strings.ToLower(typ), ".data/") {
				key += "properties."
			}
			key += strings.ToLower(strings.ReplaceAll(strings.ReplaceAll(prop, "logs.", "logs[*]."), "metrics.", "metrics[*]."))
			key = strings.ReplaceAll(key, "lifetimeaction.", "lifetimeactions[*].")
			if !seen[key] {
				missing = append(missing, r.ID+": "+f)
			}
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("no variant sets these aliases:\n%s", strings.Join(missing, "\n"))
	}
}
