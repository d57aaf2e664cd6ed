package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kvguard/kvguard/internal/assess"
	"github.com/kvguard/kvguard/internal/assignment"
	"github.com/kvguard/kvguard/internal/atomicfile"
	"github.com/kvguard/kvguard/internal/catalog"
	"github.com/kvguard/kvguard/internal/gcpace"
	"github.com/kvguard/kvguard/internal/report"
	"github.com/kvguard/kvguard/internal/resource"
	"github.com/kvguard/kvguard/internal/source"
)

type scanOptions struct {
	formats         []string
	output          string
	failOn          string
	enabledOnly     bool
	recommendations []string
	all             bool
	framework       string
	policies        []string
	params          []string
	verbose         bool
	sourceRoot      string
	input           inputOptions
	azure           azureOptions
	ux              uxOptions
	assign          assignmentOptions
	push            pushOptions
}

func newScanCmd(a *app) *cobra.Command {
	opts := &scanOptions{}
	cmd := &cobra.Command{
		Use:   "scan [PATH...] [-]",
		Short: "Judge Key Vaults in files, directories, standard input or live Azure",
		Long: `Scan reads every input, builds the resource documents Azure would store, and judges
each Key Vault against the recommendations.

Inputs are recognised by content: Terraform modules (*.tf, *.tf.json) and plan JSON
(terraform show -json), ARM templates and Bicep files, and saved Azure JSON (az keyvault
show/list, az graph query, ARM REST bodies, az keyvault secret/key list, kvguard snapshots).
Directories are walked recursively; - reads saved Azure JSON from standard input.
--azure scans live Azure instead of (or besides) files.

--assignments (or --assignments-from-azure) with --target-scope also applies your tenant's
own Azure Policy: which Deny assignment would refuse each resource's deployment (judging the
request, before the resource provider's defaults), and what the compliance view would show.

Exit codes: 0 nothing unhealthy at or above --fail-on; 1 findings (a deployment a Deny
assignment would refuse counts, whatever its severity, unless --fail-on none); 2 a usage
or input error (every result that could be computed is still written).

--push sends the JSON report to kvguard serve after the outputs are written (docs/push.md);
a push that fails exits 2, one that succeeds leaves the scan's own exit code.`,
		Example: `  kvguard scan ./examples
  kvguard scan vaults.json secrets/ --format json -o results.json
  az keyvault list -o json | kvguard scan -
  kvguard scan ./infra --format sarif -o kvguard.sarif
  kvguard scan main.bicep --parameters main.bicepparam
  kvguard scan --azure --subscription 00000000-0000-0000-0000-000000000000
  kvguard scan ./infra --assignments policy.json \
    --target-scope /subscriptions/<id>/resourceGroups/rg-app
  KVGUARD_TOKEN=kvg_... kvguard scan ./infra --push https://kvguard.example`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.checkLiveFlags(cmd.Flags().Changed); err != nil {
				return err
			}
			if err := applyConfig(cmd.Context(), cmd, opts, args); err != nil {
				return err
			}
			push, err := opts.push.prepare(cmd.Context(), cmd.Flags().Changed, args)
			if err != nil {
				return err
			}
			return runScan(cmd.Context(), a, opts, args, push)
		},
	}
	f := cmd.Flags()
	f.StringSliceVarP(&opts.formats, "format", "f", []string{"table"}, "output format: "+strings.Join(report.IDs(), ", ")+"; FORMAT=FILE writes that format to FILE (repeatable)")
	f.StringVarP(&opts.output, "output", "o", "", "write the (first) format to this file instead of standard output")
	f.StringVar(&opts.failOn, "fail-on", "low", "exit 1 when an unhealthy assessment has at least this severity: low, medium, high, or none")
	f.BoolVar(&opts.enabledOnly, "enabled-only", false, "skip disabled secrets and keys (the CIS benchmark's reading; Azure Policy judges them too)")
	f.StringSliceVarP(&opts.recommendations, "recommendation", "r", nil, "judge only these recommendation IDs (see kvguard rules --all); with --all or --framework, judge these too")
	f.BoolVar(&opts.all, "all", false, "judge every Key Vault and Managed HSM recommendation, not only the six Defender ones (see kvguard rules --all)")
	f.StringVar(&opts.framework, "framework", "", "judge a compliance framework's policies with its parameters and add a per-control view: mcsb, cis-azure-2.0.0, cis-azure-2.1.0, cis-azure-3.0.0 (see kvguard frameworks)")
	f.StringArrayVar(&opts.policies, "policy", nil, "add a policy definition file (Azure Policy JSON) to the checks (repeatable)")
	f.StringArrayVar(&opts.params, "param", nil, "set a policy parameter: RECOMMENDATION.NAME=VALUE (VALUE may be JSON), e.g. keyvault-firewall.restrictIPAddresses=Yes")
	f.BoolVarP(&opts.verbose, "verbose", "v", false, "table: also list healthy and not-applicable resources")
	f.StringVar(&opts.sourceRoot, "source-root", "", "sarif: make file locations relative to this directory (default: the git repository's top level, else the current directory)")
	f.StringArrayVar(&opts.input.vars, "var", nil, "Terraform: set a variable, NAME=VALUE (repeatable)")
	f.StringArrayVar(&opts.input.varFiles, "var-file", nil, "Terraform: read variables from a .tfvars file (repeatable)")
	f.StringArrayVar(&opts.input.parameters, "parameters", nil, "ARM/Bicep: a parameters file (*.parameters.json or .bicepparam) (repeatable)")
	f.IntVar(&opts.input.maxInstances, "max-instances", resource.DefaultMaxInstances, maxInstancesHelp)
	f.StringArrayVar(&opts.input.readRoots, "read-root", nil, "ARM/Bicep: a directory linked templates, modules and load*() may read from, besides the paths scanned and their git repository (repeatable)")
	f.StringArrayVar(&opts.input.allowEnv, "allow-env", nil, "Bicep: an environment variable readEnvironmentVariable() may read in a .bicepparam file (repeatable; none by default)")
	opts.azure.addFlags(f)
	opts.ux.addFlags(f)
	opts.assign.addFlags(f)
	opts.push.addFlags(f)
	return cmd
}

