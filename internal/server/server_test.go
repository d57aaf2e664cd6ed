package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// TestRouteRoles walks the route table: with authentication on, every
// route refuses a request without a credential (a redirect to sign in
// for a page, 401 otherwise) unless it is public, a bad credential gets
// 401, and every mutating route refuses a reader (403) and needs at
// least an editor.
func TestRouteRoles(t *testing.T) {
	t.Parallel()
	f := newFixture(t, testAuth{})
	for _, rt := range f.srv.table() {
		t.Run(rt.method+" "+rt.path, func(t *testing.T) {
			path := strings.NewReplacer("{$}", "", "{ref}", "1", "{id}", "1").Replace(rt.path)
			if rt.mutating() && rt.min < RoleEditor {
				t.Fatalf("a mutating route open to %s", rt.min)
			}
			resp, _ := f.do(t, rt.method, path, "", "application/x-www-form-urlencoded", strings.NewReader("x=1"))
			switch {
			case rt.min == RoleNone:
				if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
					t.Errorf("public route: %d", resp.StatusCode)
				}
			case !rt.api() && rt.method == "GET" && rt.path != "/metrics":
				if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/auth/signin" {
					t.Errorf("no credential: %d to %q, want a redirect to sign in", resp.StatusCode, resp.Header.Get("Location"))
				}
			default:
				if resp.StatusCode != http.StatusUnauthorized {
					t.Errorf("no credential: %d, want 401", resp.StatusCode)
				}
			}
			if rt.min > RoleNone {
				if resp, _ := f.do(t, rt.method, path, "bad", "", nil); resp.StatusCode != http.StatusUnauthorized {
					t.Errorf("bad credential: %d, want 401", resp.StatusCode)
				}
			}
			if rt.mutating() {
				resp, body := f.do(t, rt.method, path, "reader", "application/x-www-form-urlencoded", strings.NewReader("x=1"))
				if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "editor") {
					t.Errorf("reader: %d %s, want 403", resp.StatusCode, body)
				}
			} else if rt.min <= RoleReader {
				if resp, body := f.do(t, rt.method, path, "reader", "", nil); resp.StatusCode != http.StatusOK {
					t.Errorf("reader: %d %s, want 200", resp.StatusCode, body)
				}
			}
		})
	}
}

// TestForms: a form without the CSRF token is refused, with it the
// change is made; a cross-site POST is refused before any handler.
func TestForms(t *testing.T) {
	t.Parallel()
	f := newFixture(t, testAuth{})
	form := url.Values{"kind": {"waiver"}, "reason": {"accepted risk"}, "expires": {"2027-01-31"}, "scope": {"subscription"},
		"target": {subB}, "recommendation": {"keyvault-purge-protection"}}
	resp, _ := f.do(t, "POST", "/exemptions", "editor", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("without a CSRF token: %d, want 403", resp.StatusCode)
	}
	req, _ := http.NewRequestWithContext(t.Context(), "POST", f.ts.URL+"/exemptions", strings.NewReader(form.Encode()))
	req.Header.Set("Authorization", "Bearer editor")
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if resp, err := noRedirect.Do(req); err != nil {
		t.Fatal(err)
	} else if resp.Body.Close(); resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site POST: %d, want 403", resp.StatusCode)
	}
	if resp := f.postForm(t, "/exemptions", "editor", form); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("with the token: %d, want 303", resp.StatusCode)
	}
	_, body := f.get(t, "/?subscription="+subB, "reader")
	if got := text(body); !strings.Contains(got, "deletion protection enabled Medium 0 0 0 2") {
		t.Errorf("kv-4's and kv-5's purge-protection findings are not exempt on the overview:\n%s", got)
	}
	if resp := f.postForm(t, "/exemptions/1/revoke", "editor", nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("revoke: %d", resp.StatusCode)
	}
	if _, body := f.get(t, "/exemptions", "reader"); !strings.Contains(text(body), "revoked") {
		t.Error("the exemption is not listed as revoked")
	}
	if resp := f.postForm(t, "/scans", "editor", nil); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/scans/") {
		t.Errorf("scan now: %d to %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if len(f.scanner.scopes) != 1 || f.scanner.scopes[0] != "tenant" {
		t.Errorf("scanned %v, want [tenant]", f.scanner.scopes)
	}
}

