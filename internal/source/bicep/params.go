package bicep

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/kvguard/kvguard/internal/armexpr"
	"github.com/kvguard/kvguard/internal/resource"
	"github.com/kvguard/kvguard/internal/source/bicep/syntax"
)

// paramValue is a parameter's value in value mode: given from outside,
// else its default, else null for a nullable type, else unknown. A
// @secure() parameter is always unknown, as the ARM template reader makes
// a securestring: its value is not for kvguard to read.
func (fe *fileEval) paramValue(s *symbol) (any, error) {
	v, err := fe.paramRaw(s)
	if err != nil {
		return nil, err
	}
	if isSecure(s.param) {
		return resource.Unknown{Expr: s.name}, nil
	}
	return v, nil
}

// paramNamesValue is a parameter's value in names mode: its value, or
// when that is unknown, the names-mode value of what gave it, or the
// placeholder "[parameters('name')]".
func (fe *fileEval) paramNamesValue(s *symbol, at syntax.Node) (any, error) {
	v, err := fe.mode(false).symbolValue(s, at)
	if err != nil {
		return nil, err
	}
	if !resource.IsUnknown(v) {
		return v, nil
	}
	if s.hasAlt {
		return s.alt, nil
	}
	return "[parameters('" + s.name + "')]", nil
}

// paramRaw resolves a parameter's value before the secure rule, and its
// names-mode alternative when the value holds unknowns.
func (fe *fileEval) paramRaw(s *symbol) (any, error) {
	d := s.param
	if fe.provided != nil {
		// Deployment parameters match case-insensitively, as in ARM.
		if v, ok := resource.LookupFold(fe.provided, s.name); ok {
			if alt, ok := fe.providedAlt[s.name]; ok {
				s.alt, s.hasAlt = alt, true
			}
			return v, nil
		}
	} else if fe.paramsUnknown {
		return resource.Unknown{Expr: s.name}, nil
	}
	if d.Default != nil {
		v, err := fe.value(d.Default, nil)
		if err != nil {
			return nil, err
		}
		if armexpr.ContainsUnknown(v) {
			if alt, err := fe.mode(true).value(d.Default, nil); err == nil {
				if str, ok := alt.(string); ok {
					s.alt, s.hasAlt = str, true
				}
			}
		}
		return v, nil
	}
	if fe.nullable(d.Type, 0) {
		return nil, nil
	}
	fe.run.report(resource.Warnf(fe.position(d.Name.Pos()), "parameter %q has no value (no default, and none given in a parameters file); it is treated as unknown", s.name))
	return resource.Unknown{Expr: s.name}, nil
}

// isSecure reports whether a parameter has the @secure() decorator.
func isSecure(d *syntax.ParamDecl) bool {
	return d != nil && hasDecorator(d.Decorators, "secure")
}

// hasDecorator reports whether ds hold @name(...) or @sys.name(...).
func hasDecorator(ds []*syntax.Decorator, name string) bool {
	for _, d := range ds {
		if c, ok := d.Expr.(*syntax.CallExpr); ok && c.Name.Name == name {
			if c.Recv == nil {
				return true
			}
			if id, ok := c.Recv.(*syntax.Ident); ok && id.Name == "sys" {
				return true
			}
		}
	}
	return false
}

// nullable reports whether a parameter type admits null (string?, or an
// alias of a nullable type), so that an unset parameter is null.
func (fe *fileEval) nullable(t syntax.Type, depth int) bool {
	if depth > 32 {
		return false
	}
	switch x := t.(type) {
	case *syntax.NullableType:
		return true
	case *syntax.ParenType:
		return fe.nullable(x.X, depth+1)
	case *syntax.UnionType:
		for _, m := range x.Members {
			if lit, ok := m.(*syntax.LiteralType); ok {
				if _, isNull := lit.Value.(*syntax.NullLit); isNull {
					return true
				}
			}
		}
	case *syntax.TypeName:
		if len(x.Parts) == 1 {
			for _, d := range fe.file.Decls {
				if td, ok := d.(*syntax.TypeDecl); ok && td.Name.Name == x.Parts[0] {
					return fe.nullable(td.Type, depth+1)
				}
			}
		}
	}
	return false
}

// paramFile is a parsed parameters source: the values it assigns and the
// Bicep file it is for (using), if it says.
type paramFile struct {
	values map[string]any
	using  string
}

