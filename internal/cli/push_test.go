package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kvguard/kvguard/internal/server"
	"github.com/kvguard/kvguard/internal/store"
	"github.com/kvguard/kvguard/internal/webauth"
)

// pushServer is kvguard serve's web role in process: the server with
// webauth's API tokens on a SQLite store, over loopback HTTP, recording
// every request that reaches it.
type pushServer struct {
	st             *store.Store
	url            string
	editor, reader string

	mu     sync.Mutex
	bodies [][]byte
}

// newPushServer starts the server; wrap, when set, stands in front of it
// (a proxy that redirects or fails).
func newPushServer(t *testing.T, wrap func(http.Handler) http.Handler) *pushServer {
	t.Helper()
	ctx := context.Background()
	st := authStore(t)
	svc, err := webauth.New(ctx, webauth.Options{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	ps := &pushServer{st: st}
	for _, tok := range []struct {
		dst  *string
		role webauth.Role
	}{{&ps.editor, webauth.RoleEditor}, {&ps.reader, webauth.RoleReader}} {
		*tok.dst, _, err = svc.CreateToken(ctx, "test", webauth.NewToken{Name: tok.role.String(), Role: tok.role, Never: true})
		if err != nil {
			t.Fatal(err)
		}
	}
	srv, err := server.New(server.Options{Store: st, Auth: authAdapter{svc}})
	if err != nil {
		t.Fatal(err)
	}
	var h http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			t.Error(err)
		}
		ps.mu.Lock()
		ps.bodies = append(ps.bodies, b)
		ps.mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(b))
		srv.Handler().ServeHTTP(w, r)
	})
	if wrap != nil {
		h = wrap(h)
	}
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	ps.url = ts.URL
	return ps
}

func (ps *pushServer) received() [][]byte {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	return append([][]byte(nil), ps.bodies...)
}

// scans are the store's scans, newest first.
func (ps *pushServer) scans(t *testing.T) []store.ScanInfo {
	t.Helper()
	scans, _, err := ps.st.ScansPage(context.Background(), 0, 50)
	if err != nil {
		t.Fatal(err)
	}
	return scans
}

// pushEnv is a test's environment and the waits the push asked for.
type pushEnv struct {
	env   map[string]string
	mu    sync.Mutex
	waits []time.Duration
	// transport, when set, replaces the default.
	transport http.RoundTripper
}

func (e *pushEnv) slept() []time.Duration {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]time.Duration(nil), e.waits...)
}

