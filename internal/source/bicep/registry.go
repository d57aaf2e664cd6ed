package bicep

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode"

	"github.com/kvguard/kvguard/internal/source/internal/arm"
)

// Registry modules (br:registry/repo:tag, br/alias:path:tag) are read
// where the Bicep CLI keeps them once restored (bicep restore, or any
// bicep build): its local cache, ~/.bicep by default or the
// cacheRootDirectory of the nearest bicepconfig.json, laid out as
// br/<registry>/<repository with / as $>/<tag, encoded>/main.json. The
// cached main.json is the module compiled to an ARM template, which the
// template evaluation reads as a module written as a template.

// publicRegistry is the built-in alias br/public.
var publicRegistry = brAlias{Registry: "mcr.microsoft.com", ModulePath: "bicep"}

// brAlias is a bicepconfig.json moduleAliases.br entry.
type brAlias struct {
	Registry   string `json:"registry"`
	ModulePath string `json:"modulePath"`
}

// bicepConfig is what kvguard reads of a bicepconfig.json.
type bicepConfig struct {
	CacheRootDirectory string `json:"cacheRootDirectory"`
	ModuleAliases      struct {
		Br map[string]brAlias `json:"br"`
	} `json:"moduleAliases"`
}

// cachedModule finds the restored copy of the registry module ref, used
// by the file from: the path of its main.json and the read root of the
// cache, or why it cannot be read.
func (r *run) cachedModule(ref, from string) (path string, root *arm.ReadRoot, why string) {
	if strings.HasPrefix(ref, "ts:") || strings.HasPrefix(ref, "ts/") {
		return "", nil, "template spec modules are not read"
	}
	cfg := r.bicepConfig(filepath.Dir(from))
	registry, repo, tag, ok := parseBr(ref, cfg)
	if !ok {
		return "", nil, "its reference cannot be read"
	}
	cache := r.opts.RestoreCache
	if cache == "" {
		cache = cfg.CacheRootDirectory
	}
	switch {
	case cache == "":
		home, err := os.UserHomeDir()
		if err != nil {
			return "", nil, "there is no home directory to find the Bicep restore cache in"
		}
		cache = filepath.Join(home, ".bicep")
	case strings.HasPrefix(cache, "~"):
		home, err := os.UserHomeDir()
		if err != nil {
			return "", nil, "there is no home directory to find the Bicep restore cache in"
		}
		cache = filepath.Join(home, cache[1:])
	}
	dir := filepath.Join(cache, "br", strings.ToLower(strings.ReplaceAll(registry, ":", "$")), strings.ReplaceAll(repo, "/", "$"), encodeTag(tag))
	path = filepath.Join(dir, "main.json")
	if st, err := os.Stat(path); err != nil || !st.Mode().IsRegular() {
		return "", nil, "not in the Bicep restore cache; run bicep restore to read it"
	}
	return path, arm.NewReadRootOf(dir), ""
}

// bicepConfig reads the nearest bicepconfig.json at or above dir, inside
// the read root (none: the defaults).
func (r *run) bicepConfig(dir string) bicepConfig {
	if cfg, ok := r.configs[dir]; ok {
		return cfg
	}
	cfg := r.findBicepConfig(dir)
	if r.configs == nil {
		r.configs = map[string]bicepConfig{}
	}
	r.configs[dir] = cfg
	return cfg
}

// findBicepConfig looks for bicepconfig.json from dir up. Where there is
// none (the usual case, at every level up to the root) that costs one
// system call, not the ReadRoot's checks in each of its directories.
func (r *run) findBicepConfig(dir string) bicepConfig {
	var cfg bicepConfig
	for d := dir; ; {
		p := filepath.Join(d, "bicepconfig.json")
		if _, err := os.Lstat(p); err == nil {
			if data, err := r.root.ReadFile(p, maxFileSize); err == nil {
				if err := json.Unmarshal(stripJSONComments(data), &cfg); err != nil {
					r.log.InfoContext(r.ctx, "bicepconfig.json not read", "file", p, "error", err)
				}
				return cfg
			}
		}
		up := filepath.Dir(d)
		if up == d {
			return cfg
		}
		d = up
	}
}

// parseBr splits br:registry/repo:tag and br/alias:path:tag (a digest,
// @sha256:..., is kept in tag as "@...").
func parseBr(ref string, cfg bicepConfig) (registry, repo, tag string, ok bool) {
	var alias *brAlias
	rest, found := strings.CutPrefix(ref, "br:")
	if !found {
		aliased, found := strings.CutPrefix(ref, "br/")
		if !found {
			return "", "", "", false
		}
		name, path, found := strings.Cut(aliased, ":")
		if !found {
			return "", "", "", false
		}
		a, known := cfg.ModuleAliases.Br[name]
		if !known && name == "public" {
			a, known = publicRegistry, true
		}
		if !known {
			return "", "", "", false
		}
		alias, rest = &a, path
	}
	if i := strings.LastIndexByte(rest, '@'); i > 0 {
		rest, tag = rest[:i], rest[i:]
	} else if i := strings.LastIndexByte(rest, ':'); i > 0 && !strings.Contains(rest[i:], "/") {
		rest, tag = rest[:i], rest[i+1:]
	} else {
		return "", "", "", false
	}
	if alias != nil {
		registry, repo = alias.Registry, strings.Trim(alias.ModulePath, "/")
		if repo != "" {
			repo += "/"
		}
		repo += rest
	} else {
		registry, repo, ok = strings.Cut(rest, "/")
		if !ok {
			return "", "", "", false
		}
	}
	return registry, repo, tag, registry != "" && repo != "" && tag != ""
}

// encodeTag is the Bicep CLI's file name of a tag (TagEncoder): the tag,
// "$", and the positions of its upper-case letters as a hexadecimal mask
// (so that tags differing in case do not share a folder on
// case-insensitive file systems). A digest @sha256:x is sha256#x.
func encodeTag(tag string) string {
	if d, ok := strings.CutPrefix(tag, "@"); ok {
		return strings.ReplaceAll(d, ":", "#")
	}
	var mask [2]uint64 // tags are at most 128 characters
	for i, c := range []rune(tag) {
		if i < 128 && unicode.IsUpper(c) {
			mask[i/64] |= 1 << (i % 64)
		}
	}
	out := tag + "$"
	switch {
	case mask[1] != 0:
		out += strconv.FormatUint(mask[1], 16) + fmt.Sprintf("%016x", mask[0])
	case mask[0] != 0:
		out += strconv.FormatUint(mask[0], 16)
	}
	return out
}

// stripJSONComments removes // and /* */ comments outside strings, as
// bicepconfig.json allows them.
func stripJSONComments(data []byte) []byte {
	out := make([]byte, 0, len(data))
	inStr := false
	for i := 0; i < len(data); i++ {
		c := data[i]
		switch {
		case inStr:
			out = append(out, c)
			if c == '\\' && i+1 < len(data) {
				i++
				out = append(out, data[i])
			} else if c == '"' {
				inStr = false
			}
		case c == '"':
			inStr = true
			out = append(out, c)
		case c == '/' && i+1 < len(data) && data[i+1] == '/':
			for i < len(data) && data[i] != '\n' {
				i++
			}
			out = append(out, '\n')
		case c == '/' && i+1 < len(data) && data[i+1] == '*':
			end := strings.Index(string(data[i+2:]), "*/")
			if end < 0 {
				return out
			}
			i += end + 3
		default:
			out = append(out, c)
		}
	}
	return out
}
