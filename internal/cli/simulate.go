package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/kvguard/kvguard/internal/azuresim"
	"github.com/kvguard/kvguard/internal/resource"
)

// simulateOptions are the flags of `kvguard simulate`.
type simulateOptions struct {
	estate          string
	vaults          int
	secrets         int
	keys            int
	certificates    int
	hsms            int
	hsmKeys         int
	subscriptions   int
	seed            uint64
	latency         time.Duration
	bandwidth       int
	throttle        bool
	failRate        float64
	dropRate        float64
	forbiddenVaults int
	staleVaults     int
	noResourceGraph bool
	listen          string
	writeCloud      string
	trustedNetwork  bool
	proxy           string
}

func newSimulateCmd(stdout, stderr io.Writer, logger *slog.Logger) *cobra.Command {
	o := &simulateOptions{}
	cmd := &cobra.Command{
		Use:   "simulate",
		Short: "Run an Azure-compatible simulator to try --azure without Azure",
		Long: `Simulate serves an Azure estate over the real Azure REST protocols on loopback: the
Entra ID token endpoint (client credentials), Azure Resource Manager, Azure Resource Graph
and the Key Vault data plane (TLS, 401 challenge). kvguard scan --azure, or any Azure SDK
client, can read it with the cloud file and the credentials it prints.

It serves a kvguard snapshot (--estate; the output of kvguard scan --azure --save) or an
estate it generates (--vaults ...), and can add latency, Azure's throttling limits,
transient 5xx errors, dropped connections and forbidden vaults. It holds no secret values
and refuses every request for one. It runs until interrupted (Ctrl-C).`,
		Example: `  kvguard simulate --estate examples/estate.json
  kvguard simulate --vaults 500 --subscriptions 5 \
    --secrets-per-vault 50 --keys-per-vault 20 \
    --latency 20ms --throttle --fail-rate 0.05 --forbidden-vaults 3`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.run(cmd.Context(), cmd, stdout, stderr, logger)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.estate, "estate", "", "serve this kvguard snapshot (docs/snapshot.md), e.g. examples/estate.json")
	f.IntVar(&o.vaults, "vaults", 0, "generate an estate of this many key vaults (default 20 when no --estate)")
	f.IntVar(&o.secrets, "secrets-per-vault", 10, "generated estate: secrets in every vault")
	f.IntVar(&o.keys, "keys-per-vault", 5, "generated estate: keys in every vault")
	f.IntVar(&o.certificates, "certificates-per-vault", 1, "generated estate: certificates in every vault")
	f.IntVar(&o.hsms, "managed-hsms", 0, "generated estate: managed HSMs")
	f.IntVar(&o.hsmKeys, "keys-per-hsm", 2, "generated estate: keys in every managed HSM")
	f.IntVar(&o.subscriptions, "subscriptions", 2, "generated estate: subscriptions the vaults are spread over")
	f.Uint64Var(&o.seed, "seed", 1, "generated estate and fault injection: the same seed gives the same run")
	f.DurationVar(&o.latency, "latency", 0, "add this latency to every request")
	f.IntVar(&o.bandwidth, "bandwidth", 0, "send every response at most this many bytes per second, as over a slow link (0: unlimited)")
	f.BoolVar(&o.throttle, "throttle", false, "enforce Azure's limits: ARM 250 reads + 25/s per subscription, Resource Graph 15 queries per 5 s, Key Vault 4,000 per 10 s per vault")
	f.Float64Var(&o.failRate, "fail-rate", 0, "answer this fraction of requests 500 or 503")
	f.Float64Var(&o.dropRate, "drop-rate", 0, "drop the connection of this fraction of requests")
	f.IntVar(&o.forbiddenVaults, "forbidden-vaults", 0, "answer 403 for the secrets, keys and certificates of this many vaults")
	f.IntVar(&o.staleVaults, "stale-vaults", 0, "leave this many vaults without properties in Resource Graph (as if just created)")
	f.BoolVar(&o.noResourceGraph, "no-resource-graph", false, "refuse Resource Graph queries (403), so that scanners fall back to ARM")
	f.StringVar(&o.listen, "listen", "127.0.0.1:0", "address to listen on")
	f.BoolVar(&o.trustedNetwork, "trusted-network", false, "admit every data-plane caller whatever the vaults' network rules (as through private endpoints); by default firewalled vaults answer 403 ForbiddenByFirewall, as Azure does to a caller on the internet")
	f.StringVar(&o.proxy, "proxy", "", "also serve an HTTPS CONNECT proxy at this address (e.g. 127.0.0.1:0) that tunnels vault hosts to the simulator, for clients such as the Azure CLI that take HTTPS_PROXY but no dialer (docs/azure.md)")
	f.StringVar(&o.writeCloud, "write-cloud", filepath.Join(os.TempDir(), "kvguard-sim-cloud.json"), "write the cloud file for --cloud here")
	return cmd
}

