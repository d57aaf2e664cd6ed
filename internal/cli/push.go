package cli

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/kvguard/kvguard/internal/assess"
	"github.com/kvguard/kvguard/internal/report"
	"github.com/kvguard/kvguard/internal/resource"
)

// tokenEnv holds the API token scan --push sends: the environment keeps
// it out of the process list and the shell history, which a flag would
// not.
const tokenEnv = "KVGUARD_TOKEN"

// The push's retry policy: pushAttempts tries in all, waiting
// pushBackoff, twice that, … between them, or what Retry-After asks, at
// most pushMaxWait.
const (
	pushAttempts = 4
	pushBackoff  = 2 * time.Second
	pushMaxWait  = 60 * time.Second
)

// pushOptions are scan's --push flags.
type pushOptions struct {
	url         string
	token       string
	repository  string
	branch      string
	commit      string
	pipelineURL string
	timeout     time.Duration
}

func (o *pushOptions) addFlags(f *pflag.FlagSet) {
	f.StringVar(&o.url, "push", "", "after the scan, send the JSON report to this kvguard serve (https://…; http:// only on loopback) (docs/push.md)")
	// The default is read at run time, never shown: --help must not print
	// a token found in the environment.
	f.StringVar(&o.token, "token", "", "--push: the API token, an editor's (default: $"+tokenEnv+", the better place for it)")
	f.StringVar(&o.repository, "repository", "", "--push: the repository label (default: from the CI system, else the scanned directory's git remote origin)")
	f.StringVar(&o.branch, "branch", "", "--push: the branch label (default: from the CI system, else git)")
	f.StringVar(&o.commit, "commit", "", "--push: the commit label (default: from the CI system, else git)")
	f.StringVar(&o.pipelineURL, "pipeline-url", "", "--push: a link to the CI run (default: from the CI system)")
	f.DurationVar(&o.timeout, "push-timeout", 60*time.Second, "--push: how long each attempt to send the report may take")
}

// pushFlags are the flags that only mean something with --push.
var pushFlags = []string{"token", "repository", "branch", "commit", "pipeline-url", "push-timeout"}

// pushHooks are what tests replace: the environment, git, the wait
// between attempts and the HTTP transport.
type pushHooks struct {
	getenv func(string) string
	// git runs git in dir and returns its trimmed output.
	git func(ctx context.Context, dir string, args ...string) (string, error)
	// sleep waits d, or less when ctx ends.
	sleep     func(ctx context.Context, d time.Duration) error
	transport http.RoundTripper
}

type pushHooksKey struct{}

// withPushHooks carries test hooks in the context, as withClock does the
// clock.
func withPushHooks(ctx context.Context, h pushHooks) context.Context {
	return context.WithValue(ctx, pushHooksKey{}, h)
}

func pushHooksOf(ctx context.Context) pushHooks {
	h, _ := ctx.Value(pushHooksKey{}).(pushHooks)
	if h.getenv == nil {
		h.getenv = os.Getenv
	}
	if h.git == nil {
		h.git = runGit
	}
	if h.sleep == nil {
		h.sleep = sleepCtx
	}
	if h.transport == nil {
		h.transport = http.DefaultTransport
	}
	return h
}

