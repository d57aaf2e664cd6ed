// Package cli is kvguard's command line: it parses flags, wires inputs,
// the catalog, the assessor and the report writers together, and maps the
// outcome to an exit code. It holds no logic of its own beyond that wiring.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"runtime/pprof"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kvguard/kvguard/internal/assess"
	"github.com/kvguard/kvguard/internal/resource"
)

// Exit codes.
const (
	ExitOK       = 0
	ExitFindings = 1
	ExitError    = 2
)

// IOStreams are the process's standard streams.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
	// ErrIsTerminal enables progress displays on stderr.
	ErrIsTerminal bool
	// OutWidth is standard output's width when it is a terminal (0 when
	// it is not); OutColor allows colour there.
	OutWidth int
	OutColor bool
}

// UsageError is a mistake on the command line; it is printed with a hint
// to run --help and exits 2.
type UsageError struct{ Err error }

// helpHint names the help of the command that was run ("kvguard scan
// --help" after a mistyped scan flag).
func helpHint(cmd *cobra.Command) string {
	path := "kvguard"
	if cmd != nil {
		path = cmd.CommandPath()
	}
	return "Run '" + path + " --help' for usage."
}

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

func usageErrorf(format string, args ...any) error {
	return &UsageError{Err: fmt.Errorf(format, args...)}
}

// errInput marks a run whose results were written but whose input had
// errors: exit 2.
var errInput = errors.New("the input had errors")

// app is what every command shares.
type app struct {
	io      IOStreams
	logger  *slog.Logger
	version string
	// stopProfile ends the --cpuprofile profile, whatever the command's
	// outcome (a scan with findings returns an error, so a post-run hook
	// would not see it).
	stopProfile func()
}

// Run executes kvguard with args (without the program name) and returns
// the exit code: 0 when nothing unhealthy reaches --fail-on, 1 for
// findings, 2 for usage or input errors (results that could be computed
// are still written).
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	streams := IOStreams{In: stdin, Out: stdout, ErrOut: stderr, ErrIsTerminal: isTerminal(stderr)}
	if w, ok := terminalWidth(stdout); ok {
		streams.OutWidth, streams.OutColor = w, colorWanted(true, os.Getenv)
	}
	a := &app{io: streams, version: Version()}
	level := new(slog.LevelVar)
	level.Set(slog.LevelWarn)
	a.logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	root := newRootCmd(a, level)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	cmd, err := root.ExecuteContextC(ctx)
	if a.stopProfile != nil {
		a.stopProfile()
	}
	return exitCode(err, stderr, cmd)
}

func exitCode(err error, stderr io.Writer, cmd *cobra.Command) int {
	var usage *UsageError
	switch {
	case err == nil:
		return ExitOK
	case errors.Is(err, errInput):
		return ExitError
	case errors.Is(err, assess.ErrFindings), errors.Is(err, errEmpty), errors.Is(err, errNewFindings):
		return ExitFindings
	case errors.As(err, &usage):
		printError(stderr, usage.Err)
		fmt.Fprintln(stderr, helpHint(cmd))
		return ExitError
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(stderr, "kvguard: interrupted")
		return ExitError
	}
	printError(stderr, err)
	return ExitError
}

// printError is the one error printer: "kvguard: message" lines, one per
// error of an errors.Join, with control and bidi runes escaped so that a
// file name cannot drive the terminal or forge a line.
func printError(w io.Writer, err error) {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			printError(w, e)
		}
		return
	}
	fmt.Fprintf(w, "kvguard: %s\n", resource.Printable(err.Error()))
}

func newRootCmd(a *app, level *slog.LevelVar) *cobra.Command {
	var logLevel, cpuProfile, memProfile string
	root := &cobra.Command{
		Use:   "kvguard",
		Short: "Judge Azure Key Vaults the way Microsoft Defender for Cloud does",
		Long: `kvguard judges Azure Key Vaults against Microsoft Defender for Cloud's Key Vault
recommendations, with the verdicts Azure Policy gives, before and after deployment:
live Azure, Terraform (HCL and plan JSON), ARM templates, Bicep and saved Azure JSON.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       a.version,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			switch strings.ToLower(logLevel) {
			case "debug":
				level.Set(slog.LevelDebug)
			case "info":
				level.Set(slog.LevelInfo)
			case "warn", "warning":
				level.Set(slog.LevelWarn)
			case "error":
				level.Set(slog.LevelError)
			default:
				return usageErrorf("unknown --log-level %q (debug, info, warn, error)", logLevel)
			}
			if cpuProfile != "" || memProfile != "" {
				stop, err := startProfiles(cpuProfile, memProfile)
				if err != nil {
					return err
				}
				a.stopProfile = stop
			}
			return nil
		},
	}
	// --version has no -v: under scan, -v is --verbose, and one letter
	// should mean one thing. It prints what 'kvguard version' prints.
	root.Flags().Bool("version", false, "print kvguard's version")
	root.SetVersionTemplate(versionLine(a.version))
	root.PersistentFlags().StringVar(&logLevel, "log-level", "warn", "diagnostics on stderr: debug, info, warn or error")
	// For whoever measures kvguard (bench/README.md): hidden, since it
	// says nothing about Key Vaults.
	root.PersistentFlags().StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile (go tool pprof) to this file")
	root.PersistentFlags().StringVar(&memProfile, "memprofile", "", "write an allocation profile (go tool pprof) to this file on exit")
	_ = root.PersistentFlags().MarkHidden("cpuprofile")
	_ = root.PersistentFlags().MarkHidden("memprofile")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &UsageError{Err: err} })
	wrapHelp(root, a.io.OutWidth)
	root.AddCommand(newTokenCmd(a))
	root.AddCommand(newScanCmd(a), newRulesCmd(a), newFrameworksCmd(a), newInspectCmd(a), newSimulateCmd(a.io.Out, a.io.ErrOut, a.logger), newVersionCmd(a), newDiffCmd(a), newWorkerCmd(a))
	root.AddCommand(newServeCmd(a))
	return root
}

// startProfiles profiles the process's CPU into cpuPath and its
// allocations into memPath (either may be empty) until the returned
// function is called.
func startProfiles(cpuPath, memPath string) (func(), error) {
	var cpu *os.File
	if cpuPath != "" {
		f, err := os.Create(cpuPath)
		if err != nil {
			return nil, fmt.Errorf("--cpuprofile: %w", err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			_ = f.Close()
			return nil, fmt.Errorf("--cpuprofile %s: %w", cpuPath, err)
		}
		cpu = f
	}
	return func() {
		if cpu != nil {
			pprof.StopCPUProfile()
			_ = cpu.Close()
		}
		if memPath == "" {
			return
		}
		f, err := os.Create(memPath)
		if err != nil {
			return
		}
		defer f.Close()
		_ = pprof.Lookup("allocs").WriteTo(f, 0)
	}, nil
}

// Version is the module version from the build, or "dev".
func Version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

func newVersionCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print kvguard's version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := io.WriteString(a.io.Out, versionLine(a.version))
			return err
		},
	}
}

// versionLine is what version and --version print.
func versionLine(v string) string { return "kvguard " + v + "\n" }

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}
