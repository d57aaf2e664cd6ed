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
}

func (l *liveFlags) addFlags(f *pflag.FlagSet) {
	f.StringSliceVar(&l.subscriptions, "subscription", nil, "scan this subscription ID (repeatable)")
	f.StringSliceVar(&l.managementGroups, "management-group", nil, "scan the subscriptions below this management group (repeatable)")
	f.StringVar(&l.cloud, "cloud", "AzureCloud", "AzureCloud, AzureChinaCloud, AzureUSGovernment, or a file with 'az cloud show -o json' output")
	f.StringVar(&l.auth, "auth", "default", "credential: "+strings.Join(live.AuthMethods, ", ")+" (workload-identity on Kubernetes)")
	f.BoolVar(&l.dataPlane, "data-plane", false, "also read certificates and key rotation policies from each vault's data plane")
	f.IntVar(&l.vaultConcurrency, "vault-concurrency", 16, "vaults one job reads at once")
	f.DurationVar(&l.requestTimeout, "request-timeout", time.Minute, "time limit of one request")
}

func (l *liveFlags) check() error {
	switch {
	case l.vaultConcurrency < 1 || l.vaultConcurrency > 1024:
		return usageErrorf("--vault-concurrency %d: use 1 to 1024", l.vaultConcurrency)
	case l.requestTimeout <= 0:
		return usageErrorf("--request-timeout must be positive")
	}
	return nil
}

func (l *liveFlags) options(a *app) live.Options {
	return live.Options{Cloud: l.cloud, Auth: l.auth, Subscriptions: l.subscriptions, ManagementGroups: l.managementGroups,
		DataPlane: l.dataPlane, Concurrency: l.vaultConcurrency, RequestTimeout: l.requestTimeout, Prompt: a.io.ErrOut,
		Tool: "kvguard " + Version(), Logger: a.logger}
}
