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
	var all bool
	width := -1
	cmd := &cobra.Command{
		Use:   "rules",
		Short: "List the recommendations kvguard checks",
		Long: `Rules lists the six Defender for Cloud recommendations kvguard scan judges by default;
--all lists every Key Vault and Managed HSM built-in kvguard has a definition for, with its
source policy, mode, severity, parameters and status (preview, deprecated, or a parameter
that needs a value before it can be judged).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cat, err := catalog.All(catalog.Options{})
			if err != nil {
				return err
			}
			rules := cat.Recommendations
			if !all {
				rules = nil
				for _, r := range cat.Recommendations {
					if r.Default {
						rules = append(rules, r)
					}
				}
			}
			switch strings.ToLower(format) {
			case "table", "text":
				w, _ := a.tableLayout(true, width)
				return listRules(a.io.Out, rules, all, w)
			case "json":
				views := make([]ruleView, len(rules))
				for i, r := range rules {
					views[i] = viewRule(r)
				}
				return writeJSON(a.io.Out, views)
			}
			return usageErrorf("unknown --format %q (table, json)", format)
		},
	}
	cmd.Flags().StringVarP(&format, "format", "f", "table", "table or json")
	cmd.Flags().IntVar(&width, "width", -1, "wrap lines to this many columns, 0 for none (default: the terminal's width, or 80 when standard output is not a terminal)")
	cmd.Flags().BoolVar(&all, "all", false, "list every recommendation, not only the six judged by default")
	cmd.AddCommand(newRulesShowCmd(a))
	return cmd
}

// ruleView is a recommendation as kvguard rules --format json shows it:
// its metadata, its definition's mode and its parameters.
type ruleView struct {
	*catalog.Recommendation
	Mode       string      `json:"mode"`
	Parameters []paramView `json:"parameters"`
}

// paramView is one parameter of a recommendation's definition.
type paramView struct {
	Name          string `json:"name"`
	Type          string `json:"type"`
	Default       any    `json:"default,omitempty"`
	AllowedValues []any  `json:"allowedValues,omitempty"`
}

func viewRule(r *catalog.Recommendation) ruleView {
	v := ruleView{Recommendation: r, Mode: r.Definition.Mode, Parameters: []paramView{}}
	for _, p := range r.Definition.SortedParameters() {
		pv := paramView{Name: p.Name, Type: p.Type, AllowedValues: p.AllowedValues}
		if p.HasDefault {
			pv.Default = p.Default
		}
		v.Parameters = append(v.Parameters, pv)
	}
	return v
}

// status says how a recommendation is judged: by default, on request, not
// until a parameter has a value, or (deprecated) only when selected.
func status(r *catalog.Recommendation) string {
	var s []string
	switch {
	case r.Default:
		s = append(s, "default")
	case r.Deprecated:
		s = append(s, "deprecated (-r only)")
	case !r.Judgeable():
		s = append(s, "needs --param "+strings.Join(r.NeedsParams, ", "))
	default:
		s = append(s, "--all")
	}
	if r.Preview {
		s = append(s, "preview")
	}
	return strings.Join(s, ", ")
}

// paramSummary lists a recommendation's parameters other than the effect,
// with their defaults.
func paramSummary(r *catalog.Recommendation) string {
	var out []string
	for _, p := range r.Definition.SortedParameters() {
		if strings.Contains(strings.ToLower(p.Name), "effect") {
			continue
		}
		if p.HasDefault {
			out = append(out, p.Name+"="+compactJSON(p.Default))
		} else {
			out = append(out, p.Name+"=?")
		}
	}
	if len(out) == 0 {
		return "-"
	}
	return strings.Join(out, " ")
}

func compactJSON(v any) string {
	if s, ok := v.(string); ok && s != "" {
		return s
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func listRules(w io.Writer, rules []*catalog.Recommendation, all bool, width int) error {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	if all {
		fmt.Fprintln(tw, "ID\tSEVERITY\tMODE\tJUDGED\tAZURE POLICY\tPARAMETERS")
		for _, r := range rules {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Severity, r.Definition.Mode, status(r), r.RelatedPolicy.ID, paramSummary(r))
		}
	} else {
		fmt.Fprintln(tw, "ID\tSEVERITY\tRECOMMENDATION\tAZURE POLICY")
		for _, r := range rules {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.ID, r.Severity, r.Title, r.RelatedPolicy.ID)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	full := b.String()
	// --all's table is a reference listing with wide columns; only the
	// default listing is folded to the width.
	if !all && width > 0 && widest(full) > width {
		full = narrowRules(rules, width)
	}
	if _, err := io.WriteString(w, full); err != nil {
		return err
	}
	hint := "kvguard rules show <id> explains a recommendation and how to fix it; kvguard rules --all lists every one."
	if all {
		hint = fmt.Sprintf("%d recommendations. kvguard scan judges the default ones; --all the others too, -r ID any one, --framework ID a framework's. kvguard rules show <id> explains a recommendation and how to fix it.", len(rules))
	}
	_, err := io.WriteString(w, "\n"+strings.Join(table.Wrap(hint, width, width), "\n")+"\n")
	return err
}

func widest(s string) int {
	n := 0
	for _, l := range strings.Split(s, "\n") {
		n = max(n, utf8.RuneCountInString(l))
	}
	return n
}

func narrowRules(rules []*catalog.Recommendation, width int) string {
	idw := len("ID")
	for _, r := range rules {
		idw = max(idw, utf8.RuneCountInString(r.ID))
	}
	const sevw = 8
	titlew := max(width-idw-2-sevw-2, 10)
	var b strings.Builder
	fmt.Fprintf(&b, "%-*s  %-*s  %s\n", idw, "ID", sevw, "SEVERITY", "RECOMMENDATION")
	pad := strings.Repeat(" ", idw+2+sevw+2)
	for _, r := range rules {
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
			cat, err := catalog.All(catalog.Options{})
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
	if r.Definition != nil {
		fmt.Fprintf(&b, "Mode:            %s\nJudged:          %s\nParameters:      %s\n", r.Definition.Mode, status(r), paramSummary(r))
	}
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
