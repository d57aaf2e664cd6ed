//go:build unix

// Command replicas builds trees of replicas of the shared IaC corpus and
// measures `kvguard scan` on them: every .tf, .json and .bicep file of
// ../shared/corpus (hidden and node_modules directories aside, as a scan
// leaves them) is copied whole into r0/, r1/, … until the tree holds N
// files. Each copy gets bytes of its own that no recommendation reads: a
// trailing comment line in .tf and .bicep files, trailing whitespace
// encoding the replica's number in .json files (JSON has no comments).
//
//	go run ./bench/replicas -out /tmp/rep10k -files 10000       # one tree
//	go run ./bench/replicas -measure 332,1000,10000 -runs 3     # build, scan, report
//
// With -measure it builds kvguard, builds a tree per size in a temporary
// directory (or -work), and runs
//
//	kvguard scan TREE --format json -o /dev/null
//
// -runs times per size, printing wall time, CPU time (user + system),
// CPU use, peak RSS (the child's rusage) and the load average before and
// after each run: the machine may be shared, and wall time then measures
// the neighbours too. Then it scans each tree once more to a file and
// checks that every full replica got the findings of r0, per
// recommendation and status, failing if one did not.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	corpus := flag.String("corpus", defaultCorpus(), "the corpus to replicate ($KVGUARD_CORPUS_DIR, else ../shared/corpus)")
	out := flag.String("out", "", "build one tree here (with -files)")
	files := flag.Int("files", 0, "how many files the tree built with -out holds")
	measure := flag.String("measure", "", "sizes to build and scan, comma-separated (e.g. 332,1000,10000)")
	runs := flag.Int("runs", 3, "scans per size with -measure")
	work := flag.String("work", "", "where -measure builds its trees and kvguard (default: a temporary directory, removed after)")
	bin := flag.String("bin", "", "scan with this kvguard binary instead of building one (to compare builds)")
	trivy := flag.String("trivy", "", "with -measure, also scan each tree with this Trivy binary (`trivy config`), side by side (bench/README.md says how to build it)")
	trivyRuns := flag.Int("trivy-runs", 1, "Trivy scans per size with -trivy")
	flag.Parse()
	log.SetFlags(0)
	src, err := corpusFiles(*corpus)
	if err != nil {
		log.Fatal(err)
	}
	switch {
	case *out != "" && *files > 0:
		if err := build(*corpus, src, *out, *files); err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%d files in %s (%d per full replica)\n", *files, *out, len(src))
	case *measure != "":
		peer := peer{bin: *trivy, runs: *trivyRuns}
		if err := measureAll(*corpus, src, *measure, *runs, *work, *bin, peer); err != nil {
			log.Fatal(err)
		}
	default:
		flag.Usage()
		os.Exit(2)
	}
}

func defaultCorpus() string {
	if d := os.Getenv("KVGUARD_CORPUS_DIR"); d != "" {
		return d
	}
	return filepath.Join("..", "shared", "corpus")
}

// corpusFiles lists the corpus's .tf, .json and .bicep files, relative to
// it, sorted.
func corpusFiles(corpus string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(corpus, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if p != corpus && (strings.HasPrefix(name, ".") || name == "node_modules") {
				return fs.SkipDir
			}
			return nil
		}
		switch strings.ToLower(filepath.Ext(name)) {
		case ".tf", ".json", ".bicep":
			if d.Type().IsRegular() {
				rel, err := filepath.Rel(corpus, p)
				if err != nil {
					return err
				}
				out = append(out, rel)
			}
		}
		return nil
	})
	if err == nil && len(out) == 0 {
		err = fmt.Errorf("no .tf, .json or .bicep files in %s", corpus)
	}
	sort.Strings(out)
	return out, err
}

