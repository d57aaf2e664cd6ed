package cli

import (
	"bytes"
	"regexp"
	"strings"

	"github.com/spf13/cobra"
)

// wrapHelp makes every command's --help fit the terminal (80 columns
// when standard output is not one): cobra prints the long description
// and the flag list as written, up to 160 columns wide.
func wrapHelp(root *cobra.Command, width int) {
	if width <= 0 {
		width = defaultWidth
	}
	def := root.HelpFunc()
	root.SetHelpFunc(func(cmd *cobra.Command, args []string) {
		var b bytes.Buffer
		out := cmd.OutOrStdout()
		cmd.SetOut(&b)
		def(cmd, args)
		cmd.SetOut(out)
		_, _ = out.Write([]byte(fitHelp(b.String(), width)))
	})
}

// column finds where a listed item's description starts: after the
// flag or command name and a gap of two spaces or more.
var column = regexp.MustCompile(`^(\s+\S.*?\s{2,})\S`)

// fitHelp rewraps help text to width: the paragraphs of the description
// (the unindented lines before "Usage:") are refilled; a longer listed
// line (a flag, a command) is broken at spaces with its continuation
// under its description. Lines it cannot break (an example command)
// are left whole: they are kept short where they are written.
func fitHelp(text string, width int) string {
	lines := strings.Split(text, "\n")
	var out []string
	var para []string
	flush := func() {
		if len(para) > 0 {
			out = append(out, fill(strings.Join(para, " "), width)...)
			para = nil
		}
	}
	prose := true
	for _, l := range lines {
		if strings.HasPrefix(l, "Usage:") {
			prose = false
		}
		switch {
		case prose && l != "" && !strings.HasPrefix(l, " "):
			para = append(para, l)
		case runeLen(l) > width:
			flush()
			if m := column.FindStringSubmatchIndex(l); m != nil && width-runeLen(l[:m[3]]) >= 20 {
				head := l[:m[3]]
				hang := strings.Repeat(" ", runeLen(head))
				for i, part := range fill(l[m[3]:], width-runeLen(head)) {
					if i == 0 {
						out = append(out, head+part)
					} else {
						out = append(out, hang+part)
					}
				}
				continue
			}
			out = append(out, l)
		default:
			flush()
			out = append(out, l)
		}
	}
	flush()
	return strings.Join(out, "\n")
}

func runeLen(s string) int { return len([]rune(s)) }

// fill breaks s into lines of at most width columns at spaces (a word
// longer than width gets a line of its own).
func fill(s string, width int) []string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(s) {
		if line != "" && runeLen(line)+1+runeLen(w) > width {
			lines = append(lines, line)
			line = ""
		}
		if line == "" {
			line = w
		} else {
			line += " " + w
		}
	}
	if line != "" || len(lines) == 0 {
		lines = append(lines, line)
	}
	return lines
}
