// Package config reads kvguard's configuration file (.kvguard.yaml) and
// its ignore list (in the configuration or .kvguardignore.yaml): what a
// team keeps in its repository instead of repeating flags. Every problem
// is reported with the file and line; a key kvguard does not know is an
// error, never silently skipped. It imports only resource (an ignore entry
// becomes a resource.Suppression where it applies).
package config

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/kvguard/kvguard/internal/resource"
)

// FileName and IgnoreFileName are the files Find looks for.
const (
	FileName       = ".kvguard.yaml"
	IgnoreFileName = ".kvguardignore.yaml"
)

// Config is .kvguard.yaml. Paths in it are relative to the file's
// directory (Load resolves them). Flags given on the command line
// override it.
type Config struct {
	// Recommendations are the recommendation IDs (or policy GUIDs) to
	// judge; empty judges all.
	Recommendations []string `yaml:"recommendations"`
	// Frameworks keep the recommendations mapped to one of these
	// compliance frameworks (as kvguard rules show lists them: "CIS",
	// "MCSB", …).
	Frameworks []string `yaml:"frameworks"`
	// Severity keeps the recommendations of these severities.
	Severity []string `yaml:"severity"`
	// Parameters set policy parameters: "recommendation.name": value.
	Parameters map[string]any `yaml:"parameters"`
	// Policies are custom policy definition files.
	Policies    []string `yaml:"policies"`
	FailOn      string   `yaml:"fail-on"`
	FailOnEmpty *bool    `yaml:"fail-on-empty"`
	EnabledOnly *bool    `yaml:"enabled-only"`
	// Outputs are the reports to write.
	Outputs []Output `yaml:"outputs"`
	// VarFiles are Terraform .tfvars files; Vars set variables.
	VarFiles []string          `yaml:"var-files"`
	Vars     map[string]string `yaml:"vars"`
	// ParameterFiles are ARM/Bicep parameter files.
	ParameterFiles []string `yaml:"parameter-files"`
	SourceRoot     string   `yaml:"source-root"`
	// Ignore is the ignore list.
	Ignore []Entry `yaml:"ignore"`

	// File is where the configuration was read from.
	File string `yaml:"-"`
}

// Output is one report: a format and the file it goes to ("" or "-":
// standard output).
type Output struct {
	Format string `yaml:"format"`
	File   string `yaml:"file"`
}

// ignoreFile is .kvguardignore.yaml: only an ignore list.
type ignoreFile struct {
	Ignore []Entry `yaml:"ignore"`
}

// Load reads a configuration file.
func Load(path string) (*Config, error) {
	var c Config
	if err := decodeFile(path, &c); err != nil {
		return nil, err
	}
	c.File = path
	dir := filepath.Dir(path)
	for _, list := range []*[]string{&c.Policies, &c.VarFiles, &c.ParameterFiles} {
		for i, p := range *list {
			(*list)[i] = resolve(dir, p)
		}
	}
	for i := range c.Outputs {
		if f := c.Outputs[i].File; f != "" && f != "-" {
			c.Outputs[i].File = resolve(dir, f)
		}
	}
	if c.SourceRoot != "" {
		c.SourceRoot = resolve(dir, c.SourceRoot)
	}
	return &c, nil
}

// LoadIgnore reads an ignore file (.kvguardignore.yaml).
func LoadIgnore(path string) ([]Entry, error) {
	var f ignoreFile
	if err := decodeFile(path, &f); err != nil {
		return nil, err
	}
	return f.Ignore, nil
}

func resolve(dir, p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(dir, p)
}

// Errors are the problems found in one file, each with its line.
type Errors []*resource.InputError

func (e Errors) Error() string {
	var lines []string
	for _, x := range e {
		lines = append(lines, x.Error())
	}
	return strings.Join(lines, "\n")
}

// Unwrap lets errors.Join-aware printers list each problem.
func (e Errors) Unwrap() []error {
	out := make([]error, len(e))
	for i, x := range e {
		out[i] = x
	}
	return out
}

// decodeFile parses path into v: first the keys (an unknown one is an
// error at its line, naming the keys that are known there), then the
// values, then each ignore entry's own checks.
func decodeFile(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read configuration: %w", err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return Errors{{Pos: resource.Position{File: path, Line: yamlLine(err)}, Msg: "not valid YAML: " + yamlMessage(err)}}
	}
	if len(doc.Content) == 0 || bytes.TrimSpace(data) == nil {
		return nil // an empty file configures nothing
	}
	root := doc.Content[0]
	var errs Errors
	checkKeys(path, root, reflect.TypeOf(v).Elem(), &errs)
	if len(errs) > 0 {
		return errs
	}
	if err := root.Decode(v); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			for _, m := range te.Errors {
				errs = append(errs, &resource.InputError{Pos: resource.Position{File: path, Line: lineOf(m)}, Msg: strings.TrimSpace(afterLine(m))})
			}
			return errs
		}
		return Errors{{Pos: resource.Position{File: path}, Msg: err.Error()}}
	}
	var entries []Entry
	switch c := v.(type) {
	case *Config:
		entries = c.Ignore
	case *ignoreFile:
		entries = c.Ignore
	}
	for i := range entries {
		entries[i].file = path
		if err := entries[i].compile(); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// checkKeys reports every mapping key node has that the struct type t
// does not declare, recursively through nested structs and lists.
func checkKeys(path string, n *yaml.Node, t reflect.Type, errs *Errors) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return // a type error, reported by Decode
		}
		fields := map[string]reflect.Type{}
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if name != "" && name != "-" {
				fields[name] = f.Type
			}
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			ft, ok := fields[k.Value]
			if !ok {
				*errs = append(*errs, &resource.InputError{Pos: resource.Position{File: path, Line: k.Line, Col: k.Column},
					Msg: fmt.Sprintf("unknown key %q (known here: %s)", k.Value, strings.Join(slices.Sorted(maps.Keys(fields)), ", "))})
				continue
			}
			checkKeys(path, val, ft, errs)
		}
	case reflect.Slice:
		if n.Kind == yaml.SequenceNode {
			for _, c := range n.Content {
				checkKeys(path, c, t.Elem(), errs)
			}
		}
	}
}

// yaml.v3 reports "yaml: line N: message"; these take it apart.
func yamlLine(err error) int { return lineOf(err.Error()) }

func lineOf(s string) int {
	_, rest, ok := strings.Cut(s, "line ")
	if !ok {
		return 0
	}
	n := 0
	for _, r := range rest {
		if r < '0' || r > '9' {
			break
		}
		n = n*10 + int(r-'0')
	}
	return n
}

func afterLine(s string) string {
	if i := strings.Index(s, "line "); i >= 0 {
		if j := strings.Index(s[i:], ": "); j >= 0 {
			return s[i+j+2:]
		}
	}
	return strings.TrimPrefix(s, "yaml: ")
}

func yamlMessage(err error) string { return afterLine(err.Error()) }

// Find looks for name in dir and its parents, up to the top of the git
// repository dir is in (or dir alone outside one); "" when none exists.
func Find(dir, name string) string {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return ""
	}
	top := gitTop(dir)
	for d := dir; ; d = filepath.Dir(d) {
		p := filepath.Join(d, name)
		if info, err := os.Stat(p); err == nil && info.Mode().IsRegular() {
			return p
		}
		if top == "" || d == top || filepath.Dir(d) == d {
			return ""
		}
	}
}

// gitTop is the directory holding .git at or above dir, or "".
func gitTop(dir string) string {
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, ".git")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			return ""
		}
	}
}
