package packaging

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

const root = "../.."

func read(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// goVersion is go.mod's go directive, major.minor.
func goVersion(t *testing.T) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindStringSubmatch(read(t, "go.mod"))
	if m == nil {
		t.Fatal("go.mod has no go directive")
	}
	return m[1]
}

// stage is one FROM … of a Dockerfile and its instructions.
type stage struct {
	from  string
	lines []string
}

func stages(dockerfile string) []stage {
	var out []stage
	for _, l := range strings.Split(dockerfile, "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		if f, ok := strings.CutPrefix(l, "FROM "); ok {
			out = append(out, stage{from: f})
			continue
		}
		if len(out) > 0 {
			out[len(out)-1].lines = append(out[len(out)-1].lines, l)
		}
	}
	return out
}

// TestDockerfile: multi-stage, a static binary, CA certificates, a
// non-root user, kvguard scan /src by default, Go as go.mod says.
func TestDockerfile(t *testing.T) {
	t.Parallel()
	st := stages(read(t, "Dockerfile"))
	if len(st) < 2 {
		t.Fatalf("%d stages; want a build stage and a runtime stage", len(st))
	}
	build, final := st[0], st[len(st)-1]
	if want := "golang:" + goVersion(t) + " "; !strings.HasPrefix(build.from+" ", want) {
		t.Errorf("build stage FROM %s; want %s (go.mod's go directive)", build.from, strings.TrimSpace(want))
	}
	has := func(s stage, re string) bool {
		return slices.ContainsFunc(s.lines, regexp.MustCompile(re).MatchString)
	}
	if !has(build, `CGO_ENABLED=0 go build .*\./cmd/kvguard`) {
		t.Error("the build stage does not build a static binary (CGO_ENABLED=0 go build ./cmd/kvguard)")
	}
	if !has(final, `^COPY --from=\S+ \S*ca-certificates\.crt`) {
		t.Error("the runtime stage has no CA certificates")
	}
	user := ""
	for _, l := range final.lines {
		if u, ok := strings.CutPrefix(l, "USER "); ok {
			user = u
		}
	}
	if name, _, _ := strings.Cut(user, ":"); user == "" || name == "0" || name == "root" {
		t.Errorf("the runtime stage runs as %q; want a non-root user", user)
	}
	if !has(final, `^ENTRYPOINT \["/usr/local/bin/kvguard"\]$`) || !has(final, `^CMD \["scan", "/src"\]$`) {
		t.Error(`the image does not run kvguard scan /src by default`)
	}
}

// TestDockerBuild builds the image and scans the examples with it, where
// a Docker daemon answers.
func TestDockerBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the image build downloads the Go toolchain image")
	}
	docker, err := exec.LookPath("docker")
	if err != nil {
		t.Skip("docker is not installed: the image build is not tested here")
	}
	if out, err := exec.Command(docker, "info").CombinedOutput(); err != nil {
		t.Skipf("no Docker daemon answers (docker info: %v): the image build is not tested here\n%s", err, firstLine(out))
	}
	ctx := context.Background()
	tag := "kvguard-test:packaging"
	if out, err := exec.CommandContext(ctx, docker, "build", "-t", tag, root).CombinedOutput(); err != nil {
		t.Fatalf("docker build: %v\n%s", err, out)
	}
	t.Cleanup(func() { exec.Command(docker, "rmi", "-f", tag).Run() })
	examples, err := filepath.Abs(filepath.Join(root, "examples"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, docker, "run", "--rm", "--network", "none", "-v", examples+":/src:ro", tag)
	out, err := cmd.Output()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("docker run: %v (want exit 1: the examples have findings)\n%s", err, out)
	}
	if !strings.Contains(string(out), "vaults found") {
		t.Errorf("the image did not scan /src:\n%s", out)
	}
	uid, err := exec.Command(docker, "run", "--rm", "--entrypoint", "", tag, "/usr/local/bin/kvguard", "version").Output()
	if err != nil || !strings.HasPrefix(string(uid), "kvguard ") {
		t.Errorf("kvguard version in the image: %v %s", err, uid)
	}
}

func firstLine(b []byte) string {
	s, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
	return s
}

// TestGoreleaser: the release configuration builds static binaries of
// ./cmd/kvguard for the three systems, with checksums and an SBOM.
// (goreleaser check is not run: goreleaser is not a module this
// repository depends on; this reads the file as goreleaser would.)
func TestGoreleaser(t *testing.T) {
	t.Parallel()
	var cfg struct {
		Version int `yaml:"version"`
		Builds  []struct {
			Main   string   `yaml:"main"`
			Binary string   `yaml:"binary"`
			Env    []string `yaml:"env"`
			Flags  []string `yaml:"flags"`
			Goos   []string `yaml:"goos"`
			Goarch []string `yaml:"goarch"`
		} `yaml:"builds"`
		Archives []struct {
			Formats []string `yaml:"formats"`
		} `yaml:"archives"`
		Checksum struct {
			NameTemplate string `yaml:"name_template"`
			Algorithm    string `yaml:"algorithm"`
		} `yaml:"checksum"`
		Sboms []struct {
			Artifacts string `yaml:"artifacts"`
		} `yaml:"sboms"`
	}
	dec := yaml.NewDecoder(strings.NewReader(read(t, ".goreleaser.yaml")))
	if err := dec.Decode(&cfg); err != nil {
		t.Fatalf(".goreleaser.yaml: %v", err)
	}
	if cfg.Version != 2 {
		t.Errorf("version %d; goreleaser v2 reads version: 2", cfg.Version)
	}
	if len(cfg.Builds) != 1 {
		t.Fatalf("%d builds, want 1", len(cfg.Builds))
	}
	b := cfg.Builds[0]
	if _, err := os.Stat(filepath.Join(root, b.Main, "main.go")); err != nil || b.Binary != "kvguard" {
		t.Errorf("build main %q binary %q: %v", b.Main, b.Binary, err)
	}
	if !slices.Contains(b.Env, "CGO_ENABLED=0") {
		t.Errorf("build env %v: not static (CGO_ENABLED=0)", b.Env)
	}
	for _, goos := range []string{"linux", "darwin", "windows"} {
		if !slices.Contains(b.Goos, goos) {
			t.Errorf("no %s binary", goos)
		}
	}
	if len(cfg.Archives) == 0 || cfg.Checksum.NameTemplate == "" || cfg.Checksum.Algorithm != "sha256" {
		t.Errorf("archives %v, checksum %+v: want archives and a SHA-256 checksums file", cfg.Archives, cfg.Checksum)
	}
	if len(cfg.Sboms) == 0 || cfg.Sboms[0].Artifacts != "archive" {
		t.Errorf("sboms %+v: want an SBOM per archive", cfg.Sboms)
	}
}
