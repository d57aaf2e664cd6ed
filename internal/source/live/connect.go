package live

import (
	"context"
	"fmt"
	"log/slog"

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

// Ancestry reads the management groups above each of subs (Resource
// Graph unless opts.NoResourceGraph, else ARM's entity list), as a scan
// with Options.Ancestry does, without scanning: kvguard serve's planner
// reads a whole tenant's in a few requests once per scan, instead of each
// subscription's job reading the whole entity list again. A refusal is
// logged and gives nil.
func Ancestry(ctx context.Context, opts Options, subs []string) ([]SubscriptionAncestry, error) {
	opts.SavePath = ""
	s, err := newScanner(opts, nil)
	if err != nil {
		return nil, err
	}
	return s.readAncestry(ctx, subs), nil
}

// Shared returns opts with a Transport and a Credential set, built once,
// so that many scans with the returned options (one per subscription, in
// internal/jobs) share connections and tokens.
func Shared(opts Options) (Options, error) {
	if opts.Concurrency <= 0 {
		opts.Concurrency = 64
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	c, err := LoadCloud(opts.Cloud)
	if err != nil {
		return opts, err
	}
	if opts.Transport, err = baseTransport(opts, c, logger); err != nil {
		return opts, err
	}
	if opts.Credential == nil {
		if opts.Credential, err = newCredential(opts.Auth, c, opts.Transport, opts.Prompt); err != nil {
			return opts, fmt.Errorf("credential: %w", err)
		}
	}
	return opts, nil
}
