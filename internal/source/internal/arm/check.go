package arm

import (
	"fmt"
	"strings"

	"github.com/kvguard/kvguard/internal/resource"
)

// want is the JSON type a property must have for Azure to accept the
// deployment.
type want uint8

const (
	wantBool       want = iota // a boolean, or the strings "true"/"false" in any case
	wantStrictBool             // a boolean
	wantString                 // a string
	wantObject                 // an object
	wantArray                  // an array
	wantNumber                 // a number
	wantUnix                   // a number of Unix seconds
)

func (w want) String() string {
	return [...]string{"a boolean", "a boolean", "a string", "an object", "an array", "a number", "a number (Unix seconds)"}[w]
}

// short is how an Unknown that replaces a value of the wrong type says
// what was wrong, as the saved-JSON reader says it.
func (w want) short() string {
	if w == wantUnix {
		return "not Unix seconds"
	}
	return "not " + w.String()
}

// accepts reports whether v has the type. null is accepted (an absent
// property), and so is an unknown (it cannot be checked).
func (w want) accepts(v any) bool {
	switch x := v.(type) {
	case nil, resource.Unknown:
		return true
	case bool:
		return w == wantBool || w == wantStrictBool
	case string:
		return w == wantString || (w == wantBool && (strings.EqualFold(x, "true") || strings.EqualFold(x, "false")))
	case map[string]any:
		return w == wantObject
	case []any:
		return w == wantArray
	case int64, float64:
		return w == wantNumber || w == wantUnix
	}
	return false
}

// typeRule is a property the recommendations read, by path from the
// resource body ("*" stands for every element of an array), with the type
// Azure requires of it.
type typeRule struct {
	path string
	want want
}

// typeRules are the rules per document type (lower-cased), in the order
// they are checked: a container before its members.
var typeRules = map[string][]typeRule{
	strings.ToLower(resource.TypeVault): {
		{"properties", wantObject},
		{"properties.enableRbacAuthorization", wantBool},
		{"properties.enableSoftDelete", wantBool},
		{"properties.enablePurgeProtection", wantBool},
		{"properties.softDeleteRetentionInDays", wantNumber},
		{"properties.createMode", wantString},
		{"properties.publicNetworkAccess", wantString},
		{"properties.privateEndpointConnections", wantArray},
		{"properties.networkAcls", wantObject},
		{"properties.networkAcls.defaultAction", wantString},
		{"properties.networkAcls.bypass", wantString},
		{"properties.networkAcls.ipRules", wantArray},
		{"properties.networkAcls.ipRules.*", wantObject},
		{"properties.networkAcls.ipRules.*.value", wantString},
		{"properties.networkAcls.virtualNetworkRules", wantArray},
		{"properties.networkAcls.virtualNetworkRules.*", wantObject},
		{"properties.networkAcls.virtualNetworkRules.*.id", wantString},
	},
	strings.ToLower(resource.TypeManagedHSM): {
		{"properties", wantObject},
		{"properties.enableSoftDelete", wantBool},
		{"properties.enablePurgeProtection", wantBool},
		{"properties.publicNetworkAccess", wantString},
		{"properties.networkAcls", wantObject},
		{"properties.networkAcls.defaultAction", wantString},
	},
	strings.ToLower(resource.TypeARMSecret): componentRules,
	strings.ToLower(resource.TypeARMKey):    componentRules,
	strings.ToLower(resource.TypeARMHSMKey): componentRules,
	strings.ToLower(resource.TypePrivateEndpoint): {
		{"properties", wantObject},
		{"properties.privateLinkServiceConnections", wantArray},
		{"properties.privateLinkServiceConnections.*", wantObject},
		{"properties.privateLinkServiceConnections.*.properties", wantObject},
		{"properties.privateLinkServiceConnections.*.properties.privateLinkServiceId", wantString},
		{"properties.manualPrivateLinkServiceConnections", wantArray},
		{"properties.manualPrivateLinkServiceConnections.*", wantObject},
		{"properties.manualPrivateLinkServiceConnections.*.properties", wantObject},
		{"properties.manualPrivateLinkServiceConnections.*.properties.privateLinkServiceId", wantString},
	},
}

// componentRules are those of secrets and keys: the attributes the
// expiry recommendations read.
var componentRules = []typeRule{
	{"properties", wantObject},
	{"properties.attributes", wantObject},
	{"properties.attributes.enabled", wantStrictBool},
	{"properties.attributes.exp", wantUnix},
	{"properties.attributes.nbf", wantUnix},
}

// checkTypes checks the properties the recommendations read against the
// types Azure requires at deployment. A value of the wrong type is an
// input error at its position and becomes an Unknown saying so, as the
// saved-JSON reader does with the same message; the verdicts that read it
// are Unknown. It returns the message of a properties member that is not
// an object, "" otherwise.
func (m *Mapper) checkTypes(res *Resource, body map[string]any) (propsBad string) {
	for _, r := range typeRules[strings.ToLower(res.Type)] {
		parts := strings.Split(r.path, ".")
		m.checkPath(res, body, nil, parts, r.want, &propsBad)
	}
	return propsBad
}

// checkPath walks one rule's path from the container c (at path done).
func (m *Mapper) checkPath(res *Resource, c any, done, rest []string, w want, propsBad *string) {
	if len(rest) == 0 {
		return
	}
	key := rest[0]
	if key == "*" {
		arr, _ := c.([]any)
		for i, e := range arr {
			step := append(append([]string(nil), done...), fmt.Sprint(i))
			if len(rest) == 1 {
				if !w.accepts(e) {
					arr[i] = m.wrongType(res, step, e, w)
				}
				continue
			}
			m.checkPath(res, e, step, rest[1:], w, propsBad)
		}
		return
	}
	obj, ok := c.(map[string]any)
	if !ok {
		return
	}
	v, k, found := lookupKey(obj, key)
	if !found {
		return
	}
	step := append(append([]string(nil), done...), k)
	if len(rest) > 1 {
		m.checkPath(res, v, step, rest[1:], w, propsBad)
		return
	}
	if w.accepts(v) {
		return
	}
	obj[k] = m.wrongType(res, step, v, w)
	if len(step) == 1 && k != "" && strings.EqualFold(k, "properties") {
		*propsBad = fmt.Sprintf("the template's %s is %s, not an object", k, resource.Describe(v))
	}
}

// wrongType reports a value of the wrong type and returns the Unknown
// that replaces it.
func (m *Mapper) wrongType(res *Resource, path []string, v any, w want) resource.Unknown {
	at, ok := resource.Position{}, false
	if res.At != nil {
		at, ok = res.At(path...)
	}
	if !ok {
		at = resource.Position{File: res.Source.File, Line: res.Source.StartLine}
	}
	dotted := strings.Join(path, ".")
	m.report(resource.Errorf(at, "%s: %s: expected %s, found %s", res.Source.Address, dotted, w, resource.Describe(v)))
	return resource.Unknown{Expr: fmt.Sprintf("%s = %s (%s)", path[len(path)-1], resource.Render(v), w.short())}
}

// lookupKey finds a member in any case (the first key in byte order when
// several spell it), returning its key as written.
func lookupKey(m map[string]any, key string) (any, string, bool) {
	if v, ok := m[key]; ok {
		return v, key, true
	}
	found := ""
	for k := range m {
		if strings.EqualFold(k, key) && (found == "" || k < found) {
			found = k
		}
	}
	if found == "" {
		return nil, "", false
	}
	return m[found], found, true
}
