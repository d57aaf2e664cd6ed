package policy

import (
	"fmt"
	"sort"
	"strings"

	"github.com/kvguard/kvguard/internal/jsonpos"
	"github.com/kvguard/kvguard/internal/resource"
)

// Definition is a policy definition as Azure stores it: the rule, its
// parameters, mode and metadata. It may come from Microsoft's built-ins,
// kvguard's catalog or a user's file.
type Definition struct {
	// ID is the definition's resource ID or GUID name, if it has one.
	ID          string
	Name        string
	DisplayName string
	Description string
	Mode        string
	Version     string
	Metadata    map[string]any
	Parameters  map[string]Parameter
	// File names where the definition was read, for messages.
	File string

	rule *jsonpos.Node
}

// Parameter is a definition's parameter.
type Parameter struct {
	Name          string
	Type          string
	Default       any
	HasDefault    bool
	AllowedValues []any
	DisplayName   string
	Description   string
}

// ParseDefinition reads a policy definition from JSON: the full ARM
// resource ({"properties": {...}}), its properties object, or a bare rule
// ({"if": ..., "then": ...}). Errors carry file:line:col.
func ParseDefinition(data []byte, file string) (*Definition, error) {
	root, err := jsonpos.Parse(data, file, true)
	if err != nil {
		return nil, err
	}
	return definitionFromNode(root, file)
}

// DefinitionFromNode reads a policy definition from an already parsed JSON
// value (one element of a list such as az policy definition list's), in
// the forms ParseDefinition accepts; positions are those of the file the
// node was parsed from.
func DefinitionFromNode(root *jsonpos.Node, file string) (*Definition, error) {
	return definitionFromNode(root, file)
}

func definitionFromNode(root *jsonpos.Node, file string) (*Definition, error) { //nolint:funlen,gocognit // table-like walk over the fields of a policy definition, each with its own error
	if root.Kind != jsonpos.Object {
		return nil, posErr(file, root, "a policy definition must be a JSON object")
	}
	d := &Definition{File: file, Mode: "All"}
	props := root
	if p := root.GetFold("properties"); p != nil && p.Kind == jsonpos.Object && p.GetFold("policyRule") != nil {
		props = p
		if v := root.GetFold("id"); v != nil && v.Kind == jsonpos.String {
			d.ID = v.Str
		}
		if v := root.GetFold("name"); v != nil && v.Kind == jsonpos.String {
			d.Name = v.Str
		}
	}
	if props.GetFold("if") != nil && props.GetFold("policyRule") == nil {
		d.rule = props
		return d, nil
	}
	if d.rule = props.GetFold("policyRule"); d.rule == nil || d.rule.Kind != jsonpos.Object {
		return nil, posErr(file, root, "no policyRule object: not a policy definition")
	}
	str := func(key string) string {
		if v := props.GetFold(key); v != nil && v.Kind == jsonpos.String {
			return v.Str
		}
		return ""
	}
	d.DisplayName, d.Description, d.Version = str("displayName"), str("description"), str("version")
	if m := str("mode"); m != "" {
		d.Mode = m
	}
	if md := props.GetFold("metadata"); md != nil && md.Kind == jsonpos.Object {
		d.Metadata, _ = md.Interface().(map[string]any)
		if d.Version == "" {
			if v, ok := d.Metadata["version"].(string); ok {
				d.Version = v
			}
		}
	}
	if d.Name == "" {
		d.Name = str("name")
	}
	if ps := props.GetFold("parameters"); ps != nil {
		if ps.Kind != jsonpos.Object {
			return nil, posErr(file, ps, "parameters must be an object")
		}
		d.Parameters = map[string]Parameter{}
		for _, m := range ps.Members {
			p := Parameter{Name: m.Key}
			if m.Value.Kind != jsonpos.Object {
				return nil, posErr(file, m.Value, "parameter %s must be an object", m.Key)
			}
			if t := m.Value.GetFold("type"); t != nil && t.Kind == jsonpos.String {
				p.Type = t.Str
			}
			if dv := m.Value.GetFold("defaultValue"); dv != nil {
				p.Default, p.HasDefault = dv.Interface(), true
			}
			if av := m.Value.GetFold("allowedValues"); av != nil {
				if arr, ok := av.Interface().([]any); ok {
					p.AllowedValues = arr
				}
			}
			if md := m.Value.GetFold("metadata"); md != nil {
				if v := md.GetFold("displayName"); v != nil {
					p.DisplayName = v.Str
				}
				if v := md.GetFold("description"); v != nil {
					p.Description = v.Str
				}
			}
			d.Parameters[strings.ToLower(m.Key)] = p
		}
	}
	return d, nil
}