func runGit(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", dir}, args...)...)
	out, err := cmd.Output()
	return strings.TrimSpace(string(out)), err
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// pushLabels are the query parameters that label a pushed scan.
type pushLabels struct {
	Repository, Branch, Commit, PipelineURL string
}

// pusher sends one scan's report to one server.
type pusher struct {
	endpoint *url.URL // …/api/v1/reports?repository=…
	base     *url.URL // --push, to resolve the relative links a server answers
	token    string
	labels   pushLabels
	client   *http.Client
	sleep    func(context.Context, time.Duration) error
	key      string // the push's Idempotency-Key, the same on each attempt
}

// prepare checks the --push flags and finds the labels before the
// scan runs, so that a mistake costs no scan. It returns nil without
// --push.
func (o *pushOptions) prepare(ctx context.Context, changed func(string) bool, paths []string) (*pusher, error) {
	if o.url == "" {
		for _, name := range pushFlags {
			if changed(name) {
				return nil, usageErrorf("--%s applies to --push", name)
			}
		}
		return nil, nil
	}
	h := pushHooksOf(ctx)
	base, err := parsePushURL(o.url)
	if err != nil {
		return nil, &UsageError{Err: err}
	}
	if o.timeout <= 0 {
		return nil, usageErrorf("--push-timeout %s: give a positive duration, such as 60s", o.timeout)
	}
	token := o.token
	if !changed("token") {
		token = h.getenv(tokenEnv)
	}
	token = strings.TrimSpace(token)
	if strings.ContainsAny(token, " \t\r\n") {
		return nil, usageErrorf("the API token (--token or $%s) contains white space: copy it again from 'kvguard token create'", tokenEnv)
	}
	given := pushLabels{Repository: o.repository, Branch: o.branch, Commit: o.commit, PipelineURL: o.pipelineURL}
	labels := resolveLabels(ctx, given, h.getenv, h.git, startDir(paths))
	if labels.Repository == "" {
		return nil, usageErrorf("--push needs a repository label and none was found: give --repository owner/name " +
			"(GitHub Actions, Azure Pipelines and GitLab CI set it, and so does a git remote named origin)")
	}
	endpoint := base.JoinPath("api", "v1", "reports")
	q := url.Values{}
	q.Set("repository", labels.Repository)
	for k, v := range map[string]string{"branch": labels.Branch, "commit": labels.Commit, "pipeline_url": labels.PipelineURL} {
		if v != "" {
			q.Set(k, v)
		}
	}
	endpoint.RawQuery = q.Encode()
	p := &pusher{endpoint: endpoint, base: base, token: token, labels: labels, sleep: h.sleep}
	p.client = &http.Client{Transport: h.transport, Timeout: o.timeout, CheckRedirect: sameHostRedirect}
	return p, nil
}

// parsePushURL reads --push: an absolute https URL (http only to a
// loopback host: a token sent in clear crosses no network there), with
// no credentials, query or fragment of its own.
func parsePushURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("--push %q: give the server's base URL, such as https://kvguard.example", s)
	}
	switch {
	case u.User != nil:
		return nil, fmt.Errorf("--push %s: remove the user name and password from the URL; the token goes in $%s", u.Redacted(), tokenEnv)
	case u.RawQuery != "" || u.Fragment != "":
		return nil, fmt.Errorf("--push %q: give the server's base URL without a query or fragment", s)
	case u.Scheme == "http" && !loopbackHost(u.Hostname()):
		return nil, fmt.Errorf("--push %s: use https://; plain http:// would send the API token in clear, so it is allowed only to a loopback address (127.0.0.1, ::1, localhost)", s)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

func loopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// sameHostRedirect follows a 307 or 308 (which repeat the POST with its
// body) to the same scheme, host and port only: the token goes to the
// server --push names and nowhere else. Any other redirect is handed
// back as the answer, and reported.
func sameHostRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= 5 {
		return http.ErrUseLastResponse
	}
	first := via[0].URL
	status := 0
	if req.Response != nil {
		status = req.Response.StatusCode
	}
	if (status != http.StatusTemporaryRedirect && status != http.StatusPermanentRedirect) ||
		req.URL.Scheme != first.Scheme || !strings.EqualFold(canonicalHost(req.URL), canonicalHost(first)) {
		return http.ErrUseLastResponse
	}
	return nil
}

// canonicalHost is host:port with the scheme's default port made explicit.
func canonicalHost(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	return net.JoinHostPort(u.Hostname(), port)
}