// checkLiveFlags refuses the flags of live scans without --azure.
func (o *scanOptions) checkLiveFlags(changed func(string) bool) error {
	if o.azure.enabled() {
		return nil
	}
	for _, name := range []string{"subscription", "management-group", "cloud", "auth", "no-resource-graph", "data-plane",
		"concurrency", "request-timeout", "scan-timeout", "save", "arm-read-burst", "arm-read-rate"} {
		if o.assign.fromAzure && (name == "cloud" || name == "auth" || name == "request-timeout") {
			continue // they apply to --assignments-from-azure too
		}
		if changed(name) {
			return usageErrorf("--%s applies to live scans: add --azure", name)
		}
	}
	return nil
}

// output is one report destination.
type output struct {
	format report.Format
	path   string // "" for standard output
}

func (o *scanOptions) outputs() ([]output, error) {
	var outs []output
	stdout := 0
	for i, spec := range o.formats {
		name, path, _ := strings.Cut(spec, "=")
		f, err := report.Lookup(strings.TrimSpace(name))
		if err != nil {
			return nil, &UsageError{Err: err}
		}
		if i == 0 && path == "" && o.output != "" {
			path = o.output
		}
		if path == "" {
			stdout++
		}
		outs = append(outs, output{format: f, path: path})
	}
	if stdout > 1 {
		return nil, usageErrorf("more than one format writes to standard output; give the others a file: --format sarif=kvguard.sarif")
	}
	return outs, nil
}

func (o *scanOptions) catalog() (*catalog.Catalog, error) {
	cat, err := catalog.Build(catalog.BuildOptions{Params: o.params, Policies: o.policies, Only: o.recommendations, All: o.all, Framework: o.framework})
	if err != nil {
		return nil, &UsageError{Err: err}
	}
	return cat, nil
}

// heapBudget is the heap a scan lets the garbage collector grow to
// before collecting, while the live heap is under a quarter of it, and
// three quarters of it is what the heap grows by past the live heap up to
// three quarters live (gcpace). It keeps peak RSS within bench/replicas'
// targets (150 MiB at 10,000 files) with room for the runtime's own
// overhead.
const heapBudget = 80 << 20

