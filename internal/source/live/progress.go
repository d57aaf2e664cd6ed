package live

import (
	"fmt"
	"time"
)

// startProgress draws a one-line progress display on Options.Progress
// (a terminal) until the returned function is called with the summary,
// which it prints in place of the line. Without a writer it does nothing.
func (s *scanner) startProgress() func(Summary) {
	w := s.opts.Progress
	if w == nil {
		return func(Summary) {}
	}
	start := time.Now()
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				fmt.Fprintf(w, "\r\x1b[K%s", s.progressLine(time.Since(start)))
			}
		}
	}()
	return func(sum Summary) {
		close(stop)
		<-done
		fmt.Fprintf(w, "\r\x1b[Kkvguard: %s; %d requests (%d retries, %d throttled) in %s (Azure's limits allow no less than %s)\n",
			sum.Counts(), sum.Requests, sum.Retries, sum.Throttled, sum.Elapsed.Round(100*time.Millisecond), sum.LowerBound.Round(100*time.Millisecond))
	}
}

func (s *scanner) progressLine(elapsed time.Duration) string {
	var found, done int64
	for k := range s.found {
		found += s.found[k].Load()
		done += s.judged[k].Load() + s.unread[k].Load()
	}
	vaults := "listing vaults"
	if found > 0 || done > 0 {
		vaults = fmt.Sprintf("vaults %d/%d", done, found)
	}
	return fmt.Sprintf("kvguard: %d subscriptions · %s · %d requests · %d retries · %d throttled · waited %s · %s",
		s.nSubs.Load(), vaults, s.meter.requests.Load(), s.meter.retries.Load(), s.meter.throttled.Load(),
		time.Duration(s.meter.waitNanos.Load()).Round(100*time.Millisecond), elapsed.Round(time.Second))
}

// Counts words what the scan found: "3 subscriptions, 12 vaults found, 11
// judged, 1 unreadable", and the managed HSMs apart when there are any
// (", 2 managed HSMs found, 2 judged, 0 unreadable").
func (sum Summary) Counts() string {
	out := fmt.Sprintf("%d subscriptions, %d vaults found, %d judged, %d unreadable",
		sum.Subscriptions, sum.VaultsFound, sum.VaultsJudged, sum.VaultsUnreadable)
	if sum.ManagedHSMsFound > 0 {
		out += fmt.Sprintf(", %d managed HSMs found, %d judged, %d unreadable",
			sum.ManagedHSMsFound, sum.ManagedHSMsJudged, sum.ManagedHSMsUnreadable)
	}
	return out
}
