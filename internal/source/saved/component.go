package saved

import (
	"fmt"

	"github.com/kvguard/kvguard/internal/resource"
)

// armComponent maps an ARM-plane secret or key (vaults/{v}/secrets,
// vaults/{v}/keys, managedHSMs/{h}/keys) to its component document. ARM
// gives attributes in Unix seconds under properties.attributes.
func (fr *fileReader) armComponent(o *rawObject, sc scope, typ, id string, pid armID) {
	var errs []*resource.InputError
	props := map[string]any{}
	if pv, pk, ok := lookup(o.body, "properties"); ok && pv != nil {
		m, isMap := pv.(map[string]any)
		if !isMap {
			p, _ := o.pos(inRoot, pk)
			errs = append(errs, resource.Errorf(fr.pos(p), "%s: expected an object, found %s", pk, resource.Describe(pv)))
		} else {
			props = m
		}
	}
	entries := o.attrs // read unboxed on the fast path (readAttrEntries)
	var attrMap map[string]any
	if !o.attrsRead {
		if av, ak, ok := lookup(props, "attributes"); ok && av != nil {
			m, isMap := av.(map[string]any)
			if !isMap {
				p, _ := o.pos(inProps, ak)
				errs = append(errs, resource.Errorf(fr.pos(p), "properties.%s: expected an object, found %s", ak, resource.Describe(av)))
			} else {
				attrMap = m
			}
		}
		entries = fr.attrEntries(o, attrMap, inPropsAttrs)
	}
	attrs, aerrs := fr.attributes(entries, "properties.")
	errs = append(errs, aerrs...)
	if av, _, ok := lookup(props, "attributes"); !o.attrsRead && (!ok || av == nil) {
		fr.note(noteNoAttributes, o.start, id) // (a wrong type is an error above)
	}

	fields := fr.getMap()
	var ctyp string
	switch typ {
	case resource.TypeARMSecret:
		ctyp = resource.TypeSecret
		fr.copyField(o, &errs, props, inProps, "properties.", "contentType", fields, "contentType", wantString)
	case resource.TypeARMKey, resource.TypeARMHSMKey:
		ctyp = resource.TypeKey
		if typ == resource.TypeARMHSMKey {
			ctyp = resource.TypeHSMKey
		}
		fr.copyField(o, &errs, props, inProps, "properties.", "kty", fields, "keyType", wantString)
		fr.copyField(o, &errs, props, inProps, "properties.", "keySize", fields, "keySize", wantNumber)
		fr.copyField(o, &errs, props, inProps, "properties.", "curveName", fields, "ellipticCurveName", wantString)
		fr.copyField(o, &errs, props, inProps, "properties.", "rotationPolicy", fields, "rotationPolicy", wantObject)
	}
	fr.copyField(o, &errs, o.body, inRoot, "", "tags", fields, "tags", wantObject)

	doc := resource.NewComponent(ctyp, resource.Ref{ID: pid.parent}, id, pid.name, attrs, fields)
	// NewComponent copied what it keeps: the maps the object was decoded
	// into are garbage now, and are reused for the next object.
	fr.recycle(fields, attrMap, props, o.body)
	fr.finish(o, sc, doc, errs)
}

// copyField copies src[key] to fields[dst] when it has the wanted type;
// otherwise it reports the member and puts an Unknown in its place.
func (fr *fileReader) copyField(o *rawObject, errs *[]*resource.InputError, src map[string]any, in where, path, key string, fields map[string]any, dst string, w want) {
	v, k, ok := lookup(src, key)
	if !ok || v == nil {
		return
	}
	if w.accepts(v) {
		fields[dst] = v
		return
	}
	p, found := o.pos(in, k)
	if !found {
		// A member of an object whose member positions are not kept
		// (the "key" of az keyvault key show): report at that object.
		for _, parent := range [...]string{"properties", "key"} {
			if pp, ok := o.pos(inRoot, parent); ok {
				p = pp
				break
			}
		}
	}
	*errs = append(*errs, resource.Errorf(fr.pos(p), "%s%s: expected %s, found %s", path, k, w, resource.Describe(v)))
	fields[dst] = resource.Unknown{Expr: fmt.Sprintf("%s = %s (not %s)", k, resource.Render(v), w)}
}