// TestHeaders: every answer carries the security headers; the CSP
// allows no script.
func TestHeaders(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	for _, path := range []string{"/", "/api/v1/summary", "/nope", "/static/style.css"} {
		resp, _ := f.do(t, "GET", path, "", "", nil)
		h := resp.Header
		csp := h.Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'none'") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("%s: CSP %q", path, csp)
		}
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") == "" {
			t.Errorf("%s: headers %v", path, h)
		}
	}
	_, body := f.get(t, "/", "")
	if strings.Contains(body, "<script") || strings.Contains(body, " style=") || strings.Contains(body, "<style") {
		t.Error("the overview has a script or an inline style")
	}
}

// TestViews renders each view for the test estate and checks its
// counts, and that filters narrow them.
func TestViews(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	for _, tc := range []struct {
		path string
		want []string
		not  []string
	}{
		{"/", []string{"deletion protection enabled Medium 3 3 0 0", "expiration date High 1 4 1 0", "Total 4 7 1 0",
			// 100 × (3×4 + 2×3) / (3×5 + 2×6) = 66.7
			"66.7% secure score"}, nil},
		{"/?subscription=" + subB, []string{"deletion protection enabled Medium 1 1 0 0", "expiration date High 0 1 1 0"}, nil},
		{"/?tag=env%3Ddev", []string{"deletion protection enabled Medium 0 3 0 0", "expiration date High 1 1 1 0"}, nil},
		{"/?severity=High", []string{"expiration date High 1 4 1 0"}, []string{"deletion protection enabled Medium"}},
		{"/recommendations", []string{"High Key Vault secrets should have an expiration date keyvault-secret-expiry 1 4"}, nil},
		{"/findings?status=Unhealthy", []string{"kv-0", "kv-2", "kv-4", "kv-1"}, []string{"kv-3", "kv-5"}},
		{"/findings?status=Unhealthy&components=true&recommendation=keyvault-secret-expiry", []string{"db-password", "no expiration date"}, nil},
		{"/findings?resourceGroup=rg-1&status=Unknown", []string{"kv-5"}, []string{"kv-1 ", "kv-3"}},
		{"/resources?status=Unhealthy", []string{"kv-0", "kv-1", "kv-2", "kv-4"}, []string{"kv-3", "kv-5"}},
		{"/resources/" + f.ref(t, "kv-1"), []string{"kv-1", "db-password", "env dev", "expiry Unhealthy"}, nil},
		{"/scans", []string{"tenant live succeeded"}, nil},
		{"/scans/1", []string{"succeeded", "New unhealthy"}, nil},
		{"/owners", []string{"No owner rule."}, nil},
		{"/exemptions", []string{"No exemption."}, nil},
	} {
		t.Run(tc.path, func(t *testing.T) {
			checkPage(t, f, tc.path, tc.want, tc.not)
		})
	}
	if code, _ := f.get(t, "/resources/999", ""); code != http.StatusNotFound {
		t.Errorf("a missing resource: %d", code)
	}
	if code, _ := f.get(t, "/findings?cursor=%21", ""); code != http.StatusBadRequest {
		t.Errorf("a bad cursor: %d", code)
	}
}

// TestChangesSinceLastScan: the overview and the scan page list what a
// scan made unhealthy and what it fixed.
func TestChangesSinceLastScan(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	rows := estate()
	for i := range rows {
		switch rows[i].Resource.Name + " " + rows[i].Recommendation {
		case "kv-0 keyvault-purge-protection":
			rows[i].Status = "Healthy"
		case "kv-3 keyvault-purge-protection":
			rows[i].Status = "Unhealthy"
		}
	}
	f.clock.Add(15 * time.Minute)
	id := scanRows(t, f.st, "tenant", rows)
	_, body := f.get(t, "/", "")
	got := text(body)
	if !strings.Contains(got, "1 new, 1 fixed") || !strings.Contains(got, "New unhealthy kv-3 : keyvault-purge-protection") ||
		!strings.Contains(got, "Fixed kv-0 : keyvault-purge-protection (Healthy)") {
		t.Errorf("overview:\n%s", got)
	}
	_, body = f.get(t, "/scans/"+strconv.FormatInt(id, 10), "")
	if !strings.Contains(text(body), "kv-3 : keyvault-purge-protection") {
		t.Errorf("scan page:\n%s", text(body))
	}
}

