package bicep

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/kvguard/kvguard/internal/armexpr"
	"github.com/kvguard/kvguard/internal/resource"
	"github.com/kvguard/kvguard/internal/source/bicep/syntax"
)

// maxCallDepth bounds nested calls of user-defined functions.
const maxCallDepth = 64

// maxLoadSize is the largest file the load*() functions read; the Bicep
// compiler's limit for loadTextContent is 131,072 characters.
const maxLoadSize = 4 << 20

// evalCall evaluates a call: a user-defined function (declared or
// imported), a system function (possibly namespace-qualified), or a
// resource function (kv.listKeys()).
func (fe *fileEval) evalCall(c *syntax.CallExpr, sc *locals) (any, error) {
	if c.Recv == nil {
		if _, local := sc.lookup(c.Name.Name); !local {
			if s, ok := fe.syms[c.Name.Name]; ok && s.kind == symFunc {
				return s.owner.callUser(fe, s, c, sc)
			}
		}
		return fe.callFunction(c, sc)
	}
	if id, ok := c.Recv.(*syntax.Ident); ok {
		if _, local := sc.lookup(id.Name); !local {
			s, declared := fe.syms[id.Name]
			switch {
			case declared && s.kind == symImportNS:
				t, ok := s.ns.syms[c.Name.Name]
				if !ok || t.kind != symFunc {
					return nil, &evalError{pos: c.Name.Pos(), msg: fmt.Sprintf("%s has no exported function %q", id.Name, c.Name.Name)}
				}
				return t.owner.callUser(fe, t, c, sc)
			case !declared && isBuiltinNamespace(id.Name):
				return fe.callFunction(c, sc)
			}
		}
	}
	recv, err := fe.eval(c.Recv, sc)
	if err != nil {
		return nil, err
	}
	switch recv.(type) {
	case *resRef, *paramResource:
		// kv.getSecret('x'), storage.listKeys(): values only the deployed
		// resource has.
		if _, err := fe.args(c, sc); err != nil {
			return nil, err
		}
		return fe.unknownAt(c), nil
	case resource.Unknown:
		return fe.unknownAt(c), nil
	}
	return nil, &evalError{pos: c.Name.Pos(), msg: fmt.Sprintf("cannot call %s on a value of type %s", c.Name.Name, armexpr.TypeName(recv))}
}

