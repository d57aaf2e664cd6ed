package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/kvguard/kvguard/internal/assess"
	"github.com/kvguard/kvguard/internal/baseline"
	"github.com/kvguard/kvguard/internal/catalog"
	"github.com/kvguard/kvguard/internal/config"
	"github.com/kvguard/kvguard/internal/resource"
	"github.com/kvguard/kvguard/internal/source"
)

// uxOptions are scan's flags for configuration, exceptions, baselines
// and what the terminal shows.
type uxOptions struct {
	config      string
	noConfig    bool
	failOnEmpty bool
	severity    []string
	frameworks  []string
	quiet       bool
	baseline    string
	// width is --width: -1 when not given.
	width int

	ignore []config.Entry
	// now is the clock of suppression and ignore-entry expiry.
	now time.Time
}

func (o *uxOptions) addFlags(f *pflag.FlagSet) {
	f.StringVar(&o.config, "config", "", "read this configuration file (default: "+config.FileName+" in the scanned directory or a parent, up to the git repository's top)")
	f.BoolVar(&o.noConfig, "no-config", false, "read no configuration or ignore file")
	f.BoolVar(&o.failOnEmpty, "fail-on-empty", false, "exit 1 when nothing was judged (no key vault in the input)")
	f.StringSliceVar(&o.severity, "severity", nil, "judge, show and write only recommendations of these severities: high, medium, low (comma-separated)")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "print no progress, notes or warnings on stderr (errors still)")
	f.IntVar(&o.width, "width", -1, "table: wrap lines to this many columns, 0 for none (default: the terminal's width, or 80 when standard output is not a terminal)")
	f.StringVar(&o.baseline, "baseline", "", "report only findings that are not in this earlier JSON report (kvguard scan --format json)")
}

// clockKey carries an injected clock in the context (tests): expiry
// dates are judged against it instead of the wall clock.
type clockKey struct{}

func withClock(ctx context.Context, now time.Time) context.Context {
	return context.WithValue(ctx, clockKey{}, now)
}

func clockOf(ctx context.Context) time.Time {
	if t, ok := ctx.Value(clockKey{}).(time.Time); ok {
		return t
	}
	return time.Now()
}

// startDir is where the configuration search begins: the first path
// scanned (its directory, for a file), else the current directory.
func startDir(paths []string) string {
	for _, p := range paths {
		if p == "-" {
			continue
		}
		if info, err := os.Stat(p); err == nil {
			if info.IsDir() {
				return p
			}
			return filepath.Dir(p)
		}
	}
	return "."
}

// applyConfig reads the configuration and ignore files and fills in
// every option whose flag was not given: flags override the file.
func applyConfig(ctx context.Context, cmd *cobra.Command, opts *scanOptions, paths []string) error {
	ux := &opts.ux
	ux.now = clockOf(ctx)
	if ux.noConfig {
		if ux.config != "" {
			return usageErrorf("--config and --no-config contradict each other")
		}
		return nil
	}
	dir := startDir(paths)
	path := ux.config
	if path == "" {
		path = config.Find(dir, config.FileName)
	} else if _, err := os.Stat(path); err != nil {
		return usageErrorf("--config %s: %v", path, errors.Unwrap(err))
	}
	if path != "" {
		cfg, err := config.Load(path)
		if err != nil {
			return err
		}
		apply(cmd, opts, cfg)
	}
	if p := config.Find(dir, config.IgnoreFileName); p != "" {
		entries, err := config.LoadIgnore(p)
		if err != nil {
			return err
		}
		ux.ignore = append(ux.ignore, entries...)
	}
	return nil
}

func apply(cmd *cobra.Command, opts *scanOptions, cfg *config.Config) {
	given := func(names ...string) bool {
		for _, n := range names {
			if cmd.Flags().Changed(n) {
				return true
			}
		}
		return false
	}
	applySelection(given, opts, cfg)
	applyInputsAndOutputs(given, opts, cfg)
	opts.ux.ignore = append(opts.ux.ignore, cfg.Ignore...)
}

// applySelection: what is judged and what fails the run.
func applySelection(given func(...string) bool, opts *scanOptions, cfg *config.Config) {
	if !given("recommendation") && len(cfg.Recommendations) > 0 {
		opts.recommendations = cfg.Recommendations
	}
	if !given("severity") && len(cfg.Severity) > 0 {
		opts.ux.severity = cfg.Severity
	}
	opts.ux.frameworks = cfg.Frameworks
	if len(cfg.Parameters) > 0 {
		// A --param for the same parameter wins.
		flagged := map[string]bool{}
		for _, p := range opts.params {
			name, _, _ := strings.Cut(p, "=")
			flagged[strings.ToLower(name)] = true
		}
		var params []string
		for _, name := range slices.Sorted(maps.Keys(cfg.Parameters)) {
			if flagged[strings.ToLower(name)] {
				continue
			}
			v := cfg.Parameters[name]
			if s, ok := v.(string); ok {
				params = append(params, name+"="+s)
				continue
			}
			b, _ := json.Marshal(v)
			params = append(params, name+"="+string(b))
		}
		opts.params = append(params, opts.params...)
	}
	if !given("policy") {
		opts.policies = append(opts.policies, cfg.Policies...)
	}
	if !given("fail-on") && cfg.FailOn != "" {
		opts.failOn = cfg.FailOn
	}
	if !given("fail-on-empty") && cfg.FailOnEmpty != nil {
		opts.ux.failOnEmpty = *cfg.FailOnEmpty
	}
	if !given("enabled-only") && cfg.EnabledOnly != nil {
		opts.enabledOnly = *cfg.EnabledOnly
	}
}

