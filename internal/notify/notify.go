// Package notify tells a webhook what kvguard serve found: the new High
// severity findings of each completed scan, and the exemptions about to
// expire. Payloads come in three formats (kvguard's own versioned JSON,
// a Slack incoming webhook's message, a Teams Adaptive Card message;
// docs/notifications.md). Every event is recorded in the store's
// notifications outbox before it is sent, so that each is sent once, a
// failed delivery is retried at the next call instead of lost, and
// processes sharing a database never both send one.
//
// It reads the store (internal/store) and imports nothing else of
// kvguard's but the result model's vocabulary (assess).
package notify

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/kvguard/kvguard/internal/assess"
	"github.com/kvguard/kvguard/internal/store"
)

// Options configure a Notifier.
type Options struct {
	// URL is the webhook's address (https:// for Slack and Teams). It is
	// a credential for most receivers: it is never logged or stored, the
	// store keeps a hash of it.
	URL string
	// Format is the payload format: "json" (the default), "slack" or
	// "teams".
	Format string
	// Client sends the requests (when nil: one with a 30 s timeout that
	// follows no redirect).
	Client *http.Client
	// Store holds the scans, exemptions and the notifications outbox.
	Store *store.Store
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// BaseURL is the dashboard's external address
	// (https://kvguard.example), for links in the payloads; none when
	// empty.
	BaseURL string
	// ExpiringWithin is how long before its expiry an exemption is
	// announced (7 days when 0).
	ExpiringWithin time.Duration
	// Logger receives deliveries and failures (discarded when nil).
	Logger *slog.Logger

	// Attempts bounds the tries of one delivery within a call (4 when 0);
	// only connection errors, 5xx and 429 answers are tried again.
	Attempts int
	// Backoff is the wait before the second try, doubled before each
	// next one (1 s when 0); a Retry-After answer may ask for longer, up
	// to a minute.
	Backoff time.Duration
	// Sleep waits between tries (a timer that ctx interrupts when nil):
	// tests inject one that returns at once.
	Sleep func(ctx context.Context, d time.Duration) error
	// GiveUpAfter is how long an undelivered event is retried, call after
	// call, before it is abandoned with an error in the log (3 days when
	// 0).
	GiveUpAfter time.Duration
}

// Notifier posts events to one webhook.
type Notifier struct {
	opts   Options
	format Format
	sink   string
	host   string
	st     *store.Store
	log    *slog.Logger
}

// claimLease is how long a delivery holds its events against other
// processes: longer than its tries and their waits.
const claimLease = 10 * time.Minute

// pruneAfter is how long sent and abandoned events are kept.
const pruneAfter = 30 * 24 * time.Hour

