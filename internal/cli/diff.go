package cli

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kvguard/kvguard/internal/baseline"
)

func newDiffCmd(a *app) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "diff OLD.json NEW.json",
		Short: "Compare two JSON reports: new, fixed and unchanged findings",
		Long: `Diff compares the findings (unhealthy and unknown verdicts) of two JSON reports written by
kvguard scan --format json. A finding is recognised by its recommendation, its resource
(the Terraform address, Bicep or ARM symbolic name and deployment of a resource in code,
else its Azure resource ID) and, for a secret, key or certificate, its name: moving or
reformatting the code does not make it new. Lines do not count.

Exit codes: 0 no new finding; 1 new findings; 2 a usage or input error.`,
		Example: `  kvguard scan ./infra --format json -o old.json   # on the main branch
  kvguard scan ./infra --format json -o new.json   # on the pull request
  kvguard diff old.json new.json`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			old, err := baseline.Read(args[0])
			if err != nil {
				return err
			}
			cur, err := baseline.Read(args[1])
			if err != nil {
				return err
			}
			d := baseline.Compare(old, cur)
			switch strings.ToLower(format) {
			case "table", "text":
				err = writeDiff(a.io.Out, d)
			case "json":
				err = writeJSON(a.io.Out, d)
			default:
				return usageErrorf("unknown --format %q (table, json)", format)
			}
			if err != nil {
				return err
			}
			if len(d.New) > 0 {
				return errNewFindings
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&format, "format", "f", "table", "table or json")
	return cmd
}

// errNewFindings: kvguard diff found findings the old report lacks.
var errNewFindings = fmt.Errorf("new findings")

func writeDiff(w io.Writer, d baseline.Diff) error {
	b := bufio.NewWriter(w)
	for _, part := range []struct {
		title string
		list  []baseline.Finding
	}{{"NEW", d.New}, {"FIXED", d.Fixed}, {"UNCHANGED", d.Unchanged}} {
		fmt.Fprintf(b, "%s (%d)\n", part.title, len(part.list))
		for _, f := range part.list {
			name := f.Resource
			if f.Component != "" {
				name += " / " + f.Component
			}
			fmt.Fprintf(b, "  %-9s  %-6s  %s  %s\n", f.Status, f.Severity, escapeTerminal(f.Recommendation), escapeTerminal(name))
			if f.Where != "" {
				fmt.Fprintf(b, "  %-9s  %-6s  %s\n", "", "", escapeTerminal(f.Where))
			}
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(b, "%d new, %d fixed, %d unchanged.\n", len(d.New), len(d.Fixed), len(d.Unchanged))
	return b.Flush()
}
