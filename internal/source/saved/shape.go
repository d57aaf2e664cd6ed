package saved

import (
	"fmt"

	"github.com/kvguard/kvguard/internal/jsonpos"
)

// Shapes read strictly. A data-plane document is read as a secret, key or
// certificate only when it has that shape: a list item (its URL names the
// object, no version), or the body of a show (its URL names a version,
// and it carries what only a show carries: a secret's value, a key's
// JSON web key, a certificate's policy or cer). What sits beside objects
// under the same URLs is recognised and never taken for one: a
// certificate's policy (…/policy), the items of list-versions (a URL with
// a version and nothing else), deleted objects (list-deleted output).
// Those are noted once per file (a warning), with how to give kvguard what
// it reads instead. A key's rotation policy (…/keys/<name>/rotationpolicy)
// is read, as a part of its key (dataplane.go, rotationPolicy); certificate issuers, contacts and pending operations, which no
// recommendation reads, are skipped with a debug note like other types.

// idMember says which member gave an object its identity.
type idMember uint8

const (
	idFromID     idMember = iota // "id" (ARM, az, data-plane REST)
	idFromPSID                   // "ResourceId" (Azure PowerShell)
	idFromKid                    // "kid": a data-plane key list item
	idFromKeyKid                 // "key.kid": a key bundle (az keyvault key show)
)

// noteKind is a recognised shape that is not read.
type noteKind uint8

const (
	noteCertPolicy noteKind = iota
	noteSecretVersion
	noteKeyVersion
	noteCertVersion
	noteDeletedSecret
	noteDeletedKey
	noteDeletedCert
	noteNoAttributes
	noteKinds
)

// noteText says what each noted shape is and what kvguard reads instead.
var noteText = [noteKinds]string{
	noteCertPolicy: "a certificate policy (az keyvault certificate policy show) is not read yet: " +
		"certificates are judged from az keyvault certificate show, which includes the policy",
	noteSecretVersion: "a secret version (az keyvault secret list-versions) is not read: " +
		"each secret is judged by its current version, from az keyvault secret list or show",
	noteKeyVersion: "a key version (az keyvault key list-versions) is not read: " +
		"each key is judged by its current version, from az keyvault key list or show",
	noteCertVersion: "a certificate version (az keyvault certificate list-versions) is not read: " +
		"each certificate is judged by its current version, from az keyvault certificate list or show",
	noteDeletedSecret: "a deleted secret (az keyvault secret list-deleted) is not judged: it is no longer in the vault",
	noteDeletedKey:    "a deleted key (az keyvault key list-deleted) is not judged: it is no longer in the vault",
	noteDeletedCert:   "a deleted certificate (az keyvault certificate list-deleted) is not judged: it is no longer in the vault",
	noteNoAttributes: "a secret, key or certificate without attributes (a --query projection?) is judged as the input shows it: " +
		"with no expiration date; save az keyvault secret (key, certificate) list output, which includes them",
}

// noteAgg gathers the notes of one kind in a file: the first, and how
// many there were.
type noteAgg struct {
	first jsonpos.Pos
	id    string
	n     int
}

// pendingNote is a note a worker of a parallel read recorded, applied in
// file order with the chunk (parallel.go).
type pendingNote struct {
	kind noteKind
	pos  jsonpos.Pos
	id   string
}

// isObject reports whether a data-plane document whose URL is u is a
// secret, key or certificate that kvguard reads; anything else is noted
// or skipped here.
func (fr *fileReader) isObject(o *rawObject, u objectURL, via idMember, idPos jsonpos.Pos) bool {
	switch u.what {
	case urlCertPolicy:
		fr.note(noteCertPolicy, idPos, u.id)
		return false
	case urlCertPending:
		fr.skip("Key Vault certificate operation (data plane)")
		return false
	case urlCertIssuer:
		fr.skip("Key Vault certificate issuer (data plane)")
		return false
	case urlCertContacts:
		fr.skip("Key Vault certificate contacts (data plane)")
		return false
	}
	if u.deleted || hasKey(o.body, "recoveryId") {
		fr.note(byCollection(u.collection, noteDeletedSecret, noteDeletedKey, noteDeletedCert), idPos, u.id)
		return false
	}
	if u.what == urlVersion && !isBundle(o, u.collection, via) {
		fr.note(byCollection(u.collection, noteSecretVersion, noteKeyVersion, noteCertVersion), idPos, u.id)
		return false
	}
	return true
}

// isBundle reports whether an object whose URL names a version is the
// body of a show (get, set, create): a secret with its value (skipped
// unread), a key with its JSON web key, a certificate with its cer or
// policy. list-versions items have none of these.
func isBundle(o *rawObject, collection string, via idMember) bool {
	switch collection {
	case "secrets":
		return o.secretValue
	case "keys":
		return via == idFromKeyKid
	}
	return hasKey(o.body, "cer") || hasKey(o.body, "policy")
}

func byCollection(collection string, secrets, keys, certificates noteKind) noteKind {
	switch collection {
	case "secrets":
		return secrets
	case "keys":
		return keys
	}
	return certificates
}

// note records a recognised shape that is not read.
func (fr *fileReader) note(k noteKind, p jsonpos.Pos, id string) {
	if fr.rec != nil {
		fr.rec.notes = append(fr.rec.notes, pendingNote{kind: k, pos: p, id: id})
		return
	}
	fr.addNote(k, p, id)
}

func (fr *fileReader) addNote(k noteKind, p jsonpos.Pos, id string) {
	a := &fr.notes[k]
	if a.n == 0 {
		a.first, a.id = p, id
	}
	a.n++
}

// skip counts a resource of a type kvguard does not judge (logSummary
// logs the counts).
func (fr *fileReader) skip(typ string) {
	if fr.skipped == nil {
		fr.skipped = map[string]int{}
	}
	fr.skipped[typ]++
}

// flushNotes turns the file's notes into warnings, one per kind, at the
// first of its kind.
func (fr *fileReader) flushNotes() {
	for k := range noteKinds {
		a := fr.notes[k]
		if a.n == 0 {
			continue
		}
		msg := noteText[k]
		if a.n > 1 {
			msg += fmt.Sprintf(" (and %d more like it in this file)", a.n-1)
		}
		fr.warn(fr.pos(a.first), a.id, "%s", msg)
	}
	fr.notes = [noteKinds]noteAgg{}
}