// run runs kvguard with the environment, no git, a sleeper that records
// and returns at once, and a fixed clock (so that two scans write the
// same bytes).
func (e *pushEnv) run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	h := pushHooks{
		getenv: func(k string) string { return e.env[k] },
		git: func(context.Context, string, ...string) (string, error) {
			return "", errors.New("no git in tests")
		},
		sleep: func(_ context.Context, d time.Duration) error {
			e.mu.Lock()
			defer e.mu.Unlock()
			e.waits = append(e.waits, d)
			return nil
		},
		transport: e.transport,
	}
	ctx := withClock(withPushHooks(context.Background(), h), time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC))
	var out, errb bytes.Buffer
	code := Run(ctx, args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

var pushLabelArgs = []string{"--repository", "org/app", "--branch", "main", "--commit", "0123abc", "--pipeline-url", "https://ci.example/runs/7"}

// TestPush: the report reaches the server, byte for byte what --format
// json writes, whatever the other outputs; the scan is stored with the
// labels; the exit code is the scan's own; the token is never printed.
func TestPush(t *testing.T) {
	t.Parallel()
	ps := newPushServer(t, nil)
	e := &pushEnv{env: map[string]string{tokenEnv: ps.editor}}
	sarif := filepath.Join(t.TempDir(), "kvguard.sarif")
	args := append([]string{"scan", examples, "--format", "table", "--format", "sarif=" + sarif, "--push", ps.url}, pushLabelArgs...)
	code, out, errOut := e.run(t, args...)
	if code != ExitFindings {
		t.Fatalf("exit %d, want the scan's own %d; stderr:\n%s", code, ExitFindings, errOut)
	}
	scans := ps.scans(t)
	if len(scans) != 1 {
		t.Fatalf("%d scans stored, want 1", len(scans))
	}
	sc := scans[0]
	wantLabels := store.Labels{Repository: "org/app", Branch: "main", Commit: "0123abc", PipelineURL: "https://ci.example/runs/7"}
	if sc.Labels != wantLabels || sc.Scope != "repo:org/app@main" || sc.Source != store.Repository || sc.Status != store.Succeeded || sc.Results == 0 {
		t.Errorf("stored scan %+v, want %+v in repo:org/app@main, succeeded, with results", sc, wantLabels)
	}
	if want := "kvguard: pushed: scan " + itoa(sc.ID) + ", " + ps.url + "/scans/" + itoa(sc.ID) + "\n"; !strings.HasSuffix(errOut, want) {
		t.Errorf("stderr ends %q, want %q", errOut, want)
	}
	if !strings.Contains(out, "keyvault-") {
		t.Errorf("the table did not go to stdout: %q", out)
	}
	for _, s := range []string{out, errOut} {
		if strings.Contains(s, ps.editor) {
			t.Error("the token was printed")
		}
	}

	code, jsonOut, _ := e.run(t, "scan", examples, "--format", "json")
	if code != ExitFindings {
		t.Fatalf("json scan: exit %d", code)
	}
	got := ps.received()
	if len(got) != 1 || !bytes.Equal(got[0], []byte(jsonOut)) {
		t.Errorf("the pushed report (%d requests) differs from --format json's output", len(got))
	}
	if len(e.slept()) != 0 {
		t.Errorf("waited %v without a failure", e.slept())
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestPushRefused: each refusal exits 2 with the status, the server's
// message and what to do, is not retried, and never prints the token.
func TestPushRefused(t *testing.T) {
	t.Parallel()
	busy := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusConflict)
			_, _ = io.WriteString(w, `{"error": "a scan of repo:org/app@main is running"}`)
		})
	}
	for _, tc := range []struct {
		name  string
		wrap  func(http.Handler) http.Handler
		token func(ps *pushServer) string
		want  []string
	}{
		{"no token", nil, func(*pushServer) string { return "" },
			[]string{"401 Unauthorized", "No token was sent", "set KVGUARD_TOKEN", "kvguard token create --role editor"}},
		{"unknown token", nil, func(*pushServer) string { return webauth.TokenPrefix + strings.Repeat("x", 43) },
			[]string{"401 Unauthorized: bad credential: unknown API token", "invalid, expired or revoked", "kvguard token create --role editor"}},
		{"reader token", nil, func(ps *pushServer) string { return ps.reader },
			[]string{"403 Forbidden: this needs the editor role; token:reader is reader", "lacks the editor role", "kvguard token create --role editor"}},
		{"busy", busy, func(ps *pushServer) string { return ps.editor },
			[]string{"409 Conflict: a scan of repo:org/app@main is running", "Another push of repository org/app branch main is being ingested: retry"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ps := newPushServer(t, tc.wrap)
			tok := tc.token(ps)
			e := &pushEnv{env: map[string]string{tokenEnv: tok}}
			code, out, errOut := e.run(t, append([]string{"scan", examples, "--push", ps.url}, pushLabelArgs...)...)
			if code != ExitError {
				t.Errorf("exit %d, want %d", code, ExitError)
			}
			for _, w := range append(tc.want, "push to "+ps.url+"/api/v1/reports?") {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr does not say %q:\n%s", w, errOut)
				}
			}
			if n := strings.Count(errOut, "bad credential"); n > 1 {
				t.Errorf("stderr says bad credential %d times", n)
			}
			if tok != "" && (strings.Contains(errOut, tok) || strings.Contains(out, tok)) {
				t.Error("the token was printed")
			}
			if len(e.slept()) != 0 || len(ps.scans(t)) != 0 {
				t.Errorf("retried (%v) or stored %d scans", e.slept(), len(ps.scans(t)))
			}
		})
	}
}

