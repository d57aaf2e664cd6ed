package source

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/kvguard/kvguard/internal/armexpr"
	"github.com/kvguard/kvguard/internal/resource"
	"github.com/kvguard/kvguard/internal/source/armtemplate"
	"github.com/kvguard/kvguard/internal/source/bicep"
	"github.com/kvguard/kvguard/internal/source/saved"
	"github.com/kvguard/kvguard/internal/source/terraform"
)

// Reader reads one input: the contract every input package meets (see
// docs/architecture.md). It returns nil or an errors.Join of
// *resource.InputError; everything that can be read is emitted.
type Reader interface {
	Read(ctx context.Context, path string, emit func(*resource.Document)) error
}

// streamReader reads an input from a stream (standard input, a pipe);
// name is what positions and provenance call it.
type streamReader interface {
	ReadFrom(ctx context.Context, in io.Reader, name string, emit func(*resource.Document)) error
}

// foundReader reads a file a walk found, more leniently than one named
// on the command line.
type foundReader interface {
	ReadFound(ctx context.Context, path string, emit func(*resource.Document)) error
}

// kindSpec is one input kind: how kvguard recognises its files and how
// it reads them. An entry without a kind names files kvguard recognises
// but does not read, and says why.
type kindSpec struct {
	kind Kind
	// suffixes are the file name endings (lower case) that make a file
	// this kind whatever its content.
	suffixes []string
	// content recognises a JSON file from its first 64 KiB.
	content func(head []byte) bool
	// fallback: a file named on the command line that no other entry
	// recognises is read as this kind (its reader says what is wrong).
	fallback bool
	// why is the reason a file of a kind-less entry is left out.
	why string
	// inWalk, when set, is why a walk leaves such a file out although it
	// is read when named on the command line.
	inWalk string
	// dirUnit: a file of this kind stands for its directory (a Terraform
	// module is its directory's files).
	dirUnit bool
	// besides, when set, says why a walk leaves a file of this kind out
	// given the other files in its directory (siblings, by name).
	besides func(path string, head []byte, siblings map[string]bool) string
	// calls lists the inputs of the tree an input calls (local modules,
	// linked templates), cleaned: a walk reads those through their
	// caller, and reports calls that go round in a cycle.
	calls func(path string) []string
	// deployment: the input's documents are the planned resources of
	// one deployment, the input's path, and are tagged with it.
	deployment bool
	// newReader builds the kind's reader.
	newReader func(o *Options) Reader
}

// kinds is every input kvguard reads, in the order files are tested
// against them: names first, then content. This is the one list of
// inputs; nothing registers itself elsewhere.
var kinds = registry{
	{kind: TerraformModule, suffixes: []string{".tf", ".tf.json"}, dirUnit: true, calls: terraform.ModuleCalls, deployment: true, newReader: newTerraform},
	{why: "a Terraform variables file: pass it with --var-file", suffixes: []string{".tfvars", ".tfvars.json"}},
	{kind: Bicep, suffixes: []string{".bicep"}, calls: bicep.ModuleCalls, deployment: true, newReader: newBicep},
	{kind: Bicep, suffixes: []string{".bicepparam"}, deployment: true, newReader: newBicep,
		inWalk: "Bicep parameters, read with the Bicep file they name (name the .bicepparam file to read it instead)"},
	{kind: TerraformPlan, content: terraform.IsPlan, deployment: true, newReader: newTerraform},
	{why: "an ARM parameters file: pass it with --parameters (a file named <template>.parameters.json beside its template is used automatically)",
		content: armtemplate.IsParameters},
	{kind: ARMTemplate, content: armtemplate.IsTemplate, besides: compiledFromBicep, calls: armtemplate.TemplateLinks, deployment: true, newReader: newARM},
	{why: "a policy definition: pass it with --policy to add it to the checks", content: isPolicyDefinition},
	{kind: AzureJSON, content: looksLikeAzure, fallback: true, newReader: newSaved},
}