// resolveLabels fills each label not given on the command line from the
// CI system the scan runs in, else (repository, branch and commit) from
// git in dir.
func resolveLabels(ctx context.Context, given pushLabels, getenv func(string) string, git func(context.Context, string, ...string) (string, error), dir string) pushLabels {
	ci := ciLabels(getenv)
	pick := func(flag, fromCI string, fromGit func() string) string {
		switch {
		case flag != "":
			return flag
		case fromCI != "":
			return fromCI
		case fromGit != nil:
			return fromGit()
		}
		return ""
	}
	gitOut := func(args ...string) string {
		out, err := git(ctx, dir, args...)
		if err != nil {
			return ""
		}
		return out
	}
	return pushLabels{
		Repository: pick(given.Repository, ci.Repository, func() string { return repoFromRemote(gitOut("remote", "get-url", "origin")) }),
		Branch: pick(given.Branch, ci.Branch, func() string {
			if b := gitOut("rev-parse", "--abbrev-ref", "HEAD"); b != "HEAD" {
				return b
			}
			return "" // detached
		}),
		Commit:      pick(given.Commit, ci.Commit, func() string { return gitOut("rev-parse", "HEAD") }),
		PipelineURL: pick(given.PipelineURL, ci.PipelineURL, nil),
	}
}

// ciLabels reads the labels GitHub Actions, Azure Pipelines or GitLab CI
// set, recognising each by the variable it always sets.
func ciLabels(getenv func(string) string) pushLabels {
	switch {
	case getenv("GITHUB_ACTIONS") == "true":
		l := pushLabels{Repository: getenv("GITHUB_REPOSITORY"), Branch: getenv("GITHUB_REF_NAME"), Commit: getenv("GITHUB_SHA")}
		// A pull request's GITHUB_REF_NAME is "<n>/merge": its own
		// branch says more.
		if b := getenv("GITHUB_HEAD_REF"); b != "" {
			l.Branch = b
		}
		if s, r, id := getenv("GITHUB_SERVER_URL"), getenv("GITHUB_REPOSITORY"), getenv("GITHUB_RUN_ID"); s != "" && r != "" && id != "" {
			l.PipelineURL = strings.TrimSuffix(s, "/") + "/" + r + "/actions/runs/" + id
		}
		return l
	case strings.EqualFold(getenv("TF_BUILD"), "true"):
		l := pushLabels{Repository: getenv("BUILD_REPOSITORY_NAME"), Branch: getenv("BUILD_SOURCEBRANCHNAME"), Commit: getenv("BUILD_SOURCEVERSION")}
		// BUILD_SOURCEBRANCHNAME is the last segment only ("x" of
		// feature/x); the full ref has the whole name.
		if b, ok := strings.CutPrefix(getenv("BUILD_SOURCEBRANCH"), "refs/heads/"); ok && b != "" {
			l.Branch = b
		}
		if c, p, id := getenv("SYSTEM_COLLECTIONURI"), getenv("SYSTEM_TEAMPROJECT"), getenv("BUILD_BUILDID"); c != "" && p != "" && id != "" {
			l.PipelineURL = strings.TrimSuffix(c, "/") + "/" + url.PathEscape(p) + "/_build/results?buildId=" + url.QueryEscape(id)
		}
		return l
	case getenv("GITLAB_CI") == "true":
		return pushLabels{Repository: getenv("CI_PROJECT_PATH"), Branch: getenv("CI_COMMIT_REF_NAME"), Commit: getenv("CI_COMMIT_SHA"),
			PipelineURL: getenv("CI_PIPELINE_URL")}
	}
	return pushLabels{}
}

// repoFromRemote names a repository after its remote URL's path, as CI
// systems do: https://github.com/org/app.git and git@github.com:org/app
// are org/app; an Azure Repos URL (…/_git/app, or v3/org/project/app
// over SSH) is app.
func repoFromRemote(remote string) string {
	if remote == "" {
		return ""
	}
	path := remote
	if u, err := url.Parse(remote); err == nil && u.Scheme != "" && u.Host != "" {
		path = u.Path
	} else if _, after, ok := strings.Cut(remote, ":"); ok && !strings.Contains(remote, "://") {
		path = after // scp-like: git@host:org/app.git
	}
	path = strings.Trim(strings.TrimSuffix(strings.TrimSuffix(path, "/"), ".git"), "/")
	if _, repo, ok := strings.Cut(path, "_git/"); ok {
		return repo
	}
	// Azure Repos over SSH: v3/org/project/repo.
	if parts := strings.Split(path, "/"); len(parts) == 4 && parts[0] == "v3" {
		return parts[3]
	}
	return path
}