// TestAPIPagination walks every finding once through the API's cursor.
func TestAPIPagination(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	for _, tc := range []struct {
		query string
		want  int
	}{{"limit=1", 12}, {"limit=5&components=true", 13}, {"limit=2&status=Unhealthy", 4}, {"limit=1&subscription=" + subB, 4}} {
		seen := map[string]bool{}
		cursor := ""
		for range 100 {
			_, body := f.get(t, "/api/v1/findings?"+tc.query+"&cursor="+url.QueryEscape(cursor), "")
			var page struct {
				Items []struct {
					ResourceRef    int64
					Recommendation string
					Component      string
				}
				Next string
			}
			if err := json.Unmarshal([]byte(body), &page); err != nil {
				t.Fatal(err, body)
			}
			for _, it := range page.Items {
				k := strings.Join([]string{strconv.FormatInt(it.ResourceRef, 10), it.Recommendation, it.Component}, "/")
				if seen[k] {
					t.Fatalf("%s: %s twice", tc.query, k)
				}
				seen[k] = true
			}
			if cursor = page.Next; cursor == "" {
				break
			}
		}
		if len(seen) != tc.want {
			t.Errorf("%s: %d findings, want %d", tc.query, len(seen), tc.want)
		}
	}
}

func loadSchema(t *testing.T, c *jsonschema.Compiler, url, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.AddResource(url, doc); err != nil {
		t.Fatal(err)
	}
}