// TestPushRedirect: a 307 to another host (here another port of the same
// address, where Go's client would keep the Authorization header) is not
// followed and the other host sees no token; a 308 on the same host is
// followed, token and body included.
func TestPushRedirect(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var otherAuth []string
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		otherAuth = append(otherAuth, r.Header.Get("Authorization"))
		mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
		_, _ = io.WriteString(w, `{"scan": 1, "status": "running", "url": "/scans/1"}`)
	}))
	t.Cleanup(other.Close)
	away := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, other.URL+r.URL.RequestURI(), http.StatusTemporaryRedirect)
		})
	}
	ps := newPushServer(t, away)
	e := &pushEnv{env: map[string]string{tokenEnv: ps.editor}}
	code, _, errOut := e.run(t, append([]string{"scan", examples, "--push", ps.url}, pushLabelArgs...)...)
	mu.Lock()
	seen := append([]string(nil), otherAuth...)
	mu.Unlock()
	if code != ExitError || !strings.Contains(errOut, "307 Temporary Redirect") || !strings.Contains(errOut, "redirect to "+other.URL+"/api/v1/reports") ||
		!strings.Contains(errOut, "not followed") {
		t.Errorf("exit %d, stderr:\n%s", code, errOut)
	}
	for _, a := range seen {
		if a != "" {
			t.Errorf("the other host received Authorization %q", a)
		}
	}
	if len(seen) != 0 {
		t.Errorf("the other host was asked %d times", len(seen))
	}

	moved := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if rest, ok := strings.CutPrefix(r.URL.Path, "/moved"); ok {
				r.URL.Path = rest
				next.ServeHTTP(w, r)
				return
			}
			http.Redirect(w, r, "/moved"+r.URL.RequestURI(), http.StatusPermanentRedirect)
		})
	}
	ps = newPushServer(t, moved)
	e = &pushEnv{env: map[string]string{tokenEnv: ps.editor}}
	code, _, errOut = e.run(t, append([]string{"scan", examples, "--push", ps.url}, pushLabelArgs...)...)
	if code != ExitFindings || len(ps.scans(t)) != 1 || !strings.Contains(errOut, "pushed: scan") {
		t.Errorf("same-host 308: exit %d, %d scans, stderr:\n%s", code, len(ps.scans(t)), errOut)
	}
}

