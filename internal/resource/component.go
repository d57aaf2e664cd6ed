package resource

import (
	"encoding/json"
	"time"
)

// TimeLayout is how documents write instants: ISO 8601 in UTC, the form
// Azure Policy's date comparisons and addDays() read.
const TimeLayout = "2006-01-02T15:04:05Z"

// FormatTime writes t in TimeLayout.
func FormatTime(t time.Time) string { return t.UTC().Format(TimeLayout) }

// UnixTime converts Key Vault's Unix-seconds timestamps (attributes.exp,
// nbf, created, updated) to TimeLayout.
func UnixTime(sec int64) string { return FormatTime(time.Unix(sec, 0)) }

// ObjectAttributes are the attributes of a Key Vault object as the
// Microsoft.KeyVault.Data aliases name them. Each field is nil (absent), a
// value (bool for Enabled, a TimeLayout string or time.Time for the
// instants), or an Unknown.
type ObjectAttributes struct {
	Enabled   any
	Expires   any
	NotBefore any
	Created   any
	Updated   any
}

func (a ObjectAttributes) body() map[string]any {
	return a.into(make(map[string]any, 5))
}

// into sets m's members to the attributes and returns m.
func (a ObjectAttributes) into(m map[string]any) map[string]any {
	putAttr(m, "enabled", a.Enabled)
	putAttr(m, "expiresOn", a.Expires)
	putAttr(m, "notBefore", a.NotBefore)
	putAttr(m, "createdOn", a.Created)
	putAttr(m, "updatedOn", a.Updated)
	return m
}

// putAttr sets m[k] to an attribute's value: nothing when absent, an
// instant in TimeLayout.
func putAttr(m map[string]any, k string, v any) {
	switch x := v.(type) {
	case nil:
	case time.Time:
		m[k] = FormatTime(x)
	default:
		m[k] = x
	}
}

// NewComponent builds the document of a Key Vault object (typ is
// TypeSecret, TypeKey, TypeCertificate or TypeHSMKey) belonging to the
// vault parent. fields holds the type's other alias fields at the top level
// of the body: contentType and managed for secrets; keyType, keySize,
// ellipticCurveName, rotationPolicy for keys (whose scheduledRotationDate is
// derived from it, ScheduledRotationDate); keyProperties, properties
// (validityInMonths), lifetimeActions, issuer for certificates; tags.
//
// Every input builds components through this function so that the policy
// aliases find the same shape whatever the input.
func NewComponent(typ string, parent Ref, id, name string, attrs ObjectAttributes, fields map[string]any) *Document {
	body := make(map[string]any, len(fields)+4)
	for k, v := range fields {
		if v != nil {
			body[k] = v
		}
	}
	return NewComponentOwning(typ, parent, id, name, attrs, body)
}

// NewComponentOwning is NewComponent for a caller that made fields for
// this document alone: fields becomes the body itself, not a copy, so it
// must hold no nil value and the caller must not touch it afterwards. A
// saved estate builds a million components, and copying each one's
// fields into a second map was a measurable part of reading it.
func NewComponentOwning(typ string, parent Ref, id, name string, attrs ObjectAttributes, fields map[string]any) *Document {
	body := fields
	if body == nil {
		body = make(map[string]any, 4)
	}
	rp := body["rotationPolicy"]
	body["id"] = id
	body["name"] = name
	body["type"] = TypeValue(typ)
	body["attributes"] = attrs.body()
	if rp != nil && (typ == TypeKey || typ == TypeHSMKey) && body["scheduledRotationDate"] == nil {
		if d := ScheduledRotationDate(rp, attrs.Created, attrs.Expires); d != nil {
			body["scheduledRotationDate"] = d
		}
	}
	return &Document{ID: id, Type: typ, Name: name, Body: body, Parent: parent}
}

// TypeValue returns typ as an interface value (a body member, a policy
// field's value). The well-known types are constants, whose interface
// values are made at compile time: boxing the parameter would allocate, a
// million times for a saved estate.
func TypeValue(typ string) any {
	switch typ {
	case TypeSecret:
		return TypeSecret
	case TypeKey:
		return TypeKey
	case TypeCertificate:
		return TypeCertificate
	case TypeHSMKey:
		return TypeHSMKey
	case TypeVault:
		return TypeVault
	case TypeManagedHSM:
		return TypeManagedHSM
	}
	return typ
}

// MarshalJSON writes an Unknown as {"$unknown": "<expression>"}, so that
// `kvguard inspect` output stays JSON and shows what was not resolved.
func (u Unknown) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]string{"$unknown": u.Expr})
}