// Ref is the definition's GUID when its ID or name has one, else its name.
func (d *Definition) Ref() string {
	if d.ID != "" {
		return d.ID[strings.LastIndexByte(d.ID, '/')+1:]
	}
	return d.Name
}

// SortedParameters lists the parameters by name.
func (d *Definition) SortedParameters() []Parameter {
	out := make([]Parameter, 0, len(d.Parameters))
	for _, p := range d.Parameters {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func posErr(file string, n *jsonpos.Node, format string, args ...any) error {
	p := resource.Position{File: file}
	if n != nil {
		p.Line, p.Col = n.Start.Line, n.Start.Col
	}
	return resource.Errorf(p, format, args...)
}

// resolveParameters merges user values over defaults and checks types and
// allowed values.
func (d *Definition) resolveParameters(values map[string]any) (map[string]any, error) {
	out := map[string]any{}
	for k, p := range d.Parameters {
		if p.HasDefault {
			out[k] = p.Default
		}
	}
	for name, v := range values {
		k := strings.ToLower(name)
		p, ok := d.Parameters[k]
		if !ok {
			return nil, fmt.Errorf("definition %s has no parameter %q", d.label(), name)
		}
		if err := checkParamType(p, v); err != nil {
			return nil, fmt.Errorf("parameter %s: %w", p.Name, err)
		}
		out[k] = v
	}
	for k, p := range d.Parameters {
		v, ok := out[k]
		if !ok {
			return nil, fmt.Errorf("definition %s: parameter %s has no default value; supply one", d.label(), p.Name)
		}
		if len(p.AllowedValues) > 0 {
			if err := checkAllowed(p, v); err != nil {
				return nil, fmt.Errorf("definition %s: %w", d.label(), err)
			}
		}
	}
	return out, nil
}

func (d *Definition) label() string {
	switch {
	case d.DisplayName != "":
		return fmt.Sprintf("%q", d.DisplayName)
	case d.Name != "":
		return d.Name
	}
	return d.File
}

func checkParamType(p Parameter, v any) error {
	ok := true
	switch strings.ToLower(p.Type) {
	case "string":
		_, ok = v.(string)
	case "array":
		_, ok = v.([]any)
	case "object":
		_, ok = v.(map[string]any)
	case "boolean":
		_, ok = v.(bool)
	case "integer":
		_, ok = toInt(v)
	case "float":
		_, ok = toFloat(v)
	}
	if !ok {
		return fmt.Errorf("expected a value of type %s, got %s", p.Type, typeName(v))
	}
	return nil
}

func checkAllowed(p Parameter, v any) error {
	check := func(x any) bool {
		for _, a := range p.AllowedValues {
			if valuesEqual(a, x) {
				return true
			}
		}
		return false
	}
	if arr, ok := v.([]any); ok && strings.EqualFold(p.Type, "array") {
		for _, x := range arr {
			if !check(x) {
				return fmt.Errorf("parameter %s: %s is not one of the allowed values %s", p.Name, display(x), display(p.AllowedValues))
			}
		}
		return nil
	}
	if !check(v) {
		return fmt.Errorf("parameter %s: %s is not one of the allowed values %s", p.Name, display(v), display(p.AllowedValues))
	}
	return nil
}

// Rule returns the definition's policyRule as plain JSON data.
func (d *Definition) Rule() any { return d.rule.Interface() }