// sniffed are the file name endings (lower case) a walk reads to
// recognise the file by its content.
var sniffed = []string{".json", ".jsonc"}

// registry is a list of input kinds: kinds, or a test's.
type registry []kindSpec

// fallback is the kind of a named file nothing else recognises, and of
// standard input.
func (r registry) fallback() *kindSpec {
	for i := range r {
		if r[i].fallback {
			return &r[i]
		}
	}
	return &kindSpec{}
}

// specOf is the (first) entry of a kind.
func (r registry) specOf(k Kind) *kindSpec {
	for i := range r {
		if r[i].kind == k {
			return &r[i]
		}
	}
	return nil
}

func newTerraform(o *Options) Reader {
	return terraform.New(terraform.Options{Vars: o.Vars, VarFiles: o.VarFiles, MaxInstances: o.MaxInstances, Logger: o.logger()})
}

func newBicep(o *Options) Reader {
	return bicep.New(bicep.Options{ParameterFiles: o.ParameterFiles, Deployment: armexpr.DefaultDeployment(), Logger: o.logger(), ReadRoots: o.ReadRoots, AllowEnv: o.AllowEnv, MaxInstances: o.MaxInstances})
}

func newARM(o *Options) Reader {
	// The default deployment is given whole, scope included, as the CLI
	// always has: a zero scope would let a template's schema choose it.
	return armtemplate.New(armtemplate.Options{ParameterFiles: o.ParameterFiles, Deployment: armexpr.DefaultDeployment(), Logger: o.logger(), ReadRoots: o.ReadRoots, MaxInstances: o.MaxInstances})
}

func newSaved(o *Options) Reader {
	return saved.New(saved.Options{Logger: o.logger()})
}

// compiledFromBicep: a template that is `bicep build` output of a .bicep
// file in the same directory (main.json beside main.bicep) is left out,
// so that the deployment is not judged twice.
func compiledFromBicep(path string, head []byte, siblings map[string]bool) string {
	base := filepath.Base(path)
	if !siblings[strings.TrimSuffix(base, filepath.Ext(base))+".bicep"] ||
		!bytes.Contains(head, []byte(`"_generator"`)) || !bytes.Contains(head, []byte(`"bicep"`)) {
		return ""
	}
	return "compiled from the Bicep file beside it, which is scanned instead"
}

func isPolicyDefinition(head []byte) bool {
	return bytes.Contains(head, []byte(`"policyRule"`))
}

// looksLikeAzure spots saved Azure JSON in a directory walk: resource IDs,
// resource types ("type": "Microsoft.…"), Key Vault URLs or a kvguard
// snapshot header. A mere mention of Microsoft (an Azure Function's
// host.json names its extension bundle so) is not enough. Key Vault
// data-plane bodies are also known by their shape — an object URL
// (https://<host>/secrets|keys|certificates/…) beside "attributes" — so
// that those of a sovereign or private cloud, whose vault hosts are on a
// DNS suffix no list names, are read too.
func looksLikeAzure(head []byte) bool {
	for _, marker := range []string{`"kvguardSnapshot"`, `/subscriptions/`, `.vault.azure.`, `.vault.usgovcloudapi.`, `.vault.azure.cn`, `.managedhsm.azure.`} {
		if bytes.Contains(head, []byte(marker)) {
			return true
		}
	}
	if resourceType.Match(head) {
		return true
	}
	return bytes.Contains(head, []byte(`"attributes"`)) && dataPlaneObjectURL.Match(head)
}

var (
	resourceType       = regexp.MustCompile(`"type"\s*:\s*"(?:[Mm]icrosoft|MICROSOFT)\.`)
	dataPlaneObjectURL = regexp.MustCompile(`"(?:id|kid)"\s*:\s*"https://[^"/\s]+/(?:secrets|keys|certificates)/[^"/\s]+`)
)
