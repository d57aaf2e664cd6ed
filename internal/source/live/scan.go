// Package live reads live Azure through the Azure SDK for Go and turns
// what it reads into resource documents (docs/architecture.md): key vaults
// and managed HSMs, their secrets and keys (through ARM: Reader is enough,
// it works through vault firewalls and never returns a value; a managed
// HSM's keys too), their diagnostic settings, and, with Options.DataPlane,
// certificates with their policies and key rotation policies from each
// vault's own data plane.
//
// Inventory comes from Azure Resource Graph, with a per-subscription ARM
// fallback. Requests are paced by client-side limits matching Azure's,
// retried on 429, 5xx and dropped connections with Retry-After honoured,
// and bounded per request and per scan. A part of a vault that could not
// be read becomes a resource.Gap on the vault's document, so that the
// verdicts depending on it are Unknown, never Healthy; the summary counts
// vaults found, judged and unreadable (found = judged + unreadable), and
// managed HSMs apart.
//
// The scan can be saved as a snapshot (docs/snapshot.md) that
// internal/source/saved reads offline to the same verdicts.
//
// This package imports resource only of kvguard's; it never imports the
// simulator (internal/azuresim), which tests drive it against.
package live

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/keyvault/armkeyvault"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/monitor/armmonitor"

	"github.com/kvguard/kvguard/internal/resource"
)

// Options configure a scan of live Azure.
type Options struct {
	// Cloud is "AzureCloud" (default), "AzureChinaCloud",
	// "AzureUSGovernment", or the path of `az cloud show -o json` output.
	Cloud string
	// Auth picks the credential: one of AuthMethods ("default":
	// DefaultAzureCredential).
	Auth string
	// Credential, when non-nil, is used as is and Auth is ignored (tests).
	Credential azcore.TokenCredential
	// Subscriptions and ManagementGroups are the scope. Both empty: every
	// subscription the identity can read.
	Subscriptions    []string
	ManagementGroups []string
	// NoResourceGraph lists vaults per subscription through ARM instead of
	// Resource Graph. The scan falls back to ARM by itself when Resource
	// Graph refuses.
	NoResourceGraph bool
	// Ancestry also reads the management groups above each subscription
	// in scope (Summary.Ancestry): from Resource Graph's resourcecontainers
	// table, or (NoResourceGraph, or Resource Graph refused) from ARM's
	// entity list (getEntities, one paged request, which needs
	// Microsoft.Management/managementGroups/read). When both refuse, the
	// scan goes on and Summary.Ancestry is nil. kvguard serve records it;
	// verdicts and reports never read it.
	Ancestry bool
	// DataPlane also reads each vault's data plane (from its vaultUri):
	// certificates and key rotation policies. It needs the Key Vault
	// Reader role and network access to the vault.
	DataPlane bool
	// Concurrency is the number of vaults read at once (default 64). The
	// client-side rate limits, not this, keep the scan within Azure's
	// limits; enough vaults in flight keep every subscription's budget in
	// use while some requests wait out a retry.
	Concurrency int
	// RequestTimeout bounds each HTTP request (default 60 s), counted
	// after the client-side rate limiter let it go; ScanTimeout bounds the
	// whole scan (0: none).
	RequestTimeout time.Duration
	ScanTimeout    time.Duration
	// ARMReads is ARM's read bucket the client-side limiter paces each
	// subscription for (zero: Azure's published limits).
	ARMReads ReadLimit
	// Transport carries every request (nil: a default HTTP client, or the
	// simulator's when the cloud file names one). Tests pass the
	// simulator's client.
	Transport policy.Transporter
	// SavePath, when set, is where the snapshot (docs/snapshot.md) is
	// written, also when the scan is stopped early.
	SavePath string
	// Progress receives a one-line progress display (nil: quiet). The CLI
	// passes stderr only when it is a terminal.
	Progress io.Writer
	// Prompt receives the device-code sign-in instructions (--auth
	// device-code); nil discards them.
	Prompt io.Writer
	// Tool names the program in the snapshot header (default "kvguard").
	Tool string
	// Logger receives diagnostics (default: discard).
	Logger *slog.Logger
}

