package live

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
)

// Cloud is an Azure cloud: where to authenticate, where Resource Manager
// is and which token audience it wants, and the DNS suffixes of its vaults.
type Cloud struct {
	// Name is the cloud's name (AzureCloud, AzureChinaCloud,
	// AzureUSGovernment, or the name in a cloud file).
	Name string
	// Config is what the SDK clients and credentials are given.
	Config cloud.Configuration
	// KeyVaultDNSSuffix (".vault.azure.net") and ManagedHSMDNSSuffix
	// (".managedhsm.azure.net") are the suffixes of vault hosts. kvguard
	// reads each vault's own vaultUri and never builds one from a suffix;
	// it uses the suffix only to refuse a vaultUri outside the cloud
	// before sending it a token.
	KeyVaultDNSSuffix   string
	ManagedHSMDNSSuffix string
	// Custom is true for a cloud read from a file: its authority is taken
	// as given, without Entra ID instance discovery (which would ask
	// login.microsoftonline.com about a host it does not know).
	Custom bool
	// Simulator is set when the cloud file was written by `kvguard
	// simulate`: the simulator's address and certificate.
	Simulator *SimulatorEndpoint
}

// SimulatorEndpoint is the kvguardSimulator member of a cloud file written
// by `kvguard simulate`.
type SimulatorEndpoint struct {
	Address     string `json:"address"`
	Certificate string `json:"certificate"`
}

var wellKnownClouds = []struct {
	names         []string
	cfg           cloud.Configuration
	kv, mhsm, can string
}{
	{[]string{"azurecloud", "azurepubliccloud", "public"}, cloud.AzurePublic, ".vault.azure.net", ".managedhsm.azure.net", "AzureCloud"},
	{[]string{"azurechinacloud", "china"}, cloud.AzureChina, ".vault.azure.cn", ".managedhsm.azure.cn", "AzureChinaCloud"},
	{[]string{"azureusgovernment", "azureusgovernmentcloud", "usgov"}, cloud.AzureGovernment, ".vault.usgovcloudapi.net", ".managedhsm.usgovcloudapi.net", "AzureUSGovernment"},
}

// LoadCloud resolves --cloud: a well-known cloud name (AzureCloud, the
// default; AzureChinaCloud; AzureUSGovernment; case-insensitive) or the
// path of a file holding `az cloud show -o json` output for a custom
// cloud. For a custom cloud the authority is endpoints.activeDirectory,
// Resource Manager is endpoints.resourceManager and the token audience is
// endpoints.activeDirectoryResourceId.
func LoadCloud(nameOrPath string) (Cloud, error) {
	if nameOrPath == "" {
		nameOrPath = "AzureCloud"
	}
	for _, c := range wellKnownClouds {
		for _, n := range c.names {
			if strings.EqualFold(nameOrPath, n) {
				return Cloud{Name: c.can, Config: c.cfg, KeyVaultDNSSuffix: c.kv, ManagedHSMDNSSuffix: c.mhsm}, nil
			}
		}
	}
	data, err := os.ReadFile(nameOrPath)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) && !strings.ContainsAny(nameOrPath, `/\.`) {
			return Cloud{}, fmt.Errorf("unknown cloud %q: use AzureCloud, AzureChinaCloud, AzureUSGovernment or the path of `az cloud show -o json` output", nameOrPath)
		}
		return Cloud{}, fmt.Errorf("read cloud file: %w", err)
	}
	c, err := ParseCloudFile(data)
	if err != nil {
		return Cloud{}, fmt.Errorf("cloud file %s: %w", nameOrPath, err)
	}
	return c, nil
}

// cloudFile is the part of `az cloud show -o json` kvguard reads.
type cloudFile struct {
	Name      string `json:"name"`
	Endpoints struct {
		ActiveDirectory           string `json:"activeDirectory"`
		ActiveDirectoryResourceID string `json:"activeDirectoryResourceId"`
		ResourceManager           string `json:"resourceManager"`
		Management                string `json:"management"`
	} `json:"endpoints"`
	Suffixes struct {
		KeyVaultDNS   string `json:"keyvaultDns"`
		ManagedHSMDNS string `json:"mhsmDns"`
	} `json:"suffixes"`
	Simulator *SimulatorEndpoint `json:"kvguardSimulator"`
}

