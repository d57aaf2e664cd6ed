package azuresim

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"

	"github.com/kvguard/kvguard/internal/resource"
)

// Options tune a simulator. The zero value serves the estate as Azure
// would on a quiet day: no latency, no throttling, no faults.
type Options struct {
	// Addr is the address to listen on (default 127.0.0.1:0: loopback, a
	// free port).
	Addr string
	// Latency is added to every request before it is answered.
	Latency time.Duration
	// Bandwidth, in bytes per second, paces every response body as a
	// connection of that bandwidth would carry it (0: unlimited): large
	// pages cost time in proportion to their size, as over a real link.
	Bandwidth int
	// Throttle enforces Azure's limits (Limits, defaulting to
	// DefaultLimits): ARM's read token bucket per subscription and
	// principal, Resource Graph's quota per principal, and Key Vault's
	// per-vault limit, answering 429 with Retry-After or quota headers.
	Throttle bool
	Limits   Limits
	// FailRate is the probability that a request (other than a token
	// request) is answered 500 or 503; DropRate that its connection is
	// closed without an answer. Both are transient: a retry may succeed.
	FailRate float64
	DropRate float64
	// ThrottleRate is the share of requests whose first attempt is
	// answered 429 with Retry-After (their retry is served): throttling
	// that depends on no clock, unlike Throttle.
	ThrottleRate float64
	// Seed seeds the fault injection. Which attempt at which request
	// fails depends only on the seed and the requests, never on timing or
	// on the order of concurrent requests: runs are reproducible.
	Seed uint64
	// Clock is the time the limits of Throttle are measured by (default
	// time.Now); a test freezes or steps it instead of waiting.
	Clock func() time.Time
	// ForbiddenVaults names vaults (by name or resource ID) whose
	// secrets, keys and certificates answer 403, on the ARM plane and the
	// data plane alike, as a deny assignment would; for a managed HSM,
	// its keys.
	ForbiddenVaults []string
	// DisableResourceGraph makes Resource Graph refuse every query (403),
	// to exercise the per-subscription ARM fallback.
	DisableResourceGraph bool
	// GraphStaleVaults names vaults whose Resource Graph rows have no
	// properties yet (as for a vault created a moment ago), so that the
	// scanner must read their body through ARM.
	GraphStaleVaults []string
	// VaultPageSize is the page size of ARM vault lists (default 100);
	// ObjectPageSize that of secret and key lists, on the ARM plane and
	// the data plane (default and maximum 25, the data plane's maximum).
	VaultPageSize  int
	ObjectPageSize int
	// KeyVaultDNSSuffix and ManagedHSMDNSSuffix are the suffixes of the
	// vault hosts served (default .vault.azuresim.test and
	// .managedhsm.azuresim.test: the reserved .test domain, which no
	// resolver sends to a real host).
	KeyVaultDNSSuffix   string
	ManagedHSMDNSSuffix string
	// ClientID and ClientSecret are the service principal the token
	// endpoint accepts (defaults: DefaultClientID, DefaultClientSecret).
	ClientID     string
	ClientSecret string
	// TrustedNetwork admits every data-plane caller whatever the vault's
	// network rules, as for a scanner that reaches each vault through an
	// approved private endpoint. Without it the data plane applies them as
	// Key Vault does to a caller on the internet (network.go): public
	// network access disabled, or a firewall that denies by default and
	// does not list the caller's address (127.0.0.1), answers 403
	// ForbiddenByConnection or ForbiddenByFirewall.
	TrustedNetwork bool
	// NoRequestLog keeps only the requests that could have returned a
	// secret's value, for long benchmarks; Stats still counts everything.
	NoRequestLog bool
	// Logger receives the simulator's diagnostics (default: discard).
	Logger *slog.Logger
}

// The service principal the simulator's token endpoint accepts by default.
const (
	DefaultClientID     = "5a1b0c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d"
	DefaultClientSecret = "kvguard-simulator-secret"
)

// Simulator is an Azure-compatible server: Entra ID's token endpoint
// (client credentials), Azure Resource Manager, Resource Graph and the Key
// Vault data plane, on one TLS listener. Vault hosts (https://<vault>.vault.
// azuresim.test/) reach it through the dialer of Client.
type Simulator struct {
	opts   Options
	estate *Estate
	logger *slog.Logger

	subs      map[string]*Subscription // lower-case ID
	vaults    map[string]*Vault        // resource.Key(ID)
	hosts     map[string]*Vault        // lower-case data-plane host
	forbidden map[string]map[string]string
	stale     map[string]bool

	limiter *limiter
	log     requestLog
	conns   connCount
	faults  *faults
	signKey []byte
	// cers caches the X.509 certificates served for certificates
	// (resource.Key(vault ID)/name → base64 DER).
	cers sync.Map

	armAudience   string
	vaultResource string

	ln      net.Listener
	srv     *http.Server
	certPEM []byte
	baseURL string
	done    chan struct{}
}

