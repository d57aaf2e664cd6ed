// Package demo is kvguard serve's bundled estate: a small, deterministic
// Azure estate (24 key vaults in 3 subscriptions with a mix of healthy,
// unhealthy and unknown verdicts) served by the Azure simulator
// (internal/azuresim) on loopback, so that `kvguard serve` on a fresh
// machine scans something and shows a populated dashboard with no setup.
// It never reaches Azure: the credential is the simulator's own service
// principal and every request goes to the simulator. It imports the
// simulator and the live scanner's options; only the CLI imports it.
package demo

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/kvguard/kvguard/internal/azuresim"
	"github.com/kvguard/kvguard/internal/source/live"
)

// Scope is the store scope of the demo estate's scans.
const Scope = "demo"

// Estate is the demo estate: the same every time. Its subscriptions sit
// in a management-group hierarchy below the tenant root group: kvguard
// demo, then Production (the first two) and Development (the third).
func Estate() *azuresim.Estate {
	e := azuresim.Generate(azuresim.GenOptions{Subscriptions: 3, Vaults: 24, SecretsPerVault: 3, KeysPerVault: 2,
		CertificatesPerVault: 1, Seed: 13})
	e.ManagementGroups = []azuresim.ManagementGroup{
		{Name: "kvguard-demo", DisplayName: "kvguard demo"},
		{Name: "demo-production", DisplayName: "Production", Parent: "kvguard-demo",
			Subscriptions: []string{e.Subscriptions[0].ID, e.Subscriptions[1].ID}},
		{Name: "demo-development", DisplayName: "Development", Parent: "kvguard-demo",
			Subscriptions: []string{e.Subscriptions[2].ID}},
	}
	return e
}

// ForbiddenVaults are the demo vaults whose secrets, keys and
// certificates answer 403, as under a deny assignment: their data-plane
// verdicts are Unknown.
var ForbiddenVaults = []string{"kvsim-00005", "kvsim-00017"}

// Demo is a running simulator serving an estate.
type Demo struct {
	sim *azuresim.Simulator
	dir string
	opt live.Options
}

// Start serves estate (Estate() when nil) on a free loopback port and
// prepares the live scan options that read it.
func Start(estate *azuresim.Estate, logger *slog.Logger) (*Demo, error) {
	if estate == nil {
		estate = Estate()
	}
	sim, err := azuresim.New(estate, azuresim.Options{Addr: "127.0.0.1:0", TrustedNetwork: true,
		ForbiddenVaults: ForbiddenVaults, Logger: logger})
	if err != nil {
		return nil, fmt.Errorf("demo estate: %w", err)
	}
	if err := sim.Start(); err != nil {
		return nil, fmt.Errorf("demo estate: %w", err)
	}
	dir, err := os.MkdirTemp("", "kvguard-demo-")
	if err != nil {
		_ = sim.Close()
		return nil, fmt.Errorf("demo estate: %w", err)
	}
	d := &Demo{sim: sim, dir: dir}
	cloudFile := filepath.Join(dir, "cloud.json")
	if err := os.WriteFile(cloudFile, sim.CloudFile(), 0o600); err != nil {
		_ = d.Close()
		return nil, fmt.Errorf("demo estate: %w", err)
	}
	tenant, client, secret := sim.Credentials()
	cred, err := azidentity.NewClientSecretCredential(tenant, client, secret, &azidentity.ClientSecretCredentialOptions{
		ClientOptions: azcore.ClientOptions{Cloud: sim.Cloud(), Transport: sim.Client()}, DisableInstanceDiscovery: true})
	if err != nil {
		_ = d.Close()
		return nil, fmt.Errorf("demo estate: credential: %w", err)
	}
	var subs []string
	for _, s := range estate.Subscriptions {
		subs = append(subs, s.ID)
	}
	d.opt = live.Options{Cloud: cloudFile, Credential: cred, Subscriptions: subs, DataPlane: true, Concurrency: 8, Logger: logger}
	return d, nil
}

// Live returns the live scan options that read the demo estate.
func (d *Demo) Live() live.Options { return d.opt }

// Simulator is the simulator serving the estate.
func (d *Demo) Simulator() *azuresim.Simulator { return d.sim }

// Change changes the estate between scans (never while one runs): the
// simulator serves the change from the next request on. Reading the
// request log first orders every request already answered before it.
func (d *Demo) Change(fn func(*azuresim.Estate)) {
	_ = d.sim.Stats()
	fn(d.sim.Estate())
}

// Close stops the simulator and removes its files.
func (d *Demo) Close() error {
	err := d.sim.Close()
	if rerr := os.RemoveAll(d.dir); err == nil {
		err = rerr
	}
	return err
}