// memoryLimit is the soft memory limit of a scan (gcpace): past it the
// collector runs sooner rather than let the heap grow by the pacer's
// room (¾ of the budget) or double a live heap past it. It stays under
// bench/replicas' 200 MiB at 100,000 files with room for stacks and the
// runtime's own memory.
const memoryLimit = 160 << 20

// runScan scans, writes the outputs and, with push, sends the JSON
// report to kvguard serve.
func runScan(ctx context.Context, a *app, opts *scanOptions, paths []string, push *pusher) error {
	if len(paths) == 0 && !opts.azure.enabled() {
		return usageErrorf("nothing to scan: give files or directories, - for standard input, or --azure")
	}
	failOn, err := parseFailOn(opts.failOn)
	if err != nil {
		return err
	}
	outs, err := opts.outputs()
	if err != nil {
		return err
	}
	cat, err := opts.scanCatalog(a)
	if err != nil {
		return err
	}
	pace := gcpace.Start(heapBudget, memoryLimit, os.Getenv)
	defer pace.Stop()
	as := assess.New(cat, assess.Options{EnabledOnly: opts.enabledOnly, Logger: a.logger, Now: opts.ux.now})
	prog := startProgress(a.io.ErrOut, a.io.ErrIsTerminal && !opts.ux.quiet && len(paths) > 0 && !opts.azure.enabled())
	defer prog.end()
	add := prog.wrap(opts.ux.attach(as.Add))
	fail := as.AddError
	judge, target, err := opts.prepareAssignments(ctx, a, fail)
	if err != nil {
		return err
	}
	if judge != nil {
		add = alsoTo(add, judge)
	}
	interrupted, err := readInputs(ctx, a, opts, paths, as, add, judge, prog)
	if err != nil {
		return err
	}
	// Judge and write what was read, even after Ctrl-C.
	prog.judging()
	res := as.Finish(context.WithoutCancel(ctx))
	prog.end()
	if judge != nil {
		res.AddAssignmentVerdicts(target.ID, judge.Assignments(), judge.Finish())
	}
	logStats(a.logger, as, res)
	defer func() {
		if err := res.Close(); err != nil {
			a.logger.Warn("could not remove the temporary file of assessments", "err", err)
		}
	}()
	if res, err = a.report(ctx, opts, res, outs, paths, interrupted); err != nil {
		return err
	}
	ro := report.Options{ToolVersion: a.version, Verbose: opts.verbose, SourceRoot: sourceRoot(opts.sourceRoot), Width: opts.ux.width}
	if err := writeOutputs(a, outs, res, ro); err != nil {
		return err
	}
	// An interrupted scan's report is partial: it would read as fixed
	// findings on the server.
	if push != nil && !interrupted {
		if err := push.push(ctx, a, res, ro); err != nil {
			return err
		}
	}
	return scanOutcome(res, opts, failOn, interrupted)
}

// prepareAssignments builds the judge of --assignments (nil without).
func (o *scanOptions) prepareAssignments(ctx context.Context, a *app, fail func(error)) (*assignment.Judge, assignment.Scope, error) {
	if !o.assign.enabled() {
		if o.assign.target != "" {
			return nil, assignment.Scope{}, usageErrorf("--target-scope applies to --assignments and --assignments-from-azure")
		}
		return nil, assignment.Scope{}, nil
	}
	return o.assign.prepare(ctx, a, &o.azure, o.ux.now, fail)
}

// scanOutcome is the error that sets a scan's exit code: interrupted,
// input errors, nothing judged (--fail-on-empty), or findings at or
// above failOn.
func scanOutcome(res *assess.Result, opts *scanOptions, failOn assess.Severity, interrupted bool) error {
	switch {
	case interrupted:
		return context.Canceled
	case res.HasErrors():
		return errInput
	case opts.ux.failOnEmpty && judgedNothing(res):
		return errEmpty
	case failOn != "":
		return res.Check(failOn)
	}
	return nil
}

