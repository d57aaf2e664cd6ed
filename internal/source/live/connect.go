package live

import (
	"context"

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

// Subscriptions resolves the scope a live scan with opts would read: the
// subscriptions given, those below the management groups given, or every
// subscription the identity can read. A job planner (internal/jobs)
// splits a scan into one part per subscription with it.
func Subscriptions(ctx context.Context, opts Options) ([]string, error) {
	opts.SavePath = ""
	s, err := newScanner(opts, nil)
	if err != nil {
		return nil, err
	}
	return s.scope(ctx)
}
