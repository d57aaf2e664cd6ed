package saved

import (
	"fmt"

	"github.com/kvguard/kvguard/internal/jsonpos"
	"github.com/kvguard/kvguard/internal/resource"
)

// defaultMaxHeld bounds the documents held back while a snapshot's gaps are not
// yet known. Vaults and their related resources are few next to their
// secrets (10,000 vaults hold a few tens of megabytes); past this many the
// reader stops holding and says so if a later gap names one already
// emitted.
const defaultMaxHeld = 100_000

// snapshot is the state of a kvguard snapshot being read
// (docs/snapshot.md). Its members may come in any order, and its gaps may
// follow the resources they concern, so the non-component documents
// (vaults, HSMs, endpoints, settings) are held back until the gaps are
// read, then emitted with their gaps attached. Components (secrets, keys,
// certificates) never carry gaps and stream straight through, which keeps
// memory bounded whatever the number of secrets. Documents therefore come
// out in file order except that held ones follow the components read
// before the gaps.
type snapshot struct {
	start    jsonpos.Pos
	header   bool
	gapsRead bool
	stopped  bool // held too many: documents are no longer held
	held     []*resource.Document
	gaps     []gapEntry
	byKey    map[string][]int // resource.Key(resourceId) → indexes into gaps
}

type gapEntry struct {
	id         string
	gap        resource.Gap
	start, end jsonpos.Pos
	used       bool
}

func (fr *fileReader) startSnapshot(start jsonpos.Pos) {
	if fr.snap == nil {
		fr.snap = &snapshot{start: start}
	}
}

// isComponent reports whether a document is a Key Vault object, which a
// snapshot gap never names.
func isComponent(doc *resource.Document) bool {
	switch doc.Type {
	case resource.TypeSecret, resource.TypeKey, resource.TypeCertificate, resource.TypeHSMKey:
		return true
	}
	return false
}

// hold keeps doc back until the gaps are known; it reports whether it did.
func (s *snapshot) hold(fr *fileReader, doc *resource.Document) bool {
	if s.gapsRead || s.stopped || isComponent(doc) {
		return false
	}
	if len(s.held) >= fr.maxHeld {
		fr.log.Warn("snapshot holds more resources than kvguard holds back before its gaps; emitting them now",
			"file", fr.file, "held", len(s.held))
		s.stopped = true
		s.release(fr)
		return false
	}
	s.held = append(s.held, doc)
	return true
}

// release emits the held documents with the gaps known so far.
func (s *snapshot) release(fr *fileReader) {
	for _, doc := range s.held {
		s.attach(doc)
		fr.docs++
		fr.emit(doc)
	}
	s.held = nil
}

// attach adds the gaps naming doc. A properties gap from the snapshot
// replaces the one the reader added for a body without properties, since
// it says why.
func (s *snapshot) attach(doc *resource.Document) {
	if len(s.gaps) == 0 || isComponent(doc) {
		return
	}
	idx := s.byKey[resource.Key(doc.ID)]
	for _, i := range idx {
		g := &s.gaps[i]
		g.used = true
		if g.gap.Part == resource.PartProperties {
			kept := doc.Gaps[:0]
			for _, old := range doc.Gaps {
				if old.Part != resource.PartProperties {
					kept = append(kept, old)
				}
			}
			doc.Gaps = kept
		}
		doc.Gaps = append(doc.Gaps, g.gap)
	}
}

// snapshotHeader checks the kvguardSnapshot header.
func (fr *fileReader) snapshotHeader(v any, p jsonpos.Pos) {
	fr.snap.header = true
	h, ok := v.(map[string]any)
	if !ok {
		fr.problem(fr.pos(p), "", "kvguardSnapshot: expected an object, found %s", resource.Describe(v))
		return
	}
	switch ver := h["version"].(type) {
	case string:
		if ver != "1" {
			fr.problem(fr.pos(p), "", "kvguardSnapshot.version %q is not supported (this kvguard reads version 1); read as version 1", ver)
		}
	case nil:
		fr.problem(fr.pos(p), "", "kvguardSnapshot.version is missing; read as version 1")
	default:
		fr.problem(fr.pos(p), "", "kvguardSnapshot.version: expected the string \"1\", found %s", resource.Describe(ver))
	}
	if sum, ok := h["summary"].(map[string]any); ok {
		found, ok1 := sum["vaultsFound"].(int64)
		judged, ok2 := sum["vaultsJudged"].(int64)
		unreadable, ok3 := sum["vaultsUnreadable"].(int64)
		if ok1 && ok2 && ok3 && found != judged+unreadable {
			fr.warn(fr.pos(p), "", "kvguardSnapshot.summary: vaultsFound (%d) is not vaultsJudged (%d) + vaultsUnreadable (%d)", found, judged, unreadable)
		}
	}
}