// TestPushRetries: 503 (with Retry-After) and 429 are retried, waiting
// what the server asked or the backoff; a server that keeps failing, or
// cannot be reached, fails the run after pushAttempts tries.
func TestPushRetries(t *testing.T) {
	t.Parallel()
	failFirst := func(statuses ...int) func(http.Handler) http.Handler {
		return func(next http.Handler) http.Handler {
			var mu sync.Mutex
			n := 0
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				i := n
				n++
				mu.Unlock()
				if i >= len(statuses) {
					next.ServeHTTP(w, r)
					return
				}
				if statuses[i] == http.StatusServiceUnavailable {
					w.Header().Set("Retry-After", "7")
				}
				w.WriteHeader(statuses[i])
				_, _ = io.WriteString(w, `{"error": "starting up"}`)
			})
		}
	}
	ps := newPushServer(t, failFirst(http.StatusServiceUnavailable, http.StatusTooManyRequests))
	e := &pushEnv{env: map[string]string{tokenEnv: ps.editor}}
	code, _, errOut := e.run(t, append([]string{"scan", examples, "--push", ps.url}, pushLabelArgs...)...)
	if code != ExitFindings || len(ps.scans(t)) != 1 {
		t.Fatalf("exit %d, %d scans; stderr:\n%s", code, len(ps.scans(t)), errOut)
	}
	if got, want := e.slept(), []time.Duration{7 * time.Second, 2 * pushBackoff}; !equalDurations(got, want) {
		t.Errorf("waited %v, want %v (Retry-After, then the backoff)", got, want)
	}

	all := make([]int, pushAttempts)
	for i := range all {
		all[i] = http.StatusBadGateway
	}
	ps = newPushServer(t, failFirst(all...))
	e = &pushEnv{env: map[string]string{tokenEnv: ps.editor}}
	code, _, errOut = e.run(t, append([]string{"scan", examples, "--push", ps.url}, pushLabelArgs...)...)
	if code != ExitError || !strings.Contains(errOut, "502 Bad Gateway: starting up (after 4 attempts)") || len(e.slept()) != pushAttempts-1 {
		t.Errorf("always 502: exit %d, waits %v, stderr:\n%s", code, e.slept(), errOut)
	}

	gone := httptest.NewServer(http.NotFoundHandler())
	gone.Close()
	e = &pushEnv{env: map[string]string{tokenEnv: ps.editor}}
	code, _, errOut = e.run(t, append([]string{"scan", examples, "--push", gone.URL}, pushLabelArgs...)...)
	if code != ExitError || !strings.Contains(errOut, "could not be reached") || !strings.Contains(errOut, "after 4 attempts") ||
		!equalDurations(e.slept(), []time.Duration{pushBackoff, 2 * pushBackoff, 4 * pushBackoff}) {
		t.Errorf("unreachable: exit %d, waits %v, stderr:\n%s", code, e.slept(), errOut)
	}
}

// TestPushLostAnswer: the server receives a push and makes its scan, but
// the answer is lost (a proxy answers 502): the retry carries the same
// Idempotency-Key and gets that scan back instead of making a second one;
// the next push has a key of its own and makes its own scan.
func TestPushLostAnswer(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var keys []string
	ps := newPushServer(t, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			keys = append(keys, r.Header.Get("Idempotency-Key"))
			first := len(keys) == 1
			mu.Unlock()
			if !first {
				next.ServeHTTP(w, r)
				return
			}
			next.ServeHTTP(httptest.NewRecorder(), r) // received, its answer lost
			w.WriteHeader(http.StatusBadGateway)
		})
	})
	e := &pushEnv{env: map[string]string{tokenEnv: ps.editor}}
	code, _, errOut := e.run(t, append([]string{"scan", examples, "--push", ps.url}, pushLabelArgs...)...)
	scans := ps.scans(t)
	if code != ExitFindings || len(scans) != 1 || scans[0].Status != store.Succeeded {
		t.Fatalf("exit %d, scans %+v; want one succeeded scan; stderr:\n%s", code, scans, errOut)
	}
	if want := fmt.Sprintf("pushed: scan %d,", scans[0].ID); !strings.Contains(errOut, want) {
		t.Errorf("stderr does not say %q:\n%s", want, errOut)
	}
	code, _, errOut = e.run(t, append([]string{"scan", examples, "--push", ps.url}, pushLabelArgs...)...)
	if code != ExitFindings || len(ps.scans(t)) != 2 {
		t.Fatalf("second push: exit %d, %d scans, want 2; stderr:\n%s", code, len(ps.scans(t)), errOut)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(keys) != 3 || keys[0] == "" || keys[1] != keys[0] || keys[2] == keys[0] {
		t.Errorf("Idempotency-Keys %q: want one key for both attempts of the first push and another for the second", keys)
	}
}

