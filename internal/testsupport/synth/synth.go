// Package synth writes a synthetic saved estate: a kvguard snapshot
// (docs/snapshot.md) of many vaults with varied compliance, their ARM-plane
// secrets and keys, diagnostic settings and gaps, laid out as the live
// scanner writes it (header, gaps, then one resource per line with its
// kvguard provenance member). The output depends only on the Config, so
// benchmarks and the command in bench/estate read the same bytes for the
// same seed.
package synth

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
)

// Config sizes the estate.
type Config struct {
	Vaults        int
	Secrets       int // spread over the vaults
	Keys          int // spread over the vaults
	Subscriptions int
	Seed          uint64
}

// Stats says what was written, so that a reader of the estate can check
// it read everything.
type Stats struct {
	Vaults       int // vault bodies in resources
	Placeholders int // vaults named only in gaps (properties unreadable)
	Secrets      int
	Keys         int
	Diagnostics  int
	Gaps         int
	Bytes        int64
}

// Documents is the number of documents a reader emits for the estate.
func (s Stats) Documents() int {
	return s.Vaults + s.Placeholders + s.Secrets + s.Keys + s.Diagnostics
}

const (
	apiVersion = "2024-11-01"
	readAt     = "2026-11-26T10:00:00Z"
	tenant     = "99999999-8888-7777-6666-555555555555"
	day        = 86400
	epoch      = 1700000000 // 2023-11-14, when the synthetic objects were created
)

// vault is what is decided about one vault before writing it.
type vault struct {
	sub, rg, name string
	unreadable    bool // not in resources: a properties gap only
	secretsDenied bool // a secrets gap: its secrets are not listed
	secrets, keys int
}

// Write writes the estate to w.
func Write(w io.Writer, c Config) (Stats, error) {
	if c.Vaults <= 0 {
		return Stats{}, fmt.Errorf("synth: need at least one vault")
	}
	if c.Subscriptions <= 0 {
		c.Subscriptions = 1 + c.Vaults/500
	}
	rng := rand.New(rand.NewPCG(c.Seed, c.Seed^0x9e3779b97f4a7c15))
	vaults := plan(rng, c)
	cw := &countingWriter{w: w}
	bw := bufio.NewWriterSize(cw, 1<<20)
	var st Stats
	g := &gen{w: bw, rng: rng, buf: make([]byte, 0, 4096)}

	found, unreadable := len(vaults), 0
	for _, v := range vaults {
		if v.unreadable {
			unreadable++
		}
	}
	fmt.Fprintf(bw, "{\n  \"kvguardSnapshot\": {\"version\": \"1\", \"createdAt\": %q, \"tool\": \"kvguard bench/estate\", \"cloud\": \"AzureCloud\", \"tenantId\": %q,\n", readAt, tenant)
	fmt.Fprintf(bw, "    \"scope\": {\"subscriptions\": [")
	for i := 0; i < c.Subscriptions; i++ {
		if i > 0 {
			bw.WriteString(", ")
		}
		fmt.Fprintf(bw, "%q", subscription(i))
	}
	fmt.Fprintf(bw, "], \"managementGroups\": []},\n    \"summary\": {\"subscriptions\": %d, \"vaultsFound\": %d, \"vaultsJudged\": %d, \"vaultsUnreadable\": %d}},\n",
		c.Subscriptions, found, found-unreadable, unreadable)

	bw.WriteString("  \"gaps\": [")
	first := true
	for _, v := range vaults {
		var part, msg string
		switch {
		case v.unreadable:
			part, msg = "properties", "GET "+v.id()+": 403 AuthorizationFailed: the identity lacks Microsoft.KeyVault/vaults/read"
		case v.secretsDenied:
			part, msg = "Microsoft.KeyVault.Data/vaults/secrets", "GET "+v.id()+"/secrets: 403 AuthorizationFailed: the identity lacks Microsoft.KeyVault/vaults/secrets/read"
		default:
			continue
		}
		if !first {
			bw.WriteString(",")
		}
		first = false
		fmt.Fprintf(bw, "\n    {\"resourceId\": %q, \"part\": %q, \"error\": %q}", v.id(), part, msg)
		st.Gaps++
	}
	bw.WriteString("\n  ],\n  \"resources\": [")

	first = true
	line := func(b []byte) {
		if !first {
			bw.WriteByte(',')
		}
		first = false
		bw.WriteString("\n  ")
		bw.Write(b)
	}
	for i := range vaults {
		v := &vaults[i]
		if v.unreadable {
			st.Placeholders++
			continue
		}
		line(g.vault(v))
		st.Vaults++
		if g.rng.IntN(10) < 3 {
			line(g.diagnostic(v))
			st.Diagnostics++
		}
		if !v.secretsDenied {
			for j := 0; j < v.secrets; j++ {
				line(g.secret(v, j))
				st.Secrets++
			}
		}
		for j := 0; j < v.keys; j++ {
			line(g.key(v, j))
			st.Keys++
		}
	}
	bw.WriteString("\n  ]\n}\n")
	if err := bw.Flush(); err != nil {
		return st, err
	}
	st.Bytes = cw.n
	return st, cw.err
}

