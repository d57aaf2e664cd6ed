package store

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

// TestPartsCountOnce: a part marked done twice (a retried job) counts
// once; Complete refuses while a part is missing; another process
// resumes the scan by ID.
func TestPartsCountOnce(t *testing.T) {
	for _, e := range engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			ctx := t.Context()
			s := open(t, e.DSN, newClock())
			sc, err := s.Begin(ctx, "tenant", Live, Labels{})
			if err != nil {
				t.Fatal(err)
			}
			if err := sc.AddParts(ctx, []string{"a", "b", "a"}); err != nil {
				t.Fatal(err)
			}
			if err := sc.AddParts(ctx, []string{"b"}); err != nil { // a retried planner
				t.Fatal(err)
			}
			other, err := s.ResumeScan(ctx, sc.ID())
			if err != nil {
				t.Fatal(err)
			}
			if err := other.IngestRows(ctx, rowsOf([]verdict{{vaultA, "purge", "", "Healthy", "ok"}}), nil, nil); err != nil {
				t.Fatal(err)
			}
			for range 2 {
				if n, err := other.PartDone(ctx, "a"); err != nil || n != 1 {
					t.Fatalf("part a done: %d remaining, %v; want 1", n, err)
				}
			}
			if err := sc.Complete(ctx); !errors.Is(err, ErrPartsMissing) {
				t.Fatalf("complete with part b missing: %v, want ErrPartsMissing", err)
			}
			if _, err := sc.PartDone(ctx, "c"); err == nil {
				t.Error("an unknown part was marked done")
			}
			if n, err := sc.PartDone(ctx, "b"); err != nil || n != 0 {
				t.Fatalf("part b done: %d remaining, %v; want 0", n, err)
			}
			if err := other.Complete(ctx); err != nil {
				t.Fatal(err)
			}
			si, err := s.ScanInfo(ctx, sc.ID())
			if err != nil || si.Status != Succeeded || si.Done != 2 || si.Total != 2 {
				t.Fatalf("scan %+v, %v; want succeeded with 2 of 2 parts", si, err)
			}
			if _, err := s.ResumeScan(ctx, sc.ID()); !IsNotRunning(err) {
				t.Errorf("resume a completed scan: %v", err)
			}
		})
	}
}

// TestLeases: a lease is held by one holder until it expires; its holder
// renews it; a released lease is free.
func TestLeases(t *testing.T) {
	for _, e := range engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			ctx := t.Context()
			c := newClock()
			s := open(t, e.DSN, c)
			try := func(holder string, want bool) {
				t.Helper()
				if got, err := s.TryLease(ctx, "subscription:x", holder, time.Minute); err != nil || got != want {
					t.Fatalf("%s takes the lease: %v, %v; want %v", holder, got, err, want)
				}
			}
			try("job:1", true)
			try("job:2", false)
			try("job:1", true) // renewed
			c.Add(59 * time.Second)
			try("job:2", false)
			c.Add(2 * time.Second) // expired: job 1 died
			try("job:2", true)
			if err := s.ReleaseLease(ctx, "subscription:x", "job:1"); err != nil { // not its lease: nothing
				t.Fatal(err)
			}
			try("job:1", false)
			if err := s.ReleaseLease(ctx, "subscription:x", "job:2"); err != nil {
				t.Fatal(err)
			}
			try("job:1", true)
		})
	}
}

// TestPartsDoneTogether: parts marked done side by side (the workers of
// a shared scan) leave exactly one of them seeing none remaining, the one
// that enqueues the completion.
func TestPartsDoneTogether(t *testing.T) {
	for _, e := range engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			ctx := t.Context()
			s := open(t, e.DSN, newClock())
			for round := range 20 {
				sc, err := s.Begin(ctx, fmt.Sprintf("sub:%d", round), Live, Labels{})
				if err != nil {
					t.Fatal(err)
				}
				parts := []string{"a", "b", "c", "d"}
				if err := sc.AddParts(ctx, parts); err != nil {
					t.Fatal(err)
				}
				last := make(chan int64, len(parts))
				errs := make(chan error, len(parts))
				start := make(chan struct{})
				for _, p := range parts {
					go func() {
						<-start
						n, err := sc.PartDone(ctx, p)
						errs <- err
						last <- n
					}()
				}
				close(start)
				zero := 0
				for range parts {
					if err := <-errs; err != nil {
						t.Fatal(err)
					}
					if <-last == 0 {
						zero++
					}
				}
				if zero != 1 {
					t.Fatalf("round %d: %d parts saw none remaining, want exactly 1", round, zero)
				}
			}
		})
	}
}