// readGaps reads the snapshot's "gaps" array, then releases the documents
// held back for it.
func (fr *fileReader) readGaps() error {
	s := fr.snap
	if _, err := fr.d.BeginArray(); err != nil {
		return err
	}
	for i := 0; ; i++ {
		more, err := fr.d.More()
		if err != nil {
			return err
		}
		if !more {
			break
		}
		v, start, end, err := fr.d.Value()
		if err != nil {
			return err
		}
		if g, ok := fr.gap(i, v, start); ok {
			g.start, g.end = start, end
			if s.byKey == nil {
				s.byKey = map[string][]int{}
			}
			k := resource.Key(g.id)
			s.byKey[k] = append(s.byKey[k], len(s.gaps))
			s.gaps = append(s.gaps, g)
		}
	}
	if _, err := fr.d.End(); err != nil {
		return err
	}
	s.gapsRead = true
	s.release(fr)
	return nil
}

// gap validates one element of "gaps".
func (fr *fileReader) gap(i int, v any, p jsonpos.Pos) (gapEntry, bool) {
	m, ok := v.(map[string]any)
	if !ok {
		fr.problem(fr.pos(p), "", "gaps[%d]: expected an object, found %s", i, resource.Describe(v))
		return gapEntry{}, false
	}
	var g gapEntry
	for _, f := range []struct {
		key string
		dst *string
	}{{"resourceId", &g.id}, {"part", &g.gap.Part}, {"error", &g.gap.Err}} {
		fv, ok := m[f.key]
		s, isStr := fv.(string)
		if !ok || !isStr || (s == "" && f.key != "error") {
			what := "is missing"
			if ok {
				what = "expected a non-empty string, found " + resource.Describe(fv)
			}
			fr.problem(fr.pos(p), "", "gaps[%d].%s: %s", i, f.key, what)
			return gapEntry{}, false
		}
		*f.dst = s
	}
	if pid, ok := splitID(g.id); !ok || pid.depth == 0 {
		fr.problem(fr.pos(p), "", "gaps[%d].resourceId %q is not an Azure resource ID", i, g.id)
		return gapEntry{}, false
	}
	return g, true
}

// finishSnapshot ends a snapshot: it releases what is still held and turns
// the gaps that named no resource of the snapshot into placeholder
// documents, so that a vault the scanner found but could not read is
// still judged (Unknown), not forgotten.
func (fr *fileReader) finishSnapshot() {
	s := fr.snap
	fr.snap = nil
	s.release(fr)
	if !s.header {
		fr.warn(fr.pos(s.start), "", "no kvguardSnapshot header: read as a kvguard snapshot (docs/snapshot.md) because of its \"resources\" or \"gaps\"")
	}
	done := map[string]bool{}
	for i := range s.gaps {
		g := &s.gaps[i]
		if g.used {
			continue
		}
		k := resource.Key(g.id)
		if done[k] {
			continue
		}
		done[k] = true
		if fr.seen.has(g.id) {
			fr.problem(fr.pos(g.start), g.id, "gap not applied: the resource it names was emitted before the snapshot's gaps were read (%s); write gaps before resources", heldReason(s, fr.maxHeld))
			continue
		}
		var gaps []resource.Gap
		for _, j := range s.byKey[k] {
			gaps = append(gaps, s.gaps[j].gap)
			s.gaps[j].used = true
		}
		src := resource.Provenance{Kind: KindSnapshot, File: fr.file, StartLine: g.start.Line, EndLine: g.end.Line}
		doc := resource.Placeholder(g.id, src, "the snapshot lists gaps for this resource but not the resource itself", gaps...)
		fr.seen.add(doc.ID, g.start.Line)
		fr.docs++
		fr.emit(doc)
	}
}

func heldReason(s *snapshot, maxHeld int) string {
	if s.stopped {
		return fmt.Sprintf("more than %d resources came before them", maxHeld)
	}
	return "it is a Key Vault object, to which gaps do not attach, or it was read before this snapshot"
}
