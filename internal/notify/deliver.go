package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// deliveryError is a delivery that failed: what the receiver answered or
// why the connection failed. Permanent ones (a 4xx answer other than
// 429) are not tried again within a call.
type deliveryError struct {
	status    int // 0 for a connection error
	msg       string
	permanent bool
}

func (e *deliveryError) Error() string { return e.msg }

// maxRetryAfter caps how long a Retry-After answer makes a call wait.
const maxRetryAfter = time.Minute

// post sends a payload, trying again after connection errors, 5xx and
// 429 answers with a doubling wait, up to Options.Attempts tries.
func (n *Notifier) post(ctx context.Context, body []byte) error {
	wait := n.opts.Backoff
	var last error
	for try := 1; ; try++ {
		retryAfter, err := n.postOnce(ctx, body)
		if err == nil {
			return nil
		}
		last = err
		var de *deliveryError
		if !errors.As(err, &de) || de.permanent || try >= n.opts.Attempts {
			return last
		}
		d := wait
		if retryAfter > d {
			d = min(retryAfter, maxRetryAfter)
		}
		if err := n.opts.Sleep(ctx, d); err != nil {
			return fmt.Errorf("%w (then: %w)", last, err)
		}
		wait *= 2
	}
}

// postOnce makes one request; retryAfter is what the receiver asked for.
func (n *Notifier) postOnce(ctx context.Context, body []byte) (retryAfter time.Duration, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, n.opts.URL, bytes.NewReader(body))
	if err != nil {
		return 0, errors.New("build the webhook request") // never the URL: it may hold a token
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "kvguard-notify")
	resp, err := n.opts.Client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // its message repeats the URL
		}
		return 0, &deliveryError{msg: "post to " + n.host + ": " + err.Error()}
	}
	defer resp.Body.Close()
	text, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return 0, nil
	}
	de := &deliveryError{status: resp.StatusCode, msg: n.host + " answered " + resp.Status + answerText(text)}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		retryAfter = parseRetryAfter(resp.Header.Get("Retry-After"))
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		de.msg += " (a redirect: kvguard does not follow one; give the webhook's final URL)"
		de.permanent = true
	default:
		de.permanent = true
	}
	return retryAfter, de
}

// answerText is a receiver's answer, on one line, for the log.
func answerText(b []byte) string {
	s := strings.Map(func(r rune) rune {
		if unicode.IsPrint(r) {
			return r
		}
		return ' '
	}, string(b))
	s = strings.Join(strings.Fields(s), " ")
	if s == "" {
		return ""
	}
	return ": " + clip(s, 200)
}

// parseRetryAfter reads a Retry-After in seconds (the HTTP-date form is
// ignored: it needs the receiver's clock).
func parseRetryAfter(v string) time.Duration {
	secs, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || secs < 0 {
		return 0
	}
	return time.Duration(secs) * time.Second
}
