package source

import (
	"bytes"
	"context"
	"io"

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
	// deployment: the input's documents are the planned resources of
	// one deployment, the input's path, and are tagged with it.
	deployment bool
	// newReader builds the kind's reader.
	newReader func(o *Options) Reader
}

// kinds is every input kvguard reads, in the order files are tested
// against them: names first, then content. This is the one list of
// inputs; nothing registers itself elsewhere.
var kinds = []kindSpec{
	{kind: TerraformModule, suffixes: []string{".tf", ".tf.json"}, deployment: true, newReader: newTerraform},
	{why: "a Terraform variables file: pass it with --var-file", suffixes: []string{".tfvars", ".tfvars.json"}},
	{kind: Bicep, suffixes: []string{".bicep", ".bicepparam"}, deployment: true, newReader: newBicep},
	{kind: TerraformPlan, content: terraform.IsPlan, deployment: true, newReader: newTerraform},
	{why: "an ARM parameters file: pass it with --parameters (a file named <template>.parameters.json beside its template is used automatically)",
		content: armtemplate.IsParameters},
	{kind: ARMTemplate, content: armtemplate.IsTemplate, deployment: true, newReader: newARM},
	{why: "a policy definition: pass it with --policy to add it to the checks", content: isPolicyDefinition},
	{kind: AzureJSON, content: looksLikeAzure, fallback: true, newReader: newSaved},
}

// specOf is the entry of a kind.
func specOf(k Kind) *kindSpec {
	for i := range kinds {
		if kinds[i].kind == k {
			return &kinds[i]
		}
	}
	return nil
}

func newTerraform(o *Options) Reader {
	return terraform.New(terraform.Options{Vars: o.Vars, VarFiles: o.VarFiles, Logger: o.logger()})
}

func newBicep(o *Options) Reader {
	return bicep.New(bicep.Options{ParameterFiles: o.ParameterFiles, Deployment: armexpr.DefaultDeployment(), Logger: o.logger()})
}

func newARM(o *Options) Reader {
	// The default deployment is given whole, scope included, as the CLI
	// always has: a zero scope would let a template's schema choose it.
	return armtemplate.New(armtemplate.Options{ParameterFiles: o.ParameterFiles, Deployment: armexpr.DefaultDeployment(), Logger: o.logger()})
}

func newSaved(o *Options) Reader {
	return saved.New(saved.Options{Logger: o.logger()})
}

func isPolicyDefinition(head []byte) bool {
	return bytes.Contains(head, []byte(`"policyRule"`))
}

// looksLikeAzure spots saved Azure JSON in a directory walk: resource IDs,
// resource types, Key Vault URLs or a kvguard snapshot header.
func looksLikeAzure(head []byte) bool {
	for _, marker := range []string{`"kvguardSnapshot"`, `/subscriptions/`, `Microsoft.`, `microsoft.`, `.vault.azure.`, `.vault.usgovcloudapi.`, `.vault.azure.cn`} {
		if bytes.Contains(head, []byte(marker)) {
			return true
		}
	}
	return false
}