// readParamFile reads a .bicepparam or an ARM *.parameters.json file.
func (r *run) readParamFile(path string) (*paramFile, error) {
	if strings.EqualFold(filepath.Ext(path), ".bicepparam") {
		return r.readBicepParam(path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, resource.Errorf(resource.Position{File: path}, "read parameters: %v", err)
	}
	var doc struct {
		Parameters map[string]json.RawMessage `json:"parameters"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return nil, resource.Errorf(resource.Position{File: path}, "parameters file is not JSON: %v", err)
	}
	pf := &paramFile{values: map[string]any{}}
	for name, raw := range doc.Parameters {
		var entry map[string]any
		d := json.NewDecoder(bytes.NewReader(raw))
		d.UseNumber()
		if err := d.Decode(&entry); err != nil {
			return nil, resource.Errorf(resource.Position{File: path}, "parameter %s: %v", name, err)
		}
		if v, ok := entry["value"]; ok {
			pf.values[name] = resource.NormalizeNumbers(v)
		} else if _, ok := entry["reference"]; ok {
			// A Key Vault reference: resolved by Azure at deployment.
			pf.values[name] = resource.Unknown{Expr: "parameters file reference for " + name}
		}
	}
	return pf, nil
}

// readBicepParam evaluates a .bicepparam file: its param assignments,
// with its variables, imports and functions in scope.
func (r *run) readBicepParam(path string) (*paramFile, error) {
	key := filepath.Clean(path)
	if r.reading[key] {
		return nil, fmt.Errorf("%s extends itself", path)
	}
	if r.reading == nil {
		r.reading = map[string]bool{}
	}
	r.reading[key] = true
	defer delete(r.reading, key)
	pfile, err := r.parseFile(path)
	if err != nil {
		return nil, err
	}
	fe, err := r.newFileEval(pfile, r.dep, map[string]any{}, "", 0)
	if err != nil {
		return nil, err
	}
	out := &paramFile{values: map[string]any{}}
	for _, d := range pfile.file.Decls {
		switch x := d.(type) {
		case *syntax.ExtendsDecl:
			// The base file's values come first; this file's win.
			p, ok := x.Path.Literal()
			if !ok {
				continue
			}
			base, err := r.readBicepParam(filepath.Join(filepath.Dir(path), filepath.FromSlash(p)))
			if err != nil {
				r.report(resource.Errorf(fe.position(x.Pos()), "extends %s: %v", p, err))
				continue
			}
			for k, v := range base.values {
				if _, set := out.values[k]; !set {
					out.values[k] = v
				}
			}
		case *syntax.UsingDecl:
			if x.Path != nil {
				if p, ok := x.Path.Literal(); ok {
					if isRegistryPath(p) {
						r.report(resource.Warnf(fe.position(x.Pos()), "parameters file uses registry module %s, which is not followed", p))
						continue
					}
					out.using = filepath.Join(filepath.Dir(path), filepath.FromSlash(p))
				}
			}
		case *syntax.ParamAssign:
			s := fe.syms[x.Name.Name]
			v, err := fe.symbolValue(s, x.Name)
			if err != nil {
				_ = fe.fail(x, err)
				v = resource.Unknown{Expr: x.Name.Name}
			}
			out.values[x.Name.Name] = v
		}
	}
	return out, nil
}

// paramsFor finds the parameters for the Bicep file main: the files the
// options name, else main.bicepparam or main.parameters.json beside it.
func (r *run) paramsFor(main string) (map[string]any, error) {
	files := r.opts.ParameterFiles
	if len(files) == 0 {
		// main.bicepparam beside main.bicep, else main.parameters.json
		// (what the ARM template reader reads beside main.json).
		base := strings.TrimSuffix(main, filepath.Ext(main))
		for _, cand := range []string{base + ".bicepparam", base + ".parameters.json"} {
			if st, err := os.Stat(cand); err == nil && !st.IsDir() {
				r.log.Info("using the parameters file beside the Bicep file", "file", main, "parameters", cand)
				files = []string{cand}
				break
			}
		}
	}
	values := map[string]any{}
	for _, f := range files {
		pf, err := r.readParamFile(f)
		if err != nil {
			return values, err
		}
		if pf.using != "" && !sameFile(pf.using, main) {
			r.report(resource.Warnf(resource.Position{File: f}, "parameters file is for %s, not %s", pf.using, main))
		}
		for k, v := range pf.values {
			values[k] = v
		}
	}
	return values, nil
}

func sameFile(a, b string) bool {
	ia, errA := os.Stat(a)
	ib, errB := os.Stat(b)
	if errA == nil && errB == nil {
		return os.SameFile(ia, ib)
	}
	return filepath.Clean(a) == filepath.Clean(b)
}
