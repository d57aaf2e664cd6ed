// Package reporttest builds the results the report writers are tested
// and benchmarked on, and compares their output with golden files. It is
// imported only by tests of internal/report/...; like the writers it reads
// the result model and never imports an input package (a test passes its
// reader in, see Scan).
package reporttest

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	goldenfile "github.com/kvguard/kvguard/internal/testsupport/golden"

	"github.com/kvguard/kvguard/internal/assess"
	"github.com/kvguard/kvguard/internal/catalog"
	"github.com/kvguard/kvguard/internal/resource"
)

// Now is the instant every test result is judged at, so that generatedAt
// and suppression expiry are the same on every run.
var Now = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

// ToolVersion is the version tests give the writers in place of the
// build's own.
const ToolVersion = "1.2.3"

// ReadFunc is an input reader's Read method (the contract in
// docs/architecture.md), passed in so that this package imports no input.
type ReadFunc func(ctx context.Context, path string, emit func(*resource.Document)) error

// Catalog returns the Defender catalog or fails the test.
func Catalog(tb testing.TB) *catalog.Catalog {
	tb.Helper()
	cat, err := catalog.Defender(catalog.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	return cat
}

// Scan reads paths with read and judges what it emits, through the same
// assessor the CLI uses; input errors become part of the result.
func Scan(tb testing.TB, read ReadFunc, paths ...string) *assess.Result {
	tb.Helper()
	a := assess.New(Catalog(tb), assess.Options{Now: Now, Workers: 2})
	for _, p := range paths {
		a.AddError(read(context.Background(), p, a.Add))
	}
	return a.Finish(context.Background())
}

// Judge runs the assessor on documents and input errors.
func Judge(tb testing.TB, docs []*resource.Document, errs ...error) *assess.Result {
	tb.Helper()
	return JudgeWith(tb, Catalog(tb), docs, errs...)
}

// Framework judges documents against a framework's catalog (--framework),
// so that the result has a compliance view.
func Framework(tb testing.TB, id string, docs []*resource.Document) *assess.Result {
	tb.Helper()
	cat, err := catalog.Build(catalog.BuildOptions{Framework: id})
	if err != nil {
		tb.Fatal(err)
	}
	return JudgeWith(tb, cat, docs)
}

// JudgeWith runs the assessor with a given catalog.
func JudgeWith(tb testing.TB, cat *catalog.Catalog, docs []*resource.Document, errs ...error) *assess.Result {
	tb.Helper()
	a := assess.New(cat, assess.Options{Now: Now, Workers: 2})
	for _, d := range docs {
		a.Add(d)
	}
	for _, e := range errs {
		a.AddError(e)
	}
	return a.Finish(context.Background())
}

// Case is one synthetic result, named for its golden file.
type Case struct {
	Name   string
	Result func(tb testing.TB) *assess.Result
}

// Cases are the synthetic results every writer is tested on. Together
// they cover every status, placeholder vaults, active and expired
// suppressions on resources and components, components with and without a
// place in code, unknown values, unreadable parts, live resources without
// a file, and input errors and warnings.
func Cases() []Case {
	return []Case{
		{"empty", func(tb testing.TB) *assess.Result { return Judge(tb, nil) }},
		{"statuses", func(tb testing.TB) *assess.Result { return Judge(tb, Estate(0)) }},
		{"live-azure", func(tb testing.TB) *assess.Result { return Judge(tb, Live()) }},
		{"input-errors", func(tb testing.TB) *assess.Result { return Judge(tb, Estate(0)[:1], InputErrors()...) }},
		{"constructed", Constructed},
		{"deployments", func(tb testing.TB) *assess.Result { return Judge(tb, Deployments()) }},
		{"framework", func(tb testing.TB) *assess.Result {
			return Framework(tb, "cis-azure-2.0.0", append(Estate(0), Deployments()...))
		}},
		{"assignments", Assignments},
	}
}

// Assignments is a result with the verdicts of a tenant's own policy
// assignments (--assignments): a Deny refusal judged on the request, a
// DoNotEnforce Deny, an initiative member exempt by a Waiver, an expired
// exemption and an Audit verdict on the stored resource.
func Assignments(tb testing.TB) *assess.Result {
	tb.Helper()
	res := Judge(tb, Estate(0)[:2])
	const scope = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-app"
	src := tf("infra/main.tf", 10, 24, "azurerm_key_vault.main")
	kv := assess.Resource{ID: VaultID("kv-main"), Name: "kv-main", Type: resource.TypeVault, Source: src, Deployment: "infra"}
	asg := func(name string) string {
		return scope + "/providers/Microsoft.Authorization/policyAssignments/" + name
	}
	def := func(name string) string {
		return "/subscriptions/00000000-0000-0000-0000-000000000001/providers/Microsoft.Authorization/policyDefinitions/" + name
	}
	set := "/subscriptions/00000000-0000-0000-0000-000000000001/providers/Microsoft.Authorization/policySetDefinitions/kv-baseline"
	missing := []assess.Detail{{Field: "Microsoft.KeyVault/vaults/enableSoftDelete", Path: "properties.enableSoftDelete", Operator: "exists",
		Code: "Current value must exist.", Expected: true, Actual: nil}}
	res.AddAssignmentVerdicts(scope, 3, []*assess.AssignmentVerdict{
		{Resource: kv, AssignmentID: asg("deny-soft-delete"), AssignmentName: "Deny vaults without soft delete", DefinitionID: def("kv-soft-delete"),
			DefinitionName: "Key vaults must have soft delete", Effect: "Deny", Enforced: true, View: assess.RequestView, Outcome: assess.Refused,
			Reason:  "Azure Policy would refuse the deployment: assignment \"Deny vaults without soft delete\" denies it by policy \"Key vaults must have soft delete\", judging the request",
			Details: missing, Exemption: &assess.PolicyExemption{ID: scope + "/providers/Microsoft.Authorization/policyExemptions/old", Name: "old", Category: "Waiver",
				Expires: time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC), Expired: true}},
		{Resource: kv, AssignmentID: asg("kv-baseline"), AssignmentName: "Key Vault baseline", DefinitionID: def("kv-no-public-access"),
			DefinitionName: "Key vaults must disable public network access", SetDefinitionID: set, ReferenceID: "publicAccess", Effect: "Deny",
			Enforced: true, View: assess.RequestView, Outcome: assess.PolicyExempt, Reason: "exempt (Waiver, exemption pna)",
			Exemption: &assess.PolicyExemption{ID: scope + "/providers/Microsoft.Authorization/policyExemptions/pna", Name: "pna", Category: "Waiver"},
			RequestChanges: []assess.RequestChange{{AssignmentID: asg("set-firewall"), AssignmentName: "Set vault firewall", Effect: "Modify",
				Operation: "addOrReplace", Field: "Microsoft.KeyVault/vaults/networkAcls.defaultAction", Path: "properties.networkAcls.defaultAction",
				Before: "Allow", After: "Deny"}}},
		{Resource: kv, AssignmentID: asg("trial"), AssignmentName: "Trial: purge protection", DefinitionID: def("kv-purge"),
			DefinitionName: "Key vaults must have purge protection", Effect: "Deny", View: assess.RequestView, Outcome: assess.PolicyNonCompliant,
			Reason: "assignment \"Trial: purge protection\" is in DoNotEnforce mode: Azure would not refuse the deployment"},
		{Resource: kv, AssignmentID: asg("audit-soft-delete"), AssignmentName: "Audit soft delete", DefinitionID: def("kv-soft-delete"),
			DefinitionName: "Key vaults must have soft delete", Effect: "Audit", Enforced: true, View: assess.StoredView, Outcome: assess.PolicyCompliant,
			Reason: "meets policy \"Key vaults must have soft delete\""},
	})
	return res
}

