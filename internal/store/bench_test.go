package store

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kvguard/kvguard/internal/report/reporttest"
	"github.com/kvguard/kvguard/internal/source/saved"
	"github.com/kvguard/kvguard/internal/testsupport/pgtest"
	"github.com/kvguard/kvguard/internal/testsupport/synth"
)

// envInt reads a benchmark's size from the environment.
func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// BenchmarkIngestEstate ingests and completes the results of bench/estate's
// estate (10,000 vaults; KVGUARD_BENCH_STORE_SECRETS secrets, 100,000 by
// default, 1,000,000 for issue 13's figure) into a fresh store: the
// generation and judging are setup, not timed.
//
//	KVGUARD_BENCH_STORE_SECRETS=1000000 go test ./internal/store -run '^$' -bench IngestEstate -benchtime 1x
func BenchmarkIngestEstate(b *testing.B) {
	secrets := envInt("KVGUARD_BENCH_STORE_SECRETS", 100_000)
	path := filepath.Join(b.TempDir(), "estate.json")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := synth.Write(f, synth.Config{Vaults: 10_000, Secrets: secrets, Keys: 50_000, Seed: 1}); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	res := reporttest.Scan(b, saved.New(saved.Options{Logger: quiet()}).Read, path)
	rows := 0
	for a := range res.All() {
		rows += 1 + len(a.Components)
	}
	for _, e := range engines(b) {
		b.Run(e.Name, func(b *testing.B) {
			ctx := context.Background()
			c := newClock()
			for i := 0; b.Loop(); i++ {
				b.StopTimer()
				dsn := e.DSN
				if e.Schema == "" {
					dsn = filepath.Join(b.TempDir(), fmt.Sprintf("ingest%d.db", i))
				} else if i > 0 {
					dsn, _ = pgtest.Schema(b, "kvguard_test_")
				}
				s := open(b, dsn, c)
				b.StartTimer()
				srv0, wal0 := serverCPU(b, s), walBytes(b, s)
				start, cpu0 := time.Now(), cpuTime()
				sc, err := s.Begin(ctx, "estate", Live, Labels{})
				if err != nil {
					b.Fatal(err)
				}
				if err := sc.Ingest(ctx, res); err != nil {
					b.Fatal(err)
				}
				ingested, cpu1 := time.Since(start), cpuTime()
				b.StopTimer()
				srv1, wal1 := serverCPU(b, s), walBytes(b, s)
				b.StartTimer()
				start = time.Now().Add(-ingested)
				if err := sc.Complete(ctx); err != nil {
					b.Fatal(err)
				}
				completed, cpu2 := time.Since(start)-ingested, cpuTime()
				b.StopTimer()
				srv2, wal2 := serverCPU(b, s), walBytes(b, s)
				if s.Engine() == Postgres {
					b.ReportMetric(float64(wal1-wal0)/1e6, "ingest-wal-MB")
					b.ReportMetric(float64(wal2-wal1)/1e6, "complete-wal-MB")
					b.ReportMetric((srv1 - srv0).Seconds(), "ingest-server-cpu-s")
					b.ReportMetric((srv2 - srv1).Seconds(), "complete-server-cpu-s")
				}
				size, err := s.Size(ctx)
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(rows), "rows")
				b.ReportMetric(ingested.Seconds(), "ingest-s")
				b.ReportMetric(completed.Seconds(), "complete-s")
				if cpu0 >= 0 && cpu2 >= 0 {
					b.ReportMetric((cpu1 - cpu0).Seconds(), "ingest-cpu-s")
					b.ReportMetric((cpu2 - cpu1).Seconds(), "complete-cpu-s")
				}
				b.ReportMetric(float64(size)/1e6, "MB")
				_ = s.Close()
				b.StartTimer()
			}
		})
	}
}

