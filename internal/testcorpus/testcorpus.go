// Package testcorpus locates the shared test data that lives beside the
// repository, not in it: Microsoft's built-in policy definitions (the
// conformance oracle), public IaC with Key Vaults, and the Bicep
// compiler's samples. Tests use it so that every one of them finds the
// data the same way and says the same thing when it is absent.
package testcorpus

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The shared folders, by name under ../shared.
const (
	AzurePolicy  = "azure-policy"
	Corpus       = "corpus"
	BicepSamples = "bicep-samples"
)

// envVar is the variable that overrides a folder's location:
// KVGUARD_AZURE_POLICY_DIR, KVGUARD_CORPUS_DIR, KVGUARD_BICEP_SAMPLES_DIR.
func envVar(name string) string {
	return "KVGUARD_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_")) + "_DIR"
}

// Find returns the folder: $KVGUARD_<NAME>_DIR when set, else
// ../shared/<name> beside the repository root. ok is false when it does
// not exist.
func Find(name string) (dir string, ok bool) {
	if d := os.Getenv(envVar(name)); d != "" {
		dir = d
	} else {
		dir = filepath.Join(filepath.Dir(repoRoot()), "shared", name)
	}
	info, err := os.Stat(dir)
	return dir, err == nil && info.IsDir()
}

// Dir returns the folder, or skips the test saying where it looked and
// which variable points elsewhere.
func Dir(tb testing.TB, name string) string {
	tb.Helper()
	dir, ok := Find(name)
	if !ok {
		tb.Skipf("the shared test data %q is not at %s (set %s to the folder holding it)", name, dir, envVar(name))
	}
	return dir
}

// repoRoot is the directory holding go.mod, found upwards from the test's
// working directory (its package directory).
func repoRoot() string {
	wd, err := os.Getwd()
	if err != nil {
		return "."
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			return wd
		}
	}
}
