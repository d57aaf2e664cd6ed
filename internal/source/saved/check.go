package saved

import (
	"fmt"
	"sort"
	"strings"

	"github.com/kvguard/kvguard/internal/jsonpos"
	"github.com/kvguard/kvguard/internal/resource"
)

// want is the JSON type a member must have.
type want uint8

const (
	wantBool   want = iota // a boolean, or the strings "true"/"false" in any case
	wantString             // a string
	wantObject             // an object
	wantArray              // an array
	wantNumber             // a number
)

func (w want) String() string {
	return [...]string{"a boolean", "a string", "an object", "an array", "a number"}[w]
}

// accepts reports whether v has the type. null is always accepted: it is
// what ARM returns for an unset property, and the policy engine reads it as
// absent.
func (w want) accepts(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case bool:
		return w == wantBool
	case string:
		return w == wantString || (w == wantBool && (strings.EqualFold(x, "true") || strings.EqualFold(x, "false")))
	case map[string]any:
		return w == wantObject
	case []any:
		return w == wantArray
	case int64, float64:
		return w == wantNumber
	}
	return false
}

// rule is a member the recommendations read, with the type it must have.
type rule struct {
	in   where
	key  string
	want want
}

// vaultRules are the vault and managed HSM properties the six
// recommendations read (policy-ground-truth.md §A, §D1).
var vaultRules = []rule{
	{inProps, "enableRbacAuthorization", wantBool},
	{inProps, "enableSoftDelete", wantBool},
	{inProps, "enablePurgeProtection", wantBool},
	{inProps, "createMode", wantString},
	{inProps, "publicNetworkAccess", wantString},
	{inProps, "networkAcls", wantObject},
	{inProps, "privateEndpointConnections", wantArray},
	{inNetworkACLs, "defaultAction", wantString},
}

// checkVault validates a vault or managed HSM body. A body without
// properties gets a properties gap, so its control-plane verdicts are
// Unknown rather than guessed from absent values; a member of the wrong
// type is reported and replaced by an Unknown.
func (fr *fileReader) checkVault(o *rawObject, doc *resource.Document, sc scope) []*resource.InputError {
	pv, pkey, ok := lookup(doc.Body, "properties")
	if !ok || pv == nil {
		doc.Gaps = append(doc.Gaps, resource.Gap{Part: resource.PartProperties, Err: noPropertiesReason(doc.Type, sc)})
		return nil
	}
	props, isMap := pv.(map[string]any)
	if !isMap {
		p, _ := o.pos(inRoot, pkey)
		msg := fmt.Sprintf("%s: expected an object, found %s", pkey, resource.Describe(pv))
		doc.Body[pkey] = resource.Unknown{Expr: fmt.Sprintf("%s = %s (not an object)", pkey, resource.Render(pv))}
		doc.Gaps = append(doc.Gaps, resource.Gap{Part: resource.PartProperties, Err: "the input's " + msg})
		return []*resource.InputError{resource.Errorf(fr.pos(p), "%s", msg)}
	}
	if _, ok := props["privateEndpointConnections"]; ok {
		unflattenConnections(props)
	}
	var errs []*resource.InputError
	for _, r := range vaultRules {
		m, path := props, pkey+"."
		if r.in == inNetworkACLs {
			acls, key, _ := lookup(props, "networkAcls")
			var ok bool
			if m, ok = acls.(map[string]any); !ok {
				continue
			}
			path += key + "."
		}
		v, key, ok := lookup(m, r.key)
		if !ok || r.want.accepts(v) {
			continue
		}
		p, _ := o.pos(r.in, key)
		errs = append(errs, resource.Errorf(fr.pos(p), "%s%s: expected %s, found %s", path, key, r.want, resource.Describe(v)))
		m[key] = resource.Unknown{Expr: fmt.Sprintf("%s = %s (not %s)", key, resource.Render(v), r.want)}
	}
	if pecs, key, ok := lookup(props, "privateEndpointConnections"); ok {
		if arr, ok := pecs.([]any); ok {
			p, _ := o.pos(inProps, key)
			errs = append(errs, fr.checkConnections(arr, pkey+"."+key, p)...)
		}
	}
	return errs
}

// checkConnections validates the connection states the private-link
// recommendation counts. Elements are decoded whole, so their errors are
// reported at the array's position with the element's index.
func (fr *fileReader) checkConnections(arr []any, path string, p jsonpos.Pos) []*resource.InputError {
	var errs []*resource.InputError
	bad := func(where string, v any, w want) *resource.InputError {
		return resource.Errorf(fr.pos(p), "%s: expected %s, found %s", where, w, resource.Describe(v))
	}
	for i, e := range arr {
		el := fmt.Sprintf("%s[%d]", path, i)
		conn, ok := e.(map[string]any)
		if !ok {
			errs = append(errs, bad(el, e, wantObject))
			arr[i] = resource.Unknown{Expr: fmt.Sprintf("%s = %s (not an object)", el[strings.LastIndex(el, ".")+1:], resource.Render(e))}
			continue
		}
		pv, pk, ok := lookup(conn, "properties")
		props, isMap := pv.(map[string]any)
		if !ok || pv == nil {
			continue
		}
		if !isMap {
			errs = append(errs, bad(el+"."+pk, pv, wantObject))
			conn[pk] = resource.Unknown{Expr: fmt.Sprintf("%s = %s (not an object)", pk, resource.Render(pv))}
			continue
		}
		sv, sk, ok := lookup(props, "privateLinkServiceConnectionState")
		state, isMap := sv.(map[string]any)
		if !ok || sv == nil {
			continue
		}
		if !isMap {
			errs = append(errs, bad(el+"."+pk+"."+sk, sv, wantObject))
			props[sk] = resource.Unknown{Expr: fmt.Sprintf("%s = %s (not an object)", sk, resource.Render(sv))}
			continue
		}
		st, stk, ok := lookup(state, "status")
		if !ok || wantString.accepts(st) {
			continue
		}
		errs = append(errs, bad(el+"."+pk+"."+sk+"."+stk, st, wantString))
		state[stk] = resource.Unknown{Expr: fmt.Sprintf("%s = %s (not a string)", stk, resource.Render(st))}
	}
	return errs
}

// noPropertiesReason explains a properties gap in words fit for the user.
func noPropertiesReason(typ string, sc scope) string {
	what := "vault"
	show := "az keyvault show"
	if typ == resource.TypeManagedHSM {
		what, show = "managed HSM", "az keyvault show --hsm-name"
	}
	if sc.kind == KindSnapshot {
		return "the snapshot has no properties for this " + what + " and records no gap saying why"
	}
	return "the input has no properties for this " + what + " (az keyvault list and az resource list do not return them; use " +
		show + ", az graph query or kvguard scan --azure)"
}

// sortErrors orders a resource's errors by position, so that messages come
// out in file order whatever order the members were checked in.
func sortErrors(errs []*resource.InputError) []*resource.InputError {
	sort.SliceStable(errs, func(i, j int) bool {
		a, b := errs[i].Pos, errs[j].Pos
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
	return errs
}