func (o *simulateOptions) loadEstate(cmd *cobra.Command) (*azuresim.Estate, string, error) {
	if o.estate != "" {
		for _, gen := range []string{"vaults", "secrets-per-vault", "keys-per-vault", "certificates-per-vault", "managed-hsms", "subscriptions"} {
			if cmd.Flags().Changed(gen) {
				return nil, "", usageErrorf("--estate and --%s are exclusive: serve a snapshot or generate an estate", gen)
			}
		}
		e, err := azuresim.LoadEstate(o.estate)
		return e, o.estate, err
	}
	if o.vaults == 0 {
		o.vaults = 20
	}
	if o.vaults < 0 || o.secrets < 0 || o.keys < 0 || o.certificates < 0 || o.hsms < 0 || o.hsmKeys < 0 || o.subscriptions <= 0 {
		return nil, "", usageErrorf("estate sizes must not be negative, and --subscriptions must be at least 1")
	}
	e := azuresim.Generate(azuresim.GenOptions{
		Subscriptions: o.subscriptions, Vaults: o.vaults, ManagedHSMs: o.hsms,
		SecretsPerVault: o.secrets, KeysPerVault: o.keys, CertificatesPerVault: o.certificates, KeysPerHSM: o.hsmKeys, Seed: o.seed,
	})
	return e, fmt.Sprintf("generated (seed %d)", o.seed), nil
}

func (o *simulateOptions) run(ctx context.Context, cmd *cobra.Command, stdout, stderr io.Writer, logger *slog.Logger) error {
	if o.bandwidth < 0 {
		return usageErrorf("--bandwidth must not be negative")
	}
	if o.failRate < 0 || o.dropRate < 0 || o.failRate+o.dropRate >= 1 {
		return usageErrorf("--fail-rate and --drop-rate must be fractions adding up to less than 1")
	}
	est, from, err := o.loadEstate(cmd)
	if err != nil {
		return err
	}
	var kvs []*azuresim.Vault
	for _, v := range est.Vaults() {
		if v.Type == resource.TypeVault {
			kvs = append(kvs, v)
		}
	}
	if o.forbiddenVaults > len(kvs) || o.staleVaults > len(kvs) || o.forbiddenVaults < 0 || o.staleVaults < 0 {
		return usageErrorf("the estate has %d key vaults: --forbidden-vaults and --stale-vaults must be between 0 and that", len(kvs))
	}
	opts := azuresim.Options{
		Addr: o.listen, Latency: o.latency, Bandwidth: o.bandwidth, Throttle: o.throttle,
		FailRate: o.failRate, DropRate: o.dropRate, Seed: o.seed,
		DisableResourceGraph: o.noResourceGraph, Logger: logger,
		// A long-running server keeps no request log, only counters.
		NoRequestLog:   true,
		TrustedNetwork: o.trustedNetwork,
	}
	for _, v := range kvs[:o.forbiddenVaults] {
		opts.ForbiddenVaults = append(opts.ForbiddenVaults, v.Name)
	}
	// Stale vaults are taken from the end, so that they differ from the
	// forbidden ones when both are asked for.
	for _, v := range kvs[len(kvs)-o.staleVaults:] {
		opts.GraphStaleVaults = append(opts.GraphStaleVaults, v.Name)
	}
	sim, err := azuresim.New(est, opts)
	if err != nil {
		return err
	}
	if err := sim.Start(); err != nil {
		return err
	}
	defer sim.Close()
	if err := os.WriteFile(o.writeCloud, sim.CloudFile(), 0o600); err != nil {
		return fmt.Errorf("write cloud file: %w", err)
	}
	o.describe(stdout, sim, est, from, opts)
	if o.proxy != "" {
		px, err := sim.NewProxy(o.proxy)
		if err != nil {
			return fmt.Errorf("--proxy: %w", err)
		}
		defer px.Close()
		describeProxy(stdout, sim, px)
	}
	<-ctx.Done()
	shut, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	_ = sim.Shutdown(shut)
	st := sim.Stats()
	fmt.Fprintf(stderr, "kvguard simulate: stopped after %d requests (%d throttled, %d failed, %d dropped, %d forbidden, %d asking for a secret value)\n",
		st.Requests, st.Throttled, st.Failed, st.Dropped, st.Forbidden, len(sim.ValueRequests()))
	return nil
}

