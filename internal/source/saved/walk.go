package saved

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/kvguard/kvguard/internal/jsonpos"
	"github.com/kvguard/kvguard/internal/resource"
)

// fileReader reads one input. The JSON is walked member by member down to
// each resource object (so that containers of any size stream), and each
// resource is decoded on its own, keeping the positions of the members the
// recommendations read.
type fileReader struct {
	ctx     context.Context
	log     *slog.Logger
	d       *jsonpos.Decoder
	file    string
	lenient bool // a file found in a directory: unknown shapes are warnings
	emit    func(*resource.Document)

	errs    []error
	fields  []fieldPos // member positions of the objects being read (a stack)
	seen    idSet
	snap    *snapshot // the top-level snapshot being read, if any
	maxHeld int

	// parallel reading (parallel.go): workers decode the elements of long
	// arrays; rec is set in a worker's reader, which records what it
	// would emit instead of emitting it.
	workers            int
	parallelAfter      int
	chunkElems         int
	blockMin, blockMax int // blocks.go; blockMax 0 turns blocks off
	rec                *recording

	// the last kvguard.readAt parsed, which most resources share, and
	// the last apiVersion (fastcomp.go)
	lastReadAt     string
	lastReadAtTime time.Time
	lastReadAtErr  bool
	lastAPIVersion string

	// the fast path's scratch and interned values (fastcomp.go)
	fast     fastComp
	scan     fastScan
	lastID   idCache
	interned map[string]any
	fastDocs int // documents the fast path built
	blocks   int // blocks of lines read whole (blocks.go)
	// blockEnds counts the times block reading ended: once per long
	// array when every block was read whole
	blockEnds int
	scratch   []byte             // the fast path's string being built
	days      *dayCache          // the fast path's dates of instants; nil: none
	slots     resource.SlotCache // the fast path's pooled documents

	// maps and rawObjects no document refers to any more, for reuse: a
	// million secrets would otherwise allocate several maps each
	maps        []map[string]any
	objs        []*rawObject
	attrScratch []attrEntry

	values    int // top-level values read
	docs      int
	skipped   map[string]int     // resource types kvguard does not judge
	notes     [noteKinds]noteAgg // recognised shapes not read (shape.go)
	countdown int                // resources until the next cancellation check
}

// where names the object a member was read from.
type where uint8

const (
	inRoot where = iota
	inProps
	inNetworkACLs
	inPropsAttrs // properties.attributes of an ARM secret or key
	inAttrs      // attributes of a data-plane object (REST or az CLI)
	inTags
	inMetadata
	inKey // the JSON web key of az keyvault key show: positions not kept
)

// fieldPos is where a member's value starts.
type fieldPos struct {
	in  where
	key string
	pos jsonpos.Pos
}

// scope says what the objects of a container are.
type scope struct {
	kind string // provenance kind of the resources found there
	snap bool   // inside a snapshot's resources
}

// errStop ends the walk after a problem the decoder cannot read past.
var errStop = errors.New("stop")

func (fr *fileReader) run() {
	err := fr.walkTop()
	if fr.snap != nil {
		fr.finishSnapshot()
	}
	if err != nil && !errors.Is(err, errStop) {
		fr.decodeError(err)
	}
	fr.flushNotes()
}

// walkTop reads the top-level values: usually one, but a JSON sequence (jq
// -c output, several az outputs appended) is read value by value.
func (fr *fileReader) walkTop() error {
	for {
		k, err := fr.d.Peek()
		if err != nil {
			return err
		}
		if k == jsonpos.EOF {
			if fr.values == 0 {
				fr.problem(resource.Position{File: fr.file}, "", "empty file")
			}
			return nil
		}
		fr.values++
		switch k {
		case jsonpos.Object:
			if err := fr.object(0, scope{kind: KindAzureJSON}, nil); err != nil {
				return err
			}
			if fr.snap != nil {
				fr.finishSnapshot()
			}
		case jsonpos.Array:
			if err := fr.array(0, scope{kind: KindAzureJSON}); err != nil {
				return err
			}
		default:
			start, _, err := fr.d.Skip()
			if err != nil {
				return err
			}
			fr.problem(fr.pos(start), "", "not a recognised Azure resource JSON shape: found %s at the top level", article(k))
		}
	}
}

// array streams the elements of an array whose first bracket is next.
// Elements that are not resources are reported once per array, at the
// first of them, so that a list of 10,000 names is one message. A long
// array's objects are read by workers (parallel.go).
func (fr *fileReader) array(level int, sc scope) error {
	if _, err := fr.d.BeginArray(); err != nil {
		return err
	}
	var agg unrecognised
	var par *parallel // started once the array proves long
	defer func() { par.close() }()
	if err := fr.elements(level, sc, &agg, &par); err != nil {
		return par.settle(err)
	}
	if err := par.drain(); err != nil {
		return err
	}
	if _, err := fr.d.End(); err != nil {
		return err
	}
	if agg.n > 0 {
		msg := "not a recognised Azure resource JSON shape: found " + agg.what + " where a resource object was expected"
		if agg.n > 1 {
			msg += fmt.Sprintf(" (and %d more elements like it in this array)", agg.n-1)
		}
		fr.problem(fr.pos(agg.first), "", "%s", msg)
	}
	return nil
}