// build writes a tree of n files: r0/, r1/, … each a copy of the corpus
// files (the last one partial).
func build(corpus string, src []string, out string, n int) error {
	if err := os.RemoveAll(out); err != nil {
		return err
	}
	for i := 0; i < n; i++ {
		replica, rel := i/len(src), src[i%len(src)]
		data, err := os.ReadFile(filepath.Join(corpus, rel))
		if err != nil {
			return err
		}
		dst := filepath.Join(out, "r"+strconv.Itoa(replica), rel)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(dst, unique(rel, data, replica), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// unique gives a copy bytes of its own that nothing reads: a comment
// line in HCL and Bicep, whitespace after the value in JSON (a space or a
// tab per bit of the replica's number).
func unique(name string, data []byte, replica int) []byte {
	out := bytes.Clone(data)
	if len(out) > 0 && out[len(out)-1] != '\n' {
		out = append(out, '\n')
	}
	switch strings.ToLower(filepath.Ext(name)) {
	case ".tf":
		return fmt.Appendf(out, "# benchmark replica %d\n", replica)
	case ".bicep":
		return fmt.Appendf(out, "// benchmark replica %d\n", replica)
	}
	if bytes.HasPrefix(data, []byte{0xFF, 0xFE}) || bytes.HasPrefix(data, []byte{0xFE, 0xFF}) {
		return data // UTF-16: left as it is (the corpus has none)
	}
	for bit := 0; bit < 20; bit++ {
		if replica&(1<<bit) != 0 {
			out = append(out, '\t')
		} else {
			out = append(out, ' ')
		}
	}
	return append(out, '\n')
}

// measureAll builds kvguard and a tree per size, and scans each.
func measureAll(corpus string, src []string, sizes string, runs int, work, bin string, trivy peer) error {
	if work == "" {
		dir, err := os.MkdirTemp("", "kvguard-replicas-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		work = dir
	}
	if bin == "" {
		bin = filepath.Join(work, "kvguard")
		if out, err := exec.Command("go", "build", "-o", bin, "./cmd/kvguard").CombinedOutput(); err != nil {
			return fmt.Errorf("go build (run from the repository root): %w\n%s", err, out)
		}
	}
	fmt.Printf("corpus: %d files per full replica; %d CPUs; kvguard scan TREE --format json -o /dev/null\n", len(src), numCPU())
	for _, s := range strings.Split(sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n <= 0 {
			return fmt.Errorf("-measure: %q is not a number of files", s)
		}
		tree := filepath.Join(work, fmt.Sprintf("tree-%d", n))
		if err := build(corpus, src, tree, n); err != nil {
			return err
		}
		var ours []time.Duration
		for r := 1; r <= runs; r++ {
			m, err := scan(bin, tree, os.DevNull)
			if err != nil {
				return err
			}
			ours = append(ours, m.wall)
			printRun("kvguard", n, r, m)
		}
		if trivy.bin != "" {
			if err := trivy.compare(n, tree, work, ours); err != nil {
				return err
			}
		}
		if err := checkFindings(bin, tree, work, n/len(src)); err != nil {
			return err
		}
	}
	return nil
}

// printRun prints one scan's cost on a line.
func printRun(tool string, n, r int, m measurement) {
	fmt.Printf("%-7s %6d files  run %d: wall %7.2f s  CPU %7.2f s (%3.0f%%)  peak RSS %5.0f MiB  exit %d  load %s → %s\n",
		tool, n, r, m.wall.Seconds(), m.cpu.Seconds(), 100*m.cpu.Seconds()/m.wall.Seconds(), float64(m.maxRSS)/(1<<20), m.exit, m.loadBefore, m.loadAfter)
}

// peer is the scanner measured beside kvguard: Trivy's `trivy config`,
// built from source outside the repository (bench/README.md).
type peer struct {
	bin  string
	runs int
}

// compare scans tree with Trivy and prints how many times kvguard's
// median wall time fits into Trivy's.
func (p peer) compare(n int, tree, work string, ours []time.Duration) error {
	var theirs []time.Duration
	for r := 1; r <= max(1, p.runs); r++ {
		// Trivy's own check bundle is embedded; a cache of its own keeps
		// the runs from reading or writing the user's.
		cmd := exec.Command(p.bin, "config", "--skip-check-update", "--quiet", "--format", "json", "-o", os.DevNull, tree)
		cmd.Env = append(os.Environ(), "TRIVY_CACHE_DIR="+filepath.Join(work, "trivy-cache"))
		m, err := run(cmd)
		if err != nil {
			return fmt.Errorf("trivy config %s: %w", tree, err)
		}
		theirs = append(theirs, m.wall)
		printRun("trivy", n, r, m)
	}
	k, t := median(ours), median(theirs)
	fmt.Printf("        Trivy ÷ kvguard (median wall): %.1f× (%.2f s / %.2f s)\n", t.Seconds()/k.Seconds(), t.Seconds(), k.Seconds())
	return nil
}

// median is the middle of ds (the mean of the two middle ones for an
// even count).
func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// measurement is one scan's cost.
type measurement struct {
	wall, cpu             time.Duration
	maxRSS                int64 // bytes
	exit                  int
	loadBefore, loadAfter string
}

// scan runs kvguard on tree, writing the JSON report to out.
func scan(bin, tree, out string) (measurement, error) {
	m, err := run(exec.Command(bin, "scan", tree, "--format", "json", "-o", out))
	if err != nil {
		return m, fmt.Errorf("kvguard scan %s: %w", tree, err)
	}
	return m, nil
}

// run runs cmd and measures it; exit statuses 1 (findings) and 2 (input
// errors, the report still written) are results, not failures.
func run(cmd *exec.Cmd) (measurement, error) {
	m := measurement{loadBefore: load()}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	err := cmd.Run()
	m.wall = time.Since(start)
	m.loadAfter = load()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit) && exit.ExitCode() <= 2:
		m.exit = exit.ExitCode() // 1: findings; 2: input errors, the report is written
	case err != nil:
		return m, fmt.Errorf("%w\n%s", err, stderr.String())
	}
	st := cmd.ProcessState
	m.cpu = st.UserTime() + st.SystemTime()
	if ru, ok := st.SysUsage().(*syscall.Rusage); ok {
		m.maxRSS = int64(ru.Maxrss) * 1024 // KiB on Linux
	}
	return m, nil
}

// load is the one-minute load average, or "?".
func load() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) > 0 {
		return f[0]
	}
	return "?"
}

