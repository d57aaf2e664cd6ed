package terraform

import (
	"reflect"
	"sort"
	"strconv"

	"github.com/kvguard/kvguard/internal/resource"
)

// An attribute the reader knows the possible values of (a boolean, the
// branches of a conditional, a validation's allowed values, a block of at
// most one that is present or absent) is a resource.UnknownOneOf in the
// input. The mapping turns arguments into properties (true into
// "Enabled", an absent network_acls into no networkAcls, an unset argument
// into its default), so the input is mapped once per choice and the
// documents merged: where they differ, the document holds an UnknownOneOf
// of the mapped values, in the order of the choices, under the same
// expression, so that the policy engine can try each.

// maxChoiceMappings caps the mappings of one resource instance; past it
// the choices are dropped and the values stay plain unknowns.
const maxChoiceMappings = 64

// identityAttrs decide a document's ID; choices there are not mapped.
var identityAttrs = map[string]bool{"name": true, "resource_group_name": true}

// ownChoices are the arguments whose choices a mapper handles itself, by
// resource type: a private endpoint's connection must stay a list the
// assessor can link into its vault, with only its status a choice.
var ownChoices = map[string]map[string]bool{
	"azurerm_private_endpoint": {"private_service_connection": true},
}

// inputGroup is one expression with choices and where it sits in an
// input's attributes.
type inputGroup struct {
	expr  string
	n     int
	sites []inputSite
}

type inputSite struct {
	path   []any // keys and indexes
	values []any
}

// mapWithChoices maps an instance, once per combination of the choices in
// its attributes, and merges the documents.
func mapWithChoices(in *input) *built {
	groups, identity := inputGroups(in)
	if len(identity) > 0 {
		c := *in
		c.attrs = stripChoices(in.attrs, identity).(map[string]any)
		in = &c
	}
	if len(groups) == 0 {
		return mapResource(in)
	}
	total := 1
	for _, g := range groups {
		total *= g.n
	}
	if total > maxChoiceMappings {
		c := *in
		c.attrs = stripChoices(in.attrs, groups).(map[string]any)
		return mapResource(&c)
	}
	return mapGroups(in, groups)
}

func mapGroups(in *input, groups []inputGroup) *built {
	if len(groups) == 0 {
		return mapResource(in)
	}
	g := groups[0]
	outs := make([]*built, g.n)
	for i := range g.n {
		c := *in
		c.attrs = resource.CopyValue(in.attrs).(map[string]any)
		for _, s := range g.sites {
			c.attrs = resource.SetAt(c.attrs, s.path, s.values[i]).(map[string]any)
		}
		c.attrs = resource.DropAbsent(c.attrs).(map[string]any)
		outs[i] = mapGroups(&c, groups[1:])
		if outs[i] == nil {
			return nil
		}
	}
	first := outs[0]
	bodies := make([]any, g.n)
	for i, b := range outs {
		if b.doc.ID != first.doc.ID || b.doc.Type != first.doc.Type || b.doc.Name != first.doc.Name ||
			b.doc.Parent != first.doc.Parent || b.suffix != first.suffix {
			// The choice changes what the resource is (its ID or parent):
			// it stays a plain unknown.
			c := *in
			c.attrs = stripChoices(in.attrs, groups[:1]).(map[string]any)
			return mapGroups(&c, groups[1:])
		}
		bodies[i] = b.doc.Body
	}
	first.doc.Body = mergeChoices(g.expr, bodies).(map[string]any)
	mergeZoneGroups(first, outs, g.expr)
	if first.doc.IsType(resource.TypeVault) {
		withRequestDefaults(first) // of the merged body: a property the choices disagree on is sent
	}
	return first
}

// inputGroups finds the choices in an input's attributes, grouped by
// expression and number of values; those of identity attributes apart,
// and leaving out the arguments the mapper handles itself. (References
// that link to a vault carry no choices: see converter.attr.)
func inputGroups(in *input) (groups, identity []inputGroup) {
	index := map[string]int{}
	walkInputChoices(in.attrs, nil, func(path []any, u resource.Unknown) {
		k, _ := path[0].(string)
		if ownChoices[in.typ][k] {
			return
		}
		site := inputSite{path: append([]any(nil), path...), values: u.Choices.Values}
		if identityAttrs[k] {
			identity = append(identity, inputGroup{expr: u.Expr, n: len(u.Choices.Values), sites: []inputSite{site}})
			return
		}
		key := u.Expr + "\x00" + strconv.Itoa(len(u.Choices.Values))
		gi, ok := index[key]
		if !ok {
			gi = len(groups)
			index[key] = gi
			groups = append(groups, inputGroup{expr: u.Expr, n: len(u.Choices.Values)})
		}
		groups[gi].sites = append(groups[gi].sites, site)
	})
	sort.SliceStable(groups, func(i, j int) bool { return groups[i].expr < groups[j].expr })
	return groups, identity
}

func walkInputChoices(v any, path []any, f func([]any, resource.Unknown)) {
	switch x := v.(type) {
	case resource.Unknown:
		if x.Choices != nil && len(x.Choices.Values) > 0 && len(path) > 0 {
			f(path, x)
		}
	case map[string]any:
		for _, k := range sortedKeys(x) {
			walkInputChoices(x[k], append(path, k), f)
		}
	case []any:
		for i, e := range x {
			walkInputChoices(e, append(path, i), f)
		}
	}
}

// mergeChoices merges the values one thing takes under each choice of
// expr: equal values stay, maps and equal-length lists merge member by
// member, anything else becomes an UnknownOneOf of the values (Absent
// where a member is missing).
func mergeChoices(expr string, vals []any) any {
	same := true
	for _, v := range vals[1:] {
		if !reflect.DeepEqual(v, vals[0]) {
			same = false
			break
		}
	}
	if same {
		return vals[0]
	}
	if maps := asMaps(vals); maps != nil {
		keys := map[string]bool{}
		for _, m := range maps {
			for k := range m {
				keys[k] = true
			}
		}
		out := make(map[string]any, len(keys))
		for k := range keys {
			member := make([]any, len(maps))
			for i, m := range maps {
				v, ok := m[k]
				if !ok {
					v = resource.Absent
				}
				member[i] = v
			}
			out[k] = mergeChoices(expr, member)
		}
		return out
	}
	if lists := asLists(vals); lists != nil {
		out := make([]any, len(lists[0]))
		for j := range out {
			elem := make([]any, len(lists))
			for i, l := range lists {
				elem[i] = l[j]
			}
			out[j] = mergeChoices(expr, elem)
		}
		return out
	}
	return resource.UnknownOneOf(expr, vals...)
}

func asMaps(vals []any) []map[string]any {
	out := make([]map[string]any, len(vals))
	for i, v := range vals {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		out[i] = m
	}
	return out
}

func asLists(vals []any) [][]any {
	out := make([][]any, len(vals))
	for i, v := range vals {
		l, ok := v.([]any)
		if !ok || (i > 0 && len(l) != len(out[0])) {
			return nil
		}
		out[i] = l
	}
	return out
}

// stripChoices returns a copy of v in which the groups' unknowns have no
// choices.
func stripChoices(v any, groups []inputGroup) any {
	out := resource.CopyValue(v)
	for _, g := range groups {
		for _, s := range g.sites {
			out = resource.SetAt(out, s.path, resource.Unknown{Expr: g.expr})
		}
	}
	return out
}