// ParseCloudFile reads `az cloud show -o json` output.
func ParseCloudFile(data []byte) (Cloud, error) {
	var f cloudFile
	if err := json.Unmarshal(data, &f); err != nil {
		return Cloud{}, fmt.Errorf("not `az cloud show -o json` output: %w", err)
	}
	e := f.Endpoints
	audience := e.ActiveDirectoryResourceID
	if audience == "" {
		audience = e.Management
	}
	for _, req := range []struct{ name, v string }{
		{"endpoints.activeDirectory", e.ActiveDirectory},
		{"endpoints.resourceManager", e.ResourceManager},
		{"endpoints.activeDirectoryResourceId", audience},
	} {
		if req.v == "" {
			return Cloud{}, fmt.Errorf("%s is missing", req.name)
		}
	}
	for _, u := range []struct{ name, v string }{
		{"endpoints.activeDirectory", e.ActiveDirectory},
		{"endpoints.resourceManager", e.ResourceManager},
	} {
		// Tokens only ever travel over TLS.
		p, err := url.Parse(u.v)
		if err != nil || p.Scheme != "https" || p.Host == "" {
			return Cloud{}, fmt.Errorf("%s %q is not an https URL", u.name, u.v)
		}
	}
	name := f.Name
	if name == "" {
		name = "custom"
	}
	return Cloud{
		Name: name,
		Config: cloud.Configuration{
			ActiveDirectoryAuthorityHost: strings.TrimRight(e.ActiveDirectory, "/") + "/",
			Services: map[cloud.ServiceName]cloud.ServiceConfiguration{
				cloud.ResourceManager: {Endpoint: e.ResourceManager, Audience: audience},
			},
		},
		KeyVaultDNSSuffix:   f.Suffixes.KeyVaultDNS,
		ManagedHSMDNSSuffix: f.Suffixes.ManagedHSMDNS,
		Custom:              true,
		Simulator:           f.Simulator,
	}, nil
}

// armEndpoint is Resource Manager's URL in c.
func (c Cloud) armEndpoint() string {
	return c.Config.Services[cloud.ResourceManager].Endpoint
}

// vaultHostAllowed reports whether a vaultUri's host belongs to the
// cloud. A cloud file without suffixes allows any host.
func (c Cloud) vaultHostAllowed(host string) bool {
	host = strings.ToLower(host)
	if c.KeyVaultDNSSuffix == "" && c.ManagedHSMDNSSuffix == "" {
		return true
	}
	for _, s := range []string{c.KeyVaultDNSSuffix, c.ManagedHSMDNSSuffix} {
		if s != "" && strings.HasSuffix(host, strings.ToLower(s)) {
			return true
		}
	}
	return false
}

// simulatorClient is the HTTP client for a cloud file written by `kvguard
// simulate`: it trusts the simulator's certificate only and sends the
// cloud's vault hosts to the simulator's address, as DNS sends them to
// Azure. It dials nothing else.
func (c Cloud) simulatorClient() (*http.Client, error) {
	s := c.Simulator
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM([]byte(s.Certificate)) {
		return nil, errors.New("cloud file: kvguardSimulator.certificate is not a PEM certificate")
	}
	suffixes := []string{c.KeyVaultDNSSuffix, c.ManagedHSMDNSSuffix}
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	tr := &http.Transport{
		TLSClientConfig:     &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
		MaxIdleConns:        512,
		MaxIdleConnsPerHost: 256,
		IdleConnTimeout:     90 * time.Second,
		DialContext: func(ctx context.Context, network, address string) (net.Conn, error) {
			host, _, _ := net.SplitHostPort(address)
			ok := address == s.Address
			for _, sfx := range suffixes {
				ok = ok || (sfx != "" && strings.HasSuffix(strings.ToLower(host), strings.ToLower(sfx)))
			}
			if !ok {
				return nil, fmt.Errorf("refusing to dial %s: the cloud file names the kvguard simulator at %s", address, s.Address)
			}
			return dialer.DialContext(ctx, network, s.Address)
		},
	}
	return &http.Client{Transport: tr}, nil
}
