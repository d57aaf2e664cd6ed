package notify

import (
	"fmt"
	"net"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kvguard/kvguard/internal/store"
)

func newNotifier(t *testing.T, o Options) *Notifier {
	t.Helper()
	n, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestScanCompleted: a scan adding 2 new High findings and 1 new Medium
// one posts exactly the 2, once, in every format, with no secret value
// and no webhook token anywhere.
func TestScanCompleted(t *testing.T) {
	t.Parallel()
	for _, e := range engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			c := newClock()
			s := openStore(t, e.DSN, c)
			ctx := t.Context()
			var logs logBuffer
			rcv := newReceiver(t)
			notifiers := map[string]*Notifier{}
			for _, f := range Formats() {
				notifiers[f.ID] = newNotifier(t, Options{URL: rcv.URL(), Format: f.ID, Store: s, Now: c.Now,
					BaseURL: "https://kvguard.example/", Logger: logs.logger(), Sleep: (&sleeps{}).Sleep})
			}
			first := scan(t, s, baseline)
			if err := notifiers["json"].ScanCompleted(ctx, first); err != nil {
				t.Fatal(err)
			}
			if rcv.count() != 1 {
				t.Fatalf("first scan: %d posts, want 1 (its one unhealthy High finding is new)", rcv.count())
			}
			c.Add(15 * time.Minute)
			id := scan(t, s, second)
			if err := notifiers["json"].ScanCompleted(ctx, id); err != nil {
				t.Fatal(err)
			}
			if rcv.count() != 2 {
				t.Fatalf("second scan: %d posts in all, want 2", rcv.count())
			}
			d := decode(t, rcv.body(1))
			var got []string
			for _, f := range d.Findings {
				got = append(got, fmt.Sprintf("%s %s %s was=%q", f.Resource.Name, f.Recommendation.ID,
					f.Recommendation.Severity, f.Previous))
				if !regexp.MustCompile(`^https://kvguard\.example/resources/[0-9]+$`).MatchString(f.Resource.URL) {
					t.Errorf("%s: link %q", f.Resource.Name, f.Resource.URL)
				}
			}
			want := []string{
				`kv-data keyvault-soft-delete High was="Healthy"`,
				`kv-new keyvault-secret-expiry High was=""`,
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("findings posted (-want +got):\n%s", diff)
			}
			if d.SchemaVersion != PayloadVersion || d.Event != eventNewHigh || d.Total != 2 || d.Scan.ID != id ||
				d.Scan.URL != fmt.Sprintf("https://kvguard.example/scans/%d", id) {
				t.Errorf("payload header: %+v", d)
			}
			// Once per scan: a second call, and the maintenance tick, post nothing.
			if err := notifiers["json"].ScanCompleted(ctx, id); err != nil {
				t.Fatal(err)
			}
			if err := notifiers["json"].ExpiringExemptions(ctx); err != nil {
				t.Fatal(err)
			}
			if rcv.count() != 2 {
				t.Fatalf("after the second call: %d posts, want still 2", rcv.count())
			}
			// The other formats are other receivers: each gets it once.
			for _, f := range []string{"slack", "teams"} {
				for range 2 {
					if err := notifiers[f].ScanCompleted(ctx, id); err != nil {
						t.Fatal(err)
					}
				}
			}
			if rcv.count() != 4 {
				t.Fatalf("slack and teams: %d posts in all, want 4", rcv.count())
			}
			for i, format := range []string{"slack", "teams"} {
				body := string(rcv.body(2 + i))
				for _, name := range []string{"kv-data", "kv-new"} {
					if !strings.Contains(body, name) {
						t.Errorf("%s payload lacks %s:\n%s", format, name, body)
					}
				}
				if strings.Contains(body, "kv-app") {
					t.Errorf("%s payload names kv-app, whose findings are not new High ones:\n%s", format, body)
				}
			}
			for i := range rcv.count() {
				for _, p := range append(planted, rcv.token) {
					if strings.Contains(string(rcv.body(i)), p) {
						t.Errorf("payload %d contains %q", i, p)
					}
				}
			}
			if strings.Contains(logs.String(), rcv.token) {
				t.Errorf("the log holds the webhook's token:\n%s", logs.String())
			}
		})
	}
}