func numCPU() int {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return 0
	}
	return bytes.Count(b, []byte("\nprocessor")) + 1
}

// checkFindings scans the tree once more and compares each full
// replica's assessments, counted per recommendation and status, with
// r0's: findings must scale exactly, and the command fails when they do
// not.
func checkFindings(bin, tree, work string, full int) error {
	report := filepath.Join(work, "report.json")
	if _, err := scan(bin, tree, report); err != nil {
		return err
	}
	data, err := os.ReadFile(report)
	if err != nil {
		return err
	}
	var r struct {
		Assessments []struct {
			Recommendation struct {
				ID string `json:"id"`
			} `json:"recommendation"`
			Status   string `json:"status"`
			Resource struct {
				Source struct {
					Kind string `json:"kind"`
					File string `json:"file"`
				} `json:"source"`
			} `json:"resource"`
		} `json:"assessments"`
	}
	if err := json.Unmarshal(data, &r); err != nil {
		return fmt.Errorf("%s: %w", report, err)
	}
	counts := map[string]map[string]int{} // replica → recommendation/status → n
	for _, a := range r.Assessments {
		if a.Resource.Source.Kind == "azure-json" || a.Resource.Source.Kind == "snapshot" {
			continue // concrete IDs: the copies are one estate's duplicates, judged once
		}
		rel, err := filepath.Rel(tree, a.Resource.Source.File)
		if err != nil {
			continue
		}
		replica, _, _ := strings.Cut(filepath.ToSlash(rel), "/")
		if counts[replica] == nil {
			counts[replica] = map[string]int{}
		}
		counts[replica][a.Recommendation.ID+" "+a.Status]++
	}
	var differ []string
	for i := 1; i < full; i++ {
		if fmt.Sprint(counts["r"+strconv.Itoa(i)]) != fmt.Sprint(counts["r0"]) {
			differ = append(differ, "r"+strconv.Itoa(i))
		}
	}
	total := 0
	for _, n := range counts["r0"] {
		total += n
	}
	fmt.Printf("        findings: r0 has %d IaC assessments; %d of %d other full replicas differ from it %v\n", total, len(differ), max(0, full-1), differ)
	if err := os.Remove(report); err != nil {
		return err
	}
	switch {
	case len(differ) > 0:
		return fmt.Errorf("findings do not scale: %v got other findings than r0 (per recommendation and status)", differ)
	case full > 0 && total == 0:
		return errors.New("findings: r0 has no IaC assessment, nothing to compare")
	}
	return nil
}
