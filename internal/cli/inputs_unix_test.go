//go:build unix

package cli

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
)

func mkfifo(t *testing.T, path string) {
	t.Helper()
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Skipf("no named pipes here: %v", err)
	}
}

func absExamples(t *testing.T) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join(examples))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// A directory named through a symbolic link is scanned: it used to give
// "vaults found 0" and exit 0.
func TestScanNamedSymlinkToDirectory(t *testing.T) {
	t.Parallel()
	link := filepath.Join(t.TempDir(), "infra")
	if err := os.Symlink(absExamples(t), link); err != nil {
		t.Skip(err)
	}
	_, direct, _ := runCLI(t, []string{"scan", examples, "--format", "json"}, "")
	code, out, errOut := runCLI(t, []string{"scan", link, "--format", "json"}, "")
	if code != ExitFindings {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	want, got := parseScanReport(t, direct).vaults(), parseScanReport(t, out).vaults()
	if len(got) == 0 || strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("through the link: vaults %v, want %v", got, want)
	}
	for f := range parseScanReport(t, out).files() {
		if !strings.HasPrefix(f, link+string(filepath.Separator)) {
			t.Errorf("location %s is not under the name given, %s", f, link)
		}
	}
}

// A walk reads only regular files and directories: a named pipe found
// by a walk used to hang the scan for ever; links are never followed
// silently and can never loop.
func TestScanWalkSkipsSpecialFilesAndLinks(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	data, err := os.ReadFile(filepath.Join(examples, "vaults.json"))
	if err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(dir, "vaults.json"), string(data))
	mkfifo(t, filepath.Join(dir, "pipe.json"))
	if l, err := net.Listen("unix", filepath.Join(dir, "s.json")); err == nil {
		defer l.Close()
	}
	outside := t.TempDir()
	write(t, filepath.Join(outside, "secret.json"), string(data))
	for name, target := range map[string]string{
		"loop":         dir,                                   // a directory link back to the root
		"sub/up":       "..",                                  // a relative loop
		"out.json":     filepath.Join(outside, "secret.json"), // leaves the tree
		"outdir":       outside,                               // leaves the tree
		"nowhere.json": filepath.Join(dir, "missing.json"),
	} {
		p := filepath.Join(dir, name)
		_ = os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.Symlink(target, p); err != nil {
			t.Skip(err)
		}
	}
	code, out, errOut := runCLI(t, []string{"scan", dir, "--format", "json", "--log-level", "info"}, "")
	if code != ExitFindings && code != ExitError {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	files := parseScanReport(t, out).files()
	for f := range files {
		if strings.HasPrefix(f, outside) || strings.Contains(f, "out.json") || strings.Contains(f, "outdir") {
			t.Errorf("read outside the scanned tree: %s", f)
		}
	}
	if !files[filepath.Join(dir, "vaults.json")] {
		t.Errorf("vaults.json not read: %v", files)
	}
	for _, want := range []string{"pipe.json", "s.json", "loop", "sub/up", "out.json", "outdir", "nowhere.json"} {
		if !strings.Contains(errOut, filepath.Join(dir, want)) {
			t.Errorf("nothing on stderr says why %s was left out:\n%s", want, errOut)
		}
	}
}

// A JSON file of a shape kvguard does not know, found by a walk (an
// Azure Function's host.json), is no error; named, it is one.
func TestScanWalkUnknownJSONIsNoError(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	host := filepath.Join(dir, "fn", "host.json")
	write(t, host, `{"version": "2.0", "extensionBundle": {"id": "Microsoft.Azure.Functions.ExtensionBundle", "version": "[4.*, 5.0.0)"}}`)
	write(t, filepath.Join(dir, "fn", "local.settings.json"), `{"IsEncrypted": false, "Values": {"AzureWebJobsStorage": "/subscriptions/x"}}`)
	code, out, errOut := runCLI(t, []string{"scan", dir, "--format", "json"}, "")
	if code != ExitOK {
		t.Errorf("walk: exit %d, want 0: %s", code, errOut)
	}
	if r := parseScanReport(t, out); strings.Contains(r.errorsOf(), "error ") {
		t.Errorf("walk: errors reported:\n%s", r.errorsOf())
	}
	if code, _, errOut := runCLI(t, []string{"scan", host, "--format", "json"}, ""); code != ExitError || !strings.Contains(errOut, "host.json") {
		t.Errorf("named: exit %d, want 2 naming the file: %s", code, errOut)
	}
}

