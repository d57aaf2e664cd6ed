// Command bicep generates Bicep files for benchmarking the Bicep reader,
// reads them and prints throughput:
//
//	go run ./bench/bicep -files 1000 -vaults 20
//
// The parser's own benchmarks (over the corpus and the compiler's samples,
// and the linearity check) are in internal/source/bicep:
//
//	go test -run '^$' -bench . -benchmem ./internal/source/bicep/
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/kvguard/kvguard/internal/resource"
	"github.com/kvguard/kvguard/internal/source/bicep"
)

func main() {
	files := flag.Int("files", 1000, "number of Bicep files")
	vaults := flag.Int("vaults", 20, "vaults per file (each with 10 looped secrets)")
	flag.Parse()
	dir, err := os.MkdirTemp("", "bicep-bench-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer os.RemoveAll(dir)
	var paths []string
	var size int64
	for i := range *files {
		p := filepath.Join(dir, fmt.Sprintf("f%05d", i), "main.bicep")
		src := generate(*vaults)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		paths = append(paths, p)
		size += int64(len(src))
	}
	r := bicep.New(bicep.Options{})
	docs, errs := 0, 0
	start := time.Now()
	for _, p := range paths {
		if err := r.Read(context.Background(), p, func(*resource.Document) { docs++ }); err != nil {
			errs++
		}
	}
	elapsed := time.Since(start)
	fmt.Printf("read %d files (%.1f MB, %d documents, %d with problems) in %v on GOMAXPROCS=%d, 1 goroutine: %.0f files/s, %.1f MB/s\n",
		len(paths), float64(size)/1e6, docs, errs, elapsed.Round(time.Millisecond), runtime.GOMAXPROCS(0),
		float64(len(paths))/elapsed.Seconds(), float64(size)/1e6/elapsed.Seconds())
}

// generate is a Bicep file of n vaults, each with ten looped secrets, an
// interpolated name, a ternary and a network ACL loop.
func generate(n int) string {
	var b strings.Builder
	b.WriteString("param prefix string = 'kv'\nvar names = [for i in range(0, 10): 's${i}']\n")
	for i := range n {
		fmt.Fprintf(&b, `// kvguard:ignore keyvault-firewall generated
resource kv%[1]d 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: '${prefix}-%[1]d-${uniqueString(resourceGroup().id)}'
  location: resourceGroup().location
  properties: {
    tenantId: subscription().tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: %[1]d %% 2 == 0 ? true : false
    networkAcls: { defaultAction: 'Deny', ipRules: [for ip in ['1.2.3.4']: { value: ip }] }
  }
  resource s 'secrets' = [for n in names: {
    name: n
    properties: { attributes: { exp: 1767225600 } }
  }]
}
`, i)
	}
	return b.String()
}