// pushAnswer is the server's 202 answer.
type pushAnswer struct {
	Scan   int64  `json:"scan"`
	Status string `json:"status"`
	URL    string `json:"url"`
}

// push renders the JSON report exactly as --format json writes it and
// sends it, retrying what may pass on a second try.
func (p *pusher) push(ctx context.Context, a *app, res *assess.Result, ro report.Options) error {
	f, err := report.Lookup("json")
	if err != nil {
		return err
	}
	var body bytes.Buffer
	if err := errors.Join(f.New(ro).Write(&body, res), res.Err()); err != nil {
		return fmt.Errorf("push: render the JSON report: %w", err)
	}
	// One key for every attempt of this push: a server that received an
	// attempt whose answer was lost answers the retry with that scan
	// instead of making a second one (Idempotency-Key).
	p.key = "kvguard-" + rand.Text()
	var last error
	tried := 0
	for attempt := 1; attempt <= pushAttempts; attempt++ {
		if attempt > 1 {
			wait := pushBackoff << (attempt - 2)
			if ra, ok := retryAfter(last); ok {
				wait = ra
			}
			wait = min(wait, pushMaxWait)
			a.logger.Info("push: retrying", "url", p.endpoint.Redacted(), "attempt", attempt, "after", wait, "err", last)
			if err := p.sleep(ctx, wait); err != nil {
				return fmt.Errorf("push to %s: %w", p.endpoint.Redacted(), err)
			}
		}
		ans, err := p.send(ctx, body.Bytes())
		tried = attempt
		if err == nil {
			link := ans.URL
			if ref, perr := url.Parse(ans.URL); perr == nil {
				link = p.base.ResolveReference(ref).String()
			}
			fmt.Fprintf(a.io.ErrOut, "kvguard: pushed: scan %d, %s\n", ans.Scan, resource.Printable(link))
			return nil
		}
		last = err
		var pe *pushError
		if ctx.Err() != nil || (errors.As(err, &pe) && !pe.retry) {
			break
		}
	}
	var pe *pushError
	if errors.As(last, &pe) {
		pe.attempts = tried
	}
	return last
}

// send makes one attempt.
func (p *pusher) send(ctx context.Context, body []byte) (pushAnswer, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.endpoint.String(), bytes.NewReader(body))
	if err != nil {
		return pushAnswer{}, fmt.Errorf("push: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "kvguard/"+Version())
	req.Header.Set("Idempotency-Key", p.key)
	if p.token != "" {
		req.Header.Set("Authorization", "Bearer "+p.token)
	}
	resp, err := p.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // its message repeats the URL, which the error names already
		}
		// A certificate the client does not trust stays untrusted.
		var cert *tls.CertificateVerificationError
		return pushAnswer{}, &pushError{p: p, err: err, retry: ctx.Err() == nil && !errors.As(err, &cert)}
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode == http.StatusAccepted || resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusCreated {
		var ans pushAnswer
		if err := json.Unmarshal(b, &ans); err != nil || ans.Scan == 0 {
			return pushAnswer{}, &pushError{p: p, status: resp.StatusCode, message: "an answer that is not kvguard serve's: " + clipText(string(b), 200)}
		}
		return ans, nil
	}
	pe := &pushError{p: p, status: resp.StatusCode, message: serverMessage(b), location: resp.Header.Get("Location")}
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 {
		pe.retry = true
		pe.retryAfter, pe.hasRetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), time.Now)
	}
	return pushAnswer{}, pe
}

