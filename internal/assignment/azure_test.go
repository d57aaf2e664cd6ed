package assignment

import (
	"encoding/json"
	"errors"
	"os"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/google/go-cmp/cmp"

	"github.com/kvguard/kvguard/internal/azuresim"
)

// policyObjects are the simulator's policy objects: the shared
// definitions and initiative, a built-in definition, and assignments and
// exemptions at several scopes, in ARM's form.
func policyObjects(t *testing.T) []map[string]any {
	t.Helper()
	data, err := os.ReadFile("testdata/tenant.json")
	if err != nil {
		t.Fatal(err)
	}
	var snap struct {
		Definitions    []map[string]any `json:"definitions"`
		SetDefinitions []map[string]any `json:"setDefinitions"`
	}
	if err := json.Unmarshal(data, &snap); err != nil {
		t.Fatal(err)
	}
	builtIn := map[string]any{}
	if err := json.Unmarshal([]byte(`{"id": "/providers/Microsoft.Authorization/policyDefinitions/purge-builtin", "name": "purge-builtin",
		"type": "Microsoft.Authorization/policyDefinitions", "properties": {"displayName": "Purge protection", "mode": "Indexed", "policyType": "BuiltIn",
		"policyRule": {"if": {"allOf": [{"field": "type", "equals": "Microsoft.KeyVault/vaults"},
			{"field": "Microsoft.KeyVault/vaults/enablePurgeProtection", "notEquals": true}]}, "then": {"effect": "audit"}}}}`), &builtIn); err != nil {
		t.Fatal(err)
	}
	objs := append(append(snap.Definitions, snap.SetDefinitions...), builtIn)
	raw := []string{
		assignmentJSON("deny-sd", mgID, defPrefix+"kv-soft-delete", `"parameters": {"effect": {"value": "Deny"}}`),
		assignmentJSON("baseline", rgID, setID, `"parameters": {"publicAccessEffect": {"value": "Deny"}}`),
		assignmentJSON("purge", subID, "/providers/Microsoft.Authorization/policyDefinitions/purge-builtin", ""),
		assignmentJSON("elsewhere", otherRG, defPrefix+"kv-soft-delete", `"parameters": {"effect": {"value": "Deny"}}`),
		exemptionJSON("pna", rgID, rgID+"/providers/Microsoft.Authorization/policyAssignments/baseline",
			`"exemptionCategory": "Mitigated", "policyDefinitionReferenceIds": ["publicAccess"]`),
	}
	for _, r := range raw {
		// az's flattened form → ARM's: the simulator serves ARM bodies.
		var flat map[string]any
		if err := json.Unmarshal([]byte(r), &flat); err != nil {
			t.Fatal(err)
		}
		body := map[string]any{"properties": map[string]any{}}
		for k, v := range flat {
			switch k {
			case "id", "name", "type":
				body[k] = v
			default:
				body["properties"].(map[string]any)[k] = v
			}
		}
		objs = append(objs, body)
	}
	return objs
}

// TestFetchFromAzure reads the tenant's policy through the real Azure SDK
// (armpolicy) from the simulator over TLS on loopback, and judges with it:
// the assignment at the management group above the subscription and the
// one at the target resource group apply, the one at another resource
// group is not listed, the exemption covers one initiative member, and the
// built-in definition is read from the tenant root.
func TestFetchFromAzure(t *testing.T) {
	t.Parallel()
	e := &azuresim.Estate{
		TenantID:         "33333333-3333-3333-3333-333333333333",
		Subscriptions:    []*azuresim.Subscription{{ID: sub, DisplayName: "app"}},
		ManagementGroups: []azuresim.ManagementGroup{{Name: "mg-corp", Subscriptions: []string{sub}}},
		Policy:           policyObjects(t),
	}
	sim, err := azuresim.New(e, azuresim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	tenantID, id, secret := sim.Credentials()
	cred, err := azidentity.NewClientSecretCredential(tenantID, id, secret, &azidentity.ClientSecretCredentialOptions{
		ClientOptions: azcore.ClientOptions{Cloud: sim.Cloud(), Transport: sim.Client()}, DisableInstanceDiscovery: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	opts := &arm.ClientOptions{ClientOptions: policy.ClientOptions{Cloud: sim.Cloud(), Transport: sim.Client()}, DisableRPRegistration: true}
	scope, err := ParseScope(rgID)
	if err != nil {
		t.Fatal(err)
	}
	set, err := Fetch(t.Context(), scope, cred, opts)
	if err != nil {
		t.Fatalf("fetch: %v", err)
	}
	if diff := cmp.Diff([]string{"mg-corp"}, set.Ancestry); diff != "" {
		t.Errorf("ancestry (-want +got):\n%s", diff)
	}
	got, errs := verdicts(t, set, rgID, plannedVault("kv3", "westeurope", map[string]any{"enableSoftDelete": true, "publicNetworkAccess": "Enabled"}, "properties.enableSoftDelete"))
	if len(errs) > 0 {
		t.Fatal(errors.Join(errs...))
	}
	want := []string{ // by assignment ID: the management group's first
		"kv3 Refused deny-sd/ Deny request",
		"kv3 NonCompliant purge/ Audit stored",
		"kv3 Exempt baseline/publicAccess Deny request exemption=pna expired=false",
		"kv3 Compliant baseline/softDelete Audit stored",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("verdicts (-want +got):\n%s", diff)
	}
}
