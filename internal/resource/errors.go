package resource

import (
	"fmt"
	"strings"
)

// Position is a place in an input file. Line and Col are 1-based; zero
// means unknown.
type Position struct {
	File string `json:"file,omitempty"`
	Line int    `json:"line,omitempty"`
	Col  int    `json:"column,omitempty"`
}

// String renders file:line:col, leaving out what is unknown. A file name
// holding control or bidi runes is quoted (see QuoteName).
func (p Position) String() string {
	var b strings.Builder
	b.WriteString(QuoteName(p.File))
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d", p.Line)
		if p.Col > 0 {
			fmt.Fprintf(&b, ":%d", p.Col)
		}
	}
	return b.String()
}

// InputError is bad input at a place: a file position or a resource ID.
// It prints as "file:line:col: message" (or "resource-id: message"), the
// form editors and CI annotations understand, with control and bidi runes
// escaped (see Printable and QuoteName): it is safe to print on a terminal.
type InputError struct {
	Pos Position
	// ResourceID names the resource when the input has no file (live Azure).
	ResourceID string
	Msg        string
	// Err is the underlying cause, if any.
	Err error
	// Warning marks a problem that does not make the run fail (an unused
	// suppression, a registry module not followed).
	Warning bool
}

func (e *InputError) Error() string {
	where := e.Pos.String()
	if where == "" {
		where = QuoteName(e.ResourceID)
	} else if e.ResourceID != "" {
		where += " (" + QuoteName(e.ResourceID) + ")"
	}
	if where == "" {
		return Printable(e.Msg)
	}
	return where + ": " + Printable(e.Msg)
}

func (e *InputError) Unwrap() error { return e.Err }

// Errorf builds an InputError at pos.
func Errorf(pos Position, format string, args ...any) *InputError {
	err := fmt.Errorf(format, args...)
	return &InputError{Pos: pos, Msg: err.Error(), Err: unwrapOnce(err)}
}

// Warnf builds a warning at pos: reported, but not a reason to exit 2.
func Warnf(pos Position, format string, args ...any) *InputError {
	e := Errorf(pos, format, args...)
	e.Warning = true
	return e
}

func unwrapOnce(err error) error {
	if u, ok := err.(interface{ Unwrap() error }); ok {
		return u.Unwrap()
	}
	return nil
}