// serverCPU is the CPU time the PostgreSQL backends serving s have used
// (those named by s's application_name, on this machine), or 0 on
// SQLite, where the work is in this process.
func serverCPU(b *testing.B, s *Store) time.Duration {
	if s.Engine() != Postgres {
		return 0
	}
	rows, err := s.DB().QueryContext(context.Background(), `SELECT pid FROM pg_stat_activity
		WHERE application_name = current_setting('application_name')`)
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	var total time.Duration
	for rows.Next() {
		var pid int
		if err := rows.Scan(&pid); err != nil {
			b.Fatal(err)
		}
		if t := procCPU(fmt.Sprintf("/proc/%d/stat", pid)); t > 0 {
			total += t
		}
	}
	return total
}

// walBytes is the position of PostgreSQL's write-ahead log in bytes (the
// server's, all databases: the difference across a step is that step's
// WAL on a quiet server), or 0 on SQLite.
func walBytes(b *testing.B, s *Store) int64 {
	if s.Engine() != Postgres {
		return 0
	}
	var n int64
	if err := s.DB().QueryRowContext(context.Background(), "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint").Scan(&n); err != nil {
		b.Fatal(err)
	}
	return n
}

// cpuTime is the CPU time (user and system, every thread) this process
// has used, read from /proc/self/stat in clock ticks of 10 ms; -1 where
// there is no /proc. PostgreSQL's own CPU time is not in it.
func cpuTime() time.Duration { return procCPU("/proc/self/stat") }

// procCPU reads a /proc/<pid>/stat file's user and system time.
func procCPU(path string) time.Duration {
	data, err := os.ReadFile(path)
	if err != nil {
		return -1
	}
	// Fields after the command (which may hold spaces) in parentheses:
	// state is field 3, utime 14 and stime 15.
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return -1
	}
	f := strings.Fields(string(data[i+1:]))
	if len(f) < 13 {
		return -1
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	s, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return -1
	}
	return time.Duration(u+s) * 10 * time.Millisecond
}

// BenchmarkStoreSize measures the store after 90 days of 15-minute scans
// of 100,000 vaults × 6 recommendations (KVGUARD_BENCH_STORE_VAULTS,
// _DAYS and _CHURN: findings that change per scan, 60 by default, one in
// 10,000). The first scan and the last go through Begin/Ingest/Complete;
// the 8,638 between are generated straight into the tables as Complete
// would leave them (a scan row and one history row per change; the
// current state's size does not depend on which rows changed), since
// replaying 8,640 real scans of 600,000 rows would take hours.
//
//	go test ./internal/store -run '^$' -bench StoreSize -benchtime 1x
func BenchmarkStoreSize(b *testing.B) {
	vaults := envInt("KVGUARD_BENCH_STORE_VAULTS", 100_000)
	days := envInt("KVGUARD_BENCH_STORE_DAYS", 90)
	churn := envInt("KVGUARD_BENCH_STORE_CHURN", 60)
	recs := []string{"keyvault-purge-protection", "keyvault-soft-delete", "keyvault-rbac", "keyvault-private-link",
		"keyvault-secret-expiry", "keyvault-key-expiry"}
	verdicts := func(rng *rand.Rand) []verdict {
		out := make([]verdict, 0, vaults*len(recs))
		for v := range vaults {
			id := fmt.Sprintf("/subscriptions/%08x-0000-4000-8000-000000000000/resourceGroups/rg-%03d/providers/Microsoft.KeyVault/vaults/kv-%06d", v/500, v%200, v)
			for _, r := range recs {
				st, reason := "Healthy", "The setting is as required."
				if rng.IntN(4) == 0 {
					st, reason = "Unhealthy", fmt.Sprintf("%d of %d secrets have no expiry date.", 1+rng.IntN(5), 5+rng.IntN(20))
				}
				out = append(out, verdict{id, r, "", st, reason})
			}
		}
		return out
	}
	for _, e := range engines(b) {
		b.Run(e.Name, func(b *testing.B) {
			for b.Loop() {
				benchSize(b, e, vaults, days, churn, verdicts)
			}
		})
	}
}

