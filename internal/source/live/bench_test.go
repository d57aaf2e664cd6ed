package live_test

import (
	"os"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kvguard/kvguard/internal/azuresim"
	"github.com/kvguard/kvguard/internal/resource"
	"github.com/kvguard/kvguard/internal/source/live"
)

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// BenchmarkScan scans a generated estate on a simulator with 20 ms of
// latency per request and Azure's throttling limits, and reports the time
// beside the least time those limits allow (x-bound). The default estate
// (2,000 vaults in 20 subscriptions, 50 secrets and 20 keys each) takes
// about 6 s; KVGUARD_BENCH_VAULTS=5000 gives the estate (30 s), and
// KVGUARD_BENCH_FAIL_PERMILLE=50 fails 5% of requests. bench/azure runs
// the same scan with the simulator in another process and measures the
// scanner's memory alone.
//
//	go test -run XXX -bench Scan -benchtime 1x ./internal/source/azure/
func BenchmarkScan(b *testing.B) {
	vaults := envInt("KVGUARD_BENCH_VAULTS", 2000)
	subs := envInt("KVGUARD_BENCH_SUBSCRIPTIONS", 20)
	failRate := float64(envInt("KVGUARD_BENCH_FAIL_PERMILLE", 0)) / 1000
	const secrets, keys = 50, 20
	est := azuresim.Generate(azuresim.GenOptions{Subscriptions: subs, Vaults: vaults, SecretsPerVault: secrets, KeysPerVault: keys, Seed: 1})
	// Per vault: ⌈50/25⌉ secret pages + ⌈20/25⌉ key page + 1 diagnostic
	// settings list; one tenant read lists the subscriptions.
	reads := make([]int, subs)
	for i := range vaults {
		reads[i%subs] += (secrets+24)/25 + (keys+24)/25 + 1
	}
	bound := live.ThrottleLowerBound(reads, 1, (vaults+999)/1000)
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		sim := startSim(b, est, azuresim.Options{Latency: 20 * time.Millisecond, Throttle: true,
			FailRate: failRate, Seed: 1, NoRequestLog: true})
		opts := baseOptions(b, sim)
		opts.ScanTimeout = 10 * time.Minute
		var judgedSecrets atomic.Int64
		b.StartTimer()
		sum, err := live.Scan(b.Context(), opts, func(d *resource.Document) {
			if d.IsType(resource.TypeSecret) {
				judgedSecrets.Add(1)
			}
		})
		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(sum.Elapsed.Seconds(), "scan-s")
		b.ReportMetric(bound.Seconds(), "bound-s")
		b.ReportMetric(sum.Elapsed.Seconds()/max(bound.Seconds(), 1e-9), "x-bound")
		b.ReportMetric(float64(vaults-sum.VaultsJudged), "lost-vaults")
		b.ReportMetric(float64(sum.Throttled), "429s")
		if judgedSecrets.Load() != int64(vaults*secrets) {
			b.Errorf("%d secrets emitted, want %d", judgedSecrets.Load(), vaults*secrets)
		}
		sim.Close()
		b.StartTimer()
	}
}

// BenchmarkScanCertificates scans vaults' data planes (--data-plane) for
// certificates with their policies, on a simulator with 20 ms of latency
// and Azure's throttling limits: one list page per 25 certificates, then
// one GET per certificate (its bundle). KVGUARD_BENCH_VAULTS and
// KVGUARD_BENCH_CERTS size the estate (default 200 vaults of 10).
//
//	go test -run XXX -bench ScanCertificates -benchtime 1x ./internal/source/live/
func BenchmarkScanCertificates(b *testing.B) {
	vaults := envInt("KVGUARD_BENCH_VAULTS", 200)
	certs := envInt("KVGUARD_BENCH_CERTS", 10)
	est := azuresim.Generate(azuresim.GenOptions{Subscriptions: 4, Vaults: vaults, CertificatesPerVault: certs, Seed: 1})
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		sim := startSim(b, est, azuresim.Options{Latency: 20 * time.Millisecond, Throttle: true, Seed: 1, NoRequestLog: true})
		opts := baseOptions(b, sim)
		opts.DataPlane = true
		var withPolicy atomic.Int64
		b.StartTimer()
		sum, err := live.Scan(b.Context(), opts, func(d *resource.Document) {
			if d.IsType(resource.TypeCertificate) && d.Body["keyProperties"] != nil {
				withPolicy.Add(1)
			}
		})
		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		if withPolicy.Load() != int64(vaults*certs) {
			b.Errorf("%d certificates with their policy, want %d", withPolicy.Load(), vaults*certs)
		}
		b.ReportMetric(sum.Elapsed.Seconds(), "scan-s")
		b.ReportMetric(float64(sum.Requests)/float64(vaults*certs), "requests/cert")
		b.ReportMetric(float64(sum.Throttled), "429s")
		sim.Close()
		b.StartTimer()
	}
}