// New prepares a simulator serving estate. It does not listen yet (Start).
func New(estate *Estate, opts Options) (*Simulator, error) { //nolint:funlen // route table of the simulator: one registration per simulated endpoint
	if estate == nil {
		return nil, errors.New("azuresim: no estate")
	}
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	if opts.VaultPageSize <= 0 {
		opts.VaultPageSize = 100
	}
	if opts.ObjectPageSize <= 0 || opts.ObjectPageSize > 25 {
		opts.ObjectPageSize = 25
	}
	if opts.KeyVaultDNSSuffix == "" {
		opts.KeyVaultDNSSuffix = ".vault.azuresim.test"
	}
	if opts.ManagedHSMDNSSuffix == "" {
		opts.ManagedHSMDNSSuffix = ".managedhsm.azuresim.test"
	}
	if opts.ClientID == "" {
		opts.ClientID = DefaultClientID
	}
	if opts.ClientSecret == "" {
		opts.ClientSecret = DefaultClientSecret
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Simulator{
		opts: opts, estate: estate, logger: logger,
		subs: map[string]*Subscription{}, vaults: map[string]*Vault{}, hosts: map[string]*Vault{},
		forbidden: map[string]map[string]string{}, stale: map[string]bool{},
		limiter:       newLimiter(opts.Limits),
		faults:        newFaults(opts),
		armAudience:   "https://management.azuresim.test/",
		vaultResource: "https://" + strings.TrimPrefix(opts.KeyVaultDNSSuffix, "."),
		done:          make(chan struct{}),
	}
	s.log.keep = !opts.NoRequestLog
	s.signKey = make([]byte, 32)
	if _, err := rand.Read(s.signKey); err != nil {
		return nil, err
	}
	for _, sub := range estate.Subscriptions {
		s.subs[strings.ToLower(sub.ID)] = sub
		for _, v := range sub.Vaults {
			s.vaults[resource.Key(v.ID)] = v
			s.hosts[s.vaultHost(v)] = v
			for part, msg := range v.Forbidden {
				s.forbid(v, part, msg)
			}
		}
	}
	for _, name := range opts.ForbiddenVaults {
		v := s.findVault(name)
		if v == nil {
			return nil, fmt.Errorf("azuresim: forbidden vault %q is not in the estate", name)
		}
		parts := []string{resource.TypeSecret, resource.TypeKey, resource.TypeCertificate}
		if v.Type == resource.TypeManagedHSM {
			parts = []string{resource.TypeHSMKey}
		}
		for _, part := range parts {
			s.forbid(v, part, "")
		}
	}
	for _, name := range opts.GraphStaleVaults {
		v := s.findVault(name)
		if v == nil {
			return nil, fmt.Errorf("azuresim: stale vault %q is not in the estate", name)
		}
		s.stale[resource.Key(v.ID)] = true
	}
	return s, nil
}

func (s *Simulator) now() time.Time { return s.opts.Clock() }

func (s *Simulator) forbid(v *Vault, part, msg string) {
	k := resource.Key(v.ID)
	if s.forbidden[k] == nil {
		s.forbidden[k] = map[string]string{}
	}
	if msg == "" {
		msg = "the simulator forbids this vault's " + part
	}
	s.forbidden[k][part] = msg
}

// forbiddenPart returns the 403 message for part of v, if it is forbidden.
func (s *Simulator) forbiddenPart(v *Vault, part string) (string, bool) {
	for p, msg := range s.forbidden[resource.Key(v.ID)] {
		if strings.EqualFold(p, part) {
			return msg, true
		}
	}
	return "", false
}

// recordedAnswer takes apart a forbidden part's message when it is a
// failure kvguard recorded in a snapshot ("list secrets of <id>: 403
// AuthorizationFailed: The client …"): the simulator then gives that
// answer again, code and message as Azure gave them, rather than
// wrapping the whole recorded error in a message of its own (a scan of
// the simulator would print the 403 message twice).
func recordedAnswer(msg string) (code, message string, ok bool) {
	m := recordedError.FindStringSubmatch(msg)
	if m == nil {
		return "", "", false
	}
	return m[1], m[2], true
}

var recordedError = regexp.MustCompile(`^(?s)[^:]*: 403 ([A-Za-z]+): (.+)$`)

func (s *Simulator) findVault(nameOrID string) *Vault {
	if v := s.vaults[resource.Key(nameOrID)]; v != nil {
		return v
	}
	for _, v := range s.vaults {
		if strings.EqualFold(v.Name, nameOrID) {
			return v
		}
	}
	return nil
}

// vaultHost is the data-plane host the simulator gives v.
func (s *Simulator) vaultHost(v *Vault) string {
	if v.Type == resource.TypeManagedHSM {
		return strings.ToLower(v.Name) + s.opts.ManagedHSMDNSSuffix
	}
	return strings.ToLower(v.Name) + s.opts.KeyVaultDNSSuffix
}

// Start listens on Options.Addr and serves until Close.
func (s *Simulator) Start() error {
	ln, err := net.Listen("tcp", s.opts.Addr)
	if err != nil {
		return fmt.Errorf("azuresim: listen: %w", err)
	}
	addr := ln.Addr().(*net.TCPAddr)
	ips := []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
	if !addr.IP.IsUnspecified() && !addr.IP.IsLoopback() {
		ips = append(ips, addr.IP)
	}
	hosts := []string{"localhost", "*" + s.opts.KeyVaultDNSSuffix, "*" + s.opts.ManagedHSMDNSSuffix}
	cert, certPEM, err := newCertificate(hosts, ips)
	if err != nil {
		ln.Close()
		return fmt.Errorf("azuresim: certificate: %w", err)
	}
	s.certPEM = certPEM
	host := addr.IP.String()
	if addr.IP.IsUnspecified() {
		host = "127.0.0.1"
	}
	s.baseURL = "https://" + net.JoinHostPort(host, fmt.Sprint(addr.Port))
	s.ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	s.srv = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		// http.ErrAbortHandler (a dropped connection) is not worth a log
		// line; other server errors go to the logger.
		ErrorLog:  slog.NewLogLogger(s.logger.Handler(), slog.LevelDebug),
		ConnState: s.conns.track,
	}
	go func() {
		defer close(s.done)
		if err := s.srv.Serve(s.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.logger.Error("simulator stopped", "err", err)
		}
	}()
	return nil
}

