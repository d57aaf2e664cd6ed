package armtemplate

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"

	"github.com/kvguard/kvguard/internal/armexpr"
	"github.com/kvguard/kvguard/internal/jsonpos"
	"github.com/kvguard/kvguard/internal/resource"
)

// Limits that keep hostile templates from exhausting time and memory.
const (
	// MaxCopyCount is Azure's limit on the iterations of one copy loop; a
	// larger count is an error and only the first MaxCopyCount are read.
	MaxCopyCount = 800
	// MaxDocuments bounds the documents one Read may produce.
	MaxDocuments = 200_000
	// MaxDeploymentDepth bounds nested and linked deployments.
	MaxDeploymentDepth = 16
	// maxEvalDepth bounds variables, parameters and user functions that
	// refer to one another.
	maxEvalDepth = 128
	// maxFileSize bounds a template or parameter file.
	maxFileSize = 64 << 20
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
}

// Reader reads ARM templates into resource documents. It holds no state
// between reads and is safe for concurrent use.
type Reader struct {
	opts Options
	dep  armexpr.Deployment
	log  *slog.Logger
}

// New returns a Reader with opts.
func New(opts Options) *Reader {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Reader{opts: opts, dep: opts.Deployment.WithDefaults(), log: log}
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
	data, err := readFile(path)
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
			r.log.Error("internal error reading template", "file", path, "panic", p, "stack", string(debug.Stack()))
			err = errors.Join(err, resource.Errorf(resource.Position{File: path}, "internal error reading template: %v", p))
		}
	}()
	root, err := parseTemplateJSON(data, path)
	if err != nil {
		return syntaxError(path, err)
	}
	if root.Kind != jsonpos.Object {
		return resource.Errorf(pos(path, root.Start), "not an ARM template: the file holds a JSON %s, not an object", root.Kind)
	}
	if root.GetFold("resources") == nil {
		return resource.Errorf(pos(path, root.Start), "not an ARM template: no resources member")
	}
	ev := newEvaluator(ctx, r, NewMapper(r.log))
	values := ev.parameterValues(path)
	ev.run(path, root, values)
	ev.mapper.Finish(emit)
	return errors.Join(ev.errs...)
}

func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxFileSize {
		return nil, fmt.Errorf("file is larger than %d MiB", maxFileSize>>20)
	}
	return data, nil
}

func syntaxError(path string, err error) *resource.InputError {
	var se *jsonpos.SyntaxError
	if errors.As(err, &se) {
		return &resource.InputError{Pos: resource.Position{File: path, Line: se.Pos.Line, Col: se.Pos.Col}, Msg: "invalid JSON: " + se.Msg, Err: err}
	}
	return resource.Errorf(resource.Position{File: path}, "invalid JSON: %w", err)
}

func pos(file string, p jsonpos.Pos) resource.Position {
	return resource.Position{File: file, Line: p.Line, Col: p.Col}
}

// parameterValues loads the parameter files for the template at path: the
// configured ones, or else "<base>.parameters.json" beside the template.
func (ev *evaluator) parameterValues(path string) map[string]any {
	files := ev.r.opts.ParameterFiles
	if len(files) == 0 {
		base := strings.TrimSuffix(path, filepath.Ext(path))
		for _, cand := range []string{base + ".parameters.json"} {
			if st, err := os.Stat(cand); err == nil && !st.IsDir() {
				ev.r.log.Info("using the parameter file beside the template", "template", path, "parameters", cand)
				files = []string{cand}
				break
			}
		}
	}
	values := map[string]any{}
	for _, f := range files {
		ev.loadParameterFile(f, values)
	}
	return values
}

func (ev *evaluator) loadParameterFile(file string, values map[string]any) {
	data, err := readFile(file)
	if err != nil {
		ev.addErr(resource.Errorf(resource.Position{File: file}, "read parameter file: %w", err))
		return
	}
	root, err := parseTemplateJSON(data, file)
	if err != nil {
		ev.addErr(syntaxError(file, err))
		return
	}
	params := root.GetFold("parameters")
	if params == nil || params.Kind != jsonpos.Object {
		// A bare {"name": {"value": ...}} object is accepted too.
		params = root
	}
	if params.Kind != jsonpos.Object {
		ev.addErr(resource.Errorf(pos(file, root.Start), "not a parameter file: expected an object with a parameters member"))
		return
	}
	for _, m := range params.Members {
		if strings.HasPrefix(m.Key, "$") || strings.EqualFold(m.Key, "contentVersion") {
			continue
		}
		if m.Value.Kind != jsonpos.Object {
			ev.addErr(resource.Errorf(pos(file, m.Value.Start), "parameter %q: expected an object with a value (or reference) member", m.Key))
			continue
		}
		key := strings.ToLower(m.Key)
		switch {
		case m.Value.GetFold("value") != nil:
			values[key] = m.Value.GetFold("value").Interface()
		case m.Value.GetFold("reference") != nil:
			values[key] = resource.Unknown{Expr: "parameters('" + m.Key + "')"}
		default:
			ev.addErr(resource.Errorf(pos(file, m.Value.Start), "parameter %q: expected a value or reference member", m.Key))
		}
	}
}
