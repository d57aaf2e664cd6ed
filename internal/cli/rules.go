package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/kvguard/kvguard/internal/catalog"
	"github.com/kvguard/kvguard/internal/report/table"
)

func newRulesCmd(a *app) *cobra.Command {
	var format string
	width := -1
	cmd := &cobra.Command{
		Use:   "rules",
		Short: "List the recommendations kvguard checks",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cat, err := catalog.Defender(catalog.Options{})
			if err != nil {
				return err
			}
			switch strings.ToLower(format) {
			case "table", "text":
				w, _ := a.tableLayout(true, width)
				return listRules(a.io.Out, cat, w)
			case "json":
				return writeJSON(a.io.Out, cat.Recommendations)
			}
			return usageErrorf("unknown --format %q (table, json)", format)
		},
	}
	cmd.Flags().StringVarP(&format, "format", "f", "table", "table or json")
	cmd.Flags().IntVar(&width, "width", -1, "wrap lines to this many columns, 0 for none (default: the terminal's width, or 80 when standard output is not a terminal)")
	cmd.AddCommand(newRulesShowCmd(a))
	return cmd
}

// listRules prints the recommendations: one line each when the width
// allows, else the title wrapped in its column and the Azure Policy
// GUID on a line of its own.
func listRules(w io.Writer, cat *catalog.Catalog, width int) error {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSEVERITY\tRECOMMENDATION\tAZURE POLICY")
	for _, r := range cat.Recommendations {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.ID, r.Severity, r.Title, r.RelatedPolicy.ID)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	full := b.String()
	if width > 0 && widest(full) > width {
		full = narrowRules(cat, width)
	}
	if _, err := io.WriteString(w, full); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n"+strings.Join(table.Wrap("kvguard rules show <id> explains a recommendation and how to fix it.", width, width), "\n")+"\n")
	return err
}

func widest(s string) int {
	n := 0
	for _, l := range strings.Split(s, "\n") {
		n = max(n, utf8.RuneCountInString(l))
	}
	return n
}

func narrowRules(cat *catalog.Catalog, width int) string {
	idw := len("ID")
	for _, r := range cat.Recommendations {
		idw = max(idw, utf8.RuneCountInString(r.ID))
	}
	const sevw = 8
	titlew := max(width-idw-2-sevw-2, 10)
	var b strings.Builder
	fmt.Fprintf(&b, "%-*s  %-*s  %s\n", idw, "ID", sevw, "SEVERITY", "RECOMMENDATION")
	pad := strings.Repeat(" ", idw+2+sevw+2)
	for _, r := range cat.Recommendations {
		lines := table.Wrap(r.Title, titlew, titlew)
		fmt.Fprintf(&b, "%-*s  %-*s  %s\n", idw, r.ID, sevw, r.Severity, lines[0])
		for _, l := range lines[1:] {
			b.WriteString(pad + l + "\n")
		}
		if r.RelatedPolicy.ID != "" {
			for _, l := range table.Wrap("policy "+r.RelatedPolicy.ID, titlew, titlew) {
				b.WriteString(pad + l + "\n")
			}
		}
	}
	return b.String()
}

func newRulesShowCmd(a *app) *cobra.Command {
	var format string
	var definition bool
	cmd := &cobra.Command{
		Use:   "show ID",
		Short: "Explain a recommendation: logic, rationale, remediation",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cat, err := catalog.Defender(catalog.Options{})
			if err != nil {
				return err
			}
			r, ok := cat.Lookup(args[0])
			if !ok {
				return usageErrorf("unknown recommendation %q (known: %s)", args[0], strings.Join(cat.IDs(), ", "))
			}
			if definition {
				return writeJSON(a.io.Out, definitionJSON(r))
			}
			switch strings.ToLower(format) {
			case "table", "text":
				return showRule(a.io.Out, r)
			case "json":
				return writeJSON(a.io.Out, r)
			}
			return usageErrorf("unknown --format %q (table, json)", format)
		},
	}
	cmd.Flags().StringVarP(&format, "format", "f", "table", "table or json")
	cmd.Flags().BoolVar(&definition, "definition", false, "print kvguard's Azure Policy definition for the recommendation")
	return cmd
}

// definitionJSON is the recommendation's policy definition as a resource,
// ready for az policy definition create --rules/--params or a custom import.
func definitionJSON(r *catalog.Recommendation) any {
	d := r.Definition
	params := map[string]any{}
	for _, p := range d.SortedParameters() {
		entry := map[string]any{"type": p.Type, "metadata": map[string]any{"displayName": p.DisplayName}}
		if p.HasDefault {
			entry["defaultValue"] = p.Default
		}
		if len(p.AllowedValues) > 0 {
			entry["allowedValues"] = p.AllowedValues
		}
		params[p.Name] = entry
	}
	return map[string]any{
		"name": r.ID,
		"properties": map[string]any{
			"displayName": d.DisplayName, "description": d.Description, "mode": d.Mode,
			"metadata": d.Metadata, "parameters": params, "policyRule": d.Rule(),
		},
	}
}

func showRule(w io.Writer, r *catalog.Recommendation) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n%s\n\n", r.Title, strings.Repeat("=", len(r.Title)))
	fmt.Fprintf(&b, "ID:              %s\nSeverity:        %s\nType:            %s\n", r.ID, r.Severity, r.Type)
	fmt.Fprintf(&b, "Azure Policy:    %s (%s, version %s)\n", r.RelatedPolicy.DisplayName, r.RelatedPolicy.ID, r.RelatedPolicy.Version)
	switch {
	case r.AssessmentKey != "" && r.AssessmentKeyNote != "":
		fmt.Fprintf(&b, "Assessment key:  %s (%s)\n", r.AssessmentKey, r.AssessmentKeyNote)
	case r.AssessmentKey != "":
		fmt.Fprintf(&b, "Assessment key:  %s\n", r.AssessmentKey)
	case r.AssessmentKeyNote != "":
		fmt.Fprintf(&b, "Assessment key:  unknown (%s)\n", r.AssessmentKeyNote)
	}
	if len(r.Frameworks) > 0 {
		var fw []string
		for _, f := range r.Frameworks {
			fw = append(fw, f.Framework+" "+f.Control)
		}
		fmt.Fprintf(&b, "Frameworks:      %s\n", strings.Join(fw, ", "))
	}
	section := func(title, text string) {
		if text != "" {
			fmt.Fprintf(&b, "\n%s\n%s\n", title, indent(text))
		}
	}
	section("What it checks", r.Description)
	section("Healthy when", r.Requirement)
	section("Logic", r.Logic)
	section("Why it matters", r.Rationale)
	section("Fix it in the Azure portal", r.Remediation.Portal)
	section("Fix it with the Azure CLI", r.Remediation.CLI)
	section("Fix it in Terraform", r.Remediation.Terraform)
	section("Fix it in Bicep", r.Remediation.Bicep)
	if len(r.LearnMore) > 0 {
		section("Learn more", strings.Join(r.LearnMore, "\n"))
	}
	fmt.Fprintf(&b, "\nSuppress a finding in code with: kvguard:ignore %s <reason> exp:YYYY-MM-DD\n", r.ID)
	_, err := io.WriteString(w, b.String())
	return err
}

func indent(s string) string {
	return "  " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n  ")
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
