package bicep

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/kvguard/kvguard/internal/resource"
	"github.com/kvguard/kvguard/internal/source/bicep/syntax"
)

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
	data, err := r.readFile(path, maxFileSize)
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
				r.log.InfoContext(r.ctx, "using the parameters file beside the Bicep file", "file", main, "parameters", cand)
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