// elements reads the elements of the array being read, up to its closing
// bracket, starting the workers in *par once it has enough of them.
func (fr *fileReader) elements(level int, sc scope, agg *unrecognised, par **parallel) error {
	for n := 0; ; n++ {
		more, err := fr.d.More()
		if err != nil || !more {
			return err
		}
		k, err := fr.d.Peek()
		if err != nil {
			return err
		}
		if k == jsonpos.Object && *par == nil && fr.parallelFrom(n) {
			*par = fr.startParallel(level, sc, agg)
			if fr.blockMax > 0 && !fr.d.AllowComments {
				(*par).startBlocks()
				if err := (*par).runBlocks(); err != nil {
					return err
				}
				continue
			}
		}
		if *par != nil {
			// Objects go to the workers; anything else, and an object they
			// cannot take, is read here once they are done.
			handled, err := (*par).add(k)
			if err != nil {
				return err
			}
			if handled {
				continue
			}
		}
		switch k {
		case jsonpos.Object:
			err = fr.object(level+1, sc, agg)
		case jsonpos.Array:
			err = fr.array(level+1, sc)
		default:
			var start jsonpos.Pos
			start, _, err = fr.d.Skip()
			agg.add(start, article(k))
		}
		if err != nil {
			return err
		}
	}
}

// unrecognised gathers the elements of one array that are not resources.
type unrecognised struct {
	first jsonpos.Pos
	what  string
	n     int
}

func (u *unrecognised) add(p jsonpos.Pos, what string) {
	if u.n == 0 {
		u.first, u.what = p, what
	}
	u.n++
}

// object reads the object whose '{' is next and emits what it holds:
// itself if it is a resource, the elements of its container arrays, or a
// snapshot's resources and gaps.
func (fr *fileReader) object(level int, sc scope, agg *unrecognised) error {
	base := len(fr.fields)
	o, err := fr.readObject(level, sc)
	if err != nil {
		return err
	}
	o.fields = fr.fields[base:]
	defer func() {
		fr.fields = fr.fields[:base]
		if len(fr.objs) < 64 {
			fr.objs = append(fr.objs, o)
		}
	}()

	fr.countdown--
	if fr.countdown <= 0 {
		fr.countdown = 1024
		if err := fr.ctx.Err(); err != nil {
			fr.errs = append(fr.errs, err)
			return errStop
		}
	}

	if id, pos, via, found := identity(o); found {
		fr.resource(o, sc, id, pos, via)
		return nil
	}
	if (o.containers > 0 || o.snapshot) && !o.template {
		return nil
	}
	what := describeObject(o)
	if agg != nil {
		agg.add(o.start, what)
		return nil
	}
	fr.problem(fr.pos(o.start), "", "not a recognised Azure resource JSON shape: found %s", what)
	return nil
}

// pos converts a decoder position to a resource position in this file.
func (fr *fileReader) pos(p jsonpos.Pos) resource.Position {
	return resource.Position{File: fr.file, Line: p.Line, Col: p.Col}
}

// problem records an error (a warning for a file found in a directory when
// it concerns the file's shape: it may be any JSON).
func (fr *fileReader) problem(p resource.Position, resourceID, format string, args ...any) {
	var e *resource.InputError
	if fr.lenient && (strings.HasPrefix(format, "not a recognised") || format == "empty file") {
		e = resource.Warnf(p, format, args...)
	} else {
		e = resource.Errorf(p, format, args...)
	}
	e.ResourceID = resourceID
	fr.errs = append(fr.errs, e)
}

func (fr *fileReader) warn(p resource.Position, resourceID, format string, args ...any) {
	e := resource.Warnf(p, format, args...)
	e.ResourceID = resourceID
	fr.errs = append(fr.errs, e)
}

// decodeError reports an error from the decoder. The decoder cannot read
// past malformed JSON (or a value over its size limit), so the rest of the
// file is abandoned, and the message says so.
func (fr *fileReader) decodeError(err error) {
	const rest = "; the rest of the file was not read"
	var se *jsonpos.SyntaxError
	if errors.As(err, &se) {
		fr.errs = append(fr.errs, &resource.InputError{
			Pos: resource.Position{File: fr.file, Line: se.Pos.Line, Col: se.Pos.Col},
			Msg: se.Msg + rest, Err: se,
		})
		return
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		fr.errs = append(fr.errs, err)
		return
	}
	p := fr.d.Pos()
	msg := err.Error()
	if u := errors.Unwrap(err); u != nil {
		msg = u.Error()
	}
	fr.errs = append(fr.errs, &resource.InputError{
		Pos: resource.Position{File: fr.file, Line: p.Line, Col: p.Col},
		Msg: "read error: " + msg + rest, Err: err,
	})
}

func (fr *fileReader) logSummary() {
	if len(fr.skipped) > 0 {
		types := make([]string, 0, len(fr.skipped))
		for t := range fr.skipped {
			types = append(types, t)
		}
		sort.Strings(types)
		for _, t := range types {
			fr.log.Debug("skipped resources of a type kvguard does not judge", "file", fr.file, "type", t, "count", fr.skipped[t])
		}
	}
	fr.log.Debug("read saved Azure JSON", "file", fr.file, "documents", fr.docs, "fast", fr.fastDocs, "blocks", fr.blocks, "blockEnds", fr.blockEnds)
}

// article names a JSON kind with its article, for messages.
func article(k jsonpos.Kind) string {
	switch k {
	case jsonpos.Object:
		return "an object"
	case jsonpos.Array:
		return "an array"
	case jsonpos.String:
		return "a string"
	case jsonpos.Number:
		return "a number"
	case jsonpos.Bool:
		return "a boolean"
	case jsonpos.Null:
		return "null"
	}
	return "nothing"
}