// args evaluates a call's arguments for storage.
func (fe *fileEval) args(c *syntax.CallExpr, sc *locals) ([]any, error) {
	out := make([]any, len(c.Args))
	for i, a := range c.Args {
		v, err := fe.value(a, sc)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

// callFunction calls a Bicep system function: the compile-time ones here,
// everything else through the ARM template function library.
func (fe *fileEval) callFunction(c *syntax.CallExpr, sc *locals) (any, error) {
	name := c.Name.Name
	switch name {
	case "any":
		if len(c.Args) != 1 {
			return nil, &evalError{pos: c.Pos(), msg: "any() expects 1 argument"}
		}
		return fe.eval(c.Args[0], sc)
	case "nameof":
		return fe.nameof(c)
	case "resourceGroup", "subscription", "managementGroup", "tenant":
		if len(c.Args) > 0 || name == "tenant" || name == "managementGroup" {
			sref, err := fe.scopeCall(c, sc)
			if err != nil {
				return nil, err
			}
			return sref, nil
		}
	case "loadTextContent", "loadFileAsBase64", "loadJsonContent", "loadYamlContent", "loadDirectoryFileInfo":
		return fe.load(c, sc)
	case "readEnvironmentVariable":
		return fe.readEnv(c, sc)
	case "getSecret", "externalInput":
		if _, err := fe.args(c, sc); err != nil {
			return nil, err
		}
		return fe.unknownAt(c), nil
	}
	args, err := fe.args(c, sc)
	if err != nil {
		return nil, err
	}
	if _, ok := builtin(name); !ok {
		return nil, &evalError{pos: c.Name.Pos(), msg: fmt.Sprintf("unknown function %q", name)}
	}
	return fe.callBuiltin(c, name, args...)
}

// callUser calls the user-defined function s (declared in fe) from
// caller. The body sees only its parameters and the declaring file's
// symbols.
func (fe *fileEval) callUser(caller *fileEval, s *symbol, c *syntax.CallExpr, sc *locals) (any, error) {
	args, err := caller.args(c, sc)
	if err != nil {
		return nil, err
	}
	if len(args) != len(s.fn.Params) {
		return nil, &evalError{pos: c.Pos(), msg: fmt.Sprintf("%s expects %d arguments, got %d", s.name, len(s.fn.Params), len(args))}
	}
	fe.run.callDepth++
	defer func() { fe.run.callDepth-- }()
	if fe.run.callDepth > maxCallDepth {
		return nil, &evalError{pos: c.Pos(), msg: fmt.Sprintf("function calls nested more than %d deep", maxCallDepth)}
	}
	var inner *locals
	for i, p := range s.fn.Params {
		inner = inner.bind(p.Name.Name, args[i])
	}
	v, err := fe.value(s.fn.Body, inner)
	if err != nil {
		return nil, fe.fail(s.fn.Body, err)
	}
	if resource.IsUnknown(v) {
		return caller.unknownAt(c), nil
	}
	return v, nil
}

// nameof(x) is the name of a symbol or property: nameof(kv) is "kv",
// nameof(kv.properties) is "properties".
func (fe *fileEval) nameof(c *syntax.CallExpr) (any, error) {
	if len(c.Args) != 1 {
		return nil, &evalError{pos: c.Pos(), msg: "nameof() expects 1 argument"}
	}
	switch a := c.Args[0].(type) {
	case *syntax.Ident:
		return a.Name, nil
	case *syntax.PropertyExpr:
		return a.Name.Name, nil
	case *syntax.ResourceAccessExpr:
		return a.Name.Name, nil
	case *syntax.IndexExpr:
		if s, ok := a.Index.(*syntax.StringExpr); ok {
			if v, ok := s.Literal(); ok {
				return v, nil
			}
		}
	}
	return nil, &evalError{pos: c.Args[0].Pos(), msg: "nameof() needs a symbol or a property access"}
}

// loadPath resolves a load*() path argument relative to the file.
func (fe *fileEval) loadPath(c *syntax.CallExpr, sc *locals) (string, []any, error) {
	args, err := fe.args(c, sc)
	if err != nil {
		return "", nil, err
	}
	if len(args) == 0 {
		return "", nil, &evalError{pos: c.Pos(), msg: c.Name.Name + "() expects a file path"}
	}
	p, ok := args[0].(string)
	if !ok {
		return "", nil, &evalError{pos: c.Args[0].Pos(), msg: c.Name.Name + "() needs a literal file path"}
	}
	return filepath.Join(filepath.Dir(fe.file.Name), filepath.FromSlash(p)), args[1:], nil
}

// load implements the compile-time file functions: the compiler inlines
// the file's content, so the reader does the same.
func (fe *fileEval) load(c *syntax.CallExpr, sc *locals) (any, error) {
	path, rest, err := fe.loadPath(c, sc)
	if err != nil {
		return nil, err
	}
	switch c.Name.Name {
	case "loadYamlContent", "loadDirectoryFileInfo":
		fe.run.report(resource.Warnf(fe.position(c.Pos()), "%s() is not evaluated by kvguard; its value is unknown", c.Name.Name))
		return fe.unknownAt(c), nil
	}
	// Only files inside the scanned tree: a Bicep file must not turn the
	// runner's environment or credentials (/proc/self/environ, ~/.azure)
	// into a vault's name, a message or a report.
	data, err := fe.run.readFile(path, maxLoadSize)
	if err != nil {
		_ = fe.errorf(c.Pos(), "%s: %v", c.Name.Name, err)
		return fe.unknownAt(c), nil
	}
	switch c.Name.Name {
	case "loadFileAsBase64":
		return base64.StdEncoding.EncodeToString(data), nil
	case "loadJsonContent":
		var v any
		dec := json.NewDecoder(strings.NewReader(decodeText(data)))
		dec.UseNumber()
		if err := dec.Decode(&v); err != nil {
			return nil, &evalError{pos: c.Pos(), msg: fmt.Sprintf("loadJsonContent: %s: %v", path, err)}
		}
		v = resource.NormalizeNumbers(v)
		if len(rest) > 0 {
			if q, ok := rest[0].(string); ok && q != "" {
				return selectJSONPath(v, q, c.Pos())
			}
		}
		return v, nil
	}
	return decodeText(data), nil
}

// decodeText reads file content as the compiler does by default: UTF-8,
// a byte order mark removed.
func decodeText(data []byte) string {
	s := strings.TrimPrefix(string(data), "\uFEFF")
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	return s
}

// selectJSONPath applies the simple JSONPath subset loadJsonContent's
// second argument uses: $.a.b[0], .a.b.
func selectJSONPath(v any, path string, pos syntax.Pos) (any, error) {
	p := strings.TrimPrefix(path, "$")
	for p != "" {
		switch {
		case strings.HasPrefix(p, "."):
			p = p[1:]
			end := strings.IndexAny(p, ".[")
			if end < 0 {
				end = len(p)
			}
			m, ok := v.(map[string]any)
			if !ok {
				return nil, &evalError{pos: pos, msg: fmt.Sprintf("loadJsonContent: path %q does not match the file", path)}
			}
			v, ok = resource.LookupFold(m, p[:end])
			if !ok {
				return nil, &evalError{pos: pos, msg: fmt.Sprintf("loadJsonContent: path %q does not match the file", path)}
			}
			p = p[end:]
		case strings.HasPrefix(p, "["):
			end := strings.Index(p, "]")
			if end < 0 {
				return nil, &evalError{pos: pos, msg: fmt.Sprintf("loadJsonContent: bad path %q", path)}
			}
			var idx any = strings.Trim(p[1:end], `'"`)
			var n int64
			if _, err := fmt.Sscan(p[1:end], &n); err == nil {
				idx = n
			}
			x, err := armexpr.Index(v, idx)
			if err != nil {
				return nil, &evalError{pos: pos, msg: fmt.Sprintf("loadJsonContent: path %q: %v", path, err)}
			}
			v, p = x, p[end+1:]
		default:
			return nil, &evalError{pos: pos, msg: fmt.Sprintf("loadJsonContent: unsupported path %q", path)}
		}
	}
	return v, nil
}

// readEnv is readEnvironmentVariable(name[, default]), read as the
// compiler reads it when it builds the parameters file: only in a
// .bicepparam file (the compiler refuses it elsewhere), and only for the
// variables the user allows (--allow-env), so that nothing of the
// runner's environment reaches a report unasked. Anything else is an
// input error, and the value is unknown.
func (fe *fileEval) readEnv(c *syntax.CallExpr, sc *locals) (any, error) {
	args, err := fe.args(c, sc)
	if err != nil {
		return nil, err
	}
	if len(args) == 0 {
		return nil, &evalError{pos: c.Pos(), msg: "readEnvironmentVariable() expects a variable name"}
	}
	name, ok := args[0].(string)
	switch {
	case !ok || name == "":
		return fe.unknownAt(c), nil
	case !strings.EqualFold(filepath.Ext(fe.file.Name), ".bicepparam"):
		_ = fe.errorf(c.Pos(), "readEnvironmentVariable() is only allowed in a .bicepparam file; its value is unknown")
		return fe.unknownAt(c), nil
	case !slices.Contains(fe.run.opts.AllowEnv, name):
		_ = fe.errorf(c.Pos(), "readEnvironmentVariable(%s): kvguard reads only the environment variables --allow-env names; its value is unknown", strconv.Quote(name))
		return fe.unknownAt(c), nil
	}
	if v, ok := os.LookupEnv(name); ok {
		return v, nil
	}
	if len(args) > 1 {
		return args[1], nil
	}
	return fe.unknownAt(c), nil
}
