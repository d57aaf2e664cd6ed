package sarif

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// srcRoot is the base the relative artifact URIs hang from; GitHub and
// the SARIF viewers resolve it to the checkout.
const srcRoot = "%SRCROOT%"

// locator turns file names from the result into artifact locations. It
// remembers each name's URI: a large estate names the same few files
// hundreds of thousands of times, and filepath.Abs asks the system for
// the working directory on every call.
type locator struct {
	root string // absolute and clean, or "" when unknown
	cwd  string // the working directory, or "" when unknown
	// mu guards seen: results may be rendered from several goroutines.
	mu   sync.Mutex
	seen map[string]uriFor
}

type uriFor struct {
	uri, base string
	ok        bool
}

// newLocator makes URIs relative to root; "" means the working
// directory. Without a working directory, relative names stay as given.
func newLocator(root string) *locator {
	l := &locator{seen: map[string]uriFor{}}
	l.cwd, _ = os.Getwd()
	switch {
	case root == "":
		l.root = l.cwd
	case filepath.IsAbs(root):
		l.root = filepath.Clean(root)
	case l.cwd != "":
		l.root = filepath.Join(l.cwd, root)
	}
	return l
}

// physical places file at lines start..end; nil when the name is no file
// (live Azure, standard input). A start of 0 gives no region; an end
// before the start is taken as the start.
func (l *locator) physical(file string, start, end int) *physicalLocation {
	uri, base, ok := l.uri(file)
	if !ok {
		return nil
	}
	pl := &physicalLocation{ArtifactLocation: artifactLocation{URI: uri, URIBaseID: base}}
	if start > 0 {
		pl.Region = &region{StartLine: start}
		if end > 0 {
			pl.Region.EndLine = max(end, start)
		}
	}
	return pl
}

// isFile reports whether a provenance file name names a file: readers
// write "-" or "<stdin>" for standard input.
func isFile(name string) bool {
	return name != "" && name != "-" && (!strings.HasPrefix(name, "<") || !strings.HasSuffix(name, ">"))
}

// uri returns file as a URI relative to the root (with base %SRCROOT%),
// or as an absolute file: URI when it lies outside the root. Relative
// names are relative to the current directory, as the command line gave
// them.
func (l *locator) uri(file string) (uri, base string, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	u, known := l.seen[file]
	if !known {
		u.uri, u.base, u.ok = l.resolve(file)
		l.seen[file] = u
	}
	return u.uri, u.base, u.ok
}

func (l *locator) resolve(file string) (uri, base string, ok bool) {
	if !isFile(file) {
		return "", "", false
	}
	abs := file
	if !filepath.IsAbs(abs) && l.cwd != "" {
		abs = filepath.Join(l.cwd, file)
	}
	if l.root != "" && filepath.IsAbs(abs) {
		if rel, err := filepath.Rel(l.root, abs); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return escapePath(filepath.ToSlash(rel), false), srcRoot, true
		}
	}
	if filepath.IsAbs(abs) {
		return fileURI(abs), "", true
	}
	return escapePath(filepath.ToSlash(filepath.Clean(file)), false), srcRoot, true
}

// rootURI is the root as an absolute file: URI ending in a slash, for
// originalUriBaseIds; "" when the root is unknown.
func (l *locator) rootURI() string {
	if l.root == "" {
		return ""
	}
	u := fileURI(l.root)
	if !strings.HasSuffix(u, "/") {
		u += "/"
	}
	return u
}

// fileURI writes an absolute path as a file: URI: file:///home/x,
// file:///C:/x on Windows, file://server/share/x for UNC paths.
func fileURI(abs string) string {
	p := filepath.ToSlash(abs)
	if strings.HasPrefix(p, "//") {
		return "file:" + escapePath(p, true)
	}
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	return "file://" + escapePath(p, true)
}

// escapePath percent-encodes a slash-separated path for a URI: every byte
// but unreserved characters, sub-delimiters, "@" and "/". A colon is kept
// only in absolute paths (a drive letter): in a relative reference it
// would read as a scheme.
func escapePath(p string, keepColon bool) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9',
			strings.IndexByte("-._~!$&'()*+,;=@/", c) >= 0, c == ':' && keepColon:
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&0xf])
		}
	}
	return b.String()
}