// TestScanNotAnnounced: a failed scan, or one with no new High finding,
// posts nothing and records nothing.
func TestScanNotAnnounced(t *testing.T) {
	t.Parallel()
	c := newClock()
	s := openStore(t, engines(t)[0].DSN, c)
	ctx := t.Context()
	rcv := newReceiver(t)
	n := newNotifier(t, Options{URL: rcv.URL(), Store: s, Now: c.Now})
	quiet := scan(t, s, []verdict{{"kv-app", "keyvault-firewall", "Unhealthy", "the firewall allows all networks", nil}})
	failed, err := s.Begin(ctx, "repo:org/other", store.Repository, store.Labels{})
	if err != nil {
		t.Fatal(err)
	}
	if err := failed.Fail(ctx, "the report was not valid"); err != nil {
		t.Fatal(err)
	}
	for _, id := range []int64{quiet, failed.ID()} {
		if err := n.ScanCompleted(ctx, id); err != nil {
			t.Errorf("scan %d: %v", id, err)
		}
	}
	if _, err := s.ScanInfo(ctx, 999); err == nil {
		t.Fatal("scan 999 exists")
	}
	if err := n.ScanCompleted(ctx, 999); err == nil {
		t.Error("an unknown scan: no error")
	}
	all, err := s.Notices(ctx, n.Sink(), "")
	if rcv.count() != 0 || len(all) != 0 || err != nil {
		t.Errorf("%d posts, %d notices (%v); want none", rcv.count(), len(all), err)
	}
}

// TestExpiringExemptions: an exemption expiring in 3 days is announced
// once; one expiring in 10 days when it comes within the window; an
// extended one again when its new expiry nears; a revoked one never.
func TestExpiringExemptions(t *testing.T) {
	t.Parallel()
	for _, e := range engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			c := newClock()
			s := openStore(t, e.DSN, c)
			ctx := t.Context()
			rcv := newReceiver(t)
			n := newNotifier(t, Options{URL: rcv.URL(), Store: s, Now: c.Now, BaseURL: "https://kvguard.example"})
			day := 24 * time.Hour
			exempt := func(reason string, in time.Duration) int64 {
				t.Helper()
				id, err := s.CreateExemption(ctx, "alice@example.com", store.Exemption{Kind: store.Waiver, Reason: reason,
					Expires: c.Now().Add(in), Scope: store.OnResource, Target: vaultID("kv-app"), Recommendation: "keyvault-firewall"})
				if err != nil {
					t.Fatal(err)
				}
				return id
			}
			soon := exempt("the firewall moves to the hub next sprint", 3*day)
			later := exempt("pilot until the new network is ready", 10*day)
			revoked := exempt("revoked before its time", 2*day)
			if err := s.RevokeExemption(ctx, "bob@example.com", revoked); err != nil {
				t.Fatal(err)
			}
			tick := func() []int64 {
				t.Helper()
				before := rcv.count()
				if err := n.ExpiringExemptions(ctx); err != nil {
					t.Fatal(err)
				}
				switch rcv.count() - before {
				case 0:
					return nil
				case 1:
				default:
					t.Fatalf("one tick posted %d messages, want at most 1", rcv.count()-before)
				}
				d := decode(t, rcv.body(rcv.count()-1))
				if d.Event != eventExpiring || d.Total != len(d.Exemptions) {
					t.Errorf("payload: %+v", d)
				}
				var ids []int64
				for _, x := range d.Exemptions {
					ids = append(ids, x.ID)
				}
				return ids
			}
			steps := []struct {
				name    string
				advance time.Duration
				extend  int64
				want    []int64
			}{
				{"the 3-day one", 0, 0, []int64{soon}},
				{"nothing new", 0, 0, nil},
				{"an hour later, nothing new", time.Hour, 0, nil},
				{"the 10-day one enters the window", 3*day + time.Hour, 0, []int64{later}},
				{"extended: announced again", 0, later, []int64{later}},
				{"and only once", day, 0, nil},
			}
			for _, st := range steps {
				c.Add(st.advance)
				if st.extend != 0 {
					if err := s.SetExemptionExpiry(ctx, "alice@example.com", st.extend, c.Now().Add(5*day)); err != nil {
						t.Fatal(err)
					}
				}
				if diff := cmp.Diff(st.want, tick()); diff != "" {
					t.Errorf("%s (-want +got):\n%s", st.name, diff)
				}
			}
		})
	}
}