func benchSize(b *testing.B, e pgtest.Engine, vaults, days, churn int, verdicts func(*rand.Rand) []verdict) {
	ctx := context.Background()
	c := newClock()
	rng := rand.New(rand.NewPCG(1, 2))
	s := open(b, e.DSN, c, func(o *Options) { o.Retention = -1 })
	start := time.Now()
	first := verdicts(rng)
	scanOnce(b, s, "tenant", first)
	firstScan := time.Since(start)
	scans := days * 96
	var refs []int64
	rows, err := s.DB().QueryContext(ctx, "SELECT id FROM resources ORDER BY id")
	if err != nil {
		b.Fatal(err)
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			b.Fatal(err)
		}
		refs = append(refs, id)
	}
	_ = rows.Close()
	recs := []string{}
	for _, v := range first[:6] {
		recs = append(recs, v.rec)
	}
	gen := time.Now()
	for d := range days {
		err := s.inTx(ctx, "generate", func(tx *sql.Tx) error {
			hist := s.newBatch(tx, `INSERT INTO history (resource_ref, recommendation_id, component, at, scan_id, prev_status,
				status, reason, exemption_id) VALUES `, "", 9)
			defer hist.close()
			for k := range 96 {
				if d == 0 && k == 0 || d == days-1 && k == 95 {
					continue // the real scans
				}
				c.Add(15 * time.Minute)
				now := s.now()
				var id int64
				if err := tx.QueryRowContext(ctx, s.q(`INSERT INTO scans (scope, source, started_at, finished_at, lease_until,
					status, results, changes) VALUES ('tenant', 'live', ?, ?, ?, 'succeeded', ?, ?) RETURNING id`),
					now-60_000, now, now, vaults*6, churn).Scan(&id); err != nil {
					return err
				}
				for range churn {
					ref := refs[rng.IntN(len(refs))]
					st, prev, reason := "Unhealthy", "Healthy", fmt.Sprintf("%d of %d secrets have no expiry date.", 1+rng.IntN(5), 5+rng.IntN(20))
					if rng.IntN(2) == 0 {
						st, prev, reason = prev, st, "The setting is as required."
					}
					if err := hist.add(ctx, fmt.Sprint(ref, rng.Int()), ref, recs[rng.IntN(len(recs))], "", now, id, prev, st, reason, 0); err != nil {
						return err
					}
				}
			}
			return hist.flush(ctx)
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	generated := time.Since(gen)
	// The last scan, real: the first scan's verdicts with churn changes.
	last := first
	for range churn {
		i := rng.IntN(len(last))
		if last[i].status == "Healthy" {
			last[i].status, last[i].reason = "Unhealthy", "1 of 9 secrets have no expiry date."
		} else {
			last[i].status, last[i].reason = "Healthy", "The setting is as required."
		}
	}
	c.Add(15 * time.Minute)
	start = time.Now()
	sc := scanOnce(b, s, "tenant", last)
	lastScan := time.Since(start)
	info, _ := s.ScanInfo(ctx, sc.ID())
	if info.Changes < int64(churn)/2 || info.Changes > int64(churn) {
		b.Errorf("the last scan recorded %d changes for %d flips", info.Changes, churn)
	}
	size, err := s.Size(ctx)
	if err != nil {
		b.Fatal(err)
	}
	n, _ := s.Counts(ctx)
	b.ReportMetric(float64(size)/1e6, "MB")
	b.ReportMetric(float64(n["history"]), "history-rows")
	b.ReportMetric(float64(n["scans"]), "scans")
	b.ReportMetric(firstScan.Seconds(), "first-scan-s")
	b.ReportMetric(lastScan.Seconds(), "last-scan-s")
	b.ReportMetric(generated.Seconds(), "generate-s")
	_ = scans
}
