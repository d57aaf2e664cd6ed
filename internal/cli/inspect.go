package cli

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/kvguard/kvguard/internal/estate"
	"github.com/kvguard/kvguard/internal/resource"
)

func newInspectCmd(a *app) *cobra.Command {
	opts := &inputOptions{}
	cmd := &cobra.Command{
		Use:   "inspect PATH... | -",
		Short: "Print the resource documents kvguard builds from the inputs, as JSON",
		Long: `Inspect reads the inputs as scan does and prints the resource documents it built,
as JSON: each the ARM-shaped body Azure would store, with where it came from, the values
that could not be known before deployment, the parts that could not be read and the
suppressions found. Private endpoints are already linked into the vaults they target.
Use it to see why a verdict came out as it did, or to compare two inputs.`,
		Example: `  kvguard inspect main.bicep
  kvguard inspect ./infra --var env=prod |
    jq '.documents[] | select(.type == "Microsoft.KeyVault/vaults")'`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runInspect(cmd.Context(), a, opts, args)
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&opts.vars, "var", nil, "Terraform: set a variable, NAME=VALUE (repeatable)")
	f.StringArrayVar(&opts.varFiles, "var-file", nil, "Terraform: read variables from a .tfvars file (repeatable)")
	f.StringArrayVar(&opts.parameters, "parameters", nil, "ARM/Bicep: a parameters file (repeatable)")
	f.IntVar(&opts.maxInstances, "max-instances", resource.DefaultMaxInstances, maxInstancesHelp)
	return cmd
}

type inspectMeta struct {
	Source       sourceJSON             `json:"source"`
	Deployment   string                 `json:"deployment,omitempty"`
	Parent       *resource.Ref          `json:"parent,omitempty"`
	Unknowns     []resource.UnknownAt   `json:"unknowns,omitempty"`
	Gaps         []resource.Gap         `json:"gaps,omitempty"`
	Suppressions []resource.Suppression `json:"suppressions,omitempty"`
}

type sourceJSON struct {
	Kind       string `json:"kind"`
	File       string `json:"file,omitempty"`
	StartLine  int    `json:"startLine,omitempty"`
	EndLine    int    `json:"endLine,omitempty"`
	Address    string `json:"address,omitempty"`
	APIVersion string `json:"apiVersion,omitempty"`
	ReadAt     string `json:"readAt,omitempty"`
}

func runInspect(ctx context.Context, a *app, opts *inputOptions, paths []string) error {
	var mu sync.Mutex
	var comps []*resource.Document
	var errs []error
	est := estate.New()
	err := a.readAll(ctx, paths, opts,
		func(d *resource.Document) {
			if !estate.IsComponent(d) {
				est.Add(d)
				return
			}
			mu.Lock()
			comps = append(comps, d)
			mu.Unlock()
		},
		func(err error) { mu.Lock(); errs = append(errs, err); mu.Unlock() })
	if err != nil {
		return err
	}
	// The documents as the judge sees them: duplicates resolved, private
	// endpoints linked into their vaults.
	idx, warnings := est.Seal()
	docs := append(append([]*resource.Document(nil), idx.Docs()...), comps...)
	sort.SliceStable(docs, func(i, j int) bool {
		x, y := docs[i].Source, docs[j].Source
		if x.File != y.File {
			return x.File < y.File
		}
		if x.StartLine != y.StartLine {
			return x.StartLine < y.StartLine
		}
		return docs[i].ID < docs[j].ID
	})
	out := make([]map[string]any, 0, len(docs))
	for _, d := range docs {
		out = append(out, inspectJSON(d))
	}
	var problems []map[string]any
	for _, e := range errs {
		for _, ie := range estate.Flatten(e) {
			problems = append(problems, errorJSON(ie))
			fmt.Fprintf(a.io.ErrOut, "kvguard: %s: %s\n", severityWord(ie), escapeTerminal(ie.Error()))
		}
	}
	for _, w := range warnings {
		problems = append(problems, errorJSON(w))
	}
	if err := writeJSON(a.io.Out, map[string]any{"documents": out, "errors": problems}); err != nil {
		return err
	}
	for _, p := range problems {
		if p["severity"] == "error" {
			return errInput
		}
	}
	return nil
}

func inspectJSON(d *resource.Document) map[string]any {
	m := map[string]any{}
	for k, v := range d.Body {
		m[k] = v
	}
	if _, ok := m["id"]; !ok && d.ID != "" {
		m["id"] = d.ID
	}
	if _, ok := m["type"]; !ok {
		m["type"] = d.Type
	}
	if _, ok := m["name"]; !ok && d.Name != "" {
		m["name"] = d.Name
	}
	meta := inspectMeta{Source: sourceJSON{Kind: d.Source.Kind, File: d.Source.File, StartLine: d.Source.StartLine, EndLine: d.Source.EndLine,
		Address: d.Source.Address, APIVersion: d.Source.APIVersion}, Deployment: d.Deployment, Unknowns: resource.Unknowns(d.Body), Gaps: d.Gaps, Suppressions: d.Suppressions}
	if !d.Source.ReadAt.IsZero() {
		meta.Source.ReadAt = d.Source.ReadAt.UTC().Format(time.RFC3339)
	}
	if !d.Parent.IsZero() {
		p := d.Parent
		meta.Parent = &p
	}
	m["kvguard"] = meta
	return m
}

func errorJSON(e *resource.InputError) map[string]any {
	m := map[string]any{"severity": severityWord(e), "message": e.Msg}
	if e.Pos.File != "" {
		m["file"] = e.Pos.File
	}
	if e.Pos.Line > 0 {
		m["line"] = e.Pos.Line
	}
	if e.Pos.Col > 0 {
		m["column"] = e.Pos.Col
	}
	if e.ResourceID != "" {
		m["resourceId"] = e.ResourceID
	}
	return m
}