// TestOpenAPI validates openapi.json against the OpenAPI 3.1 meta-schema,
// then every API answer the test provokes against its operation's schema.
func TestOpenAPI(t *testing.T) {
	t.Parallel()
	c := jsonschema.NewCompiler()
	loadSchema(t, c, "https://spec.openapis.org/oas/3.1/schema/2022-02-27", "testdata/oas-3.1-schema.json")
	meta, err := c.Compile("https://spec.openapis.org/oas/3.1/schema/2022-02-27")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := files.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if err := meta.Validate(doc); err != nil {
		t.Fatalf("openapi.json is not OpenAPI 3.1: %v", err)
	}
	c2 := jsonschema.NewCompiler()
	if err := c2.AddResource("https://kvguard.invalid/openapi.json", doc); err != nil {
		t.Fatal(err)
	}
	schemaOf := func(path, method string, code int) *jsonschema.Schema {
		ptr := "https://kvguard.invalid/openapi.json#/paths/" + strings.ReplaceAll(strings.ReplaceAll(path, "~", "~0"), "/", "~1") +
			"/" + method + "/responses/" + strconv.Itoa(code) + "/content/application~1json/schema"
		s, err := c2.Compile(ptr)
		if err != nil {
			t.Fatalf("%s %s %d: %v", method, path, code, err)
		}
		return s
	}
	errSchema, err := c2.Compile("https://kvguard.invalid/openapi.json#/components/schemas/Error")
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, nil)
	addMetadata(t, f)
	report, err := os.ReadFile("testdata/report.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		method, path, spec, body string
		code                     int
	}{
		{"GET", "/api/v1/summary", "/summary", "", 200},
		{"GET", "/api/v1/summary?status=Unhealthy", "/summary", "", 200},
		{"GET", "/api/v1/trend?days=7", "/trend", "", 200},
		{"GET", "/api/v1/recommendations", "/recommendations", "", 200},
		{"GET", "/api/v1/findings?limit=3&components=true", "/findings", "", 200},
		{"GET", "/api/v1/resources?limit=2", "/resources", "", 200},
		{"GET", "/api/v1/resources/1", "/resources/{ref}", "", 200},
		{"GET", "/api/v1/resources/" + f.ref(t, "kv-1"), "/resources/{ref}", "", 200}, // components with expiry
		{"GET", "/api/v1/summary?managementGroup=mg-prod", "/summary", "", 200},
		{"GET", "/api/v1/resources?management_group=mg-dev", "/resources", "", 200},
		{"POST", "/api/v1/exemptions", "/exemptions", `{"kind":"mitigated","reason":"a firewall","expires":"2027-02-01","scope":"resource","target":"` + vaultID(subA, "rg-0", "kv-0") + `"}`, 201},
		{"GET", "/api/v1/exemptions", "/exemptions", "", 200},
		{"PATCH", "/api/v1/exemptions/1", "/exemptions/{id}", `{"expires":"2027-03-01T00:00:00Z"}`, 200},
		{"POST", "/api/v1/owner-rules", "/owner-rules", `{"scope":"subscription","target":"` + subA + `","owner":"team-a","dueDays":0}`, 201},
		{"GET", "/api/v1/owner-rules", "/owner-rules", "", 200},
		{"GET", "/api/v1/assignments?overdue=true", "/assignments", "", 200},
		{"POST", "/api/v1/scans", "/scans", `{"scope":"subscription:x"}`, 202},
		{"GET", "/api/v1/scans", "/scans", "", 200},
		{"GET", "/api/v1/scans/1", "/scans/{id}", "", 200},
		{"POST", "/api/v1/reports?repository=org/infra&branch=main&commit=abc123&pipeline_url=https://ci.example/1", "/reports", string(report), 202},
		{"GET", "/api/v1/resources/999", "/resources/{ref}", "", 404},
		{"POST", "/api/v1/reports", "/reports", string(report), 400},
		{"POST", "/api/v1/exemptions", "/exemptions", `{"kind":"forever"}`, 400},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			resp, body := f.do(t, tc.method, tc.path, "", "application/json", strings.NewReader(tc.body))
			if resp.StatusCode != tc.code {
				t.Fatalf("%d, want %d: %s", resp.StatusCode, tc.code, body)
			}
			v, err := jsonschema.UnmarshalJSON(strings.NewReader(body))
			if err != nil {
				t.Fatalf("not JSON: %v\n%s", err, body)
			}
			s := errSchema
			if tc.code < 400 {
				s = schemaOf(tc.spec, strings.ToLower(tc.method), tc.code)
			}
			if err := s.Validate(v); err != nil {
				t.Errorf("the answer does not match its schema: %v\n%s", err, body)
			}
		})
	}
	// A push's retry (the same Idempotency-Key) answers 200 with the scan
	// the first attempt made; a key that is not printable ASCII is refused.
	var first map[string]any
	for i, tc := range []struct {
		key  string
		code int
	}{{"kvguard-0123", 202}, {"kvguard-0123", 200}, {"a key", 400}} {
		req, err := http.NewRequestWithContext(t.Context(), "POST", f.ts.URL+"/api/v1/reports?repository=org/keyed", bytes.NewReader(report))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", tc.key)
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode != tc.code {
			t.Fatalf("push %d with key %q: %d, want %d: %s", i, tc.key, resp.StatusCode, tc.code, b)
		}
		v, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("not JSON: %v\n%s", err, b)
		}
		sch := errSchema
		if tc.code < 400 {
			sch = schemaOf("/reports", "post", tc.code)
		}
		if err := sch.Validate(v); err != nil {
			t.Errorf("push %d: the answer does not match its schema: %v\n%s", i, err, b)
		}
		m, _ := v.(map[string]any)
		switch i {
		case 0:
			first = m
		case 1:
			if fmt.Sprint(m["scan"]) != fmt.Sprint(first["scan"]) {
				t.Errorf("the retry answered scan %v, the first attempt %v", m["scan"], first["scan"])
			}
		}
	}
	// The pushed report is stored as a repository scan with CI's labels.
	_, body := f.get(t, "/findings?source=repository", "")
	if !strings.Contains(text(body), "repository · repo:org/infra@main") {
		t.Errorf("the pushed report's findings:\n%s", text(body))
	}
	if resp, _ := f.do(t, "DELETE", "/api/v1/exemptions/1", "", "", nil); resp.StatusCode != http.StatusNoContent {
		t.Errorf("revoke: %d", resp.StatusCode)
	}
}