// Constructed is a result built by hand for what the assessor rarely or
// never gives from the Defender catalog: a custom recommendation of Low
// severity without remediation text, components whose verdict is Unknown,
// a data-plane exemption made of component exemptions (one expired),
// files without line numbers, standard input, names and reasons with
// quotes, markup, control characters, invalid UTF-8 and non-ASCII, and a
// file name with spaces.
func Constructed(tb testing.TB) *assess.Result {
	tb.Helper()
	keyExpiry, rbac := defenderRecommendation(tb, "keyvault-key-expiry"), defenderRecommendation(tb, "keyvault-rbac")
	custom := &assess.Recommendation{ID: "custom-owner-tag", Title: "Key Vault objects should carry an owner tag", Severity: assess.Low,
		Type: "Custom policy", Custom: true, Component: "*", Description: "Secrets and keys name their owner in a tag.",
		RelatedPolicy: assess.RelatedPolicy{ID: "custom-owner-tag", DisplayName: "Objects carry an owner tag", Version: "1.0.0"}}
	odd := assess.Resource{ID: VaultID("kv-odd"), Name: "kv-\"odd\" <b>&amp;</b> ключ", Type: resource.TypeVault,
		Source: resource.Provenance{Kind: "terraform", File: "infra/my vault/ключ.tf", StartLine: 3, EndLine: 2, Address: `azurerm_key_vault.this["odd"]`}}
	noLines := assess.Resource{ID: VaultID("kv-export"), Name: "kv-export", Type: resource.TypeVault,
		Source: resource.Provenance{Kind: "azure-json", File: "saved/export.json"}}
	stdin := assess.Resource{ID: VaultID("kv-stdin"), Name: "kv-stdin", Type: resource.TypeVault,
		Source: resource.Provenance{Kind: "azure-json", File: "<stdin>", StartLine: 4, EndLine: 40}}
	src := func(file string, line int, address string) *resource.Provenance {
		return &resource.Provenance{Kind: "terraform", File: file, StartLine: line, EndLine: line + 5, Address: address}
	}
	until := time.Date(2027, 1, 31, 23, 59, 59, 0, time.UTC)
	as := []*assess.Assessment{
		{Recommendation: rbac, Resource: odd, Status: assess.Unhealthy,
			Reason: "line one\nline two\ttab \u2028 separator, invalid \xff byte, <script>alert(1)</script>",
			Details: []assess.Detail{{Field: "Microsoft.KeyVault/vaults/enableRbacAuthorization", Path: "properties.enableRbacAuthorization", Operator: "not equals",
				Code: "Current value must not be equal to the target value.", Expected: "true", Actual: false}}},
		{Recommendation: rbac, Resource: noLines, Status: assess.Unhealthy, Reason: "the vault grants data access through access policies, not Azure RBAC"},
		{Recommendation: rbac, Resource: stdin, Status: assess.Unknown, Reason: "the resource's properties could not be read: not in the export"},
		{Recommendation: keyExpiry, Resource: odd, Status: assess.Unknown, Reason: "1 of 2 keys could not be judged: signing (the policy could not be evaluated: bad alias)",
			Components: []assess.Component{
				{ID: odd.ID + "/keys/encryption", Name: "encryption", Type: resource.TypeKey, Status: assess.Healthy, Source: src("infra/my vault/keys.tf", 1, "azurerm_key_vault_key.encryption")},
				{ID: odd.ID + "/keys/signing", Name: "signing", Type: resource.TypeKey, Status: assess.Unknown, Reason: "the policy could not be evaluated: bad alias", Source: src("infra/my vault/keys.tf", 9, "azurerm_key_vault_key.signing")},
			}},
		{Recommendation: custom, Resource: noLines, Status: assess.Exempt, Reason: "every component with a finding is suppressed (2)",
			Components: []assess.Component{
				{ID: noLines.ID + "/secrets/a", Name: "a", Type: resource.TypeSecret, Status: assess.Exempt, Reason: "suppressed by kvguard:ignore at saved/export.json:12: owned by the platform team",
					Exemption: &assess.Exemption{Reason: "owned by the platform team", Source: resource.Position{File: "saved/export.json", Line: 12}}},
				{ID: noLines.ID + "/keys/b", Name: "b", Type: resource.TypeKey, Status: assess.Exempt, Reason: "suppressed by kvguard:ignore at saved/export.json:30 (until 2027-01-31)",
					Exemption: &assess.Exemption{Expires: until, Source: resource.Position{File: "saved/export.json", Line: 30}}},
			}},
		{Recommendation: keyExpiry, Resource: noLines, Status: assess.Unhealthy, Reason: "1 of 1 key has no expiration date: c",
			Components: []assess.Component{
				{ID: noLines.ID + "/keys/c", Name: "c", Type: resource.TypeKey, Status: assess.Unhealthy, Reason: "has no expiration date (a kvguard:ignore at saved/export.json:40 expired on 2026-01-31)",
					Exemption: &assess.Exemption{Reason: "temporary", Expires: time.Date(2026, 1, 31, 23, 59, 59, 0, time.UTC), Expired: true, Source: resource.Position{File: "saved/export.json", Line: 40}}},
			}},
		{Recommendation: custom, Resource: stdin, Status: assess.NotApplicable, Reason: "no components in the input", Components: []assess.Component{}},
	}
	recs := []*assess.Recommendation{rbac, keyExpiry, custom}
	// In the assessor's order: by recommendation, then by resource ID.
	sort.SliceStable(as, func(i, j int) bool {
		ri, rj := slices.Index(recs, as[i].Recommendation), slices.Index(recs, as[j].Recommendation)
		if ri != rj {
			return ri < rj
		}
		return strings.ToLower(as[i].Resource.ID) < strings.ToLower(as[j].Resource.ID)
	})
	res := &assess.Result{SchemaVersion: assess.SchemaVersion, GeneratedAt: Now, Recommendations: recs,
		Assessments: as, EnabledOnly: true,
		Errors: []*resource.InputError{{Pos: resource.Position{File: "infra/my vault/ключ.tf", Line: 1, Col: 1}, Msg: "a \"quoted\" message", Warning: true}}}
	res.Summary = Summarise(res)
	res.Summary.Inventory = assess.Inventory{Found: 3, Judged: 2, Unreadable: 1, Components: map[string]int{resource.TypeKey: 4, resource.TypeSecret: 1}}
	return res
}