// TestDeliveryFailures: 5xx, 429 and connection errors are tried again
// with a doubling (or asked-for) wait, 4xx and redirects are not; an
// undelivered event stays pending and goes out at the next call, or is
// abandoned, loudly, once too old.
func TestDeliveryFailures(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		answers []int
		// posts the first call makes, and the waits between them.
		posts     int
		waits     []time.Duration
		delivered bool
	}{
		{"two 503s then 200", []int{503, 503, 200}, 3, []time.Duration{time.Second, 2 * time.Second}, true},
		{"500 every time", []int{500, 500, 500, 500}, 4, []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}, false},
		{"429 with Retry-After", []int{429, 200}, 2, []time.Duration{5 * time.Second}, true},
		{"400: not tried again", []int{400}, 1, nil, false},
		{"401: not tried again", []int{401}, 1, nil, false},
		{"a redirect: not followed", []int{302}, 1, nil, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := newClock()
			s := openStore(t, engines(t)[0].DSN, c)
			ctx := t.Context()
			rcv := newReceiver(t, tc.answers...)
			var logs logBuffer
			var sl sleeps
			n := newNotifier(t, Options{URL: rcv.URL(), Store: s, Now: c.Now, Logger: logs.logger(), Sleep: sl.Sleep})
			id := scan(t, s, second)
			if err := n.ScanCompleted(ctx, id); err != nil {
				t.Fatalf("a delivery failure is not the caller's error: %v", err)
			}
			if rcv.count() != tc.posts {
				t.Errorf("%d posts, want %d", rcv.count(), tc.posts)
			}
			if diff := cmp.Diff(tc.waits, sl.all()); diff != "" {
				t.Errorf("waits (-want +got):\n%s", diff)
			}
			pending, err := s.Notices(ctx, n.Sink(), store.NoticePending)
			if err != nil {
				t.Fatal(err)
			}
			if tc.delivered {
				if len(pending) != 0 {
					t.Errorf("delivered, yet pending: %+v", pending)
				}
				return
			}
			if len(pending) != 1 || pending[0].Attempts != 1 || pending[0].LastError == "" {
				t.Fatalf("pending: %+v; want the event, one attempt, its error", pending)
			}
			if !strings.Contains(logs.String(), "retried at the next call") || strings.Contains(logs.String(), rcv.token) {
				t.Errorf("log:\n%s", logs.String())
			}
			// The next call (the receiver answers 200 now) delivers it.
			if err := n.ExpiringExemptions(ctx); err != nil {
				t.Fatal(err)
			}
			if rcv.count() != tc.posts+1 || len(decode(t, rcv.body(tc.posts)).Findings) != 3 { // a first scan: all 3 unhealthy High are new
				t.Errorf("the retry at the next call: %d posts, want %d", rcv.count(), tc.posts+1)
			}
			if left, _ := s.Notices(ctx, n.Sink(), store.NoticePending); len(left) != 0 {
				t.Errorf("still pending after delivery: %+v", left)
			}
		})
	}
}