// Deployments that call each other in a cycle, found by a walk, used to
// be skipped silently (0 vaults, exit 0).
func TestScanModuleCycles(t *testing.T) {
	t.Parallel()
	vaultTF := "resource \"azurerm_key_vault\" \"kv\" {\n  name = \"kv-%s\"\n  location = \"westeurope\"\n  resource_group_name = \"rg\"\n  tenant_id = \"00000000-0000-0000-0000-000000000000\"\n  sku_name = \"standard\"\n}\n"
	vaultARM := `{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#", "contentVersion": "1.0.0.0",
 "resources": [{"type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": "other",
   "properties": {"mode": "Incremental", "templateLink": {"relativePath": "%s"}}},
  {"type": "Microsoft.KeyVault/vaults", "apiVersion": "2023-07-01", "name": "kv-%s", "location": "westeurope",
   "properties": {"tenantId": "00000000-0000-0000-0000-000000000000", "sku": {"family": "A", "name": "standard"}}}]}`
	vaultBicep := "module other './%s' = {\n  name: 'other'\n}\nresource kv 'Microsoft.KeyVault/vaults@2023-07-01' = {\n  name: 'kv-%s'\n  location: 'westeurope'\n  properties: {\n    tenantId: '00000000-0000-0000-0000-000000000000'\n    sku: { family: 'A', name: 'standard' }\n  }\n}\n"
	cases := []struct {
		name  string
		files map[string]string
		a, b  string // the two members of the cycle
	}{
		{"terraform", map[string]string{
			"a/main.tf": "module \"b\" {\n  source = \"../b\"\n}\n" + fmt.Sprintf(vaultTF, "a"),
			"b/main.tf": "module \"a\" {\n  source = \"../a\"\n}\n" + fmt.Sprintf(vaultTF, "b"),
		}, "a", "b"},
		{"bicep", map[string]string{
			"a.bicep": fmt.Sprintf(vaultBicep, "b.bicep", "a"),
			"b.bicep": fmt.Sprintf(vaultBicep, "a.bicep", "b"),
		}, "a.bicep", "b.bicep"},
		{"arm", map[string]string{
			"a.json": fmt.Sprintf(vaultARM, "b.json", "a"),
			"b.json": fmt.Sprintf(vaultARM, "a.json", "b"),
		}, "a.json", "b.json"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			for name, content := range tc.files {
				write(t, filepath.Join(dir, name), content)
			}
			code, out, errOut := runCLI(t, []string{"scan", dir, "--format", "json"}, "")
			if code != ExitError {
				t.Errorf("exit %d, want 2: %s", code, errOut)
			}
			msgs := parseScanReport(t, out).errorsOf()
			a, b := filepath.Join(dir, tc.a), filepath.Join(dir, tc.b)
			if !strings.Contains(msgs, "cycle") || !strings.Contains(msgs, a+" → "+b+" → "+a) {
				t.Errorf("no error names the cycle %s → %s → %s:\n%s", a, b, a, msgs)
			}
		})
	}
}

// Process substitution: `kvguard scan <(az keyvault list -o json)` used
// to fail with "empty file". A named pipe, or /dev/fd/N, is read as a
// stream, under its own name.
func TestScanPipes(t *testing.T) {
	t.Parallel()
	list := readExample(t, "azure/vaults.json")
	template := readExample(t, "arm/rbac-unhealthy.json")
	feed := func(t *testing.T, content []byte) string {
		fifo := filepath.Join(t.TempDir(), "63")
		mkfifo(t, fifo)
		go func() {
			f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
			if err != nil {
				return
			}
			defer f.Close()
			_, _ = f.Write(content)
		}()
		return fifo
	}
	osPipe := func(t *testing.T, content []byte) string {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Close() })
		go func() {
			defer w.Close()
			_, _ = w.Write(content)
		}()
		name := fmt.Sprintf("/dev/fd/%d", r.Fd())
		if _, err := os.Stat(name); err != nil {
			t.Skipf("no /dev/fd here: %v", err)
		}
		return name
	}
	cases := []struct {
		name    string
		content []byte
		pipe    func(*testing.T, []byte) string
	}{
		{"fifo-saved-json", list, feed},
		{"fifo-template", template, feed},
		{"dev-fd-saved-json", list, osPipe},
		{"dev-fd-template", template, osPipe},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			name := tc.pipe(t, tc.content)
			code, out, errOut := runCLI(t, []string{"scan", name, "--format", "json"}, "")
			if code != ExitFindings {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			r := parseScanReport(t, out)
			if len(r.vaults()) == 0 {
				t.Errorf("no vaults read from the pipe: %s", errOut)
			}
			for f := range r.files() {
				if f != name {
					t.Errorf("location %q, want the pipe's name %q", f, name)
				}
			}
		})
	}
}

func readExample(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(examples, "..", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// watchedBuffer is a buffer written by one goroutine and watched by another.
type watchedBuffer struct {
	mu      sync.Mutex
	b       bytes.Buffer
	watch   string
	matched chan struct{}
}

func (s *watchedBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, err := s.b.Write(p)
	if s.matched != nil && strings.Contains(s.b.String(), s.watch) {
		close(s.matched)
		s.matched = nil
	}
	return n, err
}

func (s *watchedBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// A scan waiting on a named pipe that nobody writes stops when it is
// cancelled (Ctrl-C) and still writes the report of what it read: it used
// to wait for ever. The only bound is the test's timeout.
func TestScanStopsWhileAPipeWaits(t *testing.T) {
	t.Parallel()
	fifo := filepath.Join(t.TempDir(), "never.json")
	mkfifo(t, fifo)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errOut := &watchedBuffer{watch: "input=" + fifo, matched: make(chan struct{})}
	matched := errOut.matched
	var out bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- Run(ctx, []string{"scan", examples, fifo, "--format", "json", "--log-level", "debug"}, strings.NewReader(""), &out, errOut)
	}()
	<-matched // the pipe's reader has started
	cancel()
	code := <-done
	if code != ExitError || !strings.Contains(errOut.String(), "interrupted") {
		t.Errorf("exit %d, want 2 and 'interrupted': %s", code, errOut.String())
	}
	_ = parseScanReport(t, out.String())
}

// File names reach the terminal escaped: a name holding an escape
// sequence or a newline cannot rewrite the screen or forge a line.
func TestStderrEscapesNames(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	name := filepath.Join(dir, "evil\x1b[2J\nkvguard: error: forged.json")
	write(t, name, "{ not json")
	code, _, errOut := runCLI(t, []string{"scan", name, dir, "--format", "json", "--log-level", "debug"}, "")
	if code != ExitError {
		t.Errorf("exit %d, want 2", code)
	}
	if strings.ContainsRune(errOut, '\x1b') {
		t.Errorf("an escape character reached stderr raw:\n%q", errOut)
	}
	for _, line := range strings.Split(errOut, "\n") {
		if strings.HasPrefix(line, "kvguard: error: forged.json") {
			t.Errorf("a file name forged a line on stderr:\n%s", errOut)
		}
	}
}