// TestPushUntrustedCertificate: a certificate the client does not trust
// fails the push at once, saying so, and the token is not sent.
func TestPushUntrustedCertificate(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	reached := 0
	ts := httptest.NewTLSServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		mu.Lock()
		reached++
		mu.Unlock()
	}))
	t.Cleanup(ts.Close)
	e := &pushEnv{env: map[string]string{tokenEnv: "kvg_" + strings.Repeat("y", 43)}}
	code, _, errOut := e.run(t, append([]string{"scan", examples, "--push", ts.URL}, pushLabelArgs...)...)
	mu.Lock()
	defer mu.Unlock()
	if code != ExitError || !strings.Contains(errOut, "certificate is not trusted here") || strings.Contains(errOut, "attempts") ||
		len(e.slept()) != 0 || reached != 0 {
		t.Errorf("exit %d, waits %v, %d requests reached the handler; stderr:\n%s", code, e.slept(), reached, errOut)
	}
}

func equalDurations(a, b []time.Duration) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// refuseTransport fails the test if anything is sent.
type refuseTransport struct{ t *testing.T }

func (rt refuseTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	rt.t.Errorf("a request was sent to %s", r.URL.Host)
	return nil, errors.New("refused")
}

// TestPushUsage: mistakes in the push flags are found before the scan,
// and nothing is sent.
func TestPushUsage(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"plain http beyond loopback", []string{"--push", "http://kvguard.example", "--repository", "r"}, nil,
			"use https://; plain http:// would send the API token in clear"},
		{"not a URL", []string{"--push", "kvguard.example", "--repository", "r"}, nil, "give the server's base URL"},
		{"credentials in the URL", []string{"--push", "https://u:p@kvguard.example", "--repository", "r"}, nil, "remove the user name and password"},
		{"token without push", []string{"--token", "kvg_x"}, nil, "--token applies to --push"},
		{"no repository", []string{"--push", "https://kvguard.example"}, nil, "--push needs a repository label and none was found"},
		{"bad timeout", []string{"--push", "https://kvguard.example", "--repository", "r", "--push-timeout", "0s"}, nil, "--push-timeout 0s"},
		{"token with a newline inside", []string{"--push", "https://kvguard.example", "--repository", "r"},
			map[string]string{tokenEnv: "kvg_a\nkvg_b"}, "contains white space"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := &pushEnv{env: tc.env, transport: refuseTransport{t}}
			code, out, errOut := e.run(t, append([]string{"scan", examples}, tc.args...)...)
			if code != ExitError || !strings.Contains(errOut, tc.want) || out != "" {
				t.Errorf("exit %d, stdout %d bytes, stderr:\n%s\nwant exit 2 before the scan, saying %q", code, len(out), errOut, tc.want)
			}
		})
	}
}

// TestPushURL: https anywhere, http only to loopback.
func TestPushURL(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in, want string // want "" for an error
	}{
		{"https://kvguard.example", "https://kvguard.example"},
		{"https://kvguard.example/kvguard/", "https://kvguard.example/kvguard"},
		{"http://127.0.0.1:8080", "http://127.0.0.1:8080"},
		{"http://localhost:8080/", "http://localhost:8080"},
		{"http://[::1]:8080", "http://[::1]:8080"},
		{"http://kvguard.example", ""},
		{"http://10.0.0.1:8080", ""},
		{"http://127.0.0.1.example.com", ""},
		{"ftp://kvguard.example", ""},
		{"https://kvguard.example/?x=1", ""},
		{"/relative", ""},
	} {
		u, err := parsePushURL(tc.in)
		switch {
		case tc.want == "" && err == nil:
			t.Errorf("%s: accepted as %s", tc.in, u)
		case tc.want != "" && (err != nil || u.String() != tc.want):
			t.Errorf("%s: %v, %v; want %s", tc.in, u, err, tc.want)
		}
	}
}