// defenderRecommendation is the result model's view of one of the
// Defender recommendations, as the assessor gives it.
func defenderRecommendation(tb testing.TB, id string) *assess.Recommendation {
	tb.Helper()
	for _, r := range Judge(tb, nil).Recommendations {
		if r.ID == id {
			return r
		}
	}
	tb.Fatalf("no recommendation %s", id)
	return nil
}

// Summarise counts a result's statuses per recommendation, as the
// assessor does, for results built by hand.
func Summarise(r *assess.Result) assess.Summary {
	s := assess.Summary{ByRecommendation: map[string]map[assess.Status]int{}, Inventory: r.Summary.Inventory}
	for _, rec := range r.Recommendations {
		s.ByRecommendation[rec.ID] = map[assess.Status]int{}
	}
	for a := range r.All() {
		s.ByRecommendation[a.Recommendation.ID][a.Status]++
	}
	return s
}

const sub = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-app/providers/"

// VaultID is the resource ID of a vault in the synthetic estate.
func VaultID(name string) string { return sub + "Microsoft.KeyVault/vaults/" + name }

func vault(name string, src resource.Provenance, props map[string]any) *resource.Document {
	id := VaultID(name)
	return &resource.Document{ID: id, Type: resource.TypeVault, Name: name, Source: src,
		Body: map[string]any{"id": id, "name": name, "type": resource.TypeVault, "location": "westeurope", "properties": props}}
}