// TestMetricsAndHealth: /metrics speaks Prometheus' text format with the
// API latency, scan durations and findings by status; /healthz and
// /readyz answer.
func TestMetricsAndHealth(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	f.get(t, "/api/v1/summary", "")
	info, err := f.st.ScanInfo(t.Context(), 1)
	if err != nil {
		t.Fatal(err)
	}
	f.srv.ScanFinished(info)
	code, body := f.get(t, "/metrics", "")
	if code != 200 {
		t.Fatal(code)
	}
	for _, re := range []string{
		`kvguard_http_request_duration_seconds_count\{route="GET /api/v1/summary",code="2xx"\} 1`,
		`kvguard_scan_duration_seconds_count\{status="succeeded"\} 1`,
		`kvguard_findings\{recommendation="keyvault-purge-protection",severity="Medium",status="Unhealthy"\} 3`,
		`# TYPE kvguard_findings gauge`,
	} {
		if !regexp.MustCompile(re).MatchString(body) {
			t.Errorf("metrics lack %s:\n%s", re, body)
		}
	}
	for _, p := range []string{"/healthz", "/readyz"} {
		if code, body := f.get(t, p, ""); code != 200 {
			t.Errorf("%s: %d %s", p, code, body)
		}
	}
}

func TestCheckListen(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		addr   string
		authOn bool
		ok     bool
	}{
		{"127.0.0.1:8080", false, true},
		{"[::1]:8080", false, true},
		{"localhost:8080", false, true},
		{":8080", false, false},
		{"0.0.0.0:8080", false, false},
		{"10.0.0.5:80", false, false},
		{":8080", true, true},
	} {
		err := CheckListen(tc.addr, tc.authOn)
		if (err == nil) != tc.ok {
			t.Errorf("CheckListen(%q, %v) = %v", tc.addr, tc.authOn, err)
		}
		if err != nil && !strings.Contains(err.Error(), "--auth-oidc-issuer") {
			t.Errorf("the refusal does not say which flag to add: %v", err)
		}
	}
}

// TestOverdueCSV: an owner rule assigns the unhealthy findings of its
// scope; once past due they are listed and exported, formula-safe.
func TestOverdueCSV(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	resp, body := f.do(t, "POST", "/api/v1/owner-rules", "", "application/json",
		strings.NewReader(`{"scope":"subscription","target":"`+subA+`","owner":"=team-a","dueDays":7}`))
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	_, csvBody := f.get(t, "/owners/overdue.csv", "")
	if strings.Count(csvBody, "\n") != 1 {
		t.Errorf("overdue before the due date:\n%s", csvBody)
	}
	f.clock.Add(8 * 24 * time.Hour)
	_, csvBody = f.get(t, "/owners/overdue.csv", "")
	lines := strings.Split(strings.TrimSpace(csvBody), "\n")
	// kv-0 and kv-2 (purge protection) and kv-1 (secret expiry) are in subscription A.
	if len(lines) != 4 || !strings.Contains(csvBody, "/vaults/kv-1,keyvault-secret-expiry,'=team-a,") {
		t.Errorf("overdue CSV:\n%s", csvBody)
	}
	if _, page := f.get(t, "/owners?overdue=1", ""); strings.Count(page, ">overdue<") != 3 {
		t.Errorf("the owners page does not mark 3 overdue findings")
	}
}

// TestBadCredentialMessage: a refused credential's 401 says once what is
// wrong (the authenticator's message) and what to do, for the API and
// the pages alike.
func TestBadCredentialMessage(t *testing.T) {
	t.Parallel()
	f := newFixture(t, testAuth{})
	for _, path := range []string{"/api/v1/findings", "/findings"} {
		resp, body := f.do(t, "GET", path, "bad", "", nil)
		if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") != `Bearer error="invalid_token"` {
			t.Errorf("%s: %d %q, want 401 invalid_token", path, resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
		}
		if n := strings.Count(body, "bad credential"); n != 1 {
			t.Errorf("%s: %q says bad credential %d times, want once", path, body, n)
		}
		if !strings.Contains(body, "bad credential: unknown token: send a current API token") || !strings.Contains(body, "kvguard token create") {
			t.Errorf("%s: %q does not say what is wrong and what to do", path, body)
		}
	}
}
