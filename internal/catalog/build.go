package catalog

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/kvguard/kvguard/internal/policy"
)

// BuildOptions say which recommendations a scan judges and with which
// parameters; they mirror kvguard scan's flags, whose names the errors
// use.
type BuildOptions struct {
	// Params set policy parameters, each "RECOMMENDATION.NAME=VALUE"
	// (--param); VALUE is JSON when it parses as JSON, else a string.
	Params []string
	// Policies are files of custom policy definitions (Azure Policy JSON)
	// added as recommendations (--policy).
	Policies []string
	// Only keeps the recommendations with these IDs (--recommendation),
	// taken from every recommendation kvguard has.
	Only []string
	// All judges every recommendation kvguard has (--all), except the
	// deprecated ones and those whose parameters have no value; Skipped
	// lists the latter.
	All bool
	// Framework judges the recommendations a framework assigns
	// (--framework), with its parameter values under the user's --param.
	Framework string
}

// Build assembles the catalog a scan judges with: the Defender
// recommendations with their parameters, the custom definitions, and the
// selection. Every error is the user's (a malformed parameter, an
// unreadable or invalid definition, an unknown ID).
func Build(o BuildOptions) (*Catalog, error) {
	params, err := parseParams(o.Params)
	if err != nil {
		return nil, err
	}
	custom := map[string]*policy.Definition{}
	var order []*policy.Definition
	for _, file := range o.Policies {
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("--policy %s: %w", file, err)
		}
		def, err := policy.ParseDefinition(data, file)
		if err != nil {
			return nil, fmt.Errorf("--policy: %w", err)
		}
		order = append(order, def)
		custom[strings.ToLower(def.Name)] = def
	}
	builtin := map[string]map[string]any{}
	for rec, ps := range params {
		if _, isCustom := custom[strings.ToLower(rec)]; !isCustom {
			builtin[rec] = ps
		}
	}
	var fw *Benchmark
	if o.Framework != "" {
		if fw, err = LookupBenchmark(o.Framework); err != nil {
			return nil, fmt.Errorf("--framework: %w", err)
		}
		builtin = fw.params(builtin)
	}
	cat, err := All(Options{Params: builtin})
	if err != nil {
		return nil, err
	}
	var customIDs []string
	for _, def := range order {
		r, err := cat.AddDefinition(def, params[def.Name])
		if err != nil {
			return nil, fmt.Errorf("--policy %s: %w", def.File, err)
		}
		customIDs = append(customIDs, r.ID)
	}
	ids := cat.selection(o, fw, customIDs)
	out, err := cat.Select(ids)
	if err != nil {
		return nil, err
	}
	out.Skipped = cat.Skipped
	out.Framework = fw
	return out, nil
}

// selection lists the IDs a scan judges: every judgeable one (--all,
// noting in Skipped what it leaves out), a framework's, or the defaults;
// then -r's, which narrow the defaults and add to the others; and the
// user's own definitions.
func (cat *Catalog) selection(o BuildOptions, fw *Benchmark, customIDs []string) []string {
	var ids []string
	switch {
	case o.All:
		for _, r := range cat.Recommendations {
			switch {
			case r.Custom:
			case r.Deprecated:
				cat.Skipped = append(cat.Skipped, Skip{ID: r.ID, Reason: "deprecated by Microsoft; select it with -r " + r.ID})
			case !r.Judgeable():
				cat.Skipped = append(cat.Skipped, Skip{ID: r.ID, Reason: r.NeedsParamsError().Error()})
			default:
				ids = append(ids, r.ID)
			}
		}
	case fw != nil:
		ids = fw.Recommendations()
	default:
		ids = cat.defaults()
	}
	ids = append(ids, o.Only...)
	if len(o.Only) > 0 && !o.All && fw == nil {
		ids = o.Only // -r alone narrows; with --all or --framework it adds
	} else {
		ids = append(ids, customIDs...)
	}
	return ids
}

// parseParams reads "RECOMMENDATION.NAME=VALUE" settings into values per
// recommendation ID.
func parseParams(list []string) (map[string]map[string]any, error) {
	params := map[string]map[string]any{}
	for _, p := range list {
		key, value, ok := strings.Cut(p, "=")
		rec, name, dot := strings.Cut(key, ".")
		if !ok || key == "" || !dot || rec == "" || name == "" {
			return nil, fmt.Errorf("--param %q: expected RECOMMENDATION.NAME=VALUE", p)
		}
		var v any = value
		var j any
		if err := json.Unmarshal([]byte(value), &j); err == nil {
			v = normaliseNumbers(j)
		}
		if params[rec] == nil {
			params[rec] = map[string]any{}
		}
		params[rec][name] = v
	}
	return params, nil
}

// normaliseNumbers turns JSON's whole float64 numbers into int64, as the
// policy engine's values hold them.
func normaliseNumbers(v any) any {
	switch x := v.(type) {
	case float64:
		if x == float64(int64(x)) {
			return int64(x)
		}
	case []any:
		for i := range x {
			x[i] = normaliseNumbers(x[i])
		}
	case map[string]any:
		for k := range x {
			x[k] = normaliseNumbers(x[k])
		}
	}
	return v
}