// TestUnreachable: a receiver that refuses connections keeps the event
// pending (never lost) and stops the call from trying the others; after
// GiveUpAfter the event is abandoned with an error in the log.
func TestUnreachable(t *testing.T) {
	t.Parallel()
	c := newClock()
	s := openStore(t, engines(t)[0].DSN, c)
	ctx := t.Context()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + l.Addr().String() + "/hooks/T0000/B0000/planted-webhook-token"
	_ = l.Close() // nothing listens there now: connection refused
	var logs logBuffer
	var sl sleeps
	n := newNotifier(t, Options{URL: url, Store: s, Now: c.Now, Logger: logs.logger(), Sleep: sl.Sleep, Attempts: 3})
	first := scan(t, s, baseline)
	c.Add(time.Minute)
	if _, err := s.CreateExemption(ctx, "alice", store.Exemption{Kind: store.Waiver, Reason: "pilot",
		Expires: c.Now().Add(48 * time.Hour), Scope: store.OnSubscription, Target: subA}); err != nil {
		t.Fatal(err)
	}
	if err := n.ScanCompleted(ctx, first); err != nil {
		t.Fatal(err)
	}
	if err := n.ExpiringExemptions(ctx); err != nil {
		t.Fatal(err)
	}
	// Three tries per call, and the exemption's event waits behind the
	// scan's: a receiver that is down is not hammered.
	if got := len(sl.all()); got != 4 {
		t.Errorf("%d waits over two calls, want 4 (2 per call)", got)
	}
	pending, err := s.Notices(ctx, n.Sink(), store.NoticePending)
	if err != nil || len(pending) != 2 || pending[0].Attempts != 2 || pending[1].Attempts != 0 {
		t.Fatalf("pending: %+v, %v", pending, err)
	}
	if !strings.Contains(pending[0].LastError, "connection refused") || strings.Contains(pending[0].LastError, "planted-webhook-token") {
		t.Errorf("last error %q", pending[0].LastError)
	}
	c.Add(4 * 24 * time.Hour)
	if err := n.ExpiringExemptions(ctx); err != nil {
		t.Fatal(err)
	}
	all, _ := s.Notices(ctx, n.Sink(), "")
	for _, x := range all {
		if x.Status != store.NoticeAbandoned {
			t.Errorf("after 4 days: %+v, want abandoned", x)
		}
	}
	if !strings.Contains(logs.String(), "level=ERROR msg=\"notification abandoned") || strings.Contains(logs.String(), "planted-webhook-token") {
		t.Errorf("log:\n%s", logs.String())
	}
}

// TestOnceAcrossProcesses: notifiers sharing a database (several serve
// processes) call at once: the event is posted once.
func TestOnceAcrossProcesses(t *testing.T) {
	t.Parallel()
	for _, e := range engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			c := newClock()
			rcv := newReceiver(t)
			var stores []*store.Store
			for range 4 {
				stores = append(stores, openStore(t, e.DSN, c))
			}
			id := scan(t, stores[0], second)
			var wg sync.WaitGroup
			errs := make(chan error, len(stores))
			for _, s := range stores {
				n := newNotifier(t, Options{URL: rcv.URL(), Store: s, Now: c.Now})
				wg.Go(func() { errs <- n.ScanCompleted(t.Context(), id) })
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Error(err)
				}
			}
			if rcv.count() != 1 {
				t.Errorf("%d posts, want 1", rcv.count())
			}
		})
	}
}

func TestNewRefuses(t *testing.T) {
	t.Parallel()
	c := newClock()
	s := openStore(t, engines(t)[0].DSN, c)
	cases := []struct {
		name string
		o    Options
		want string
	}{
		{"no store", Options{URL: "https://hooks.example/x"}, "no store"},
		{"not a URL", Options{URL: "hooks.example/secret-token", Store: s}, "not an absolute"},
		{"another scheme", Options{URL: "ftp://hooks.example/secret-token", Store: s}, "not an absolute"},
		{"unknown format", Options{URL: "https://hooks.example/x", Format: "discord", Store: s}, "use json, slack, teams"},
	}
	for _, tc := range cases {
		_, err := New(tc.o)
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "secret-token") {
			t.Errorf("%s: %v, want an error with %q and no URL", tc.name, err, tc.want)
		}
	}
	if _, err := New(Options{URL: "https://hooks.example/x", Format: "Slack", Store: s}); err != nil {
		t.Errorf("Slack: %v", err)
	}
}