// plan decides every vault and spreads the secrets and keys over them
// (unevenly, as in real estates: a few vaults hold many).
func plan(rng *rand.Rand, c Config) []vault {
	vs := make([]vault, c.Vaults)
	for i := range vs {
		sub := i % c.Subscriptions
		vs[i] = vault{
			sub:  subscription(sub),
			rg:   fmt.Sprintf("rg-%03d", i/50),
			name: fmt.Sprintf("kv-%05d", i),
		}
		switch r := rng.IntN(1000); {
		case r < 5:
			vs[i].unreadable = true
		case r < 15:
			vs[i].secretsDenied = true
		}
	}
	spread := func(n int, add func(v *vault)) {
		for j := 0; j < n; j++ {
			// Square the uniform draw: low indexes get more objects.
			f := rng.Float64()
			v := &vs[int(f*f*float64(len(vs)))]
			for v.unreadable || v.secretsDenied {
				v = &vs[rng.IntN(len(vs))]
			}
			add(v)
		}
	}
	spread(c.Secrets, func(v *vault) { v.secrets++ })
	spread(c.Keys, func(v *vault) { v.keys++ })
	return vs
}

func subscription(i int) string {
	return fmt.Sprintf("%08x-0000-4000-8000-%012x", 0x5ab00000+i, i)
}

func (v *vault) id() string {
	return "/subscriptions/" + v.sub + "/resourceGroups/" + v.rg + "/providers/Microsoft.KeyVault/vaults/" + v.name
}

// gen writes resources into buf with append-style code: encoding/json
// over maps would take longer than the reader it feeds.
type gen struct {
	w   *bufio.Writer
	rng *rand.Rand
	buf []byte
}

func (g *gen) str(s string) { g.buf = strconv.AppendQuote(g.buf, s) }
func (g *gen) raw(s string) { g.buf = append(g.buf, s...) }
func (g *gen) num(n int64)  { g.buf = strconv.AppendInt(g.buf, n, 10) }

func (g *gen) kvguard() {
	g.raw(`"kvguard":{"apiVersion":"` + apiVersion + `","readAt":"` + readAt + `"}`)
}

// pick returns true with probability p percent.
func (g *gen) pick(p int) bool { return g.rng.IntN(100) < p }

func (g *gen) vault(v *vault) []byte {
	g.buf = g.buf[:0]
	id := v.id()
	g.raw(`{"id":`)
	g.str(id)
	g.raw(`,`)
	g.kvguard()
	g.raw(`,"location":"westeurope","name":`)
	g.str(v.name)
	g.raw(`,"properties":{"accessPolicies":[],`)
	switch r := g.rng.IntN(10); {
	case r < 5:
		g.raw(`"enableRbacAuthorization":true,`)
	case r < 8:
		g.raw(`"enableRbacAuthorization":false,`)
	}
	switch r := g.rng.IntN(20); {
	case r < 17:
		g.raw(`"enableSoftDelete":true,"softDeleteRetentionInDays":90,`)
	case r < 18:
		g.raw(`"enableSoftDelete":false,`)
	}
	if g.pick(50) {
		g.raw(`"enablePurgeProtection":true,`)
	}
	switch r := g.rng.IntN(20); {
	case r < 10:
		g.raw(`"networkAcls":{"bypass":"AzureServices","defaultAction":"Deny","ipRules":[{"value":"203.0.113.`)
		g.num(int64(g.rng.IntN(250)))
		g.raw(`/32"}],"virtualNetworkRules":[]},`)
	case r < 17:
		g.raw(`"networkAcls":{"bypass":"AzureServices","defaultAction":"Allow","ipRules":[],"virtualNetworkRules":[]},`)
	}
	g.raw(`"privateEndpointConnections":[`)
	switch r := g.rng.IntN(10); {
	case r < 4:
		g.connection(id, "Approved")
	case r < 5:
		g.connection(id, "Pending")
	}
	g.raw(`],`)
	switch r := g.rng.IntN(20); {
	case r < 8:
		g.raw(`"publicNetworkAccess":"Disabled",`)
	case r < 17:
		g.raw(`"publicNetworkAccess":"Enabled",`)
	}
	g.raw(`"provisioningState":"Succeeded","sku":{"family":"A","name":"standard"},"tenantId":"` + tenant + `","vaultUri":"https://`)
	g.raw(v.name)
	g.raw(`.vault.azure.net/"},"tags":{`)
	if g.pick(3) {
		g.raw(`"kvguard:ignore":"keyvault-private-link reached from the build network only exp:2027-06-30"`)
	}
	g.raw(`},"type":"Microsoft.KeyVault/vaults"}`)
	return g.buf
}

