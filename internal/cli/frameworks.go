package cli

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/kvguard/kvguard/internal/catalog"
)

func newFrameworksCmd(a *app) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "frameworks [ID]",
		Short: "List the compliance frameworks kvguard scan --framework judges, or one framework's controls",
		Long: `Frameworks lists the compliance frameworks kvguard maps, each following the Azure Policy
initiative Microsoft publishes for it: which Key Vault policies it assigns, with which
parameters, under which controls. With an ID it shows the framework's controls, the
recommendations behind each, and whether Key Vault covers the control alone or only part
of it.`,
		Example: `  kvguard frameworks
  kvguard frameworks mcsb
  kvguard scan ./infra --framework cis-azure-3.0.0`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			fws, err := catalog.Benchmarks()
			if err != nil {
				return err
			}
			if len(args) == 1 {
				fw, err := catalog.LookupBenchmark(args[0])
				if err != nil {
					return &UsageError{Err: err}
				}
				fws = []*catalog.Benchmark{fw}
			}
			switch strings.ToLower(format) {
			case "table", "text":
				if len(args) == 1 {
					return showFramework(a.io.Out, fws[0])
				}
				return listFrameworks(a.io.Out, fws)
			case "json":
				if len(args) == 1 {
					return writeJSON(a.io.Out, fws[0])
				}
				return writeJSON(a.io.Out, fws)
			}
			return usageErrorf("unknown --format %q (table, json)", format)
		},
	}
	cmd.Flags().StringVarP(&format, "format", "f", "table", "table or json")
	return cmd
}

func listFrameworks(w io.Writer, fws []*catalog.Benchmark) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tFRAMEWORK\tCONTROLS\tPOLICIES\tINITIATIVE")
	for _, fw := range fws {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s (%s)\n", fw.ID, fw.Title, len(fw.Controls), len(fw.Policies), fw.Initiative.ID, fw.Initiative.Version)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintln(w, "\nkvguard frameworks <id> shows a framework's controls; kvguard scan --framework <id> judges them.")
	return err
}

func showFramework(w io.Writer, fw *catalog.Benchmark) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n%s\n\n", fw.Title, strings.Repeat("=", len(fw.Title)))
	fmt.Fprintf(&b, "ID:          %s\nInitiative:  %s (%s, version %s)\n\n", fw.ID, fw.Initiative.DisplayName, fw.Initiative.ID, fw.Initiative.Version)
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CONTROL\tTITLE\tKEY VAULT POLICIES\tRECOMMENDATIONS")
	for _, c := range fw.Controls {
		var recs []string
		for _, p := range fw.Policies {
			if !contains(p.Controls, c.ID) {
				continue
			}
			switch {
			case p.Recommendation == "":
				recs = append(recs, p.Policy+" (not judged)")
			case p.Effect != "" && strings.EqualFold(p.Effect, "disabled"):
				recs = append(recs, p.Recommendation+" (Disabled in the initiative)")
			default:
				recs = append(recs, p.Recommendation)
			}
		}
		cover := fmt.Sprintf("%d of %d", c.KeyVaultPolicies, c.InitiativePolicies)
		if c.Partial() {
			cover += " (partial)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.ID, c.Title, cover, strings.Join(recs, ", "))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	b.WriteString("\nA control marked partial has policies beyond Key Vault's in the initiative: kvguard's verdict covers\nits Key Vault part only.")
	for _, p := range fw.Policies {
		if p.NotJudged != "" {
			fmt.Fprintf(&b, "\nNot judged: %s (%s): %s.", p.Policy, p.ReferenceID, p.NotJudged)
		}
	}
	var notes []string
	for _, c := range fw.Controls {
		if c.Note != "" {
			notes = append(notes, c.ID+": "+c.Note)
		}
	}
	if len(notes) > 0 {
		b.WriteString("\n\nNotes:\n  " + strings.Join(notes, "\n  "))
	}
	b.WriteString("\n\nkvguard judges every policy the initiative assigns, with its parameter values, whatever effect it\nassigns (an effect says what Azure does about a finding, not what the finding is).\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