// New checks the options and returns a notifier.
func New(o Options) (*Notifier, error) {
	if o.Store == nil {
		return nil, errors.New("notifier: no store")
	}
	u, err := url.Parse(o.URL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		// The URL may hold a token: never repeat it.
		return nil, errors.New("notifier: the webhook URL is not an absolute http:// or https:// URL")
	}
	f, err := lookupFormat(o.Format)
	if err != nil {
		return nil, fmt.Errorf("notifier: %w", err)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.ExpiringWithin <= 0 {
		o.ExpiringWithin = 7 * 24 * time.Hour
	}
	if o.Attempts <= 0 {
		o.Attempts = 4
	}
	if o.Backoff <= 0 {
		o.Backoff = time.Second
	}
	if o.Sleep == nil {
		o.Sleep = sleep
	}
	if o.GiveUpAfter <= 0 {
		o.GiveUpAfter = 3 * 24 * time.Hour
	}
	if o.Client == nil {
		o.Client = &http.Client{Timeout: 30 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	o.BaseURL = strings.TrimRight(o.BaseURL, "/")
	h := sha256.Sum256([]byte(f.ID + "\x00" + o.URL))
	return &Notifier{opts: o, format: f, st: o.Store, log: o.Logger, host: u.Host,
		sink: "webhook:" + hex.EncodeToString(h[:16])}, nil
}

// Sink is the name the outbox records this notifier's events under: a
// hash of its URL and format.
func (n *Notifier) Sink() string { return n.sink }

// ScanCompleted announces the scan's new High findings (see
// store.NewFindings) once: a second call for the same scan sends
// nothing. A scan that did not succeed, or found nothing new, is not
// announced. It then retries any event an earlier call failed to
// deliver. A failed delivery is logged and kept for the next call, not
// returned: the error is the store's (nothing could be recorded).
func (n *Notifier) ScanCompleted(ctx context.Context, scanID int64) error {
	info, err := n.st.ScanInfo(ctx, scanID)
	if err != nil {
		return fmt.Errorf("notify scan %d: %w", scanID, err)
	}
	if info.Status == store.Succeeded {
		found, err := n.st.NewFindings(ctx, scanID, assess.High)
		if err != nil {
			return fmt.Errorf("notify scan %d: %w", scanID, err)
		}
		if len(found) > 0 {
			if _, err := n.st.AddNotice(ctx, n.sink, store.NoticeNewHigh, scanID, time.Time{}); err != nil {
				return fmt.Errorf("notify scan %d: %w", scanID, err)
			}
		}
	}
	return n.flush(ctx)
}

// ExpiringExemptions announces, once each, the exemptions in force
// whose expiry falls within the window (Options.ExpiringWithin), in one
// message; an exemption whose expiry is changed is announced again when
// its new expiry nears. It then retries any event an earlier call failed
// to deliver, and forgets events delivered long ago. Call it on each
// maintenance tick. Errors are the store's, as for ScanCompleted.
func (n *Notifier) ExpiringExemptions(ctx context.Context) error {
	list, err := n.st.ExpiringExemptions(ctx, n.opts.ExpiringWithin)
	if err != nil {
		return fmt.Errorf("notify expiring exemptions: %w", err)
	}
	for _, x := range list {
		if _, err := n.st.AddNotice(ctx, n.sink, store.NoticeExpiring, x.ID, x.Expires); err != nil {
			return fmt.Errorf("notify expiring exemptions: %w", err)
		}
	}
	if err := n.flush(ctx); err != nil {
		return err
	}
	if _, err := n.st.PruneNotices(ctx, n.opts.Now().Add(-pruneAfter)); err != nil {
		return fmt.Errorf("notify expiring exemptions: %w", err)
	}
	return nil
}

// flush delivers the pending events, oldest first: each scan's in a
// message of its own, the exemptions together. It stops at the first
// delivery that fails for want of a receiver (a connection error, 5xx):
// the rest wait for the next call.
func (n *Notifier) flush(ctx context.Context) error {
	pending, err := n.st.Notices(ctx, n.sink, store.NoticePending)
	if err != nil {
		return fmt.Errorf("notify: %w", err)
	}
	var expiring []store.Notice
	for _, p := range pending {
		if p.Kind == store.NoticeExpiring {
			expiring = append(expiring, p)
			continue
		}
		if p.Kind != store.NoticeNewHigh {
			continue // a kind a newer kvguard records
		}
		down, err := n.deliverScan(ctx, p)
		if err != nil || down {
			return err
		}
	}
	if len(expiring) > 0 {
		_, err := n.deliverExpiring(ctx, expiring)
		return err
	}
	return nil
}

// deliverScan sends one scan's new High findings.
func (n *Notifier) deliverScan(ctx context.Context, p store.Notice) (down bool, err error) {
	ok, err := n.claim(ctx, p)
	if err != nil || !ok {
		return false, err
	}
	e := &event{name: eventNewHigh, at: n.opts.Now(), base: n.opts.BaseURL}
	if e.scan, err = n.st.ScanInfo(ctx, p.Subject); err == nil {
		e.findings, err = n.st.NewFindings(ctx, p.Subject, assess.High)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return false, n.abandon(ctx, []store.Notice{p}, "the scan is gone (retention)")
	}
	if err != nil {
		return false, n.release(ctx, []store.Notice{p}, fmt.Errorf("notify scan %d: %w", p.Subject, err))
	}
	if len(e.findings) == 0 {
		// Retention removed the history since: nothing left to say.
		return false, n.abandon(ctx, []store.Notice{p}, "nothing left to announce")
	}
	return n.send(ctx, e, []store.Notice{p})
}

// deliverExpiring sends the pending exemption events in one message,
// dropping those revoked or given another expiry since.
func (n *Notifier) deliverExpiring(ctx context.Context, pending []store.Notice) (down bool, err error) {
	e := &event{name: eventExpiring, at: n.opts.Now(), base: n.opts.BaseURL, within: n.opts.ExpiringWithin}
	var held []store.Notice
	for _, p := range pending {
		ok, err := n.claim(ctx, p)
		if err != nil {
			return false, errors.Join(err, n.release(ctx, held, nil))
		}
		if !ok {
			continue
		}
		x, err := n.st.ExemptionByID(ctx, p.Subject)
		if err != nil {
			return false, errors.Join(err, n.release(ctx, append(held, p), nil))
		}
		if !x.Revoked.IsZero() || !x.Expires.Equal(p.Instant) {
			if err := n.abandon(ctx, []store.Notice{p}, "revoked or given another expiry"); err != nil {
				return false, errors.Join(err, n.release(ctx, held, nil))
			}
			continue
		}
		held = append(held, p)
		e.exemptions = append(e.exemptions, x)
	}
	if len(held) == 0 {
		return false, nil
	}
	return n.send(ctx, e, held)
}

// claim takes an event for this call, or abandons it when it has waited
// too long.
func (n *Notifier) claim(ctx context.Context, p store.Notice) (bool, error) {
	if n.opts.Now().Sub(p.Created) > n.opts.GiveUpAfter {
		n.log.Error("notification abandoned: undelivered for too long", "webhook", n.host, "event", p.Kind,
			"subject", p.Subject, "since", p.Created, "attempts", p.Attempts, "last error", p.LastError)
		return false, n.abandon(ctx, []store.Notice{p}, "undelivered since "+p.Created.Format(time.RFC3339)+": "+p.LastError)
	}
	ok, err := n.st.ClaimNotice(ctx, p.ID, claimLease)
	if err != nil {
		return false, fmt.Errorf("notify: %w", err)
	}
	return ok, nil
}

// send renders and posts an event, and records the outcome of its
// notices.
func (n *Notifier) send(ctx context.Context, e *event, held []store.Notice) (down bool, err error) {
	body, err := n.format.encode(e)
	if err != nil {
		return false, n.release(ctx, held, err)
	}
	if err := n.post(ctx, body); err != nil {
		attempts := held[0].Attempts + 1
		n.log.Warn("notification not delivered; it is retried at the next call", "webhook", n.host, "event", e.name,
			"subject", held[0].Subject, "attempts so far", attempts, "err", err)
		var de *deliveryError
		down = !errors.As(err, &de) || !de.permanent
		return down, n.release(ctx, held, err)
	}
	for _, p := range held {
		if err := n.st.NoticeSent(ctx, p.ID); err != nil {
			return false, fmt.Errorf("notify: %w", err)
		}
	}
	n.log.Info("notification delivered", "webhook", n.host, "event", e.name, "subject", held[0].Subject,
		"items", len(e.findings)+len(e.exemptions))
	return false, nil
}

// release records a failed attempt on each held notice, leaving it
// pending; why is nil when the attempt was not made.
func (n *Notifier) release(ctx context.Context, held []store.Notice, why error) error {
	msg := "not attempted"
	if why != nil {
		msg = why.Error()
	}
	var errs []error
	for _, p := range held {
		if err := n.st.NoticeFailed(ctx, p.ID, msg, false); err != nil {
			errs = append(errs, fmt.Errorf("notify: %w", err))
		}
	}
	var de *deliveryError
	if why != nil && !errors.As(why, &de) {
		errs = append(errs, why) // not a delivery failure: the store's or the payload's
	}
	return errors.Join(errs...)
}

func (n *Notifier) abandon(ctx context.Context, held []store.Notice, why string) error {
	for _, p := range held {
		if err := n.st.NoticeFailed(ctx, p.ID, why, true); err != nil {
			return fmt.Errorf("notify: %w", err)
		}
	}
	return nil
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