// healthy is a vault body that passes every control-plane recommendation.
func healthy(name string) map[string]any {
	return map[string]any{
		"tenantId": "22222222-2222-2222-2222-222222222222", "sku": map[string]any{"family": "A", "name": "standard"},
		"enableRbacAuthorization": true, "enableSoftDelete": true, "softDeleteRetentionInDays": int64(90),
		"enablePurgeProtection": true, "publicNetworkAccess": "Disabled",
		"networkAcls": map[string]any{"bypass": "AzureServices", "defaultAction": "Deny"},
		"vaultUri":    "https://" + name + ".vault.azure.net/",
		"privateEndpointConnections": []any{map[string]any{"id": VaultID(name) + "/privateEndpointConnections/pe", "properties": map[string]any{
			"privateEndpoint":                   map[string]any{"id": sub + "Microsoft.Network/privateEndpoints/pe-" + name},
			"privateLinkServiceConnectionState": map[string]any{"status": "Approved"}}}},
	}
}

func component(typ, kind string, parent resource.Ref, name string, expires any, src *resource.Provenance) *resource.Document {
	id := parent.ID + "/" + kind + "/" + name
	if parent.ID == "" {
		id = "https://" + parent.Host + "/" + kind + "/" + name
	}
	doc := resource.NewComponent(typ, parent, id, name, resource.ObjectAttributes{Enabled: true, Expires: expires, Created: "2025-01-01T00:00:00Z"}, nil)
	if src != nil {
		doc.Source = *src
	}
	return doc
}