// pushError is a push that failed: what the server answered (or why it
// could not be reached) and what to do.
type pushError struct {
	p        *pusher
	status   int    // 0: no answer
	message  string // the server's own message
	location string // a redirect's target
	err      error  // the connection's error
	retry    bool
	// retryAfter is the wait the server asked for.
	retryAfter    time.Duration
	hasRetryAfter bool
	attempts      int
}

func (e *pushError) Unwrap() error { return e.err }

func (e *pushError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "push to %s failed: ", e.p.endpoint.Redacted())
	if e.status == 0 {
		fmt.Fprintf(&b, "the server could not be reached: %v", e.err)
	} else {
		fmt.Fprintf(&b, "the server answered %d %s", e.status, http.StatusText(e.status))
		if e.message != "" {
			fmt.Fprintf(&b, ": %s", e.message)
		}
	}
	if e.attempts > 1 {
		fmt.Fprintf(&b, " (after %d attempts)", e.attempts)
	}
	b.WriteString(". ")
	b.WriteString(e.advice())
	return b.String()
}

// advice says what to do about the failure.
func (e *pushError) advice() string {
	l := e.p.labels
	switch {
	case e.status == 0 && errors.As(e.err, new(*tls.CertificateVerificationError)):
		return "The server's certificate is not trusted here: install the CA that issued it in the system's trust store (or set SSL_CERT_FILE)"
	case e.status == 0:
		return "Check --push (the URL of kvguard serve) and that this machine can reach it, then run the scan again"
	case e.status == http.StatusUnauthorized && e.p.token == "":
		return "No token was sent: set " + tokenEnv + " to an API token with the editor role (an admin creates one with 'kvguard token create --role editor')"
	case e.status == http.StatusUnauthorized:
		return "The token is invalid, expired or revoked: set " + tokenEnv + " to a new one, created with 'kvguard token create --role editor'"
	case e.status == http.StatusForbidden:
		return "The token lacks the editor role that pushing needs: create one with 'kvguard token create --role editor' and set it in " + tokenEnv
	case e.status == http.StatusConflict:
		return "Another push of repository " + l.Repository + branchText(l.Branch) + " is being ingested: retry when it has finished"
	case e.status == http.StatusNotFound || e.status == http.StatusMethodNotAllowed:
		return "No kvguard API answers there: give --push the base URL of kvguard serve (the dashboard's address)"
	case e.status == http.StatusRequestEntityTooLarge:
		return "The report is larger than the server (or a proxy in front of it) accepts: raise the proxy's limit, or scan less at once"
	case e.status >= 300 && e.status < 400:
		to := resource.Printable(e.location)
		return "The redirect to " + to + " was not followed: kvguard sends the token only to the --push host, and follows only a 307 or 308 there; give --push the final URL"
	case e.status == http.StatusBadRequest:
		return "The server refused the report: check that kvguard here and kvguard serve are the same version"
	case e.retry:
		return "The server is unavailable or overloaded: try again later, and see its log"
	}
	return "See the server's log"
}

func branchText(b string) string {
	if b == "" {
		return ""
	}
	return " branch " + b
}

// retryAfter is the wait a failed attempt's server asked for.
func retryAfter(err error) (time.Duration, bool) {
	var pe *pushError
	if errors.As(err, &pe) && pe.hasRetryAfter {
		return pe.retryAfter, true
	}
	return 0, false
}

// parseRetryAfter reads Retry-After: seconds, or an HTTP date.
func parseRetryAfter(v string, now func() time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now()), 0), true
	}
	return 0, false
}

// serverMessage is the "error" of kvguard serve's JSON answer, else the
// answer's first line, made printable and short.
func serverMessage(b []byte) string {
	var m struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(b, &m) == nil && m.Error != "" {
		return clipText(m.Error, 500)
	}
	line, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
	return clipText(line, 200)
}

func clipText(s string, n int) string {
	s = resource.Printable(strings.TrimSpace(s))
	if len(s) <= n {
		return s
	}
	for n > 0 && (s[n]&0xC0) == 0x80 {
		n--
	}
	return s[:n] + "…"
}