// Summary says what a scan did. Vaults counts key vaults, ManagedHSMs
// managed HSMs, apart (the Key Vault recommendations do not judge HSMs,
// and a report counts them as managedHSMsFound); VaultsFound =
// VaultsJudged + VaultsUnreadable, and the same for HSMs, where an
// unreadable vault (HSM) is one with at least one gap.
type Summary struct {
	Subscriptions    int
	VaultsFound      int
	VaultsJudged     int
	VaultsUnreadable int
	// ManagedHSMsFound = ManagedHSMsJudged + ManagedHSMsUnreadable.
	ManagedHSMsFound      int
	ManagedHSMsJudged     int
	ManagedHSMsUnreadable int
	// Requests counts HTTP requests sent (every try); Retries the tries
	// after a retryable failure; Throttled the 429 answers.
	Requests  int
	Retries   int
	Throttled int
	// ThrottleWait adds up the time requests waited for the client-side
	// rate limiter and for Retry-After (summed over concurrent requests).
	ThrottleWait time.Duration
	// Elapsed is the scan's wall-clock time; LowerBound is the least time
	// Azure's limits allow for the ARM reads and Resource Graph queries it
	// sent (ThrottleLowerBound).
	Elapsed    time.Duration
	LowerBound time.Duration
	// Ancestry is each subscription's management groups, in the order of
	// the subscriptions in scope, when Options.Ancestry was set and the
	// groups could be read (nil otherwise).
	Ancestry []SubscriptionAncestry
}

// Scan reads the Azure estate in scope and calls emit for each document:
// a vault's document, then its components and related documents. emit is
// never called concurrently. Scan returns an error when it could not scan
// at all (no credential, no subscription), when a subscription could not
// be listed (its vaults are unknown), or when it was stopped (context
// cancelled or ScanTimeout); it still emits every vault it found, with
// gaps for what it did not read, and still writes the snapshot.
func Scan(ctx context.Context, opts Options, emit func(*resource.Document)) (Summary, error) {
	start := time.Now()
	s, err := newScanner(opts, emit)
	if err != nil {
		return Summary{}, err
	}
	if s.opts.ScanTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, s.opts.ScanTimeout, ErrScanTimeout)
		defer cancel()
	}
	// A worker runs one scan per job, thousands a day: the connections
	// of a client built for this scan must not outlive it (idle ones
	// would otherwise stay open for 90 s each, with their buffers and
	// goroutines, and a worker's memory would grow with its job rate).
	if c, ok := s.meter.next.(interface{ CloseIdleConnections() }); ok && s.opts.Transport == nil {
		defer c.CloseIdleConnections()
	}
	stopProgress := s.startProgress()
	err = s.run(ctx)
	sum := s.summary(start)
	if s.snap != nil {
		if cerr := s.snap.close(s.header(sum)); cerr != nil {
			err = errors.Join(err, fmt.Errorf("save snapshot: %w", cerr))
		}
	}
	stopProgress(sum)
	return sum, err
}

// The kinds of resource the summary counts apart.
const (
	kindVault = 0
	kindHSM   = 1
)

func kindOf(typ string) int {
	if typ == resource.TypeManagedHSM {
		return kindHSM
	}
	return kindVault
}

// ErrScanTimeout is the cause of a scan stopped by Options.ScanTimeout.
var ErrScanTimeout = errors.New("the scan time limit was reached")

type scanner struct {
	opts    Options
	cloud   Cloud
	cred    azcore.TokenCredential
	meter   *meter
	log     *slog.Logger
	armOpts *arm.ClientOptions
	kvOpts  azcore.ClientOptions

	emitMu sync.Mutex
	emit   func(*resource.Document)
	snap   *snapshotWriter

	factMu    sync.Mutex
	factories map[string]*armkeyvault.ClientFactory
	diag      *armmonitor.DiagnosticSettingsClient

	scopeSubs []string
	tenantID  string
	ancestry  []SubscriptionAncestry
	nSubs     atomic.Int64
	// Vaults and managed HSMs found, judged and unreadable, indexed by
	// kindOf.
	found  [2]atomic.Int64
	judged [2]atomic.Int64
	unread [2]atomic.Int64
}

