package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/kvguard/kvguard/internal/azuresim"
	"github.com/kvguard/kvguard/internal/resource"
)

// TestAzureCLIOutputsGiveLiveVerdicts drives the real Azure CLI against
// the simulator, saves what people save (az keyvault list / show, az
// resource list, az rest bodies of the Resource Manager and of each
// vault's data plane) and checks that `kvguard scan` of those files gives
// the verdicts of a live scan of the same estate.
//
// The CLI signs in to a cloud registered from the simulator's
// /metadata/endpoints, whose login endpoint is an AD FS-style authority on
// the simulator, so MSAL does no instance discovery at a real host; vault
// hosts (kv.vault.azuresim.test) reach the simulator through its CONNECT
// proxy, which refuses every other host. The test fails if anything asked
// the proxy for another host. It runs where `az` is installed (.ci/run
// installs Debian's azure-cli and sets KVGUARD_REQUIRE_AZ, which turns the
// skip into a failure).
func TestAzureCLIOutputsGiveLiveVerdicts(t *testing.T) {
	azBin, err := exec.LookPath("az")
	if err != nil {
		if os.Getenv("KVGUARD_REQUIRE_AZ") != "" {
			t.Fatal("KVGUARD_REQUIRE_AZ is set but az is not on PATH")
		}
		t.Skip("the Azure CLI (az) is not installed; apt-get install azure-cli to run this test (.ci/run does)")
	}
	// Small: every az command costs seconds of Python start-up.
	est := azuresim.Generate(azuresim.GenOptions{Subscriptions: 1, Vaults: 3, SecretsPerVault: 4, KeysPerVault: 2, Seed: 21})
	// Azure's network rules apply: firewalled vaults refuse the data plane.
	sim, err := azuresim.New(est, azuresim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	px, err := sim.NewProxy("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { px.Close() })

	dir := t.TempDir()
	saved := filepath.Join(dir, "saved")
	if err := os.MkdirAll(saved, 0o755); err != nil {
		t.Fatal(err)
	}
	ca := filepath.Join(dir, "simulator.pem")
	if err := os.WriteFile(ca, sim.Certificate(), 0o600); err != nil {
		t.Fatal(err)
	}
	az := &azRunner{t: t, bin: azBin, proxy: px, env: []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "AZURE_CONFIG_DIR=" + filepath.Join(dir, "az"),
		"AZURE_EXTENSION_DIR=" + filepath.Join(dir, "az-extensions"),
		"REQUESTS_CA_BUNDLE=" + ca, "HTTPS_PROXY=" + px.URL(), "HTTP_PROXY=" + px.URL(), "NO_PROXY=127.0.0.1",
		"AZURE_CORE_COLLECT_TELEMETRY=false", "AZURE_CORE_SURVEY_MESSAGE=false", "AZURE_CORE_NO_COLOR=true",
		"AZURE_CORE_ONLY_SHOW_ERRORS=true", "AZURE_CORE_OUTPUT=json",
	}}
	tenant, id, secret := sim.Credentials()
	az.must("cloud", "register", "-n", "KvguardSimulator", "--endpoint-resource-manager", sim.URL()+"/", "--suffix-keyvault-dns", sim.KeyVaultDNSSuffix())
	az.must("cloud", "set", "-n", "KvguardSimulator")
	az.must("login", "--service-principal", "-u", id, "-p", secret, "--tenant", tenant)

	// What a user saves, as the live scanner reads it: vault bodies from
	// the Resource Manager; secrets from each vault's data plane, or from
	// the Resource Manager's listing (metadata only) where the vault's
	// firewall refuses the data plane; keys from the Resource Manager.
	refused := map[string]bool{} // vault name → its data plane refused az
	vaultAudience := "https://" + strings.TrimPrefix(sim.KeyVaultDNSSuffix(), ".")
	for _, sub := range est.Subscriptions {
		az.save(filepath.Join(saved, "list-"+sub.ID+".json"), "keyvault", "list", "--subscription", sub.ID)
		az.save(filepath.Join(saved, "resources-"+sub.ID+".json"), "resource", "list", "--subscription", sub.ID)
		az.save(filepath.Join(saved, "rest-"+sub.ID+".json"), "rest", "--method", "get", "--url",
			"/subscriptions/"+sub.ID+"/providers/Microsoft.KeyVault/vaults?api-version=2023-07-01")
		for _, v := range sub.Vaults {
			// No --resource-group: az finds the vault's group itself.
			az.save(filepath.Join(saved, "show-"+v.Name+".json"), "keyvault", "show", "-n", v.Name, "--subscription", sub.ID)
			az.save(filepath.Join(saved, "keys-"+v.Name+".json"), "rest", "--method", "get", "--url", v.ID+"/keys?api-version=2023-07-01")
			out, stderr, err := az.run("rest", "--method", "get", "--resource", vaultAudience,
				"--url", "https://"+v.Name+sim.KeyVaultDNSSuffix()+"/secrets?api-version=7.4")
			if err == nil {
				writeFile(t, filepath.Join(saved, "secrets-"+v.Name+".json"), out)
				continue
			}
			if !strings.Contains(stderr, "ForbiddenByFirewall") && !strings.Contains(stderr, "ForbiddenByConnection") {
				t.Fatalf("az rest of %s's secrets: %v\n%s", v.Name, err, stderr)
			}
			refused[v.Name] = true
			az.save(filepath.Join(saved, "secrets-"+v.Name+".json"), "rest", "--method", "get", "--url", v.ID+"/secrets?api-version=2023-07-01")
		}
	}
	if len(refused) == 0 || len(refused) == len(est.Vaults()) {
		t.Fatalf("%d of %d vaults refused the data plane: the estate should have both kinds", len(refused), len(est.Vaults()))
	}
	if len(az.strays) > 0 {
		t.Errorf("az asked the proxy for hosts other than the simulator's: %v", az.strays)
	}
	if px.Tunnels() == 0 {
		t.Error("no data-plane request went through the proxy")
	}

	cloud := filepath.Join(dir, "cloud.json")
	writeFile(t, cloud, sim.CloudFile())
	t.Setenv("AZURE_TENANT_ID", tenant)
	t.Setenv("AZURE_CLIENT_ID", id)
	t.Setenv("AZURE_CLIENT_SECRET", secret)
	code, live, stderr := runKvguard(t, "scan", "--azure", "--cloud", cloud, "--auth", "client-secret", "--data-plane", "--format", "json", "--fail-on", "none")
	if code != ExitOK {
		t.Fatalf("live scan exit %d\n%s", code, stderr)
	}
	code, offline, stderr := runKvguard(t, "scan", saved, "--format", "json", "--fail-on", "none")
	if code != ExitOK {
		t.Fatalf("scan of the az outputs: exit %d\n%s", code, stderr)
	}
	lv, ov := readVerdicts(t, []byte(live)), readVerdicts(t, []byte(offline))
	compareAzVerdicts(t, est, lv, ov)
	if v := sim.ValueRequests(); len(v) > 0 {
		t.Errorf("requests for secret values: %+v", v)
	}
}

// compareAzVerdicts: every verdict of the live scan is the one the saved
// outputs give, and there are enough of them to mean something.
func compareAzVerdicts(t *testing.T, est *azuresim.Estate, lv, ov verdicts) {
	t.Helper()
	var keys []string
	for k := range lv.Status {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if ov.Status[k] != lv.Status[k] {
			t.Errorf("%s: from az outputs %q, live %q", k, ov.Status[k], lv.Status[k])
		}
	}
	if len(ov.Status) != len(lv.Status) {
		t.Errorf("%d verdicts from az outputs, %d live", len(ov.Status), len(lv.Status))
	}
	vaults := 0
	for _, v := range est.Vaults() {
		if v.Type == resource.TypeVault {
			vaults++
		}
	}
	if len(keys) < 6*vaults {
		t.Errorf("%d verdicts for %d vaults: too few", len(keys), vaults)
	}
}

type azRunner struct {
	t      *testing.T
	bin    string
	env    []string
	proxy  *azuresim.Proxy
	strays []string // "command: host" for each tunnel the proxy refused
	probed bool     // the version check's connectivity probe was seen
}

func (a *azRunner) run(args ...string) (stdout []byte, stderr string, err error) {
	before := len(a.proxy.Refused())
	cmd := exec.CommandContext(a.t.Context(), a.bin, args...)
	cmd.Env = a.env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	for _, host := range a.proxy.Refused()[before:] {
		// On its first run in a fresh configuration directory the CLI
		// checks for a newer version, after a connectivity probe of
		// azure.microsoft.com; the proxy refuses it without resolving it,
		// and the CLI goes on. Nothing else may ask for another host.
		if host == "azure.microsoft.com:443" && !a.probed {
			a.probed = true
			continue
		}
		a.strays = append(a.strays, "az "+strings.Join(args, " ")+": "+host)
	}
	return out.Bytes(), errb.String(), err
}

func (a *azRunner) must(args ...string) []byte {
	a.t.Helper()
	out, stderr, err := a.run(args...)
	if err != nil {
		a.t.Fatalf("az %s: %v\n%s", strings.Join(args, " "), err, stderr)
	}
	return out
}

// save runs az and writes its JSON output to path.
func (a *azRunner) save(path string, args ...string) {
	a.t.Helper()
	out := a.must(append(args, "-o", "json")...)
	if !json.Valid(out) {
		a.t.Fatalf("az %s printed no JSON:\n%s", strings.Join(args, " "), out)
	}
	writeFile(a.t, path, out)
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}
