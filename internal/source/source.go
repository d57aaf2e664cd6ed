// Package source knows kvguard's inputs: which input each path on the
// command line is (Terraform modules and plans, ARM templates, Bicep files,
// saved Azure JSON, recognising JSON files by their content), and how to
// read them all. It walks directories, keeps each deployment once (modules
// called by another module in the tree are read through their caller),
// says why it leaves a file out, and reads the inputs concurrently, each
// with the reader of its kind from the sub-packages.
//
// Every input kind is listed once, in kinds (inputs.go): how it is
// recognised and how it is read. Adding an input means adding an entry
// there.
package source

import (
	"io"
	"log/slog"
)

// Kind is an input kind.
type Kind string

// The input kinds.
const (
	AzureJSON       Kind = "azure-json"
	TerraformModule Kind = "terraform"
	TerraformPlan   Kind = "terraform-plan"
	ARMTemplate     Kind = "arm"
	Bicep           Kind = "bicep"
	// Stdin is "-": saved Azure JSON on standard input.
	Stdin Kind = "stdin"
	// Stream is a named pipe or another file that is not a regular file
	// (/dev/fd/63 from `<(az keyvault list)`), named on the command line:
	// read as a stream, its name or content decides what it is.
	Stream Kind = "stream"
)

// Input is one thing to read.
type Input struct {
	Path string
	Kind Kind
	// Found is set for a file a walk found rather than one named on the
	// command line: saved Azure JSON of a shape kvguard does not know is
	// then a warning, not an error (a directory holds other JSON too).
	Found bool
}

// Skipped is a file a walk left out, and why.
type Skipped struct {
	Path   string
	Reason string
	// Level is how loudly to say so: Debug for files that are not
	// kvguard's inputs at all, Info for inputs read some other way,
	// Warn for files kvguard will not read (a pipe, a link leaving the
	// tree).
	Level slog.Level
}

// Options shape how inputs are read: the command line's flags.
type Options struct {
	// Vars are Terraform's --var NAME=VALUE, by name.
	Vars map[string]string
	// VarFiles are Terraform's --var-file paths.
	VarFiles []string
	// ParameterFiles are ARM and Bicep --parameters files.
	ParameterFiles []string
	// Stdin is what "-" reads; nil reads nothing.
	Stdin io.Reader
	// Logger receives diagnostics; nil discards them.
	Logger *slog.Logger
	// MaxInstances caps the resource instances one IaC input may expand
	// to; 0 means resource.DefaultMaxInstances.
	MaxInstances int
	// ReadRoots are where templates may read besides their own tree
	// (the scanned paths and --read-root).
	ReadRoots []string
	// AllowEnv names the environment variables a .bicepparam file may read.
	AllowEnv []string
	// held bounds what deployments read before the plan confirms them
	// may hold (see ReadUnits); 0 means defaultHeldBudget. Tests set it.
	held int
	// finished, when set, is given the run once everything was read
	// (tests look at what it still keeps).
	finished func(*run)
}

func (o *Options) logger() *slog.Logger {
	if o.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return o.Logger
}