func tf(file string, start, end int, address string) resource.Provenance {
	return resource.Provenance{Kind: "terraform", File: file, StartLine: start, EndLine: end, Address: address}
}

// Estate is a small Terraform and Bicep estate with a finding of every
// kind; shift moves every line number, to show what does not depend on
// lines (fingerprints).
func Estate(shift int) []*resource.Document {
	at := func(file string, start, end int, address string) resource.Provenance {
		return tf(file, start+shift, end+shift, address)
	}
	ptr := func(p resource.Provenance) *resource.Provenance { return &p }
	good := vault("kv-good", at("infra/main.tf", 1, 24, "azurerm_key_vault.good"), healthy("kv-good"))

	badProps := map[string]any{"enableRbacAuthorization": false, "enableSoftDelete": true, "enablePurgeProtection": false,
		"publicNetworkAccess": "Enabled", "vaultUri": "https://kv-bad.vault.azure.net/"}
	bad := vault("kv-bad", at("infra/main.tf", 26, 40, "azurerm_key_vault.bad"), badProps)
	// An active suppression with an expiry date, and one that has expired.
	bad.Suppressions = []resource.Suppression{
		{RuleID: "keyvault-firewall", Reason: "reached only from the build agents' fixed IPs", Expires: time.Date(2027, 3, 31, 23, 59, 59, 0, time.UTC), Pos: resource.Position{File: "infra/main.tf", Line: 25 + shift}},
		{RuleID: "keyvault-private-link", Reason: "scratch vault", Expires: time.Date(2026, 1, 31, 23, 59, 59, 0, time.UTC), Pos: resource.Position{File: "infra/main.tf", Line: 24 + shift}},
	}

	unknownProps := healthy("kv-bicep")
	unknownProps["enableRbacAuthorization"] = resource.Unknown{Expr: "rbacEnabled"}
	bicep := vault("kv-bicep", resource.Provenance{Kind: "bicep", File: "bicep/main.bicep", StartLine: 10 + shift, EndLine: 30 + shift, Address: "kv", APIVersion: "2024-11-01"}, unknownProps)

	goodRef := resource.Ref{ID: good.ID}
	badRef := resource.Ref{ID: bad.ID}
	ghost := resource.Ref{ID: VaultID("kv-ghost")}
	dbPassword := component(resource.TypeSecret, "secrets", badRef, "db-password", nil, ptr(at("infra/secrets.tf", 1, 6, "azurerm_key_vault_secret.db_password")))
	apiKey := component(resource.TypeSecret, "secrets", badRef, "api-key", nil, ptr(at("infra/secrets.tf", 8, 14, "azurerm_key_vault_secret.api_key")))
	apiKey.Suppressions = []resource.Suppression{{RuleID: "keyvault-secret-expiry", Reason: "rotated by the payment provider", Pos: resource.Position{File: "infra/secrets.tf", Line: 7 + shift}}}
	return []*resource.Document{
		good, bad, bicep,
		component(resource.TypeSecret, "secrets", goodRef, "tls-password", "2027-06-30T00:00:00Z", ptr(at("infra/secrets.tf", 16, 22, "azurerm_key_vault_secret.tls_password"))),
		dbPassword, apiKey,
		component(resource.TypeKey, "keys", badRef, "cmk", resource.Unknown{Expr: "timeadd(timestamp(), \"8760h\")"}, ptr(at("infra/keys.tf", 1, 12, "azurerm_key_vault_key.cmk"))),
		// Every secret of a vault suppressed: the vault is Exempt.
		suppressed(component(resource.TypeSecret, "secrets", resource.Ref{ID: bicep.ID}, "legacy-token", nil,
			&resource.Provenance{Kind: "bicep", File: "bicep/main.bicep", StartLine: 33 + shift, EndLine: 38 + shift, Address: "legacyToken"})),
		// A vault named only by its secret: a placeholder.
		component(resource.TypeSecret, "secrets", ghost, "orphan", nil, ptr(at("infra/orphan.tf", 1, 5, "azurerm_key_vault_secret.orphan"))),
	}
}