// Close stops the server and closes open connections.
func (s *Simulator) Close() error {
	if s.srv == nil {
		return nil
	}
	err := s.srv.Close()
	<-s.done
	return err
}

// Shutdown stops the server gracefully, waiting for requests in flight.
func (s *Simulator) Shutdown(ctx context.Context) error {
	if s.srv == nil {
		return nil
	}
	return s.srv.Shutdown(ctx)
}

// URL is the base URL of ARM, Resource Graph and the token endpoint, e.g.
// https://127.0.0.1:41234.
func (s *Simulator) URL() string { return s.baseURL }

// Addr is the listener's address (host:port).
func (s *Simulator) Addr() string { return strings.TrimPrefix(s.baseURL, "https://") }

// Certificate returns the PEM of the simulator's self-signed certificate.
func (s *Simulator) Certificate() []byte { return append([]byte(nil), s.certPEM...) }

// Estate returns the estate served.
func (s *Simulator) Estate() *Estate { return s.estate }

// Client returns an HTTP client that trusts the simulator's certificate
// and dials the simulated vault hosts to it. Pass it as the Transport of
// SDK clients and credentials. It dials nothing but the simulator.
func (s *Simulator) Client() *http.Client {
	c, err := ClientFor(s.Addr(), s.certPEM, s.opts.KeyVaultDNSSuffix, s.opts.ManagedHSMDNSSuffix)
	if err != nil {
		panic(err) // the certificate is our own; it always parses
	}
	return c
}

// Credentials returns the tenant and the service principal that the
// token endpoint accepts.
func (s *Simulator) Credentials() (tenantID, clientID, clientSecret string) {
	return s.estate.TenantID, s.opts.ClientID, s.opts.ClientSecret
}

// ARMAudience is the token audience of the simulated Resource Manager
// (the cloud file's endpoints.activeDirectoryResourceId).
func (s *Simulator) ARMAudience() string { return s.armAudience }

// KeyVaultDNSSuffix is the suffix of the vault hosts served.
func (s *Simulator) KeyVaultDNSSuffix() string { return s.opts.KeyVaultDNSSuffix }

// Cloud returns the azcore cloud configuration of the simulator.
func (s *Simulator) Cloud() cloud.Configuration {
	return cloud.Configuration{
		ActiveDirectoryAuthorityHost: s.baseURL + "/",
		Services: map[cloud.ServiceName]cloud.ServiceConfiguration{
			cloud.ResourceManager: {Endpoint: s.baseURL + "/", Audience: s.armAudience},
		},
	}
}

// CloudFile returns a cloud file in the form of `az cloud show -o json`
// for kvguard's --cloud flag. Its kvguardSimulator member carries the
// listener's address and certificate, which kvguard uses to trust the
// simulator and to route the vault hosts to it.
func (s *Simulator) CloudFile() []byte {
	f := map[string]any{
		"name":    "KvguardSimulator",
		"profile": "latest",
		"endpoints": map[string]any{
			"activeDirectory":           s.baseURL,
			"activeDirectoryResourceId": s.armAudience,
			"resourceManager":           s.baseURL + "/",
			"management":                s.armAudience,
		},
		"suffixes": map[string]any{
			"keyvaultDns": s.opts.KeyVaultDNSSuffix,
			"mhsmDns":     s.opts.ManagedHSMDNSSuffix,
		},
		"kvguardSimulator": map[string]any{
			"address":     s.Addr(),
			"certificate": string(s.certPEM),
		},
	}
	b, _ := json.MarshalIndent(f, "", "  ")
	return append(b, '\n')
}