func (o *simulateOptions) describe(w io.Writer, sim *azuresim.Simulator, est *azuresim.Estate, from string, opts azuresim.Options) {
	tenant, id, secret := sim.Credentials()
	nVaults, nHSM, nSecrets, nKeys := 0, 0, 0, 0
	for _, v := range est.Vaults() {
		if v.Type == resource.TypeManagedHSM {
			nHSM++
			continue
		}
		nVaults++
		nSecrets += len(v.Secrets)
		nKeys += len(v.Keys)
	}
	var faults []string
	if opts.Latency > 0 {
		faults = append(faults, "latency "+opts.Latency.String())
	}
	if opts.Throttle {
		faults = append(faults, "Azure's throttling limits")
	}
	if opts.FailRate > 0 {
		faults = append(faults, fmt.Sprintf("%.1f%% 5xx", 100*opts.FailRate))
	}
	if opts.DropRate > 0 {
		faults = append(faults, fmt.Sprintf("%.1f%% dropped connections", 100*opts.DropRate))
	}
	if len(opts.ForbiddenVaults) > 0 {
		faults = append(faults, "forbidden vaults "+strings.Join(opts.ForbiddenVaults, ", "))
	}
	if len(opts.GraphStaleVaults) > 0 {
		faults = append(faults, "stale in Resource Graph: "+strings.Join(opts.GraphStaleVaults, ", "))
	}
	if opts.DisableResourceGraph {
		faults = append(faults, "Resource Graph refused")
	}
	if len(faults) == 0 {
		faults = []string{"none"}
	}
	var mgs []string
	for _, mg := range est.ManagementGroups {
		mgs = append(mgs, mg.Name)
	}
	fmt.Fprintf(w, `kvguard Azure simulator
  estate            %s: %d subscriptions, %d key vaults, %d managed HSMs, %d secrets, %d keys
  management groups %s
  faults            %s
  Resource Manager  %s/
  Entra ID          %s/%s/oauth2/v2.0/token (client credentials)
  Key Vault         https://<vault>%s/ (reached through the cloud file)
  cloud file        %s

Scan it from another shell:

  export AZURE_TENANT_ID=%s
  export AZURE_CLIENT_ID=%s
  export AZURE_CLIENT_SECRET=%s
  kvguard scan --azure --cloud %s --auth client-secret
  kvguard scan --azure --cloud %s --auth client-secret --data-plane --save estate-snapshot.json

Press Ctrl-C to stop.
`, from, len(est.Subscriptions), nVaults, nHSM, nSecrets, nKeys, orNone(mgs), strings.Join(faults, "; "),
		sim.URL(), sim.URL(), tenant, sim.KeyVaultDNSSuffix(), o.writeCloud,
		tenant, id, secret, o.writeCloud, o.writeCloud)
}

func orNone(ss []string) string {
	if len(ss) == 0 {
		return "none"
	}
	return strings.Join(ss, ", ")
}

// describeProxy prints how to point the Azure CLI at the simulator: a
// cloud whose Entra ID endpoint is the simulator's AD FS-style authority
// (so that MSAL does no instance discovery at a real host), the
// simulator's certificate as the CA bundle, and the proxy for vault hosts.
func describeProxy(w io.Writer, sim *azuresim.Simulator, px *azuresim.Proxy) {
	tenant, id, secret := sim.Credentials()
	fmt.Fprintf(w, `
Azure CLI (az 2.45 or later), through the proxy at %[1]s:

  export AZURE_CONFIG_DIR=$(mktemp -d) AZURE_CORE_COLLECT_TELEMETRY=false
  export REQUESTS_CA_BUNDLE=<the "certificate" of the cloud file, saved as a PEM file>
  export HTTPS_PROXY=%[1]s HTTP_PROXY=%[1]s NO_PROXY=127.0.0.1
  az cloud register -n KvguardSimulator --endpoint-resource-manager %[2]s/ \
      --endpoint-active-directory %[2]s/adfs --endpoint-active-directory-resource-id %[3]s \
      --endpoint-management %[3]s --suffix-keyvault-dns %[4]s
  az cloud set -n KvguardSimulator
  az login --service-principal -u %[5]s -p %[6]s --tenant %[7]s
  az keyvault list -o json
`, px.URL(), sim.URL(), sim.ARMAudience(), sim.KeyVaultDNSSuffix(), id, secret, tenant)
}
