package resource

// PartProperties is the Gap.Part naming a resource's body: a document with
// this gap has no readable properties, so every control-plane verdict on it
// is Unknown.
const PartProperties = "properties"

// Placeholder returns the document of a resource that an input knows to
// exist only by its ID, with the gaps that say what could not be read: a
// vault named in a snapshot's gaps but absent from its resources. Its Body
// is nil, not an empty map, so that nothing can mistake it for a resource
// whose properties are all absent; consumers must treat it as "exists,
// properties unreadable", which is what its PartProperties gap says. When
// gaps holds no PartProperties gap, one is added with the reason why.
func Placeholder(id string, src Provenance, reason string, gaps ...Gap) *Document {
	d := &Document{ID: id, Source: src}
	if pid, ok := ParseID(id); ok {
		d.Type = CanonicalType(pid.FullType())
		d.Name = pid.Name()
	}
	d.Gaps = append(d.Gaps, gaps...)
	if _, ok := d.GapFor(PartProperties); !ok {
		d.Gaps = append(d.Gaps, Gap{Part: PartProperties, Err: reason})
	}
	return d
}