// Deployments is one Terraform module shared by two root modules (each
// calling source = "../../"): its vault comes out twice with the same ID,
// name, file, lines and address, told apart only by its deployment; one
// root gives it a secret without expiry. Beside them, a root module's own
// vault (whose deployment is its directory) and a managed HSM.
func Deployments() []*resource.Document {
	shared := func(dep string) *resource.Document {
		v := vault("kv-shared", tf("modules/kv/main.tf", 1, 20, "module.kv.azurerm_key_vault.this"), map[string]any{"enableRbacAuthorization": dep == "envs/prod"})
		v.ID = "terraform:module.kv.azurerm_key_vault.this"
		v.Deployment = dep
		return v
	}
	dev, prod := shared("envs/dev"), shared("envs/prod")
	secret := component(resource.TypeSecret, "secrets", resource.Ref{ID: dev.ID}, "db", nil, &resource.Provenance{Kind: "terraform", File: "modules/kv/main.tf", StartLine: 22, EndLine: 26, Address: "module.kv.azurerm_key_vault_secret.db"})
	secret.Deployment = "envs/dev"
	own := vault("kv-own", tf("envs/prod/main.tf", 30, 40, "azurerm_key_vault.own"), healthy("kv-own"))
	own.Deployment = "envs/prod"
	hsmID := sub + "Microsoft.KeyVault/managedHSMs/hsm-one"
	hsm := &resource.Document{ID: hsmID, Type: resource.TypeManagedHSM, Name: "hsm-one", Source: resource.Provenance{Kind: "azure-json", File: "saved/hsm.json", StartLine: 1, EndLine: 12},
		Body: map[string]any{"id": hsmID, "name": "hsm-one", "type": resource.TypeManagedHSM, "location": "westeurope", "properties": map[string]any{"enableSoftDelete": true}}}
	return []*resource.Document{prod, dev, secret, own, hsm}
}

// suppressed gives a component a kvguard:ignore on the line above it.
func suppressed(doc *resource.Document) *resource.Document {
	doc.Suppressions = []resource.Suppression{{RuleID: "keyvault-secret-expiry", Reason: "read-only archive", Pos: resource.Position{File: doc.Source.File, Line: doc.Source.StartLine - 1}}}
	return doc
}

// Live is what a live Azure scan gives: resources without a file, one
// with its secrets unreadable, one whose properties could not be read,
// and secrets known only by their vault's host name.
func Live() []*resource.Document {
	readAt := time.Date(2026, 11, 26, 11, 59, 0, 0, time.UTC)
	live := resource.Provenance{Kind: "azure", APIVersion: "2024-11-01", ReadAt: readAt}
	props := healthy("kv-live")
	props["publicNetworkAccess"] = "Enabled"
	props["networkAcls"] = map[string]any{"bypass": "AzureServices", "defaultAction": "Allow"}
	v := vault("kv-live", live, props)
	v.Gaps = []resource.Gap{{Part: resource.TypeSecret, Err: "403 Forbidden: the caller has no secrets/list permission"}}
	locked := vault("kv-locked", live, nil)
	locked.Gaps = []resource.Gap{{Part: "properties", Err: "403 Forbidden"}}
	host := resource.Ref{Host: "kv-other.vault.azure.net"}
	return []*resource.Document{
		v, locked,
		component(resource.TypeKey, "keys", resource.Ref{ID: v.ID}, "cmk", nil, nil),
		component(resource.TypeSecret, "secrets", host, "conn-string", nil, nil),
	}
}

