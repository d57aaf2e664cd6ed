package saved

import (
	"github.com/kvguard/kvguard/internal/resource"
)

// rotationPolicy reads a key's rotation policy saved on its own: az
// keyvault key rotation-policy show output (lifetime actions flattened to
// {action, timeAfterCreate, timeBeforeExpiry}, attributes.expiryTime) or
// the REST body of GET /keys/{name}/rotationpolicy ({trigger, action:
// {type}}). It becomes a resource.TypeKeyRotationPolicy document in the
// REST shape, which the estate folds into the key (whose ID is u.id).
func (fr *fileReader) rotationPolicy(o *rawObject, sc scope, u objectURL) {
	var errs []*resource.InputError
	pol := map[string]any{}
	if v, k, ok := lookup(o.body, "lifetimeActions"); ok && v != nil {
		list, isList := v.([]any)
		if !isList {
			p, _ := o.pos(inRoot, k)
			errs = append(errs, resource.Errorf(fr.pos(p), "%s: expected an array, found %s", k, resource.Describe(v)))
		}
		actions := make([]any, 0, len(list))
		for _, e := range list {
			if m, ok := e.(map[string]any); ok {
				actions = append(actions, restLifetimeAction(m))
			}
		}
		pol["lifetimeActions"] = actions
	}
	if v, _, ok := lookup(o.body, "attributes"); ok {
		if am, ok := v.(map[string]any); ok {
			if exp := firstValue(am, "expiryTime", "expiresIn", "expiry_time"); exp != nil {
				pol["attributes"] = map[string]any{"expiryTime": exp}
			}
		}
	}
	id := u.id + "/rotationpolicy"
	doc := &resource.Document{
		ID: id, Type: resource.TypeKeyRotationPolicy, Name: u.name,
		Body:   map[string]any{"id": id, "type": resource.TypeKeyRotationPolicy, "rotationPolicy": pol},
		Parent: resource.Ref{ID: u.id},
	}
	fr.finish(o, sc, doc, errs)
}

// restLifetimeAction writes a lifetime action as the REST API does:
// {"trigger": {...}, "action": {"type": ...}}, from that shape or az's
// flat one.
func restLifetimeAction(m map[string]any) map[string]any {
	trigger := map[string]any{}
	src := m
	if tr, ok := m["trigger"].(map[string]any); ok {
		src = tr
	}
	copyAny(src, trigger, "timeAfterCreate", "timeAfterCreate", "time_after_create")
	copyAny(src, trigger, "timeBeforeExpiry", "timeBeforeExpiry", "time_before_expiry")
	var typ any
	switch a := m["action"].(type) {
	case map[string]any:
		typ = firstValue(a, "type", "actionType")
	default:
		typ = a
	}
	return map[string]any{"trigger": trigger, "action": map[string]any{"type": typ}}
}