// applyInputsAndOutputs: how inputs are read and where reports go.
func applyInputsAndOutputs(given func(...string) bool, opts *scanOptions, cfg *config.Config) {
	if !given("format", "output") && len(cfg.Outputs) > 0 {
		opts.formats = nil
		for _, o := range cfg.Outputs {
			spec := o.Format
			if o.File != "" && o.File != "-" {
				spec += "=" + o.File
			}
			opts.formats = append(opts.formats, spec)
		}
	}
	if !given("var-file") {
		opts.input.varFiles = append(opts.input.varFiles, cfg.VarFiles...)
	}
	if !given("var") && len(cfg.Vars) > 0 {
		for _, name := range slices.Sorted(maps.Keys(cfg.Vars)) {
			opts.input.vars = append(opts.input.vars, name+"="+cfg.Vars[name])
		}
	}
	if !given("parameters") {
		opts.input.parameters = append(opts.input.parameters, cfg.ParameterFiles...)
	}
	if !given("source-root") && cfg.SourceRoot != "" {
		opts.sourceRoot = cfg.SourceRoot
	}
}

// narrow keeps the recommendations of the severities and frameworks
// asked for, and checks that every ignore entry names a recommendation
// the catalog knows.
func (o *uxOptions) narrow(cat *catalog.Catalog) (*catalog.Catalog, error) {
	var bad []*resource.InputError
	for i := range o.ignore {
		e := &o.ignore[i]
		if _, ok := cat.Lookup(e.Recommendation); !ok {
			if _, known := defenderLookup(e.Recommendation); !known {
				bad = append(bad, &resource.InputError{Pos: e.RecommendationPos(),
					Msg: fmt.Sprintf("ignore entry names unknown recommendation %q (known: %s)", e.Recommendation, strings.Join(cat.IDs(), ", "))})
			}
		}
	}
	if len(bad) > 0 {
		return nil, config.Errors(bad)
	}
	if len(o.severity) == 0 && len(o.frameworks) == 0 {
		return cat, nil
	}
	sevs := map[catalog.Severity]bool{}
	for _, s := range o.severity {
		sev, err := catalog.ParseSeverity(strings.TrimSpace(s))
		if err != nil {
			return nil, usageErrorf("--severity %q: use high, medium or low", s)
		}
		sevs[sev] = true
	}
	var ids []string
	for _, r := range cat.Recommendations {
		if len(sevs) > 0 && !sevs[r.Severity] {
			continue
		}
		if len(o.frameworks) > 0 && !inFrameworks(r, o.frameworks) {
			continue
		}
		ids = append(ids, r.ID)
	}
	return cat.Select(ids)
}

// defenderLookup finds a recommendation among all of Defender's, for an
// ignore entry that names one the scan does not judge (-r, --severity):
// not an error, it simply has nothing to ignore.
func defenderLookup(id string) (*catalog.Recommendation, bool) {
	cat, err := catalog.Defender(catalog.Options{})
	if err != nil {
		return nil, false
	}
	return cat.Lookup(id)
}

// inFrameworks: "CIS" selects every CIS benchmark version, "CIS Azure
// 6.0" that one.
func inFrameworks(r *catalog.Recommendation, want []string) bool {
	for _, f := range r.Frameworks {
		for _, w := range want {
			if strings.HasPrefix(strings.ToLower(f.Framework), strings.ToLower(strings.TrimSpace(w))) {
				return true
			}
		}
	}
	return false
}

// attach wraps add so that every document gets the ignore entries that
// match it, as suppressions the assessor applies like inline ones.
func (o *uxOptions) attach(add func(*resource.Document)) func(*resource.Document) {
	if len(o.ignore) == 0 {
		return add
	}
	return func(doc *resource.Document) {
		if doc != nil {
			config.Attach(o.ignore, doc)
		}
		add(doc)
	}
}