// InputErrors are problems of every shape: positioned errors and
// warnings, one naming only a resource, and one with no place at all.
func InputErrors() []error {
	return []error{
		errors.Join(
			resource.Errorf(resource.Position{File: "infra/broken.tf", Line: 3, Col: 17}, "unexpected %q", "}"),
			resource.Warnf(resource.Position{File: "infra/main.tf", Line: 2}, "module %q from the registry is not followed", "app"),
		),
		&resource.InputError{ResourceID: VaultID("kv-denied"), Msg: "403 Forbidden: reading the vault's keys"},
		errors.New("standard input is empty"),
	}
}

// Large builds a result of vaults judged on every recommendation, with
// components spread over them (60% secrets, 40% keys), directly rather
// than through the assessor, for benchmarks. Half the vaults come from
// Terraform (with a place in code for each component), half from live
// Azure; a third of the components fail.
func Large(tb testing.TB, vaults, components int) *assess.Result {
	tb.Helper()
	cat := Catalog(tb)
	views := Judge(tb, nil).Recommendations // the result model's view of cat's recommendations, in order
	res := &assess.Result{SchemaVersion: assess.SchemaVersion, GeneratedAt: Now, Recommendations: views,
		Summary: assess.Summary{ByRecommendation: map[string]map[assess.Status]int{}}}
	for _, r := range cat.Recommendations {
		res.Summary.ByRecommendation[r.ID] = map[assess.Status]int{}
	}
	per := components / vaults
	statuses := []assess.Status{assess.Healthy, assess.Unhealthy, assess.Healthy, assess.Unknown, assess.Healthy, assess.Unhealthy}
	for v := range vaults {
		name := "kv-" + itoa(v)
		src := resource.Provenance{Kind: "azure", APIVersion: "2024-11-01", ReadAt: Now}
		file := ""
		if v%2 == 0 {
			file = "infra/vault-" + itoa(v) + ".tf"
			src = tf(file, 1, 30, "azurerm_key_vault.kv_"+itoa(v))
		}
		r := assess.Resource{ID: VaultID(name), Name: name, Type: resource.TypeVault, Source: src}
		for i, rec := range cat.Recommendations {
			a := &assess.Assessment{Recommendation: views[i], Resource: r, Status: statuses[(v+i)%len(statuses)], Reason: "the vault " + name + " " + rec.UnhealthyText}
			if rec.Component != "" {
				n := per * 6 / 10
				typ, kind := resource.TypeSecret, "secrets"
				if rec.Component == resource.TypeKey {
					n, typ, kind = per-n, resource.TypeKey, "keys"
				}
				a.Components = make([]assess.Component, n)
				for c := range n {
					cname := kind[:len(kind)-1] + "-" + itoa(c)
					comp := assess.Component{ID: r.ID + "/" + kind + "/" + cname, Name: cname, Type: typ, Status: assess.Healthy}
					if c%3 == 0 {
						comp.Status, comp.Reason = assess.Unhealthy, rec.ComponentUnhealthyText
					}
					if file != "" {
						s := tf(file, 40+c*8, 46+c*8, "azurerm_key_vault_"+kind[:len(kind)-1]+"."+cname)
						comp.Source = &s
					}
					a.Components[c] = comp
				}
				res.Summary.Inventory.Components = addCount(res.Summary.Inventory.Components, typ, n)
			}
			res.Assessments = append(res.Assessments, a)
			res.Summary.ByRecommendation[rec.ID][a.Status]++
		}
		res.Summary.Inventory.Found++
		res.Summary.Inventory.Judged++
	}
	return res
}

func addCount(m map[string]int, k string, n int) map[string]int {
	if m == nil {
		m = map[string]int{}
	}
	m[k] += n
	return m
}

func itoa(n int) string { return strconv.Itoa(n) }

// Golden compares got with testdata/<top-level test name>/<name>.golden, or writes
// the file when update is set (go test ./internal/report/... -update).
func Golden(t *testing.T, name string, got []byte) {
	t.Helper()
	test, _, _ := strings.Cut(t.Name(), "/")
	goldenfile.Check(t, filepath.Join("testdata", test, name+".golden"), got)
}
