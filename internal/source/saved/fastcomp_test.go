package saved

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/kvguard/kvguard/internal/jsonpos"
	"github.com/kvguard/kvguard/internal/resource"
	"github.com/kvguard/kvguard/internal/testsupport/synth"
)

// estateLines returns the resource lines of a small synthetic estate:
// one captured object each, as the parallel reader hands them out.
func estateLines(tb testing.TB) [][]byte {
	tb.Helper()
	var b bytes.Buffer
	if _, err := synth.Write(&b, synth.Config{Vaults: 20, Secrets: 2000, Keys: 100, Seed: 5}); err != nil {
		tb.Fatal(err)
	}
	var lines [][]byte
	for _, l := range bytes.Split(b.Bytes(), []byte("\n")) {
		l = bytes.TrimSuffix(bytes.TrimSpace(l), []byte(","))
		if bytes.HasPrefix(l, []byte(`{"id":`)) {
			lines = append(lines, l)
		}
	}
	return lines
}

// BenchmarkComponent reads the resources of an estate one object at a
// time, as a parallel worker does: on the fast path, and on the general
// path alone, for comparison.
func BenchmarkComponent(b *testing.B) {
	lines := estateLines(b)
	for _, fast := range []bool{true, false} {
		name := map[bool]string{true: "fast", false: "general"}[fast]
		b.Run(name, func(b *testing.B) {
			fr := &fileReader{ctx: b.Context(), file: "f.json", rec: &recording{}, d: jsonpos.NewDecoderAt(nil, "f.json", jsonpos.Pos{}, 0)}
			fr.log = New(Options{}).log
			sc := scope{kind: KindSnapshot, snap: true}
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				for _, l := range lines {
					if !fast || !fr.fastComponent(l, jsonpos.Pos{Line: 1, Col: 1}, sc) {
						fr.d.Reset(l, jsonpos.Pos{Line: 1, Col: 1}, 2)
						fr.fields = fr.fields[:0]
						if err := fr.object(2, sc, nil); err != nil {
							b.Fatal(err)
						}
					}
					n++
				}
				clear(fr.rec.docs)
				fr.rec.docs = fr.rec.docs[:0]
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/object")
		})
	}
}

