package terraform

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
	"unicode/utf16"

	"github.com/kvguard/kvguard/internal/resource"
)

// Options configures a Reader.
type Options struct {
	// Vars are --var name=value, raw strings as Terraform takes them on
	// the command line: a literal string for a variable of primitive (or
	// no) type, an HCL expression for a variable of a complex type.
	Vars map[string]string
	// VarFiles are --var-file paths (.tfvars in HCL, or .tfvars.json),
	// applied in order after terraform.tfvars and *.auto.tfvars.
	VarFiles []string
	// MaxInstances caps the instances one root module expands to
	// (resources, module instances and dynamic block elements, through
	// count and for_each, multiplied through modules); 0 means
	// resource.DefaultMaxInstances. Past it, the read fails fast with an
	// input error naming the count or for_each that would exceed it.
	MaxInstances int
	// Root is the scanned root: file functions (file, templatefile,
	// fileset, filebase64, fileexists, file hashes) read only below it,
	// symlinks followed, and only in the root module's directory and the
	// module directories followed inside it. Empty means the git top level
	// above the root module, or when there is none the root module's
	// directory.
	Root string
	// Logger receives diagnostics; nil discards them.
	Logger *slog.Logger
}

// Reader reads Terraform root modules and plan JSON into documents. It is
// safe for concurrent use: each Read keeps its own state.
type Reader struct {
	opts   Options
	log    *slog.Logger
	parses moduleParses
	dirs   dirMemo
}

// New returns a Reader.
func New(opts Options) *Reader {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Reader{opts: opts, log: log}
}

// Read reads a module directory, a single .tf or .tf.json file (meaning
// its directory), or a plan JSON file (terraform show -json), and calls
// emit for each document in order. It returns nil or an errors.Join of
// *resource.InputError: problems with a position, warnings (a registry
// module not followed) flagged as such. Everything readable is read.
func (r *Reader) Read(ctx context.Context, path string, emit func(*resource.Document)) (err error) {
	defer func() {
		if p := recover(); p != nil {
			r.log.DebugContext(ctx, "panic in terraform reader", "path", path, "panic", p, "stack", string(debug.Stack()))
			err = errors.Join(err, resource.Errorf(resource.Position{File: path}, "internal error reading Terraform input: %v", p))
		}
	}()
	st, err := os.Stat(path)
	if err != nil {
		return errors.Join(resource.Errorf(resource.Position{File: path}, "%v", err))
	}
	if st.IsDir() {
		return r.readDir(ctx, path, emit)
	}
	switch {
	case strings.HasSuffix(path, ".tf"), strings.HasSuffix(path, ".tf.json"):
		return r.readDir(ctx, filepath.Dir(path), emit)
	}
	return r.readPlanFile(ctx, path, emit)
}

func (r *Reader) readDir(ctx context.Context, dir string, emit func(*resource.Document)) error {
	ev := newEvaluator(ctx, r, dir)
	bs := ev.readModule()
	for _, b := range bs {
		emitBuilt(b, emit)
	}
	r.log.DebugContext(ctx, "terraform module read", "dir", dir, "files", ev.files, "documents", len(bs), "problems", len(ev.errs))
	if err := ctx.Err(); err != nil {
		ev.errs = append(ev.errs, fmt.Errorf("read %s: %w", dir, err))
	}
	return errors.Join(ev.errs...)
}

// IsPlan reports whether a JSON file's leading bytes look like the output
// of terraform show -json (a plan, or a state). A plan without
// format_version is still recognised, so that Read can say what is wrong
// with it.
func IsPlan(head []byte) bool {
	head = bytes.TrimLeft(utf8Text(head), " \t\r\n")
	if len(head) == 0 || head[0] != '{' {
		return false
	}
	has := func(k string) bool { return bytes.Contains(head, []byte(`"`+k+`"`)) }
	if has("lineage") && has("serial") {
		return false // a raw terraform.tfstate, not show -json output
	}
	return has("planned_values") || has("resource_changes") || has("terraform_version") ||
		(has("format_version") && (has("values") || has("configuration") || has("prior_state")))
}

// utf8Text returns data as UTF-8 without a byte order mark. Windows
// PowerShell 5 writes `terraform show -json > plan.json` as UTF-16 with a
// BOM; other tools add a UTF-8 BOM.
func utf8Text(data []byte) []byte {
	switch {
	case bytes.HasPrefix(data, []byte{0xEF, 0xBB, 0xBF}):
		return data[3:]
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}), bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
		le := data[0] == 0xFF
		data = data[2:]
		u := make([]uint16, len(data)/2)
		for i := range u {
			if le {
				u[i] = uint16(data[2*i]) | uint16(data[2*i+1])<<8
			} else {
				u[i] = uint16(data[2*i])<<8 | uint16(data[2*i+1])
			}
		}
		return []byte(string(utf16.Decode(u)))
	}
	return data
}
