package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/kvguard/kvguard/internal/resource"
	"github.com/kvguard/kvguard/internal/source/live"
)

// azureOptions are the flags of `kvguard scan --azure`.
type azureOptions struct {
	on               bool
	subscriptions    []string
	managementGroups []string
	cloud            string
	auth             string
	noResourceGraph  bool
	dataPlane        bool
	concurrency      int
	requestTimeout   time.Duration
	scanTimeout      time.Duration
	save             string
	armBurst         int
	armRate          float64
}

func (o *azureOptions) addFlags(fs *pflag.FlagSet) {
	fs.BoolVar(&o.on, "azure", false, "scan live Azure (credentials as every Azure tool: az login, environment, managed or workload identity)")
	fs.StringSliceVar(&o.subscriptions, "subscription", nil, "--azure: scan this subscription ID (repeatable; default: every subscription the identity can read)")
	fs.StringSliceVar(&o.managementGroups, "management-group", nil, "--azure: scan the subscriptions below this management group (repeatable)")
	fs.StringVar(&o.cloud, "cloud", "AzureCloud", "--azure: AzureCloud, AzureChinaCloud, AzureUSGovernment, or a file with 'az cloud show -o json' output")
	fs.StringVar(&o.auth, "auth", "default", "--azure: credential: "+strings.Join(live.AuthMethods, ", ")+" (default honours AZURE_TOKEN_CREDENTIALS)")
	fs.BoolVar(&o.noResourceGraph, "no-resource-graph", false, "--azure: list vaults per subscription through ARM instead of Azure Resource Graph")
	fs.BoolVar(&o.dataPlane, "data-plane", false, "--azure: also read certificates and key rotation policies from each vault's data plane (needs Key Vault Reader and network access)")
	fs.IntVar(&o.concurrency, "concurrency", 64, "--azure: vaults read at once (the client-side rate limits keep the scan within Azure's limits)")
	fs.DurationVar(&o.requestTimeout, "request-timeout", time.Minute, "--azure: time limit of one request")
	fs.DurationVar(&o.scanTimeout, "scan-timeout", 0, "--azure: time limit of the whole scan (0: none); what was read is still judged")
	fs.IntVar(&o.armBurst, "arm-read-burst", live.ARMReadBurst, "--azure: ARM reads per subscription the client-side limiter lets go at once (Azure's bucket)")
	fs.Float64Var(&o.armRate, "arm-read-rate", live.ARMReadRate, "--azure: ARM reads per second and subscription the limiter refills (Azure's bucket)")
	fs.StringVar(&o.save, "save", "", "--azure: write what was read to this snapshot file; 'kvguard scan FILE' judges it offline")
}

func (o *azureOptions) enabled() bool { return o.on }

// scan reads live Azure, emitting documents, and prints the summary on
// stderr: a progress line first when stderr is a terminal.
func (o *azureOptions) scan(ctx context.Context, stderr io.Writer, stderrIsTerminal bool, logger *slog.Logger, emit func(*resource.Document)) (live.Summary, error) {
	if o.concurrency <= 0 || o.concurrency > 1024 {
		return live.Summary{}, usageErrorf("--concurrency %d: use 1 to 1024", o.concurrency)
	}
	if o.requestTimeout <= 0 {
		return live.Summary{}, usageErrorf("--request-timeout must be positive")
	}
	if o.scanTimeout < 0 {
		return live.Summary{}, usageErrorf("--scan-timeout must not be negative")
	}
	if o.armBurst < 1 {
		return live.Summary{}, usageErrorf("--arm-read-burst %d: use at least 1 (Azure's is %d)", o.armBurst, live.ARMReadBurst)
	}
	if !(o.armRate > 0) {
		return live.Summary{}, usageErrorf("--arm-read-rate %v: use a positive rate (Azure's is %v)", o.armRate, live.ARMReadRate)
	}
	opts := live.Options{
		Cloud:            o.cloud,
		Auth:             o.auth,
		Subscriptions:    o.subscriptions,
		ManagementGroups: o.managementGroups,
		NoResourceGraph:  o.noResourceGraph,
		DataPlane:        o.dataPlane,
		Concurrency:      o.concurrency,
		RequestTimeout:   o.requestTimeout,
		ScanTimeout:      o.scanTimeout,
		ARMReads:         live.ReadLimit{Burst: o.armBurst, Rate: o.armRate},
		SavePath:         o.save,
		Prompt:           stderr,
		Tool:             "kvguard " + Version(),
		Logger:           logger,
	}
	if stderrIsTerminal {
		opts.Progress = stderr
	}
	sum, err := live.Scan(ctx, opts, emit)
	if !stderrIsTerminal && (sum.VaultsFound+sum.ManagedHSMsFound > 0 || err == nil) {
		// The progress display prints this line itself on a terminal.
		fmt.Fprintf(stderr, "kvguard: azure: %s; %d requests (%d retries, %d throttled) in %s\n",
			sum.Counts(), sum.Requests, sum.Retries, sum.Throttled, sum.Elapsed.Round(100*time.Millisecond))
	}
	if err == nil && o.save != "" {
		logger.Info("snapshot written", "path", o.save)
	}
	return sum, err
}
