package funcs

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
)

// fileFuncs are the functions that read files: every read goes through
// open, which resolves the path against BaseDir and asks Allowed first.
type fileFuncs struct{ opts Options }

// errDenied means the file lies outside what the caller allows; the
// function then returns unknown instead of failing, because Terraform
// would read it and kvguard does not know its contents.
var errDenied = errors.New("outside the scanned tree")

func (f fileFuncs) resolve(p string) (string, error) {
	if strings.HasPrefix(p, "~") {
		return "", errDenied // the home directory of whoever runs the scan
	}
	if !filepath.IsAbs(p) {
		p = filepath.Join(f.opts.BaseDir, p)
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	if resolved, err := filepath.EvalSymlinks(abs); err == nil {
		abs = resolved
	}
	if pseudo(abs) || f.opts.Allowed == nil || !f.opts.Allowed(abs) {
		return "", errDenied
	}
	return abs, nil
}

// pseudoRoots hold the kernel's and the devices' files: never
// configuration, and reading them could leak the process's environment
// (/proc/self/environ) or never end (/dev/zero, /dev/stdin).
var pseudoRoots = []string{"/proc", "/dev", "/sys"}

// UnderSystemDir reports whether the absolute path abs lies under /proc,
// /sys or /dev, whose files are never read.
func UnderSystemDir(abs string) bool { return pseudo(abs) }

func pseudo(abs string) bool {
	abs = filepath.ToSlash(abs)
	for _, r := range pseudoRoots {
		if abs == r || strings.HasPrefix(abs, r+"/") {
			return true
		}
	}
	return false
}

// ErrNotRegular is returned by Regular for a path that is not a regular
// file.
var ErrNotRegular = errors.New("not a regular file")

// Regular checks that path, symlinks followed, is a regular file outside
// /proc, /dev and /sys: a FIFO or a device would block a read or never
// end it, and a pseudo-file such as /proc/self/environ holds the
// environment. Every file kvguard reads as Terraform goes through it.
func Regular(path string) error {
	resolved, err := filepath.EvalSymlinks(path)
	if err != nil {
		return err
	}
	if abs, err := filepath.Abs(resolved); err == nil && pseudo(abs) {
		return fmt.Errorf("%s: %w (it is under %s)", path, ErrNotRegular, abs)
	}
	st, err := os.Stat(resolved)
	if err != nil {
		return err
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("%s: %w", path, ErrNotRegular)
	}
	return nil
}

// RegularIn is Regular for a file whose directory is known to be realDir
// once resolved (absolute): a file that is no symbolic link is then
// checked with one Lstat, not one per level of the tree. With realDir
// "", or for a link, it is Regular.
func RegularIn(path, realDir string) error {
	st, err := os.Lstat(path)
	if realDir == "" || err != nil || st.Mode()&os.ModeSymlink != 0 {
		return Regular(path)
	}
	if pseudo(filepath.Join(realDir, filepath.Base(path))) {
		return fmt.Errorf("%s: %w (it is under %s)", path, ErrNotRegular, realDir)
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("%s: %w", path, ErrNotRegular)
	}
	return nil
}

func (f fileFuncs) readFile(p string) ([]byte, error) {
	abs, err := f.resolve(p)
	if err != nil {
		return nil, err
	}
	if err := Regular(abs); err != nil {
		if errors.Is(err, ErrNotRegular) {
			return nil, errDenied
		}
		return nil, fmt.Errorf("no file exists at %s", p)
	}
	fh, err := os.Open(abs)
	if err != nil {
		return nil, fmt.Errorf("no file exists at %s", p)
	}
	defer fh.Close()
	if st, err := fh.Stat(); err != nil || !st.Mode().IsRegular() {
		return nil, errDenied // replaced between the check and the open
	}
	limit := f.opts.maxBytes()
	b, err := io.ReadAll(io.LimitReader(fh, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, errDenied // too large to be configuration; treat as unknown
	}
	return b, nil
}

func (f fileFuncs) read(enc encoder) function.Function {
	return function.New(&function.Spec{
		Params: []function.Parameter{{Name: "path", Type: cty.String}},
		Type:   function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			b, err := f.readFile(args[0].AsString())
			if errors.Is(err, errDenied) {
				return cty.UnknownVal(cty.String), nil
			}
			if err != nil {
				return cty.NilVal, err
			}
			s := enc(b)
			if !utf8.ValidString(s) {
				return cty.NilVal, fmt.Errorf("contents of %s are not valid UTF-8; use the filebase64 function instead", args[0].AsString())
			}
			return cty.StringVal(s), nil
		},
	})
}

// hash reads a file and encodes its digest; the encodings are ASCII, so
// read's UTF-8 check always passes.
func (f fileFuncs) hash(h hasher, enc encoder) function.Function {
	return f.read(func(b []byte) string { return enc(h(b)) })
}

func (f fileFuncs) exists() function.Function {
	return function.New(&function.Spec{
		Params: []function.Parameter{{Name: "path", Type: cty.String}},
		Type:   function.StaticReturnType(cty.Bool),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			abs, err := f.resolve(args[0].AsString())
			if errors.Is(err, errDenied) {
				return cty.UnknownVal(cty.Bool), nil
			}
			if err != nil {
				return cty.NilVal, err
			}
			st, err := os.Stat(abs)
			if err != nil {
				return cty.False, nil //nolint:nilerr // fileexists(): a path that cannot be stat'ed does not exist, as in Terraform
			}
			if !st.Mode().IsRegular() {
				return cty.NilVal, fmt.Errorf("%s is not a regular file", args[0].AsString())
			}
			return cty.True, nil
		},
	})
}

