package live

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// AuthMethods are the values of --auth, each naming an azidentity
// credential. "default" is DefaultAzureCredential, which honours
// AZURE_TOKEN_CREDENTIALS (for example AzureCLICredential) as every Azure
// SDK tool does.
var AuthMethods = []string{
	"default",           // DefaultAzureCredential: environment, workload identity, managed identity, Azure CLI, azd, PowerShell
	"cli",               // AzureCLICredential: the account of `az login`
	"azd",               // AzureDeveloperCLICredential: the account of `azd auth login`
	"powershell",        // AzurePowerShellCredential: the account of Connect-AzAccount
	"env",               // EnvironmentCredential: AZURE_TENANT_ID, AZURE_CLIENT_ID and a secret or certificate
	"client-secret",     // ClientSecretCredential from AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET
	"managed-identity",  // ManagedIdentityCredential (AZURE_CLIENT_ID picks a user-assigned identity)
	"workload-identity", // WorkloadIdentityCredential (AKS, GitHub Actions federation)
	"device-code",       // DeviceCodeCredential: sign in on another device
}

// newCredential builds the credential --auth names, for the cloud c. The
// credential's HTTP traffic goes through transport (nil: azcore's
// default), so that a simulator's certificate is trusted by both.
func newCredential(auth string, c Cloud, transport policy.Transporter, prompt io.Writer) (azcore.TokenCredential, error) {
	co := azcore.ClientOptions{Cloud: c.Config, Transport: transport}
	// A custom cloud's authority is used as given: instance discovery
	// would ask login.microsoftonline.com about a host it cannot know.
	noDiscovery := c.Custom
	env := os.Getenv
	switch strings.ToLower(auth) {
	case "", "default":
		return azidentity.NewDefaultAzureCredential(&azidentity.DefaultAzureCredentialOptions{
			ClientOptions: co, DisableInstanceDiscovery: noDiscovery, TenantID: env("AZURE_TENANT_ID"),
		})
	case "cli":
		return azidentity.NewAzureCLICredential(&azidentity.AzureCLICredentialOptions{TenantID: env("AZURE_TENANT_ID")})
	case "azd":
		return azidentity.NewAzureDeveloperCLICredential(&azidentity.AzureDeveloperCLICredentialOptions{TenantID: env("AZURE_TENANT_ID")})
	case "powershell":
		return azidentity.NewAzurePowerShellCredential(&azidentity.AzurePowerShellCredentialOptions{TenantID: env("AZURE_TENANT_ID")})
	case "env":
		return azidentity.NewEnvironmentCredential(&azidentity.EnvironmentCredentialOptions{ClientOptions: co, DisableInstanceDiscovery: noDiscovery})
	case "client-secret":
		tenant, id, secret := env("AZURE_TENANT_ID"), env("AZURE_CLIENT_ID"), env("AZURE_CLIENT_SECRET")
		if tenant == "" || id == "" || secret == "" {
			return nil, fmt.Errorf("--auth client-secret needs AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET")
		}
		return azidentity.NewClientSecretCredential(tenant, id, secret, &azidentity.ClientSecretCredentialOptions{
			ClientOptions: co, DisableInstanceDiscovery: noDiscovery,
		})
	case "managed-identity":
		o := &azidentity.ManagedIdentityCredentialOptions{ClientOptions: co}
		if id := env("AZURE_CLIENT_ID"); id != "" {
			o.ID = azidentity.ClientID(id)
		}
		return azidentity.NewManagedIdentityCredential(o)
	case "workload-identity":
		return azidentity.NewWorkloadIdentityCredential(&azidentity.WorkloadIdentityCredentialOptions{ClientOptions: co, DisableInstanceDiscovery: noDiscovery})
	case "device-code":
		if prompt == nil {
			prompt = io.Discard
		}
		return azidentity.NewDeviceCodeCredential(&azidentity.DeviceCodeCredentialOptions{
			ClientOptions: co, DisableInstanceDiscovery: noDiscovery, TenantID: env("AZURE_TENANT_ID"),
			UserPrompt: func(_ context.Context, m azidentity.DeviceCodeMessage) error {
				_, err := fmt.Fprintln(prompt, m.Message)
				return err
			},
		})
	}
	return nil, fmt.Errorf("unknown --auth %q: use one of %s", auth, strings.Join(AuthMethods, ", "))
}