// TestPushLabels: flags win, then the CI system's variables, then git of
// the scanned directory; the pipeline URL comes from CI only.
func TestPushLabels(t *testing.T) {
	t.Parallel()
	github := map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_REPOSITORY": "org/app", "GITHUB_REF_NAME": "main",
		"GITHUB_SHA": "abc123", "GITHUB_SERVER_URL": "https://github.com", "GITHUB_RUN_ID": "42"}
	githubPR := map[string]string{"GITHUB_HEAD_REF": "feature/x", "GITHUB_REF_NAME": "7/merge"}
	azure := map[string]string{"TF_BUILD": "True", "BUILD_REPOSITORY_NAME": "app", "BUILD_SOURCEBRANCHNAME": "x",
		"BUILD_SOURCEBRANCH": "refs/heads/feature/x", "BUILD_SOURCEVERSION": "def456",
		"SYSTEM_COLLECTIONURI": "https://dev.azure.com/org/", "SYSTEM_TEAMPROJECT": "My Project", "BUILD_BUILDID": "99"}
	gitlab := map[string]string{"GITLAB_CI": "true", "CI_PROJECT_PATH": "group/app", "CI_COMMIT_REF_NAME": "main",
		"CI_COMMIT_SHA": "789fed", "CI_PIPELINE_URL": "https://gitlab.example/group/app/-/pipelines/5"}
	merge := func(ms ...map[string]string) map[string]string {
		out := map[string]string{}
		for _, m := range ms {
			for k, v := range m {
				out[k] = v
			}
		}
		return out
	}
	git := map[string]string{"remote get-url origin": "git@github.com:org/from-git.git", "rev-parse --abbrev-ref HEAD": "dev",
		"rev-parse HEAD": "0000111"}
	for _, tc := range []struct {
		name  string
		env   map[string]string
		given pushLabels
		git   map[string]string
		want  pushLabels
	}{
		{"github actions", github, pushLabels{}, git,
			pushLabels{"org/app", "main", "abc123", "https://github.com/org/app/actions/runs/42"}},
		{"github pull request", merge(github, githubPR), pushLabels{}, nil,
			pushLabels{"org/app", "feature/x", "abc123", "https://github.com/org/app/actions/runs/42"}},
		{"azure pipelines", azure, pushLabels{}, nil,
			pushLabels{"app", "feature/x", "def456", "https://dev.azure.com/org/My%20Project/_build/results?buildId=99"}},
		{"gitlab", gitlab, pushLabels{}, nil,
			pushLabels{"group/app", "main", "789fed", "https://gitlab.example/group/app/-/pipelines/5"}},
		{"flags win", gitlab, pushLabels{Repository: "mine", Branch: "b", Commit: "c", PipelineURL: "https://p"}, git,
			pushLabels{"mine", "b", "c", "https://p"}},
		{"github variables outside github actions", map[string]string{"GITHUB_REPOSITORY": "org/app"}, pushLabels{}, git,
			pushLabels{"org/from-git", "dev", "0000111", ""}},
		{"git, detached", nil, pushLabels{}, map[string]string{"remote get-url origin": "https://dev.azure.com/org/p/_git/app",
			"rev-parse --abbrev-ref HEAD": "HEAD", "rev-parse HEAD": "0000111"}, pushLabels{"app", "", "0000111", ""}},
		{"nothing", nil, pushLabels{}, nil, pushLabels{}},
	} {
		gitRun := func(_ context.Context, dir string, args ...string) (string, error) {
			if dir != "scanned" {
				t.Errorf("%s: git ran in %q", tc.name, dir)
			}
			out, ok := tc.git[strings.Join(args, " ")]
			if !ok {
				return "", errors.New("exit status 128")
			}
			return out, nil
		}
		got := resolveLabels(context.Background(), tc.given, func(k string) string { return tc.env[k] }, gitRun, "scanned")
		if got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

// TestRepoFromRemote: a remote URL names the repository as CI does.
func TestRepoFromRemote(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"https://github.com/org/app.git":                  "org/app",
		"https://github.com/org/app":                      "org/app",
		"git@github.com:org/app.git":                      "org/app",
		"ssh://git@gitlab.example:2222/group/sub/app.git": "group/sub/app",
		"https://dev.azure.com/org/proj/_git/app":         "app",
		"git@ssh.dev.azure.com:v3/org/proj/app":           "app",
		"":                                                "",
	} {
		if got := repoFromRemote(in); got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
}
