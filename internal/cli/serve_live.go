package cli

import (
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/kvguard/kvguard/internal/source/live"
)

// liveFlags are the Azure flags of the commands that scan through jobs
// (kvguard serve; kvguard worker declares the same): the scope and the
// template of each subscription's live scan.
type liveFlags struct {
	subscriptions    []string
	managementGroups []string
	cloud            string
	auth             string
	dataPlane        bool
	vaultConcurrency int
	requestTimeout   time.Duration
	armBurst         int
	armRate          float64
}

func (l *liveFlags) addFlags(f *pflag.FlagSet) {
	f.StringSliceVar(&l.subscriptions, "subscription", nil, "scan this subscription ID (repeatable)")
	f.StringSliceVar(&l.managementGroups, "management-group", nil, "scan the subscriptions below this management group (repeatable)")
	f.StringVar(&l.cloud, "cloud", "AzureCloud", "AzureCloud, AzureChinaCloud, AzureUSGovernment, or a file with 'az cloud show -o json' output")
	f.StringVar(&l.auth, "auth", "default", "credential: "+strings.Join(live.AuthMethods, ", ")+" (workload-identity on Kubernetes)")
	f.BoolVar(&l.dataPlane, "data-plane", false, "also read certificates and key rotation policies from each vault's data plane")
	f.IntVar(&l.vaultConcurrency, "vault-concurrency", 16, "vaults one job reads at once")
	f.DurationVar(&l.requestTimeout, "request-timeout", time.Minute, "time limit of one request")
	f.IntVar(&l.armBurst, "arm-read-burst", live.ARMReadBurst, "ARM reads per subscription the client-side limiter lets go at once (Azure's bucket)")
	f.Float64Var(&l.armRate, "arm-read-rate", live.ARMReadRate, "ARM reads per second and subscription the limiter refills (Azure's bucket)")
}

func (l *liveFlags) check() error {
	switch {
	case l.vaultConcurrency < 1 || l.vaultConcurrency > 1024:
		return usageErrorf("--vault-concurrency %d: use 1 to 1024", l.vaultConcurrency)
	case l.requestTimeout <= 0:
		return usageErrorf("--request-timeout must be positive")
	case l.armBurst < 1:
		return usageErrorf("--arm-read-burst %d: use at least 1 (Azure's is %d)", l.armBurst, live.ARMReadBurst)
	case !(l.armRate > 0):
		return usageErrorf("--arm-read-rate %v: use a positive rate (Azure's is %v)", l.armRate, live.ARMReadRate)
	}
	return nil
}

func (l *liveFlags) options(a *app) live.Options {
	return live.Options{Cloud: l.cloud, Auth: l.auth, Subscriptions: l.subscriptions, ManagementGroups: l.managementGroups,
		DataPlane: l.dataPlane, Concurrency: l.vaultConcurrency, RequestTimeout: l.requestTimeout, Prompt: a.io.ErrOut,
		ARMReads: live.ReadLimit{Burst: l.armBurst, Rate: l.armRate},
		Tool:     "kvguard " + Version(), Logger: a.logger}
}
