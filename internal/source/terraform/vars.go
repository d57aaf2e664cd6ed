package terraform

import (
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/kvguard/kvguard/internal/resource"
	"github.com/kvguard/kvguard/internal/source/terraform/funcs"
)

// rootValues gathers the values of the root module's variables in
// Terraform's order of precedence, later sources winning:
// terraform.tfvars, terraform.tfvars.json, *.auto.tfvars and
// *.auto.tfvars.json in lexical order, each --var-file in order, then each
// --var. (Terraform also reads TF_VAR_ environment variables; kvguard does
// not, so that a scan does not depend on its environment.) Defaults apply
// where none of these sets a variable.
func (ev *evaluator) rootValues(cfg *moduleConfig) map[string]cty.Value {
	vals := map[string]cty.Value{}
	for _, n := range []string{"terraform.tfvars", "terraform.tfvars.json"} {
		if p := filepath.Join(cfg.dir, n); exists(p) {
			ev.loadVarFile(p, cfg, vals)
		}
	}
	if ents, err := os.ReadDir(cfg.dir); err == nil {
		var autos []string
		for _, e := range ents {
			n := e.Name()
			if !e.IsDir() && (strings.HasSuffix(n, ".auto.tfvars") || strings.HasSuffix(n, ".auto.tfvars.json")) {
				autos = append(autos, n)
			}
		}
		sort.Strings(autos)
		for _, n := range autos {
			ev.loadVarFile(filepath.Join(cfg.dir, n), cfg, vals)
		}
	}
	for _, p := range ev.opts.VarFiles {
		ev.loadVarFile(p, cfg, vals)
	}
	names := make([]string, 0, len(ev.opts.Vars))
	for n := range ev.opts.Vars {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		decl := cfg.variables[n]
		if decl == nil {
			// The same --var is given to every root of a scan; a root that
			// does not declare it ignores it.
			continue
		}
		raw := ev.opts.Vars[n]
		if !decl.parseHCL() {
			vals[n] = cty.StringVal(raw)
			continue
		}
		name := "--var " + n
		expr, d := hclsyntax.ParseExpression([]byte(raw), name, hcl.Pos{Line: 1, Column: 1})
		if d.HasErrors() {
			ev.diags(d)
			continue
		}
		v, d := expr.Value(nil)
		if d.HasErrors() {
			ev.diags(d)
			continue
		}
		vals[n] = v
	}
	return vals
}

// loadVarFile reads one .tfvars (HCL) or .tfvars.json file into vals.
// Values are literals: tfvars files cannot refer to anything.
func (ev *evaluator) loadVarFile(p string, cfg *moduleConfig, vals map[string]cty.Value) {
	if err := funcs.Regular(p); err != nil {
		ev.errorf(resource.Position{File: p}, "variables file not read: %v", err)
		return
	}
	src, err := os.ReadFile(p)
	if err != nil {
		ev.errorf(resource.Position{File: p}, "read variables file: %v", err)
		return
	}
	ev.files++
	parser := hclparse.NewParser()
	var f *hcl.File
	var d hcl.Diagnostics
	if strings.HasSuffix(p, ".json") {
		f, d = parser.ParseJSON(src, p)
	} else {
		f, d = parser.ParseHCL(src, p)
	}
	ev.diags(d)
	if f == nil || f.Body == nil {
		return
	}
	attrs, d := f.Body.JustAttributes()
	ev.diags(d)
	for n, a := range attrs {
		v, d := a.Expr.Value(nil)
		if d.HasErrors() {
			ev.diags(d)
			continue
		}
		if cfg.variables[n] == nil {
			ev.log.DebugContext(ev.ctx, "value for undeclared variable ignored", "file", p, "variable", n)
			continue
		}
		vals[n] = v
	}
}
