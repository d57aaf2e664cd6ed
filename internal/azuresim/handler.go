package azuresim

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// ServeHTTP routes a request to the token endpoint, ARM, Resource Graph or
// a vault's data plane, after the latency, authentication, throttling and
// fault injection that apply to it.
func (s *Simulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.opts.Bandwidth > 0 {
		w = &pacedWriter{ResponseWriter: w, rate: s.opts.Bandwidth, ctx: r.Context()}
	}
	sw := &statusWriter{ResponseWriter: w}
	rec := Request{Time: s.now(), Method: r.Method, Host: hostOnly(r.Host), Path: r.URL.Path, Query: r.URL.RawQuery}
	rec.Plane = s.plane(r)
	dropped := false
	defer func() {
		if dropped {
			rec.Status = 0
		} else {
			rec.Status = sw.status
		}
		s.log.add(rec)
	}()
	if !s.sleep(r.Context()) || !s.hold(r) {
		sw.status = 499
		return
	}
	if rec.Plane == "token" {
		s.serveToken(sw, r)
		return
	}
	if rec.Plane == "metadata" {
		s.serveMetadata(sw, r)
		return
	}
	principal, ok := s.authenticate(sw, r, rec.Plane)
	rec.Principal = principal
	if !ok {
		return
	}
	if s.opts.Throttle && !s.admit(sw, r, rec.Plane, principal) {
		return
	}
	switch s.faults.decide(r) {
	case faultDrop:
		dropped = true
		panic(http.ErrAbortHandler)
	case faultFail:
		s.log.failed()
		armError(sw, http.StatusServiceUnavailable, "ServiceUnavailable", "The service is temporarily unavailable (injected by the simulator).")
		return
	case faultFailInternal:
		s.log.failed()
		armError(sw, http.StatusInternalServerError, "InternalServerError", "Encountered an internal server error (injected by the simulator).")
		return
	case faultThrottle:
		sw.Header().Set("Retry-After", "1")
		armError(sw, http.StatusTooManyRequests, "RateLimiting", "The request was throttled (injected by the simulator); retry after the time in Retry-After.")
		return
	}
	switch rec.Plane {
	case "graph":
		s.serveGraph(sw, r)
	case "dataplane":
		s.serveDataPlane(sw, r)
	default:
		s.serveARM(sw, r)
	}
}

func (s *Simulator) plane(r *http.Request) string {
	host := strings.ToLower(hostOnly(r.Host))
	if strings.HasSuffix(host, strings.ToLower(s.opts.KeyVaultDNSSuffix)) || strings.HasSuffix(host, strings.ToLower(s.opts.ManagedHSMDNSSuffix)) {
		return "dataplane"
	}
	p := strings.ToLower(r.URL.Path)
	switch {
	case strings.Contains(p, "/oauth2/") || strings.Contains(p, "/.well-known/") || strings.HasPrefix(p, "/common/discovery"):
		return "token"
	case strings.HasPrefix(p, "/providers/microsoft.resourcegraph/"):
		return "graph"
	case strings.Trim(p, "/") == "metadata/endpoints":
		return "metadata"
	}
	return "arm"
}

// hold makes r wait while Options.Hold says so; false when the client
// went away first.
func (s *Simulator) hold(r *http.Request) bool {
	if s.opts.Hold == nil {
		return true
	}
	ch := s.opts.Hold(r)
	if ch == nil {
		return true
	}
	select {
	case <-ch:
		return true
	case <-r.Context().Done():
		return false
	}
}

func (s *Simulator) sleep(ctx context.Context) bool {
	if s.opts.Latency <= 0 {
		return true
	}
	t := time.NewTimer(s.opts.Latency)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// admit applies the throttling limits; it answers 429 itself when the
// request is refused.
func (s *Simulator) admit(w http.ResponseWriter, r *http.Request, plane, principal string) bool {
	now := s.now()
	switch plane {
	case "graph":
		ok, remaining, reset := s.limiter.graph(principal, now)
		w.Header().Set("x-ms-user-quota-remaining", fmt.Sprint(remaining))
		w.Header().Set("x-ms-user-quota-resets-after", hms(reset))
		if !ok {
			armError(w, http.StatusTooManyRequests, "RateLimiting",
				"Client application has been throttled and should not attempt to repeat the request until an amount of time has elapsed.")
		}
		return ok
	case "dataplane":
		ok, _, wait := s.limiter.vault(strings.ToLower(hostOnly(r.Host)), now)
		if !ok {
			w.Header().Set("Retry-After", retryAfter(wait))
			kvError(w, http.StatusTooManyRequests, "Throttled", "Request was not allowed because the vault exceeded its throttling limit.", "")
		}
		return ok
	}
	segs := segments(r.URL.Path)
	if r.Method != http.MethodGet {
		return true // only reads are modelled; kvguard writes nothing
	}
	if len(segs) >= 3 && strings.EqualFold(segs[0], "subscriptions") {
		ok, remaining, wait := s.limiter.armRead("sub:"+strings.ToLower(segs[1])+"|"+principal, false, now)
		w.Header().Set("x-ms-ratelimit-remaining-subscription-reads", fmt.Sprint(remaining))
		if !ok {
			w.Header().Set("Retry-After", retryAfter(wait))
			armError(w, http.StatusTooManyRequests, "SubscriptionRequestsThrottled",
				fmt.Sprintf("Number of 'read' requests for subscription '%s' actor '%s' exceeded. Please try again after '%s' seconds.", segs[1], principal, retryAfter(wait)))
		}
		return ok
	}
	ok, remaining, wait := s.limiter.armRead("tenant|"+principal, true, now)
	w.Header().Set("x-ms-ratelimit-remaining-tenant-reads", fmt.Sprint(remaining))
	if !ok {
		w.Header().Set("Retry-After", retryAfter(wait))
		armError(w, http.StatusTooManyRequests, "TenantRequestsThrottled", "Number of 'read' requests for the tenant exceeded.")
	}
	return ok
}

// retryAfter renders a wait as Retry-After seconds, rounded up: ARM never
// says 0.
func retryAfter(d time.Duration) string {
	sec := int((d + time.Second - 1) / time.Second)
	if sec < 1 {
		sec = 1
	}
	return fmt.Sprint(sec)
}

// hms renders a duration as Resource Graph's hh:mm:ss.
func hms(d time.Duration) string {
	sec := int((d + time.Second - 1) / time.Second)
	return fmt.Sprintf("%02d:%02d:%02d", sec/3600, sec/60%60, sec%60)
}

func hostOnly(h string) string {
	if host, _, err := net.SplitHostPort(h); err == nil {
		return host
	}
	return h
}

func segments(p string) []string {
	p = strings.Trim(p, "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("x-ms-request-id", requestID())
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

func armError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]any{"error": map[string]any{"code": code, "message": msg}})
}

func kvError(w http.ResponseWriter, status int, code, msg, inner string) {
	e := map[string]any{"code": code, "message": msg}
	if inner != "" {
		e["innererror"] = map[string]any{"code": inner}
	}
	writeJSON(w, status, map[string]any{"error": e})
}

func requestID() string {
	var b [16]byte
	_, _ = io.ReadFull(rand.Reader, b[:])
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
