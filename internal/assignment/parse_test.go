package assignment

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kvguard/kvguard/internal/resource"
	"github.com/kvguard/kvguard/internal/testsupport"
)

func TestParseForms(t *testing.T) {
	t.Parallel()
	read := func(name string) []byte {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	t.Run("az assignment list, flattened", func(t *testing.T) {
		t.Parallel()
		set, err := Parse(read("az-assignments.json"), "az-assignments.json")
		if err != nil {
			t.Fatal(err)
		}
		want := []*Assignment{{
			ID:          subID + "/providers/Microsoft.Authorization/policyAssignments/deny-sd",
			Name:        "deny-sd",
			DisplayName: "Deny key vaults without soft delete", Scope: subID,
			PolicyDefinitionID: defPrefix + "kv-soft-delete",
			NotScopes:          []string{subID + "/resourceGroups/rg-sandbox"},
			Parameters:         map[string]any{"effect": "Deny"}, EnforcementMode: "Default",
			Pos: resource.Position{File: "az-assignments.json", Line: 2, Col: 3},
		}}
		if diff := cmp.Diff(want, set.Assignments); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
	t.Run("ARM list body with properties", func(t *testing.T) {
		t.Parallel()
		set, err := Parse(read("arm-exemptions.json"), "x.json")
		if err != nil {
			t.Fatal(err)
		}
		if len(set.Exemptions) != 1 {
			t.Fatalf("exemptions: %d", len(set.Exemptions))
		}
		x := set.Exemptions[0]
		if x.Scope != rgID || x.Category != "Waiver" || !x.ExpiresOn.Equal(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)) ||
			!strings.HasSuffix(x.AssignmentID, "/deny-sd") || len(x.ReferenceIDs) != 0 {
			t.Errorf("exemption: %+v", x)
		}
	})
	t.Run("snapshot", func(t *testing.T) {
		t.Parallel()
		set, err := Parse(read("tenant.json"), "tenant.json")
		if err != nil {
			t.Fatal(err)
		}
		if len(set.Definitions) != 2 || len(set.SetDefinitions) != 1 || set.Ancestry != nil {
			t.Fatalf("definitions %d, set definitions %d, ancestry %v", len(set.Definitions), len(set.SetDefinitions), set.Ancestry)
		}
		s := set.SetDefinitions[resource.Key(setID)]
		if len(s.Members) != 2 || s.Members[0].ReferenceID != "softDelete" || s.Members[0].Parameters["effect"] != "[parameters('softDeleteEffect')]" ||
			!s.Parameters["softdeleteeffect"].HasDefault {
			t.Errorf("set definition: %+v", s)
		}
	})
	t.Run("bad input: every problem with its position, the rest read", func(t *testing.T) {
		t.Parallel()
		set, err := Parse(read("bad.json"), "bad.json")
		var msgs []string
		for _, e := range flatten(err) {
			msgs = append(msgs, e.Error())
		}
		want := []string{
			`bad.json:4:17: policy exemption /subscriptions/1/providers/Microsoft.Authorization/policyExemptions/x: expiresOn "next tuesday" is not an ISO 8601 UTC time (yyyy-MM-ddTHH:mm:ssZ)`,
			`bad.json:6:103: policy assignment /subscriptions/1/providers/Microsoft.Authorization/policyAssignments/b: enforcementMode "Sometimes" is neither Default nor DoNotEnforce`,
			`bad.json:7:18: policy assignment /subscriptions/1/providers/Microsoft.Authorization/policyAssignments/b: override kind "definitionVersion" is not supported (kvguard applies policyEffect overrides)`,
			`bad.json:8:3: expected a policy assignment, definition, set definition or exemption object, got number`,
		}
		if diff := cmp.Diff(want, msgs); diff != "" {
			t.Errorf("errors (-want +got):\n%s", diff)
		}
		if len(set.Assignments) != 2 {
			t.Errorf("assignments read: %d, want 2", len(set.Assignments))
		}
	})
}

func flatten(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, flatten(e)...)
		}
		return out
	}
	return []error{err}
}

// FuzzParse: any bytes give a set and positioned InputErrors (or a JSON
// syntax error), never a panic; and what parses compiles and judges a
// vault without panicking.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"tenant.json", "az-assignments.json", "arm-exemptions.json", "bad.json"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"kvguardPolicySnapshot": 2}`))
	f.Add([]byte(`{"value": [{"policyDefinitions": 3}]}`))
	f.Add([]byte(`[{"id": "/x", "policyDefinitionId": "/y", "resourceSelectors": [{"selectors": [{"kind": "resourceType", "in": [1]}]}]}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		start := time.Now()
		set, err := Parse(data, "fuzz.json")
		if set == nil {
			t.Fatal("nil set")
		}
		for _, e := range flatten(err) {
			var ie *resource.InputError
			if errors.As(e, &ie) && ie.Pos.File != "fuzz.json" {
				t.Fatalf("error without the file: %v", e)
			}
		}
		scope, _ := ParseScope(rgID)
		j, _ := New(set, Options{Target: scope, Now: now})
		j.Add(noSoftDelete("westeurope"))
		_ = j.Finish()
		if d := time.Since(start); testsupport.Fuzzing() && d > 2*time.Second {
			t.Fatalf("slow input: %v", d)
		}
	})
}
