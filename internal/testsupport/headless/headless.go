// Package headless starts the headless Chromium that kvguard's browser
// tests drive (through chromedp): the binary is found the same way and
// started with the same container-safe, off-the-network flags everywhere.
package headless

import (
	"context"
	"os"
	"os/exec"
	"testing"

	"github.com/chromedp/chromedp"
)

// Chromium finds a Chromium (or Chrome) binary: KVGUARD_CHROMIUM, else
// the PATH. Without one the test skips, except under CI=true, where
// .ci/run has installed Debian's chromium and the test must run.
func Chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("KVGUARD_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no chromium on the PATH under CI=true (.ci/run installs Debian's chromium)")
	}
	t.Skip("no chromium on the PATH (install Debian's chromium or set KVGUARD_CHROMIUM)")
	return ""
}

// Browser starts a headless Chromium with a fresh profile, the flags that
// work in a container, and none of its background network traffic; it
// ends with the test.
func Browser(t *testing.T) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(Chromium(t)),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(t.Context(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(cancel)
	return ctx
}
