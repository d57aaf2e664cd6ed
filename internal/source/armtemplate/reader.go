package armtemplate

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"

	"github.com/kvguard/kvguard/internal/armexpr"
	"github.com/kvguard/kvguard/internal/jsonpos"
	"github.com/kvguard/kvguard/internal/resource"
	"github.com/kvguard/kvguard/internal/source/internal/arm"
)

// Options configures a Reader.
type Options struct {
	// ParameterFiles are parameter files (--parameters) applied, in order,
	// to every template read; later files win.
	ParameterFiles []string
	// Deployment is the deployment context; the zero value means
	// armexpr.DefaultDeployment().
	Deployment armexpr.Deployment
	// Logger receives diagnostics; nil discards them.
	Logger *slog.Logger
	// ReadRoots are the directories templates may read linked templates
	// from, besides the top level of the git repository holding each
	// template (else its directory): the scanned trees. Nothing outside
	// them is read, nor through a symlink that leaves them.
	ReadRoots []string
	// MaxInstances caps the resource instances one template may expand
	// to (copy loops multiplied through nested deployments); zero means
	// resource.DefaultMaxInstances.
	MaxInstances int
}

// Reader reads ARM templates into resource documents. It holds no state
// between reads and is safe for concurrent use.
type Reader struct {
	opts  Options
	log   *slog.Logger
	roots arm.RootDirs // opts.ReadRoots, resolved once
}

// New returns a Reader with opts.
func New(opts Options) *Reader {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Reader{opts: opts, log: log, roots: arm.ResolveRootDirs(opts.ReadRoots)}
}

// IsTemplate reports whether a JSON file's leading bytes look like a
// deployment template: a $schema naming one of the deploymentTemplate
// schemas, or a resources member beside contentVersion.
func IsTemplate(head []byte) bool {
	h := bytes.ToLower(head)
	if bytes.Contains(h, []byte("deploymenttemplate.json")) {
		return true
	}
	if bytes.Contains(h, []byte("deploymentparameters.json")) {
		return false
	}
	return bytes.Contains(h, []byte(`"resources"`)) && bytes.Contains(h, []byte(`"contentversion"`))
}

// IsParameters reports whether a JSON file's leading bytes look like a
// deployment parameters file.
func IsParameters(head []byte) bool {
	h := bytes.ToLower(head)
	if bytes.Contains(h, []byte("deploymentparameters.json")) {
		return true
	}
	if bytes.Contains(h, []byte(`"$schema"`)) || bytes.Contains(h, []byte(`"resources"`)) {
		return false
	}
	return bytes.Contains(h, []byte(`"parameters"`)) && bytes.Contains(h, []byte(`"value"`))
}

// Read reads the template at path and calls emit for each document, in
// template order. It returns nil or an error joining *resource.InputError
// values; everything that can still be read is read and emitted.
func (r *Reader) Read(ctx context.Context, path string, emit func(*resource.Document)) (err error) {
	data, err := arm.ReadFile(path)
	if err != nil {
		return resource.Errorf(resource.Position{File: path}, "read template: %w", err)
	}
	return r.readData(ctx, path, data, emit)
}

// readData evaluates a template's bytes; path names it (and anchors
// parameter files and relative links).
func (r *Reader) readData(ctx context.Context, path string, data []byte, emit func(*resource.Document)) (err error) {
	defer func() {
		if p := recover(); p != nil {
			r.log.ErrorContext(ctx, "internal error reading template", "file", path, "panic", p, "stack", string(debug.Stack()))
			err = errors.Join(err, resource.Errorf(resource.Position{File: path}, "internal error reading template: %v", p))
		}
	}()
	root, err := arm.ParseJSON(data, path)
	if err != nil {
		return arm.SyntaxError(path, err)
	}
	if root.Kind != jsonpos.Object {
		return resource.Errorf(arm.Pos(path, root.Start), "not an ARM template: the file holds a JSON %s, not an object", root.Kind)
	}
	if root.GetFold("resources") == nil {
		return resource.Errorf(arm.Pos(path, root.Start), "not an ARM template: no resources member")
	}
	p := &problems{seen: map[string]bool{}}
	values := r.parameterValues(ctx, path, p)
	m := arm.NewMapper(r.log, p.add)
	eng := arm.New(arm.Options{Deployment: r.opts.Deployment, Logger: r.log,
		ReadRoot: r.roots.For(path), MaxInstances: r.opts.MaxInstances})
	eng.Deploy(ctx, path, root, values, m, p.add)
	m.Finish(emit)
	return errors.Join(p.errs...)
}

// problems collects the input errors of one Read, each once.
type problems struct {
	errs []error
	seen map[string]bool
}

func (p *problems) add(e *resource.InputError) {
	k := e.Error()
	if p.seen[k] {
		return
	}
	p.seen[k] = true
	p.errs = append(p.errs, e)
}

// parameterValues loads the parameter files for the template at path: the
// configured ones, or else "<base>.parameters.json" beside the template.
func (r *Reader) parameterValues(ctx context.Context, path string, p *problems) map[string]any {
	files := r.opts.ParameterFiles
	read := arm.ReadFile
	if len(files) == 0 {
		// The file beside the template is read as the template's own
		// files are: inside its read root.
		root := r.roots.For(path)
		read = func(f string) ([]byte, error) { return root.ReadFile(f, arm.MaxFileSize) }
		base := strings.TrimSuffix(path, filepath.Ext(path))
		for _, cand := range []string{base + ".parameters.json"} {
			if st, err := os.Stat(cand); err == nil && !st.IsDir() {
				r.log.InfoContext(ctx, "using the parameter file beside the template", "template", path, "parameters", cand)
				files = []string{cand}
				break
			}
		}
	}
	values := map[string]any{}
	for _, f := range files {
		loadParameterFile(f, read, values, p)
	}
	return values
}

// loadParameterFile reads one parameter file's values into values.
func loadParameterFile(file string, read func(string) ([]byte, error), values map[string]any, p *problems) {
	data, err := read(file)
	if err != nil {
		p.add(resource.Errorf(resource.Position{File: file}, "read parameter file: %w", err))
		return
	}
	root, err := arm.ParseJSON(data, file)
	if err != nil {
		p.add(arm.SyntaxError(file, err))
		return
	}
	params := root.GetFold("parameters")
	if params == nil || params.Kind != jsonpos.Object {
		// A bare {"name": {"value": ...}} object is accepted too.
		params = root
	}
	if params.Kind != jsonpos.Object {
		p.add(resource.Errorf(arm.Pos(file, root.Start), "not a parameter file: expected an object with a parameters member"))
		return
	}
	for _, m := range params.Members {
		if strings.HasPrefix(m.Key, "$") || strings.EqualFold(m.Key, "contentVersion") {
			continue
		}
		if m.Value.Kind != jsonpos.Object {
			p.add(resource.Errorf(arm.Pos(file, m.Value.Start), "parameter %q: expected an object with a value (or reference) member", m.Key))
			continue
		}
		key := strings.ToLower(m.Key)
		switch {
		case m.Value.GetFold("value") != nil:
			values[key] = m.Value.GetFold("value").Interface()
		case m.Value.GetFold("reference") != nil:
			values[key] = resource.Unknown{Expr: "parameters('" + m.Key + "')"}
		default:
			p.add(resource.Errorf(arm.Pos(file, m.Value.Start), "parameter %q: expected a value or reference member", m.Key))
		}
	}
}