// review adds the ignore list's warnings (expired entries, unused ones)
// to the result and applies the baseline. It says on stderr how many
// findings the baseline left out.
func (o *uxOptions) review(a *app, res *assess.Result) (*assess.Result, error) {
	if len(o.ignore) > 0 {
		used := map[resource.Position]bool{}
		mark := func(ex *assess.Exemption) {
			if ex != nil && ex.Listed && !ex.Expired {
				used[ex.Source] = true
			}
		}
		for as := range res.All() {
			mark(as.Exemption)
			for i := range as.Components {
				mark(as.Components[i].Exemption)
			}
		}
		if err := res.Err(); err != nil {
			return nil, err
		}
		// AddErrors counts them too: the stderr summary and the exit
		// code see them even when the scan spilled its problems to disk.
		res.AddErrors(config.Review(o.ignore, used, o.now)...)
	}
	if o.baseline != "" {
		base, err := baseline.Read(o.baseline)
		if err != nil {
			return nil, &UsageError{Err: err}
		}
		filtered, dropped, err := baseline.Filter(res, base)
		if err != nil {
			return nil, err
		}
		if !o.quiet {
			fmt.Fprintf(a.io.ErrOut, "kvguard: baseline %s: %s already in it not reported\n", escapeTerminal(o.baseline), plural(dropped, "finding"))
		}
		res = filtered
	}
	return res, nil
}

// errEmpty is a scan that judged nothing, under --fail-on-empty: exit 1.
var errEmpty = errors.New("nothing was judged")

// judgedNothing reports whether the scan gave no verdict at all.
func judgedNothing(res *assess.Result) bool {
	for _, c := range res.Summary.ByRecommendation {
		for _, n := range c {
			if n > 0 {
				return false
			}
		}
	}
	return true
}

// explainEmpty says on stderr why a scan judged nothing: which inputs it
// found (or that it found none), so that an empty report is not read as
// "all healthy".
func explainEmpty(ctx context.Context, w io.Writer, res *assess.Result, paths []string, live bool) {
	if !judgedNothing(res) {
		return
	}
	inv := res.Summary.Inventory
	var files []string
	for _, p := range paths {
		// A path that cannot be read is already an error above: saying
		// that no inputs were found under it would add nothing.
		if _, err := os.Stat(p); p != "-" && err == nil {
			files = append(files, p)
		}
	}
	var why []string
	if len(files) > 0 {
		inputs, skipped, _ := source.Discover(ctx, files)
		where := strings.Join(quoteAll(files), ", ")
		if len(inputs) == 0 {
			msg := "no Terraform, ARM, Bicep or Azure JSON files under " + where
			if len(skipped) > 0 {
				msg += fmt.Sprintf(" (%s of other kinds skipped; --log-level debug lists them)", plural(len(skipped), "file"))
			}
			why = append(why, msg)
		} else {
			why = append(why, fmt.Sprintf("%s under %s (%s) but no key vault in them", plural(len(inputs), "input"), where, kindsOf(inputs)))
		}
	}
	if slices.Contains(paths, "-") {
		why = append(why, "no key vault in standard input")
	}
	if live {
		why = append(why, "no key vault in the subscriptions read")
	}
	if inv.ManagedHSMs > 0 {
		why = append(why, plural(inv.ManagedHSMs, "managed HSM")+" found, which the Key Vault recommendations do not judge")
	}
	if res.HasErrors() {
		why = append(why, "and the input had errors (above)")
	}
	fmt.Fprintf(w, "kvguard: nothing was judged: %s\n", strings.Join(why, "; "))
}

func quoteAll(paths []string) []string {
	out := make([]string, len(paths))
	for i, p := range paths {
		out[i] = escapeTerminal(p)
	}
	return out
}

func kindsOf(inputs []source.Input) string {
	n := map[source.Kind]int{}
	for _, in := range inputs {
		n[in.Kind]++
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(n)) {
		parts = append(parts, fmt.Sprintf("%d %s", n[k], k))
	}
	return strings.Join(parts, ", ")
}

// tableLayout is the table's width and colour for one output: --width
// when given, else the terminal's on a terminal, else defaultWidth;
// colour only on a terminal.
func (a *app) tableLayout(toStdout bool, flag int) (int, bool) {
	width := flag
	if width < 0 {
		width = defaultWidth
		if toStdout && a.io.OutWidth > 0 {
			width = a.io.OutWidth
		}
	}
	if width > 0 {
		width = max(width, minWidth)
	}
	return width, toStdout && a.io.OutColor
}

// report prepares the judged result for the writers: the ignore list's
// warnings and the baseline (review), the input problems on stderr, and
// why nothing was judged when that is so.
func (a *app) report(ctx context.Context, opts *scanOptions, res *assess.Result, outs []output, paths []string, interrupted bool) (*assess.Result, error) {
	res, err := opts.ux.review(a, res)
	if err != nil {
		return nil, err
	}
	printMessages(a.io.ErrOut, res.AllErrors(), outs, opts.ux.quiet)
	if !opts.ux.quiet && !interrupted {
		explainEmpty(ctx, a.io.ErrOut, res, paths, opts.azure.enabled())
	}
	return res, nil
}