func (g *gen) connection(vaultID, status string) {
	pe := "pe-" + strconv.Itoa(g.rng.IntN(1<<20))
	g.raw(`{"id":`)
	g.str(vaultID + "/privateEndpointConnections/" + pe)
	g.raw(`,"properties":{"privateEndpoint":{"id":"/subscriptions/` + subscription(0) + `/resourceGroups/rg-net/providers/Microsoft.Network/privateEndpoints/`)
	g.raw(pe)
	g.raw(`"},"privateLinkServiceConnectionState":{"actionsRequired":"None","description":"","status":"`)
	g.raw(status)
	g.raw(`"},"provisioningState":"Succeeded"}}`)
}

func (g *gen) diagnostic(v *vault) []byte {
	g.buf = g.buf[:0]
	g.raw(`{"id":`)
	g.str(v.id() + "/providers/microsoft.insights/diagnosticSettings/audit-to-law")
	g.raw(`,`)
	g.kvguard()
	g.raw(`,"name":"audit-to-law","properties":{"logs":[{"categoryGroup":"audit","enabled":`)
	if g.pick(80) {
		g.raw(`true`)
	} else {
		g.raw(`false`)
	}
	g.raw(`,"retentionPolicy":{"days":0,"enabled":false}}],"metrics":[],"workspaceId":"/subscriptions/` + subscription(0) + `/resourceGroups/rg-ops/providers/Microsoft.OperationalInsights/workspaces/law-ops"},"type":"Microsoft.Insights/diagnosticSettings"}`)
	return g.buf
}

// attributes writes Key Vault attributes in Unix seconds; exp is set for
// withExp percent of objects, and one object in ten is disabled.
func (g *gen) attributes(withExp int) {
	created := int64(epoch + g.rng.IntN(700)*day)
	g.raw(`"attributes":{"created":`)
	g.num(created)
	g.raw(`,"enabled":`)
	if g.pick(90) {
		g.raw(`true`)
	} else {
		g.raw(`false`)
	}
	if g.pick(withExp) {
		g.raw(`,"exp":`)
		g.num(created + int64(90+g.rng.IntN(1000))*day)
	}
	if g.pick(20) {
		g.raw(`,"nbf":`)
		g.num(created)
	}
	g.raw(`,"recoveryLevel":"Recoverable+Purgeable","updated":`)
	g.num(created + int64(g.rng.IntN(30))*day)
	g.raw(`}`)
}

var contentTypes = []string{"text/plain", "application/json", "application/x-pkcs12", "", ""}

func (g *gen) secret(v *vault, j int) []byte {
	g.buf = g.buf[:0]
	name := "secret-" + strconv.Itoa(j)
	g.raw(`{"id":`)
	g.str(v.id() + "/secrets/" + name)
	g.raw(`,`)
	g.kvguard()
	g.raw(`,"location":"westeurope","name":"`)
	g.raw(name)
	g.raw(`","properties":{`)
	g.attributes(70)
	if ct := contentTypes[g.rng.IntN(len(contentTypes))]; ct != "" {
		g.raw(`,"contentType":"`)
		g.raw(ct)
		g.raw(`"`)
	}
	uri := "https://" + v.name + ".vault.azure.net/secrets/" + name
	g.raw(`,"secretUri":"`)
	g.raw(uri)
	g.raw(`","secretUriWithVersion":"`)
	g.raw(uri)
	g.raw(`/`)
	g.hex32()
	g.raw(`"},"type":"Microsoft.KeyVault/vaults/secrets"}`)
	return g.buf
}

func (g *gen) key(v *vault, j int) []byte {
	g.buf = g.buf[:0]
	name := "key-" + strconv.Itoa(j)
	g.raw(`{"id":`)
	g.str(v.id() + "/keys/" + name)
	g.raw(`,`)
	g.kvguard()
	g.raw(`,"location":"westeurope","name":"`)
	g.raw(name)
	g.raw(`","properties":{`)
	g.attributes(60)
	if g.pick(70) {
		g.raw(`,"keySize":`)
		g.num([]int64{2048, 3072, 4096}[g.rng.IntN(3)])
		g.raw(`,"kty":"RSA"`)
	} else {
		g.raw(`,"curveName":"P-256","kty":"EC"`)
	}
	g.raw(`,"keyUri":"https://`)
	g.raw(v.name)
	g.raw(`.vault.azure.net/keys/`)
	g.raw(name)
	g.raw(`"`)
	if g.pick(30) {
		g.raw(`,"rotationPolicy":{"attributes":{"expiryTime":"P1Y"},"lifetimeActions":[{"action":{"type":"rotate"},"trigger":{"timeAfterCreate":"P90D"}}]}`)
	}
	g.raw(`},"type":"Microsoft.KeyVault/vaults/keys"}`)
	return g.buf
}

func (g *gen) hex32() {
	const digits = "0123456789abcdef"
	for i := 0; i < 32; i++ {
		g.buf = append(g.buf, digits[g.rng.IntN(16)])
	}
}

type countingWriter struct {
	w   io.Writer
	n   int64
	err error
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	if err != nil && c.err == nil {
		c.err = err
	}
	return n, err
}
