package cli

import (
	"io"
	"os"

	"golang.org/x/term"
)

// defaultWidth is the table's width when standard output is not a
// terminal (a pipe, a CI log, a file): fixed, so that the same scan
// prints the same lines everywhere. --width overrides it.
const defaultWidth = 80

// minWidth is the narrowest table kvguard lays out.
const minWidth = 40

// terminalWidth is w's width in columns when it is a terminal.
func terminalWidth(w io.Writer) (int, bool) {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return 0, false
	}
	cols, _, err := term.GetSize(int(f.Fd()))
	if err != nil || cols <= 0 {
		return defaultWidth, true
	}
	return cols, true
}

// colorWanted: colour only on a terminal, never with NO_COLOR set (to
// anything: no-color.org) or TERM=dumb.
func colorWanted(isTerminal bool, getenv func(string) string) bool {
	return isTerminal && getenv("NO_COLOR") == "" && getenv("TERM") != "dumb"
}