// readInputs reads live Azure and the paths into the assessor, input by
// input; interrupted is set when the scan was cancelled meanwhile.
func readInputs(ctx context.Context, a *app, opts *scanOptions, paths []string, as *assess.Assessor, add func(*resource.Document), judge *assignment.Judge, prog *progress) (bool, error) {
	fail := as.AddError
	interrupted := false
	if opts.azure.enabled() {
		if _, err := opts.azure.scan(ctx, a.io.ErrOut, a.io.ErrIsTerminal, a.logger, add); err != nil {
			if ctx.Err() != nil {
				interrupted = true
			}
			fail(err)
		}
	}
	if len(paths) > 0 && ctx.Err() == nil {
		// Each input is judged as soon as it is read, and dropped (see
		// assess.Unit).
		open := func(source.Input) source.Unit {
			u := as.Unit()
			return decoratedUnit{add: alsoTo(prog.wrap(opts.ux.attach(u.Add)), judge), done: u.Done}
		}
		if err := a.readUnits(ctx, paths, &opts.input, open, fail); err != nil {
			if ctx.Err() != nil {
				interrupted = true
			} else {
				return false, err
			}
		}
	}
	return interrupted, nil
}

// parseFailOn reads --fail-on: "" for none.
func parseFailOn(s string) (assess.Severity, error) {
	if strings.EqualFold(s, "none") {
		return "", nil
	}
	sev, err := catalog.ParseSeverity(s)
	if err != nil {
		return "", usageErrorf("--fail-on %q: use low, medium, high or none", s)
	}
	return assess.Severity(sev), nil
}

// scanCatalog builds the scan's catalog, says which recommendations it
// leaves out and why, and narrows it to --severity.
func (o *scanOptions) scanCatalog(a *app) (*catalog.Catalog, error) {
	cat, err := o.catalog()
	if err != nil {
		return nil, err
	}
	if !o.ux.quiet {
		for _, s := range cat.Skipped {
			fmt.Fprintf(a.io.ErrOut, "kvguard: not judged: %s: %s\n", s.ID, s.Reason)
		}
	}
	return o.ux.narrow(cat)
}

// alsoTo sends each document to add and then to the tenant's assignments
// (when there are any).
func alsoTo(add func(*resource.Document), judge *assignment.Judge) func(*resource.Document) {
	if judge == nil {
		return add
	}
	return func(d *resource.Document) { add(d); judge.Add(d) }
}

// logStats says, at debug level, how many documents were held at once
// and how many runs were spilled: the memory bound at work.
func logStats(log *slog.Logger, as *assess.Assessor, res *assess.Result) {
	st := as.Stats()
	runs, msgRuns := res.Runs()
	log.Debug("judged", "documents", st.Documents, "most held at once", st.Peak, "kept until the end", st.Kept,
		"runs of assessments spilled", runs, "runs of messages spilled", msgRuns)
}

func severityWord(e *resource.InputError) string {
	if e.Warning {
		return "warning"
	}
	return "error"
}

// sourceRoot is where SARIF locations are relative to: GitHub code
// scanning resolves them against the repository root.
func sourceRoot(flag string) string {
	if flag != "" {
		return flag
	}
	wd, err := os.Getwd()
	if err != nil {
		return ""
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, ".git")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			return wd
		}
	}
}

func writeOutputs(a *app, outs []output, res *assess.Result, ro report.Options) error {
	for _, o := range outs {
		ro := ro
		ro.Width, ro.Color = a.tableLayout(o.path == "", ro.Width)
		w := o.format.New(ro)
		// res.Err: the assessments a scan spilled to disk could not all be
		// read back, so the report is incomplete.
		write := func(f io.Writer) error { return errors.Join(w.Write(f, res), res.Err()) }
		if o.path == "" {
			if err := write(a.io.Out); err != nil {
				return fmt.Errorf("write %s report: %w", o.format.ID, err)
			}
			continue
		}
		if err := atomicfile.Write(o.path, write); err != nil {
			return fmt.Errorf("write %s report to %s: %w", o.format.ID, o.path, err)
		}
	}
	return nil
}

// decoratedUnit is a unit whose documents pass through the scan's
// decorations (progress, the ignore list, the tenant's assignments) on
// their way to the assessor's unit.
type decoratedUnit struct {
	add  func(*resource.Document)
	done func()
}

func (u decoratedUnit) Add(d *resource.Document) { u.add(d) }
func (u decoratedUnit) Done()                    { u.done() }