// abspath resolves a relative path against the directory Terraform runs
// in, which kvguard does not know (and its own must not reach a report):
// the result is unknown. An absolute path is only cleaned, as Terraform
// does.
func (f fileFuncs) abspath() function.Function {
	return function.New(&function.Spec{
		Params: []function.Parameter{{Name: "path", Type: cty.String}},
		Type:   function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			p := args[0].AsString()
			if !filepath.IsAbs(p) {
				return cty.UnknownVal(cty.String), nil
			}
			return cty.StringVal(filepath.ToSlash(filepath.Clean(p))), nil
		},
	})
}

// maxFilesetEntries bounds the walk of fileset, which could otherwise
// enumerate a whole disk.
const maxFilesetEntries = 10000

func (f fileFuncs) fileset() function.Function {
	return function.New(&function.Spec{
		Params: []function.Parameter{{Name: "path", Type: cty.String}, {Name: "pattern", Type: cty.String}},
		Type:   function.StaticReturnType(cty.Set(cty.String)),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			dir, err := f.resolve(args[0].AsString())
			if errors.Is(err, errDenied) {
				return cty.UnknownVal(cty.Set(cty.String)), nil
			}
			if err != nil {
				return cty.NilVal, err
			}
			pattern := args[1].AsString()
			var out []cty.Value
			n := 0
			err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
				if err != nil {
					return nil //nolint:nilerr // an unreadable entry is skipped, as a glob would
				}
				n++
				if n > maxFilesetEntries {
					return fs.SkipAll
				}
				if d.IsDir() {
					return nil
				}
				rel, rerr := filepath.Rel(dir, p)
				if rerr != nil {
					return nil //nolint:nilerr // cannot happen below dir
				}
				rel = filepath.ToSlash(rel)
				if globMatch(strings.Split(pattern, "/"), strings.Split(rel, "/")) {
					out = append(out, cty.StringVal(rel))
				}
				return nil
			})
			if err != nil {
				return cty.NilVal, err
			}
			if n > maxFilesetEntries {
				return cty.UnknownVal(cty.Set(cty.String)), nil
			}
			if len(out) == 0 {
				return cty.SetValEmpty(cty.String), nil
			}
			return cty.SetVal(out), nil
		},
	})
}

// globMatch matches path segments against pattern segments, where "**"
// stands for any number of segments (as Terraform's fileset does).
func globMatch(pat, segs []string) bool {
	for len(pat) > 0 {
		if pat[0] == "**" {
			for i := 0; i <= len(segs); i++ {
				if globMatch(pat[1:], segs[i:]) {
					return true
				}
			}
			return false
		}
		if len(segs) == 0 {
			return false
		}
		if ok, err := path.Match(pat[0], segs[0]); err != nil || !ok {
			return false
		}
		pat, segs = pat[1:], segs[1:]
	}
	return len(segs) == 0
}

func (f fileFuncs) templatefile(table func() map[string]function.Function) function.Function {
	return function.New(&function.Spec{
		Params: []function.Parameter{
			{Name: "path", Type: cty.String},
			{Name: "vars", Type: cty.DynamicPseudoType},
		},
		Type: function.StaticReturnType(cty.DynamicPseudoType),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			b, err := f.readFile(args[0].AsString())
			if errors.Is(err, errDenied) {
				return cty.DynamicVal, nil
			}
			if err != nil {
				return cty.NilVal, err
			}
			expr, diags := hclsyntax.ParseTemplate(b, args[0].AsString(), hcl.Pos{Line: 1, Column: 1, Byte: 0})
			if diags.HasErrors() {
				return cty.NilVal, diags
			}
			vars := args[1]
			if !vars.IsWhollyKnown() {
				return cty.DynamicVal, nil
			}
			if (!vars.Type().IsObjectType() && !vars.Type().IsMapType()) || vars.IsNull() {
				return cty.NilVal, function.NewArgErrorf(1, "invalid vars value: must be a map")
			}
			ctx := &hcl.EvalContext{Variables: map[string]cty.Value{}, Functions: table()}
			for it := vars.ElementIterator(); it.Next(); {
				k, v := it.Element()
				ctx.Variables[k.AsString()] = v
			}
			v, diags := expr.Value(ctx)
			if diags.HasErrors() {
				return cty.NilVal, diags
			}
			return v, nil
		},
	})
}

// BasenameFunc is basename(path).
var BasenameFunc = stringFunc([]string{"path"}, func(s []string) (cty.Value, error) {
	return cty.StringVal(filepath.Base(s[0])), nil
}, cty.String)

// DirnameFunc is dirname(path).
var DirnameFunc = stringFunc([]string{"path"}, func(s []string) (cty.Value, error) {
	return cty.StringVal(filepath.Dir(s[0])), nil
}, cty.String)
