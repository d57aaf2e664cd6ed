package terraform

import (
	"bytes"
	"strings"
	"sync"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
)

// moduleParses keeps the latest parses of called modules' files for one
// Reader: a module that several root modules of a tree call (and the
// walk reads roots of one tree close together) is parsed once, not once
// per caller. A parse is reused only for the same name (every position
// carries it) and the same bytes; the trees are never changed after
// parsing, so readers share them. The cache holds at most
// maxModuleParses files, the oldest going first: memory does not grow
// with the tree.
type moduleParses struct {
	mu    sync.Mutex
	byKey map[string]*fileParse
	order []string // keys, oldest first
}

// maxModuleParses bounds the files moduleParses keeps.
const maxModuleParses = 64

// fileParse is one file's parse: what hclparse gave.
type fileParse struct {
	src   []byte
	file  *hcl.File
	diags hcl.Diagnostics
}

// parseFile parses src, the content of name, as HCL or (by the name) HCL
// JSON.
func parseFile(name string, src []byte) *fileParse {
	p := hclparse.NewParser()
	fp := &fileParse{src: src}
	if strings.HasSuffix(name, ".json") {
		fp.file, fp.diags = p.ParseJSON(src, name)
	} else {
		fp.file, fp.diags = p.ParseHCL(src, name)
	}
	return fp
}

// parse returns the parse of name, whose content is src: the one kept if
// it is of the same bytes, else a new one, kept.
func (c *moduleParses) parse(name string, src []byte) *fileParse {
	c.mu.Lock()
	fp := c.byKey[name]
	c.mu.Unlock()
	if fp != nil && bytes.Equal(fp.src, src) {
		return fp
	}
	fp = parseFile(name, src)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byKey == nil {
		c.byKey = map[string]*fileParse{}
	}
	if _, ok := c.byKey[name]; !ok {
		c.order = append(c.order, name)
	}
	c.byKey[name] = fp
	for len(c.order) > maxModuleParses {
		delete(c.byKey, c.order[0])
		c.order = c.order[1:]
	}
	return fp
}