// componentVariants are ARM secrets and keys in the forms the fast path
// takes and in every form that makes it give up (which the general path
// must then read, with its messages): each is one line of a long array.
func componentVariants() []string {
	const v = "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv1"
	const kvg = `"kvguard":{"apiVersion":"2024-11-01","readAt":"2026-11-26T10:00:00Z"}`
	attrs := `"attributes":{"created":1700000000,"enabled":true,"exp":1710000000,"nbf":1700000000,"recoveryLevel":"Recoverable+Purgeable","updated":1700000001}`
	sec := func(name, props, rest string) string {
		return `{"id":"` + v + `/secrets/` + name + `",` + kvg + `,"location":"westeurope","name":"` + name + `","properties":{` + props + `}` + rest + `,"type":"Microsoft.KeyVault/vaults/secrets"}`
	}
	key := func(name, props string) string {
		return `{"id":"` + v + `/keys/` + name + `",` + kvg + `,"name":"` + name + `","properties":{` + props + `},"type":"Microsoft.KeyVault/vaults/keys"}`
	}
	return []string{
		// taken
		sec("plain", attrs+`,"contentType":"text/plain","secretUri":"https://kv1.vault.azure.net/secrets/plain"`, ""),
		sec("no-content-type", attrs, ""),
		sec("null-content-type", attrs+`,"contentType":null`, ""),
		sec("null-attributes", `"attributes":{"enabled":null,"exp":null,"created":1700000000}`, ""),
		sec("no-attributes", `"contentType":"x"`, ""),
		sec("empty-attributes", `"attributes":{}`, ""),
		sec("tags", attrs, `,"tags":{"env":"prod","owner":"team-a"}`),
		sec("empty-tags", attrs, `,"tags":{}`),
		sec("value", attrs+`,"value":"NEVER-IN-OUTPUT"`, ""),
		sec("system-data", attrs, `,"systemData":{"createdBy":"a","createdAt":"2024-01-01","n":[1,2,{"x":null}]}`),
		"{\n  \"id\": \"" + v + "/secrets/multi-line\",\n  \"properties\": {\n    " + attrs + "\n  }\n}",
		`{"id":"` + v + `/secrets/untyped","properties":{` + attrs + `}}`,
		`{"id":"` + strings.ToUpper(v) + `/SECRETS/UPPER/","type":"Microsoft.KeyVault/vaults/secrets","properties":{}}`,
		key("rsa", attrs+`,"kty":"RSA","keySize":2048,"keyOps":["sign","verify"],"keyUri":"https://kv1.vault.azure.net/keys/rsa"`),
		key("ec", attrs+`,"kty":"EC","curveName":"P-256","keySize":null`),
		`{"id":"/subscriptions/s1/resourceGroups/rg/providers/Microsoft.KeyVault/managedHSMs/h1/keys/hk","type":"Microsoft.KeyVault/managedHSMs/keys","properties":{"kty":"RSA-HSM"}}`,
		// given up
		key("rotation", attrs+`,"kty":"RSA","rotationPolicy":{"attributes":{"expiryTime":"P1Y"}}`),
		sec("suppressed", attrs, `,"tags":{"kvguard:ignore":"keyvault-secret-expiry rotated by hand"}`),
		sec("suppressed-case", attrs, `,"tags":{"KVGuard:Ignore":"keyvault-secret-expiry"}`),
		sec("tag-number", attrs, `,"tags":{"n":5}`),
		sec("tag-duplicate", attrs, `,"tags":{"a":"1","a":"2"}`),
		sec("escaped", attrs+`,"contentType":"text/\u0070lain"`, ""),
		sec("non-ascii", attrs+`,"contentType":"texte/été"`, ""),
		sec("wrong-enabled", `"attributes":{"enabled":"true"}`, ""),
		sec("wrong-exp", `"attributes":{"exp":"2027-01-01"}`, ""),
		sec("float-exp", `"attributes":{"exp":1.71e9}`, ""),
		sec("huge-exp", `"attributes":{"exp":99999999999999}`, ""),
		sec("iso-expires", `"attributes":{"expires":"2027-01-01T00:00:00Z"}`, ""),
		sec("upper-exp", `"attributes":{"Exp":1710000000}`, ""),
		sec("duplicate-exp", `"attributes":{"exp":1710000000,"exp":1720000000}`, ""),
		sec("unknown-attribute", `"attributes":{"exp":1710000000,"other":1}`, ""),
		sec("content-type-number", `"contentType":5`, ""),
		sec("provisioning", attrs+`,"provisioningState":"Succeeded"`, ""),
		sec("upper-properties", "", `,"Properties":{"contentType":"x"}`),
		sec("duplicate-properties", attrs, `,"properties":{"contentType":"y"}`),
		sec("metadata", attrs, `,"metadata":{"kvguard:ignore":"keyvault-secret-expiry"}`),
		sec("nested-value", attrs, `,"value":[{"id":"https://kv1.vault.azure.net/secrets/inner"}]`),
		`{"id":"` + v + `/secrets/lower-type","type":"microsoft.keyvault/vaults/secrets","properties":{}}`,
		`{"id":"` + v + `/secrets/other-type","type":"Microsoft.KeyVault/vaults/keys","properties":{}}`,
		`{"id":"` + v + `/secrets/bad-read-at","kvguard":{"apiVersion":"1","readAt":"yesterday"},"properties":{}}`,
		`{"id":"` + v + `/secrets/kvguard-extra","kvguard":{"apiVersion":"1","readAt":"2026-11-26T10:00:00Z","x":1},"properties":{}}`,
		`{"properties":{` + attrs + `},"id":"` + v + `/secrets/id-last"}`,
		`{"id":"` + v + `/secrets/dup-id","id":"` + v + `/secrets/dup-id-2","properties":{}}`,
		`{"id":"` + v + `","type":"Microsoft.KeyVault/vaults","properties":{}}`,
		`{"id":"` + v + `/secrets/trailing-comma","properties":{},}`,
		`{"id":"` + v + `/secrets/deep","systemData":` + strings.Repeat(`{"a":`, 12) + "1" + strings.Repeat("}", 12) + `}`,
		`{"id":"` + v + `/secrets/true-ish","properties":{"attributes":{"enabled":truex}}}`,
		`{"id":"` + v + `/secrets/leading-zero","properties":{"attributes":{"exp":0123}}}`,
	}
}

// TestFastPathMatchesGeneral reads every variant in a long array in
// parallel (where the fast path runs) and sequentially (where it never
// does): the documents and messages must be the same. A malformed variant
// stops its file, so each is also read alone, after enough good ones for
// the array to go parallel.
func TestFastPathMatchesGeneral(t *testing.T) {
	t.Parallel()
	variants := componentVariants()
	var all []string
	for i := range 3 {
		for _, v := range variants {
			all = append(all, strings.ReplaceAll(v, `/kv1`, fmt.Sprintf("/kv%d", i)))
		}
	}
	checkParallelMatches(t, []byte("[\n"+strings.Join(all, ",\n")+"\n]"), Options{})
	for i, v := range variants {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			checkParallelMatches(t, []byte("[\n"+strings.Join(variants[:16], ",\n")+",\n"+strings.ReplaceAll(v, "/kv1", "/kv9")+"\n]"), Options{})
		})
	}
}

// TestFastPathTaken: the fast path reads the secrets and keys of a saved
// estate (the general path only what it gives up: keys with a rotation
// policy), so that the equivalence tests above test something.
func TestFastPathTaken(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	r := parallelConfig{workers: 2, after: 0, chunk: 16}.reader(Options{Logger: newTestLogger(&logs)})
	data := estate(t, synth.Config{Vaults: 20, Secrets: 2000, Keys: 100, Seed: 5})
	if err := r.ReadFrom(t.Context(), bytes.NewReader(data), "e.json", func(*resource.Document) {}); err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`documents=(\d+) fast=(\d+)`).FindStringSubmatch(logs.String())
	if m == nil {
		t.Fatalf("no summary in the log:\n%s", logs.String())
	}
	docs, _ := strconv.Atoi(m[1])
	fast, _ := strconv.Atoi(m[2])
	if fast < 2000 || fast >= docs {
		t.Errorf("%d of %d documents read on the fast path; want every secret and most keys", fast, docs)
	}
}