func newScanner(opts Options, emit func(*resource.Document)) (*scanner, error) {
	if opts.Concurrency <= 0 {
		opts.Concurrency = 64
	}
	if opts.RequestTimeout <= 0 {
		opts.RequestTimeout = 60 * time.Second
	}
	if opts.Tool == "" {
		opts.Tool = "kvguard"
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	c, err := LoadCloud(opts.Cloud)
	if err != nil {
		return nil, err
	}
	base, err := baseTransport(opts, c, logger)
	if err != nil {
		return nil, err
	}
	s := &scanner{opts: opts, cloud: c, log: logger, emit: emit, factories: map[string]*armkeyvault.ClientFactory{}}
	s.meter = newMeter(base, c.armEndpoint(), opts.RequestTimeout, opts.ARMReads)
	s.cred = opts.Credential
	if s.cred == nil {
		s.cred, err = newCredential(opts.Auth, c, base, opts.Prompt)
		if err != nil {
			return nil, fmt.Errorf("credential: %w", err)
		}
	}
	retry := policy.RetryOptions{
		MaxRetries: 6,
		// A first retry after ~0.3 s (then ~0.9, 2.1, 4.5 s ...): a
		// transient 5xx or dropped connection rarely needs longer, and a
		// worker waiting out a backoff holds a vault. A 429 waits for its
		// Retry-After instead.
		RetryDelay: 300 * time.Millisecond,
		// Azure asks for waits of up to a minute or more; a Retry-After
		// above MaxRetryDelay would make azcore give up at once.
		MaxRetryDelay: 2 * time.Minute,
	}
	co := policy.ClientOptions{
		Cloud:           c.Config,
		Transport:       s.meter,
		Retry:           retry,
		PerCallPolicies: []policy.Policy{callPolicy{}},
		Telemetry:       policy.TelemetryOptions{ApplicationID: "kvguard"},
	}
	// A read-only scanner must never register a resource provider (a
	// write) on a subscription that has not used Key Vault.
	s.armOpts = &arm.ClientOptions{ClientOptions: co, DisableRPRegistration: true}
	s.kvOpts = co
	if s.diag, err = armmonitor.NewDiagnosticSettingsClient(s.cred, s.armOpts); err != nil {
		return nil, err
	}
	if opts.SavePath != "" {
		if s.snap, err = newSnapshotWriter(opts.SavePath); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// baseTransport is what carries a scan's requests: Options.Transport,
// else the simulator's client when the cloud file names one, else the
// default client.
func baseTransport(opts Options, c Cloud, logger *slog.Logger) (policy.Transporter, error) {
	if opts.Transport != nil {
		return opts.Transport, nil
	}
	if c.Simulator != nil {
		logger.Warn("the cloud file names a kvguard simulator: trusting its certificate and sending its vault hosts to it",
			"address", c.Simulator.Address)
		return c.simulatorClient()
	}
	return defaultClient(opts.Concurrency), nil
}

// defaultClient is the HTTP client of a real scan: the environment's
// proxy settings, HTTP/2, and enough idle connections per host for the
// concurrency.
func defaultClient(concurrency int) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = 4 * concurrency
	tr.MaxIdleConnsPerHost = 2 * concurrency
	tr.ForceAttemptHTTP2 = true
	tr.DialContext = (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	return &http.Client{Transport: tr}
}

func (s *scanner) factory(sub string) (*armkeyvault.ClientFactory, error) {
	s.factMu.Lock()
	defer s.factMu.Unlock()
	f := s.factories[strings.ToLower(sub)]
	if f == nil {
		var err error
		if f, err = armkeyvault.NewClientFactory(sub, s.cred, s.armOpts); err != nil {
			return nil, err
		}
		s.factories[strings.ToLower(sub)] = f
	}
	return f, nil
}

func (s *scanner) run(ctx context.Context) error {
	subs, err := s.scope(ctx)
	if err != nil {
		// Stopped while listing the subscriptions (--scan-timeout, Ctrl-C):
		// say so, as when stopped later.
		return errors.Join(err, stopError(ctx))
	}
	s.scopeSubs = subs
	if s.opts.Ancestry {
		s.ancestry = s.readAncestry(ctx, subs)
	}
	start := time.Now()
	recs, invErr := s.inventory(ctx, subs)
	for _, r := range recs {
		s.found[kindOf(r.typ)].Add(1)
	}
	s.log.Debug("inventory", "subscriptions", len(subs), "vaults", len(recs), "took", time.Since(start).Round(time.Millisecond))
	s.readAll(ctx, recs)
	return errors.Join(invErr, stopError(ctx))
}

// stopError says that the scan was stopped before it finished, and why
// (ErrScanTimeout, or the context's own error); nil while ctx is not done.
func stopError(ctx context.Context) error {
	if ctx.Err() == nil {
		return nil
	}
	if errors.Is(context.Cause(ctx), ErrScanTimeout) {
		return fmt.Errorf("scan stopped before it finished: %w (%w)", ErrScanTimeout, ctx.Err())
	}
	return fmt.Errorf("scan stopped before it finished: %w", ctx.Err())
}

func (s *scanner) summary(start time.Time) Summary {
	perSub, tenant, graph := s.meter.reads()
	reads := make([]int, 0, len(perSub))
	for _, n := range perSub {
		reads = append(reads, n)
	}
	return Summary{
		Subscriptions:         int(s.nSubs.Load()),
		VaultsFound:           int(s.found[kindVault].Load()),
		VaultsJudged:          int(s.judged[kindVault].Load()),
		VaultsUnreadable:      int(s.unread[kindVault].Load()),
		ManagedHSMsFound:      int(s.found[kindHSM].Load()),
		ManagedHSMsJudged:     int(s.judged[kindHSM].Load()),
		ManagedHSMsUnreadable: int(s.unread[kindHSM].Load()),
		Requests:              int(s.meter.requests.Load()),
		Retries:               int(s.meter.retries.Load()),
		Throttled:             int(s.meter.throttled.Load()),
		ThrottleWait:          time.Duration(s.meter.waitNanos.Load()),
		Elapsed:               time.Since(start),
		LowerBound:            s.meter.arm.LowerBound(reads, tenant, graph),
		Ancestry:              s.ancestry,
	}
}
