package live

import (
	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
)

// Connect returns the credential and Resource Manager client options a
// live scan with opts would use (cloud, simulator trust, retries,
// read-only: no resource provider registration), for other read-only
// clients such as the tenant's Azure Policy (--assignments-from-azure).
func Connect(opts Options) (azcore.TokenCredential, *arm.ClientOptions, error) {
	opts.SavePath = ""
	s, err := newScanner(opts, nil)
	if err != nil {
		return nil, nil, err
	}
	return s.cred, s.armOpts, nil
}
